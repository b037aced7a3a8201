"""The ``streamjson`` command: reformat and convert huge JSON files in constant memory.

``streamjson [options] [INFILE [OUTFILE]]`` takes the options of
``python -m json.tool`` and writes the same bytes for a valid document, but it
reads with ijson and writes with the walker, so memory does not grow with the
file. It also converts between one JSON array and JSON Lines.

How the pieces fit:

* :mod:`._args` parses the command line into json.dumps options.
* :mod:`._source` opens INFILE (decompressing by suffix), and opens it again when
  it can; :mod:`._progress` draws how much of it has been read.
* :class:`._input.ParserInput` is what ijson reads: it counts where it is (byte,
  line, column) for error messages, and disguises the escapes ijson's C backend
  would mangle (lone surrogates such as ``"\\ud800"``, which json keeps); strings
  are restored as they are read (:mod:`._surrogates`).
* A document is a sequence of values written one after the other: the elements
  of a top-level array, JSON Lines documents, or the records at a --to-lines
  prefix. From a file, each is built by ijson's C builder (the fast path) until
  one is too big to hold or holds a number a double cannot; then the file is read
  again and the rest streamed (:func:`._documents.built_then_streamed`). Anything
  else goes through :mod:`streamjson._events`, which turns events into lazy values.
* The walker writes each document and a newline, exactly what json.tool writes
  (:mod:`._run`). The output goes through ``open_sink``: a path is written
  atomically, so a failure or Ctrl-C leaves OUTFILE as it was.
* When the parser fails, the input is read again (if it can be) up to the failing
  chunk and then byte by byte, to say exactly where and what was expected
  (:mod:`._errors`).
"""

from __future__ import annotations

from ._run import main

__all__ = ["main"]
