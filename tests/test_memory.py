"""Memory stays bounded by the chunk size, not by the number of items (tracemalloc peaks)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

import streamjson
from tests.faults import peak_while
from tests.helpers import CountingSink, record, records

MiB = 1024 * 1024


@pytest.mark.slow
def test_a_million_generated_records_peak_under_16_mib() -> None:
    sink = CountingSink()
    peak = peak_while(lambda: streamjson.dump(records(1_000_000), sink))
    assert sink.size > 200 * MiB  # the document is far bigger than the bound
    assert peak < 16 * MiB, f"peak {peak / MiB:.1f} MiB"


@pytest.mark.slow
def test_a_list_already_in_memory_is_not_copied() -> None:
    data = list(records(300_000))
    sink = CountingSink()
    peak = peak_while(lambda: streamjson.dump(data, sink))
    assert sink.size > 60 * MiB
    assert peak < 16 * MiB, f"peak {peak / MiB:.1f} MiB"


@pytest.mark.slow
def test_a_wrapper_object_around_a_generator() -> None:
    doc = {"meta": {"source": "db", "version": [1, 2]}, "data": records(1_000_000)}
    sink = CountingSink()
    peak = peak_while(lambda: streamjson.dump(doc, sink, indent=None))
    assert peak < 16 * MiB, f"peak {peak / MiB:.1f} MiB"


def test_nested_materialised_lists_are_walked_not_copied_whole() -> None:
    doc = {"results": {"items": [record(i) for i in range(100_000)]}}
    sink = CountingSink()
    peak = peak_while(lambda: streamjson.dump(doc, sink, chunk_size=65536))
    assert sink.size > 20 * MiB
    assert peak < 4 * MiB, f"peak {peak / MiB:.1f} MiB"


@pytest.mark.skipif(not streamjson.native, reason="json's C encoder cannot stop part way")
@pytest.mark.parametrize("indent", [None, 2])
def test_a_record_holding_a_huge_list_is_walked_not_written_whole_first(
    indent: int | None,
) -> None:
    """The C encoder gives up on a batch once its text passes the batch limit (4 MiB),
    so the record holding 3,000,000 numbers (23 MB of text) is walked piece by piece
    rather than written whole, dropped and walked."""
    big = list(range(3_000_000))

    def rows() -> Iterator[dict[str, Any]]:
        yield {"a": 1}
        yield {"big": big, "b": [True]}
        yield {"c": 2}

    sink = CountingSink()
    peak = peak_while(lambda: streamjson.dump(rows(), sink, indent=indent))
    assert sink.size > 20 * MiB
    assert peak < 12 * MiB, f"peak {peak / MiB:.1f} MiB"
    assert streamjson.dumps(rows(), indent=indent) == json.dumps(list(rows()), indent=indent)


def test_indented_output_is_bounded_too() -> None:
    sink = CountingSink()
    peak = peak_while(lambda: streamjson.dump(records(100_000), sink, indent=2))
    assert sink.size > 30 * MiB
    assert peak < 4 * MiB, f"peak {peak / MiB:.1f} MiB"


def test_the_sink_is_called_per_chunk_not_per_token() -> None:
    sink = CountingSink()
    streamjson.dump(records(100_000), sink)
    # about one write per 64 KiB chunk: a few hundred, not millions
    chunks = sink.size / 65536
    assert chunks * 0.6 <= sink.writes <= chunks + 2
