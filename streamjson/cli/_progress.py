"""The progress bar: how much of the input has been read, drawn on standard error."""

from __future__ import annotations

import time
from typing import IO


class Progress:
    """Wraps the raw input and draws how much of it has been read, at most 10 times a second."""

    def __init__(self, raw: IO[bytes], total: int | None, out: IO[str]) -> None:
        self.raw = raw
        self.total = total
        self.out = out
        self.done = 0
        self.started = time.monotonic()
        self.next_draw = self.started
        self.drawn = False

    def read(self, size: int = -1) -> bytes:
        """Read from the raw input, count the bytes, and draw if it is time."""
        data = self.raw.read(size)
        self.done += len(data)
        now = time.monotonic()
        if now >= self.next_draw:
            self.next_draw = now + 0.1
            self.draw(now)
        return data

    def draw(self, now: float) -> None:
        """Draw the bar (or, without a total, the bytes read) over the current line."""
        elapsed = max(now - self.started, 1e-9)
        rate = self.done / elapsed
        if self.total:
            share = min(self.done / self.total, 1.0)
            left = (self.total - self.done) / rate if rate else 0.0
            bar = "#" * int(share * 20)
            text = (
                f"[{bar:<20}] {share:6.1%} {_size(self.done)} / {_size(self.total)} "
                f"{_size(rate)}/s ETA {_duration(left)}"
            )
        else:
            text = f"{_size(self.done)} read, {_size(rate)}/s, {_duration(elapsed)}"
        self.out.write("\r" + text + "\x1b[K")
        self.out.flush()
        self.drawn = True

    def finish(self) -> None:
        """Draw the final state and end the line (if anything was drawn)."""
        if self.drawn:
            self.draw(time.monotonic())
            self.out.write("\n")
            self.out.flush()
            self.drawn = False


def _size(n: float) -> str:
    """``n`` bytes for a person: B, KiB, MiB or GiB."""
    if n < 1024:
        return f"{n:.0f} B"
    for unit in ("KiB", "MiB"):
        n /= 1024
        if n < 1024:
            return f"{n:.1f} {unit}"
    return f"{n / 1024:.1f} GiB"


def _duration(seconds: float) -> str:
    """``seconds`` as H:MM:SS."""
    m, s = divmod(int(seconds), 60)
    h, m = divmod(m, 60)
    return f"{h}:{m:02d}:{s:02d}"
