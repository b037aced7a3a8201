"""What changes between Python versions: streamjson follows the running interpreter's json.

Each test checks a feature of the running json (never a version number), so it runs, and
means something, on every interpreter that has that feature, 3.14 and 3.15 included.
"""

from __future__ import annotations

import builtins
import json
from collections.abc import Callable
from typing import Any

import pytest

FROZENDICT: Any = getattr(builtins, "frozendict", None)  # PEP 814, Python 3.15


def json_error(call: Callable[[], Any]) -> BaseException:
    with pytest.raises((TypeError, ValueError)) as info:
        call()
    return info.value


BAD = [
    pytest.param(lambda: [1.5, float("nan")], {"allow_nan": False}, "$[1]", id="nan"),
    pytest.param(lambda: {"a": [float("-inf")]}, {"allow_nan": False}, "$.a[0]", id="inf"),
    pytest.param(lambda: [{"k": {1, 2}}], {}, "$[0].k", id="unsupported"),
    pytest.param(lambda: {"a": {(1, 2): 0}}, {}, "$.a", id="bad-key"),
]


@pytest.mark.parametrize(("make", "options", "path"), BAD)
@pytest.mark.parametrize("indent", [None, 2])
def test_errors_are_the_running_jsons_with_one_note_of_our_own(
    encode: Callable[..., str], make: Any, options: dict[str, Any], path: str, indent: Any
) -> None:
    """The message is what this interpreter's json says (3.12 ends ``allow_nan`` errors in
    ``: nan``); json's own notes (3.14: "when serializing list item 1") are replaced by
    streamjson's one JSON-path note, which names the same place in the whole document."""
    expected = json_error(lambda: json.dumps(make(), indent=indent, **options))
    got = json_error(lambda: encode(make(), indent=indent, **options))
    assert type(got) is type(expected)
    assert str(got) == str(expected)
    assert getattr(got, "__notes__", None) == [f"streamjson: when encoding the value at {path}"]


def all_skipped() -> dict[Any, int]:
    return {(1,): 1, (2,): 2}  # tuple keys: skipped with skipkeys=True


@pytest.mark.parametrize("indent", [None, 0, 2, "\t"])
@pytest.mark.parametrize("lazy", [False, True])
def test_a_dict_whose_keys_are_all_skipped_is_written_as_this_json_writes_it(
    encode: Callable[..., str], indent: Any, lazy: bool
) -> None:
    """json up to 3.13.4 writes ``{`` + newline + indentation + newline ``}``; later versions
    write ``{}``. Whichever this interpreter does, streamjson does, lazy parts or not."""
    plain = {"outer": [all_skipped(), {"k": [all_skipped()]}]}
    doc: Any = plain
    if lazy:
        doc = {"outer": iter([all_skipped(), {"k": iter([all_skipped()])}])}
    assert encode(doc, skipkeys=True, indent=indent) == json.dumps(
        plain, skipkeys=True, indent=indent
    )


@pytest.mark.skipif(FROZENDICT is None, reason="frozendict is new in Python 3.15")
@pytest.mark.parametrize("options", [{}, {"indent": 2}, {"sort_keys": True}])
def test_frozendict_is_an_object_as_in_json(
    encode: Callable[..., str], options: dict[str, Any]
) -> None:
    doc = FROZENDICT({"b": 1, "a": [FROZENDICT({"x": None}), FROZENDICT()]})
    assert encode(doc, **options) == json.dumps(doc, **options)
    assert encode(iter([doc]), **options) == json.dumps([doc], **options)
