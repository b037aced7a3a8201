"""Fault injection helpers for the reliability suite: failing and short-writing sinks,
generators that report whether their ``finally`` ran, memory peaks."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import io
import os
import socket
import tracemalloc
from collections.abc import AsyncIterable, AsyncIterator, Callable, Iterable, Iterator
from typing import Any

ERRNOS = {
    "ENOSPC": (errno.ENOSPC, "No space left on device"),
    "EPIPE": (errno.EPIPE, "Broken pipe"),
    "EIO": (errno.EIO, "Input/output error"),
}


def os_error(name: str) -> OSError:
    """A fresh OSError as the OS raises it (BrokenPipeError for EPIPE...)."""
    code, text = ERRNOS[name]
    return OSError(code, text)


class Fault:
    """A disk or peer that takes ``limit`` bytes (or chars), then fails every write.

    A write that reaches the limit is taken up to it (``partial``: raw files and
    sockets report short writes) or not at all (buffered and text files take all or
    raise); the next write raises ``error``. ``raised`` holds what was raised, so a
    test can check that the very same exception came out.
    """

    def __init__(self, limit: float, error: str, partial: bool) -> None:
        self.limit = limit
        self.error = error
        self.partial = partial
        self.taken = bytearray()
        self.text: list[str] = []
        self.size = 0
        self.calls = 0
        self.sizes: list[int] = []  # the size of each write asked for
        self.raised: list[BaseException] = []

    def fail(self) -> None:
        exc = os_error(self.error)
        self.raised.append(exc)
        raise exc

    def take(self, n: int) -> int:
        """How much of a write of ``n`` to take; raises when nothing may be taken.

        An empty write (streamjson's probe of a text-or-bytes guess) takes nothing
        and does not fail, as an empty write to a full disk does not.
        """
        if n == 0:
            return 0
        self.calls += 1
        self.sizes.append(n)
        room = self.limit - self.size
        if room <= 0 or (n > room and not self.partial):
            self.fail()
        return int(min(n, room))


class FaultyRaw(io.RawIOBase):
    """A raw binary file on a filling disk: short writes up to the limit, then errors."""

    def __init__(self, fault: Fault) -> None:
        self.fault = fault

    def writable(self) -> bool:
        return True

    def write(self, b: Any) -> int:
        n = self.fault.take(len(b))
        self.fault.taken += bytes(b[:n])
        self.fault.size += n
        return n


class FaultyBuffered(io.BufferedIOBase):
    """A buffered binary file: takes a whole write or raises."""

    def __init__(self, fault: Fault) -> None:
        self.fault = fault

    def writable(self) -> bool:
        return True

    def write(self, b: Any) -> int:
        n = self.fault.take(len(b))
        self.fault.taken += bytes(b)
        self.fault.size += n
        return n


class FaultyText(io.TextIOBase):
    """A text file: takes a whole str or raises; the limit counts characters."""

    def __init__(self, fault: Fault) -> None:
        self.fault = fault

    def writable(self) -> bool:
        return True

    def write(self, s: str) -> int:
        n = self.fault.take(len(s))
        self.fault.text.append(s)
        self.fault.size += n
        return n


class FaultySocket(socket.socket):
    """A socket whose peer goes away after ``limit`` bytes: sendall sends that much, then fails."""

    fault: Fault

    def sendall(self, data: Any, flags: int = 0) -> None:  # type: ignore[override]
        data = bytes(data)
        while data:
            n = self.fault.take(len(data))
            self.fault.taken += data[:n]
            self.fault.size += n
            data = data[n:]


def faulty_socket(fault: Fault) -> FaultySocket:
    sock = FaultySocket(socket.AF_INET, socket.SOCK_STREAM)
    sock.fault = fault
    return sock


class FaultyFileIO(io.FileIO):
    """The file under a path target: the real file, with the disk filling at ``fault.limit``."""

    fault: Fault

    def write(self, b: Any) -> int:
        n = self.fault.take(len(b))
        written = super().write(bytes(b[:n]))
        assert written == n
        self.fault.taken += bytes(b[:n])
        self.fault.size += n
        return n


@contextlib.contextmanager
def failing_disk(monkeypatch: Any, fault: Fault) -> Iterator[None]:
    """Make the files streamjson opens with ``os.fdopen`` (its temp files) fail as told."""
    real = os.fdopen

    def fdopen(fd: int, mode: str = "r", *args: Any, **kw: Any) -> Any:
        if mode != "wb":
            return real(fd, mode, *args, **kw)
        raw = FaultyFileIO(fd, "wb")
        raw.fault = fault
        return io.BufferedWriter(raw)

    with monkeypatch.context() as m:
        m.setattr(os, "fdopen", fdopen)
        yield


class FaultyAsync:
    """An async binary writer (like aiohttp's ``await response.write(bytes)``): takes a
    whole write or raises."""

    def __init__(self, fault: Fault) -> None:
        self.fault = fault

    async def write(self, data: bytes) -> None:
        assert isinstance(data, bytes)
        await asyncio.sleep(0)
        n = self.fault.take(len(data))
        self.fault.taken += data
        self.fault.size += n


class FaultyAsyncText:
    """An async text writer (like aiofiles in text mode, which says so with ``encoding``)."""

    encoding = "utf-8"

    def __init__(self, fault: Fault) -> None:
        self.fault = fault

    async def write(self, text: str) -> int:
        assert isinstance(text, str)
        await asyncio.sleep(0)
        n = self.fault.take(len(text))
        self.fault.text.append(text)
        self.fault.size += n
        return n


class FaultyStreamWriter:
    """Like ``asyncio.StreamWriter`` on a peer that goes away after ``fault.limit`` bytes:
    ``write()`` only buffers; ``drain()`` sends what it can, then raises."""

    def __init__(self, fault: Fault) -> None:
        self.fault = fault
        self.pending = bytearray()

    def write(self, data: bytes) -> None:
        self.pending += data

    async def drain(self) -> None:
        await asyncio.sleep(0)
        data, self.pending = bytes(self.pending), bytearray()
        while data:
            n = self.fault.take(len(data))
            self.fault.taken += data[:n]
            self.fault.size += n
            data = data[n:]


class Stingy(io.RawIOBase):
    """A raw file that takes a few bytes a call, and now and then none (None or BlockingIOError)."""

    def __init__(self, pattern: str) -> None:
        self.data = bytearray()
        self.calls = 0
        self.pattern = pattern

    def writable(self) -> bool:
        return True

    def write(self, b: Any) -> int | None:
        self.calls += 1
        k = 1 + (self.calls * 7919) % 23
        if self.pattern == "none" and self.calls % 3 == 0:
            return None
        if self.pattern == "blocking" and self.calls % 4 == 0:
            taken = bytes(b[: k // 2])
            self.data += taken
            raise BlockingIOError(11, "would block", len(taken))
        taken = bytes(b[:k])
        self.data += taken
        return len(taken)


class Recorder(io.RawIOBase):
    """A binary sink that records each write (to measure a clean run)."""

    def __init__(self) -> None:
        self.writes: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, b: Any) -> int:
        self.writes.append(bytes(b))
        return len(b)

    def data(self) -> bytes:
        return b"".join(self.writes)


class Tracker:
    """Makes generators that record when they start and when their ``finally`` runs."""

    def __init__(self) -> None:
        self.started: list[str] = []
        self.finished: list[str] = []

    def gen(self, name: str, items: Iterable[Any]) -> Iterator[Any]:
        self.started.append(name)
        try:
            yield from items
        finally:
            self.finished.append(name)

    def lazy(self, name: str, make: Callable[[], Iterable[Any]]) -> Iterator[Any]:
        """A generator whose items are only made once it is started."""
        return self._lazy(name, make)

    def _lazy(self, name: str, make: Callable[[], Iterable[Any]]) -> Iterator[Any]:
        self.started.append(name)
        try:
            yield from make()
        finally:
            self.finished.append(name)

    async def agen(
        self, name: str, items: Iterable[Any] | AsyncIterable[Any]
    ) -> AsyncIterator[Any]:
        """The async twin of :meth:`gen`: yields ``items`` (sync or async), one per loop turn."""
        self.started.append(name)
        try:
            if isinstance(items, AsyncIterable):
                async for item in items:
                    yield item
            else:
                for item in items:
                    await asyncio.sleep(0)
                    yield item
        finally:
            self.finished.append(name)

    def all_closed(self) -> bool:
        return sorted(self.started) == sorted(self.finished)


def peak_while(fn: Callable[[], Any]) -> int:
    """Bytes allocated at the peak while ``fn`` ran, above what was held before (tracemalloc)."""
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        fn()
        return tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()


class Discard(io.RawIOBase):
    """A binary sink that keeps only the size and a running hash of what it gets."""

    def __init__(self) -> None:
        import hashlib

        self.size = 0
        self.hash = hashlib.sha256()
        self.writes = 0

    def writable(self) -> bool:
        return True

    def write(self, b: Any) -> int:
        self.size += len(b)
        self.hash.update(b)
        self.writes += 1
        return len(b)


def listing(folder: Any) -> list[str]:
    return sorted(os.listdir(folder))


def open_fds() -> int:
    """How many file descriptors this process holds (Linux: /proc/self/fd)."""
    return len(os.listdir("/proc/self/fd"))
