"""The ``streamjson`` command: reformat and convert huge JSON files in constant memory.

``streamjson [options] [INFILE [OUTFILE]]`` takes the options of
``python -m json.tool`` and writes the same bytes for a valid document, but it
reads with ijson and writes with the walker, so memory does not grow with the
file. It also converts between one JSON array and JSON Lines.

How the pieces fit:

* :mod:`._args` parses the command line into json.dumps options.
* :class:`._source.InputFile` opens INFILE (decompressing by suffix), and opens it
  again when it can; :mod:`._progress` draws how much of it has been read.
* :class:`._input.ParserInput` is what ijson reads: it counts where it is (byte,
  line, column) for error messages, and keeps ijson's C parser (yajl) to json's
  verdict and values: no form feed or vertical tab as whitespace, no string left open
  after the document, lone surrogates such as ``"\\ud800"`` disguised and restored
  (:mod:`._surrogates`), numbers ijson cannot convert hidden and kept as text
  (:mod:`._numbers`).
* A document is a sequence of values written one after the other: the elements
  of a top-level array, JSON Lines documents, or the records at a --to-lines
  prefix (:mod:`._prefix`). Each is read from ijson's ``basic_parse`` events by
  :class:`streamjson._events.EventReader`, which turns them into lazy values (memory
  follows the values held and the depth, linearly); deeper than --max-depth is refused.
* The walker writes each document and a newline, exactly what json.tool writes
  (:mod:`._run`). The output goes through ``open_sink``: a regular file is
  replaced atomically, so a failure or Ctrl-C leaves OUTFILE as it was (a FIFO, a
  device or /dev/stdout is written in place).
* When the parser fails, the input is read again (if it can be) up to the failing
  chunk and then byte by byte, to say exactly where and what was expected
  (:mod:`._errors`).
"""

from __future__ import annotations

from ._run import main

__all__ = ["main"]
