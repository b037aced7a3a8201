"""Compression on a second thread: a file-like writer that hands its bytes to a thread.

zlib, bz2 and lzma let go of the GIL while they compress, so a compressed path is
compressed on a second core while the first one encodes. :class:`CompressThread`
gathers what it is given into blocks of :data:`BLOCK` bytes and passes them through
a queue of :data:`DEPTH` blocks (memory stays bounded whatever the document's size)
to a thread that writes them to the compressor. The compressor is only ever used by
one thread at a time: the worker while it runs, the caller once it has joined it.

A block is a buffer of its own, filled in place and handed back by the worker once
written, to be filled again: a megabyte allocated, copied and freed for every
megabyte of text would make the kernel map fresh pages for all of it (twice the
page faults, and a tenth more system time, where glibc trims its heap eagerly, as
Dask's workers have it do).
"""

from __future__ import annotations

import queue
import threading
from typing import Any

BLOCK = 1024 * 1024
"""Bytes gathered before they are handed to the thread. Each block costs the worker a
few GIL hand-offs of up to ``sys.getswitchinterval()`` (5 ms) while the encoder runs:
64 KiB blocks would spend more time waiting for the GIL than compressing."""

DEPTH = 4
"""Blocks the queue holds: at most ``(DEPTH + 2) * BLOCK`` bytes wait to be compressed."""

_POLL = 0.05  # seconds between looks at the worker's health while waiting on it

_END = object()  # the last item: the worker returns


class CompressThread:
    """Write bytes to ``stream`` (a compressor) on a worker thread, started here.

    ``write`` never blocks for long: while the queue is full it checks the worker,
    and raises the worker's exception (the very object) once the worker has failed.
    End with :meth:`close` (everything written, the worker joined, then ``stream``
    closed here) or :meth:`abort` (the worker stopped and joined, what waited dropped,
    ``stream`` left to the caller); one of them must be called.
    """

    def __init__(self, stream: Any) -> None:
        self._stream = stream
        self._block = bytearray(BLOCK)  # filled up to self._filled, then handed
        self._filled = 0
        self._spare: queue.SimpleQueue[bytearray] = queue.SimpleQueue()  # written blocks
        self._queue: queue.Queue[object] = queue.Queue(DEPTH)
        self._error: BaseException | None = None
        self._stop = False
        self._thread = threading.Thread(target=self._run, name="streamjson-compress", daemon=True)
        self._thread.start()

    def write(self, data: Any) -> int:
        """Take ``data`` (bytes-like) to be compressed; returns its size."""
        self._check()
        view = memoryview(data).cast("B")
        size = len(view)
        while view:
            taken = view[: len(self._block) - self._filled]
            self._block[self._filled : self._filled + len(taken)] = taken
            self._filled += len(taken)
            view = view[len(taken) :]
            if self._filled == len(self._block):
                self._hand_pending()
        return size

    def flush(self) -> None:
        """Wait until the worker has written everything given so far, then flush ``stream``."""
        self._check()
        done = threading.Event()
        self._hand_pending()
        self._hand(done)
        while not done.wait(_POLL):
            self._check()
        self._stream.flush()

    def close(self) -> None:
        """Write everything, join the worker, close ``stream`` (its trailer) on this thread.

        The worker's exception, if it failed, is raised instead (``stream`` not closed).
        """
        try:
            self._check()
            self._hand_pending()
            self._hand(_END)
        except BaseException:
            self.abort()
            raise
        self._join()
        self._check()
        self._stream.close()

    def abort(self) -> None:
        """Stop the worker after the write it is in (if any), drop what waits, join it."""
        self._stop = True
        self._filled = 0
        while True:
            try:
                self._queue.get_nowait()
            except queue.Empty:
                break
        self._queue.put_nowait(_END)  # only this thread puts: there is room now
        self._join()

    def _hand_pending(self) -> None:
        """Hand the block filled so far (if any) to the worker; fill a spare one next."""
        if self._filled:
            self._hand(memoryview(self._block)[: self._filled])
            try:
                self._block = self._spare.get_nowait()
            except queue.Empty:  # all of them wait or are being written: one more
                self._block = bytearray(BLOCK)
            self._filled = 0

    def _hand(self, item: object) -> None:
        """Queue ``item``, waiting while the queue is full, as long as the worker is well."""
        while True:
            try:
                self._queue.put(item, timeout=_POLL)
                return
            except queue.Full:
                self._check()

    def _check(self) -> None:
        """Raise the worker's exception, or a RuntimeError if it is gone without one."""
        if self._error is not None:
            raise self._error
        if not self._thread.is_alive() and not self._stop:
            raise RuntimeError("the compression thread has stopped")

    def _join(self) -> None:
        """Join the worker; a KeyboardInterrupt while waiting still waits (it is quick)."""
        try:
            self._thread.join()
        finally:
            self._stop = True
            while self._thread.is_alive():
                self._thread.join(_POLL)

    def _run(self) -> None:
        write = self._stream.write
        try:
            while not self._stop:
                item = self._queue.get()
                if item is _END:
                    return
                if isinstance(item, threading.Event):
                    item.set()
                else:
                    assert isinstance(item, memoryview)
                    write(item)
                    with item:  # released: the block may be filled again
                        self._spare.put(item.obj)  # type: ignore[arg-type]
        except BaseException as exc:  # handed to the caller's thread
            self._error = exc
