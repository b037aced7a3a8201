"""INFILE: opened, decompressed according to its suffix, and opened again where it can be."""

from __future__ import annotations

import contextlib
import os
import stat
import sys
from typing import IO, Any

from .._codecs import codec


class InputFile:
    """The input named on the command line: how to open it, and again to locate an error."""

    def __init__(self, name: str) -> None:
        """Open ``name`` ("-": standard input). A suffix whose codec is missing is a
        ModuleNotFoundError naming the extra, raised before anything is opened."""
        self.name = name
        self.codec = codec(name, write=False)
        self.is_stdin = name == "-"
        self.label = "<stdin>" if self.is_stdin else name
        self.raw: IO[bytes]
        self.start = 0
        if self.is_stdin:
            self.raw = sys.stdin.buffer
            with contextlib.suppress(OSError, ValueError):
                self.start = self.raw.tell()
        else:
            self.raw = open(name, "rb")  # noqa: SIM115 - closed by InputFile.close()
        self.size = self._regular_size()

    def _regular_size(self) -> int | None:
        """The bytes left from ``start`` if the input is a regular file, else None."""
        try:
            st = os.fstat(self.raw.fileno())
        except (OSError, ValueError):  # io.UnsupportedOperation is both
            return None
        return st.st_size - self.start if stat.S_ISREG(st.st_mode) else None

    @property
    def rereadable(self) -> bool:
        """Whether the input can be read a second time (a regular file)."""
        return self.size is not None

    def stream(self, raw: Any) -> Any:
        """``raw`` (a binary file, or anything with its ``read``) decompressed according
        to the file name's suffix."""
        return raw if self.codec is None else self.codec.decompress(raw)

    def reopen(self, stack: contextlib.ExitStack) -> Any:
        """A fresh stream of the input from its start (only if ``rereadable``), closed
        with ``stack``."""
        raw: Any
        if self.is_stdin:
            self.raw.seek(self.start)
            raw = self.raw
        else:
            raw = stack.enter_context(open(self.name, "rb"))  # noqa: SIM115 - closed by stack
        stream = self.stream(raw)
        if stream is not raw:
            stack.callback(stream.close)
        return stream

    def close(self) -> None:
        """Close the file opened for the input (standard input stays open)."""
        if not self.is_stdin:
            self.raw.close()
