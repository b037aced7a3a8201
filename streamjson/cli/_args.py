"""The command line's arguments: json.tool's options, conversions, and what they ask for."""

from __future__ import annotations

import argparse
import os
from typing import Any

PROG = "streamjson"
MAX_DEPTH = 10_000
"""Levels of nesting read by default (json itself stops near 1,000: RecursionError)."""

_UNSET: Any = object()


def build_parser() -> argparse.ArgumentParser:
    """The argument parser: json.tool's options, plus conversions and exact numbers."""
    parser = argparse.ArgumentParser(
        prog=PROG,
        description=(
            "Validate, pretty-print and convert JSON in constant memory. Takes the "
            "options of python -m json.tool and writes the same output, without "
            "loading the document."
        ),
        epilog=(
            "INFILE and OUTFILE ending in .gz, .bz2, .xz or .zst are (de)compressed "
            "(.zst needs 'streamjson[zstd]' before Python 3.14); a regular "
            "OUTFILE is replaced atomically. Either may be an fsspec URL (s3://bucket/key, "
            "needs streamjson[cloud] and s3fs), configured by the environment (AWS_*, "
            "FSSPEC_S3_ENDPOINT_URL...); an object appears only if the whole output was "
            "written. Exit status: 0 ok, 1 invalid input or "
            "failed write, 2 usage error, 32 broken pipe, 130 interrupted."
        ),
    )
    parser.add_argument(
        "infile",
        nargs="?",
        default="-",
        metavar="INFILE",
        help="the JSON file to read (default: standard input)",
    )
    parser.add_argument(
        "outfile",
        nargs="?",
        default="-",
        metavar="OUTFILE",
        help="the file to write; a regular file is replaced atomically (default: standard output)",
    )
    parser.add_argument(
        "--sort-keys",
        action="store_true",
        help="sort the output of dictionaries alphabetically by key (holds each object "
        "in memory to sort it)",
    )
    parser.add_argument(
        "--no-ensure-ascii",
        dest="ensure_ascii",
        action="store_false",
        help="disable escaping of non-ASCII characters",
    )
    parser.add_argument(
        "--json-lines",
        action="store_true",
        help="parse input using the JSON Lines format (any whitespace-separated JSON "
        "values). Use with --no-indent or --compact to produce valid JSON Lines output.",
    )
    group = parser.add_mutually_exclusive_group()
    group.add_argument(
        "--indent",
        default=_UNSET,
        type=int,
        help="separate items with newlines and use this number of spaces for "
        "indentation (default: 4)",
    )
    group.add_argument(
        "--tab",
        action="store_const",
        dest="indent",
        const="\t",
        help="separate items with newlines and use tabs for indentation",
    )
    group.add_argument(
        "--no-indent",
        action="store_const",
        dest="indent",
        const=None,
        help="separate items with spaces rather than newlines",
    )
    group.add_argument(
        "--compact",
        action="store_true",
        help="suppress all whitespace separation (most compact)",
    )
    convert = parser.add_mutually_exclusive_group()
    convert.add_argument(
        "--to-lines",
        nargs="?",
        const="item",
        default=None,
        metavar="PREFIX",
        help="write each value found at the ijson PREFIX as one JSON Lines record "
        "(default PREFIX: item, the elements of the top-level array; e.g. data.item)",
    )
    convert.add_argument(
        "--from-lines",
        action="store_true",
        help="read JSON Lines and write them as one JSON array",
    )
    parser.add_argument(
        "--exact-numbers",
        action="store_true",
        help="keep every number's digits as written (no rounding through float)",
    )
    parser.add_argument(
        "--max-depth",
        type=_positive,
        default=MAX_DEPTH,
        metavar="N",
        help=f"refuse input nested more than N levels deep (default: {MAX_DEPTH}); memory "
        "grows by about 2 KiB a level",
    )
    parser.add_argument(
        "--progress",
        action="store_true",
        help="show a progress bar on standard error (the default when it is a "
        "terminal and the output is not)",
    )
    parser.add_argument(
        "--version",
        action="version",
        version=_version(),
        help="show the version, and which encoder writes (native C or pure), and exit",
    )
    return parser


def _version() -> str:
    """``streamjson 0.1.0 (native encoder)``, or ``(pure encoder)`` on the pure path."""
    import streamjson

    kind = "native" if streamjson.native else "pure"
    return f"{PROG} {streamjson.__version__} ({kind} encoder)"


def _positive(text: str) -> int:
    """A whole number of at least 1, for argparse."""
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1: {text}")
    return value


def dump_options(parser: argparse.ArgumentParser, args: argparse.Namespace) -> dict[str, Any]:
    """The ``json.dumps`` options the arguments ask for, as json.tool computes them."""
    indent = args.indent
    if args.to_lines is not None:
        if indent is not _UNSET and indent is not None:
            parser.error("--to-lines writes one record a line: --indent and --tab cannot be used")
        indent = None
    elif indent is _UNSET:
        indent = 4
    options: dict[str, Any] = {
        "sort_keys": args.sort_keys,
        "indent": indent,
        "ensure_ascii": args.ensure_ascii,
    }
    if args.compact:
        options["indent"] = None
        options["separators"] = (",", ":")
    return options


def check_prefix(
    parser: argparse.ArgumentParser, args: argparse.Namespace, argv: list[str]
) -> None:
    """``--to-lines in.json out.jsonl`` takes ``in.json`` as the PREFIX: refuse that."""
    prefix = args.to_lines
    if prefix is None or prefix == "item" or any(a.endswith("=" + prefix) for a in argv):
        return
    if os.path.exists(prefix):
        parser.error(
            f"--to-lines took {prefix!r} as its PREFIX, but that is a file: put --to-lines "
            "after the file names, or write --to-lines=PREFIX"
        )


def reads_several(args: argparse.Namespace) -> bool:
    """Whether the input is a sequence of documents (JSON Lines) rather than one."""
    return bool(args.json_lines or args.from_lines)
