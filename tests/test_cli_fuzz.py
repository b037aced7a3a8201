"""A differential fuzz of the command: hypothesis writes JSON texts (escapes, lone
surrogates, big and odd numbers, odd whitespace), mutates many byte by byte, and each
goes through ``streamjson`` (in-process) with json.tool's main options; json's verdict
and ``json.dumps(json.loads(text))`` bytes are the answer (see tests/cli_oracle.py).

Deterministic in CI (the ``ci`` profile); run longer by hand with
``HYPOTHESIS_PROFILE=explore pytest tests/test_cli_fuzz.py``.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from tests.cli_oracle import LINES, OPTIONS, check_same_as_json

WHITESPACE = st.sampled_from([" ", "\t", "\n", "\r", "", "", "\f", "\v", "\u00a0"])
ESCAPES = st.sampled_from(
    ["\\n", "\\\\", '\\"', "\\/", "\\u00e9", "\\ud83d\\ude00", "\\ud800", "\\udfff",
     "\\\\ud800", "\\udbff\\udfff", "\\u0000", "\\x", "\\u12", "\\"]
)  # fmt: skip
NUMBERS = st.one_of(
    st.integers().map(str),
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
    st.sampled_from(["1e400", "-1e-400", "1E+99999999999999999999", "0e99999999999999999999",
                     "-0", "-0.0", "01", "1.", ".5", "1e", "-", "1.5e+3", "9" * 700,
                     "1." + "3" * 700, "12345678901234567890123"]),
)  # fmt: skip
STRINGS = st.lists(
    st.one_of(st.text(max_size=5), ESCAPES, st.sampled_from(["\U0010f800", "\x01", "é"]))
).map(lambda parts: '"' + "".join(parts) + '"')
SCALARS = st.one_of(NUMBERS, STRINGS, st.sampled_from(["true", "false", "null", "NaN"]))


def _container(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    ws = WHITESPACE
    arrays = st.tuples(st.lists(st.tuples(ws, children, ws), max_size=4)).map(
        lambda t: "[" + ",".join(a + c + b for a, c, b in t[0]) + "]"
    )
    objects = st.lists(st.tuples(STRINGS, ws, children), max_size=4).map(
        lambda members: "{" + ",".join(k + ":" + w + v for k, w, v in members) + "}"
    )
    return st.one_of(arrays, objects)


TEXTS = st.tuples(WHITESPACE, st.recursive(SCALARS, _container, max_leaves=12), WHITESPACE).map(
    "".join
)


@st.composite
def documents(draw: st.DrawFn) -> bytes:
    """A JSON text, valid or nearly, as UTF-8 bytes; 60 % of them mutated."""
    data = bytearray(draw(TEXTS).encode("utf-8", "surrogatepass"))
    if draw(st.integers(0, 9)) < 6:
        for _ in range(draw(st.integers(1, 3))):
            where = draw(st.integers(0, len(data)))
            action = draw(st.sampled_from(["insert", "delete", "replace"]))
            byte = draw(st.sampled_from([*b'"\\[]{},:-+.eE0 \t\n\f\x0bxu', 0x80, 0xC3, 0xFF]))
            if action == "insert":
                data.insert(where, byte)
            elif where < len(data):
                if action == "delete":
                    del data[where]
                else:
                    data[where] = byte
    if draw(st.booleans()):
        data += draw(st.sampled_from([b"", b'"', b' "abc', b"]", b"1", b" ", b"\f"]))
    if draw(st.integers(0, 4)) == 0:  # several values, for --json-lines
        data += draw(st.sampled_from([b"", b" ", b"\n", b"\r\n"])) + draw(documents())
    return bytes(data)


@given(text=documents(), options=st.sampled_from([*OPTIONS, LINES]))
def test_same_verdict_and_bytes_as_json(text: bytes, options: tuple[str, ...]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        check_same_as_json(text, options, Path(tmp))
