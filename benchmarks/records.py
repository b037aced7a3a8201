"""The shared, deterministic record generator every benchmark contender encodes.

``records(n)`` yields ``n`` fresh dicts of 10 fields: ints, floats, bools, None,
ASCII and non-ASCII strings (Latin, CJK, an emoji, which ``ensure_ascii`` escapes
as a surrogate pair), one nested dict holding a list, and a list of strings. The
records are built on the fly from the index alone (no ``random``), so every
contender sees the same values, every run writes the same bytes, and building
them costs every contender the same: the generator's own cost is part of every
measurement, as it is in real use.

A record encodes to about 330 bytes with json's default options.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

__all__ = ["META", "record", "records", "records_list"]

# Non-ASCII on purpose: json escapes it (ensure_ascii=True), others may not.
_NAMES = (
    "Ada Lovelace",
    "Zoë Ødegård",
    "Łukasz Żółć",
    "José Núñez",
    "Björk Guðmundsdóttir",
    "李雷",
    "Grace Hopper",
    "Chloé Brontë",
    "Mårten Ängström",
    "Nadia 🚀 Petrova",
)
_CITIES = ("Zürich", "København", "Paris", "東京", "São Paulo", "Reykjavík", "Boston", "Kraków")
_TAGS = ("alpha", "beta", "gamma", "delta", "épsilon", "zeta", "eta", "θήτα", "iota")
_STATUS = ("active", "suspended", "pending", "closed")

META: dict[str, Any] = {
    "source": "streamjson benchmark",
    "version": 3,
    "generated": "2024-06-01T00:00:00Z",
    "fields": [
        "id",
        "name",
        "email",
        "active",
        "score",
        "balance",
        "tags",
        "address",
        "status",
        "note",
    ],
    "description": "Données synthétiques — déterministes",
}


def record(i: int) -> dict[str, Any]:
    """Record number ``i``: the same dict for the same ``i``, every time."""
    k = i % 9
    return {
        "id": i,
        "name": _NAMES[i % 10],
        "email": f"user{i}@example.com",
        "active": i % 3 != 0,
        "score": (i % 10007) / 7.0,
        "balance": None if i % 11 == 0 else i * 25 - 1_000_000,
        "tags": list(_TAGS[k : k + 3]),
        "address": {
            "city": _CITIES[i % 8],
            "zip": f"{i % 100000:05d}",
            "geo": [(i % 18000) / 100.0 - 90.0, (i % 36000) / 100.0 - 180.0],
        },
        "status": _STATUS[i % 4],
        "note": "" if i % 5 else "Vérifié – ok ✓",  # noqa: RUF001 - non-ASCII on purpose
    }


def records(n: int, start: int = 0) -> Iterator[dict[str, Any]]:
    """A generator of records ``start`` .. ``start + n - 1``, built as they are read."""
    for i in range(start, start + n):
        yield record(i)


def records_list(n: int) -> list[dict[str, Any]]:
    """The same records, materialised."""
    return [record(i) for i in range(n)]


if __name__ == "__main__":  # pragma: no cover - a quick look at one record
    import json

    print(json.dumps(record(10), indent=2, ensure_ascii=False))
    print(len(json.dumps(record(10))), "bytes with json's defaults")
