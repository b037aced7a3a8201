"""README.md and docs/*.md: every python example runs; every link, file and test named exists.

The python blocks of one page run in order in one namespace (a page may set up a value in
one block and use it in the next), in a fresh temporary working directory. A block is
marked in the markdown by an HTML comment on the line before its fence:

- ``<!-- skip: reason -->``: not run (it needs something the suite does not have, such as
  a network peer); it must still compile, and the test reports the reason as its skip;
- ``<!-- requires: module ... -->``: run only where those modules are installed (an
  optional extra), else skipped saying so; later blocks must not need it.

Shell and output blocks are not run. Relative links must reach a file (and ``#anchor`` a
heading of it, as GitHub spells anchors); files of the repository named anywhere
(``examples/serve_http.py``) and tests given as proof (``tests/test_x.py::test_y``) must
exist.
"""

from __future__ import annotations

import ast
import importlib.util
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]

FENCE = re.compile(r"^(`{3,})\s*([\w+-]*)\s*$")
MARK = re.compile(r"^<!--\s*(skip|requires):\s*(.*?)\s*-->$")
# [text](target) and ![alt](target); a target has no spaces (a title is not used here).
LINK = re.compile(r"!?\[(?:[^\]`]|`[^`]*`)*\]\(([^)\s]+)\)")
# A file of the repository named in prose or in a code block: `examples/serve_http.py`.
FILE_REF = re.compile(
    r"(?<![\w/.])((?:streamjson|tests|examples|benchmarks)/[\w/.-]*\w\.(?:py|sh))\b"
)
TEST_REF = re.compile(r"tests/(test_\w+\.py)(?:::(test_\w+))?")


@dataclass
class Block:
    page: Path
    line: int  # of the opening fence, 1-based
    language: str
    code: str
    skip: str | None
    requires: list[str]

    @property
    def name(self) -> str:
        return f"{self.page.relative_to(ROOT)}:{self.line}"

    @property
    def why_not_run(self) -> str | None:
        """Why the block is not run here, or None when it runs."""
        if self.skip is not None:
            return self.skip
        missing = [m for m in self.requires if importlib.util.find_spec(m) is None]
        return f"needs {', '.join(missing)}, not installed" if missing else None


def blocks(page: Path) -> list[Block]:
    """The fenced code blocks of a page, with the mark on the line before each."""
    found: list[Block] = []
    lines = page.read_text(encoding="utf-8").splitlines()
    i = 0
    while i < len(lines):
        opening = FENCE.match(lines[i])
        if not opening:
            i += 1
            continue
        fence, language = opening.groups()
        end = i + 1
        while end < len(lines) and lines[end].strip() != fence:
            end += 1
        assert end < len(lines), f"{page.name}:{i + 1}: code block never closed"
        mark = MARK.match(lines[i - 1].strip()) if i else None
        kind, value = mark.groups() if mark else (None, "")
        found.append(
            Block(
                page,
                i + 1,
                language,
                "\n".join(lines[i + 1 : end]) + "\n",
                value if kind == "skip" else None,
                value.split() if kind == "requires" else [],
            )
        )
        i = end + 1
    return found


def outside_code(page: Path) -> str:
    """The page's text with its code blocks blanked out (links inside them are code)."""
    lines = page.read_text(encoding="utf-8").splitlines()
    for block in blocks(page):
        for n in range(block.line - 1, block.line + block.code.count("\n") + 1):
            lines[n] = ""
    return "\n".join(lines)


def slug(heading: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces to '-'."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading.strip().lower())
    kept = "".join(c for c in text if c in " -_" or unicodedata.category(c)[0] in "LN")
    return kept.replace(" ", "-")


def anchors(page: Path) -> set[str]:
    """Every heading's anchor on a page, numbered as GitHub numbers repeats."""
    seen: dict[str, int] = {}
    result: set[str] = set()
    for line in outside_code(page).splitlines():
        heading = re.match(r"^#{1,6}\s+(.*?)\s*#*\s*$", line)
        if not heading:
            continue
        base = slug(heading.group(1))
        count = seen.get(base, 0)
        seen[base] = count + 1
        result.add(base if count == 0 else f"{base}-{count}")
    return result


def functions(source: Path) -> set[str]:
    """The names of the functions a Python file defines."""
    tree = ast.parse(source.read_text(encoding="utf-8"))
    return {
        node.name
        for node in ast.walk(tree)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
    }


def python_pages() -> list[Any]:
    return [
        pytest.param(page, id=str(page.relative_to(ROOT)))
        for page in PAGES
        if any(b.language == "python" and b.why_not_run is None for b in blocks(page))
    ]


def skipped_blocks() -> list[Any]:
    return [
        pytest.param(block, id=block.name)
        for page in PAGES
        for block in blocks(page)
        if block.language == "python" and block.why_not_run is not None
    ]


def test_the_pages_exist() -> None:
    assert (ROOT / "README.md").is_file()
    assert len(PAGES) > 1, "docs/*.md found nothing"


@pytest.mark.parametrize("page", python_pages())
def test_the_python_examples_run(
    page: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, Any] = {"__name__": "__docs__"}
    for block in blocks(page):
        if block.language != "python" or block.why_not_run is not None:
            continue
        code = compile(block.code, block.name, "exec")
        try:
            exec(code, namespace)
        except Exception as exc:
            raise AssertionError(f"the python block at {block.name} failed: {exc!r}") from exc


@pytest.mark.parametrize("block", skipped_blocks())
def test_skipped_examples_compile(block: Block) -> None:
    compile(block.code, block.name, "exec")
    pytest.skip(f"{block.name} is not run: {block.why_not_run}")


@pytest.mark.parametrize("page", [pytest.param(p, id=p.name) for p in PAGES])
def test_relative_links_and_anchors_exist(page: Path) -> None:
    broken = []
    for target in LINK.findall(outside_code(page)):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target):  # https:, mailto:...
            continue
        path, _, anchor = target.partition("#")
        linked = (page.parent / path).resolve() if path else page
        if not linked.exists():
            broken.append(f"{target}: no such file")
        elif anchor and linked.suffix == ".md" and anchor not in anchors(linked):
            broken.append(f"{target}: no heading with that anchor in {linked.name}")
    assert not broken, f"{page.name}: " + "; ".join(broken)


@pytest.mark.parametrize("page", [pytest.param(p, id=p.name) for p in PAGES])
def test_the_tests_named_as_proof_exist(page: Path) -> None:
    missing = []
    for module, name in TEST_REF.findall(page.read_text(encoding="utf-8")):
        source = ROOT / "tests" / module
        if not source.is_file():
            missing.append(f"tests/{module}")
        elif name and name not in functions(source):
            missing.append(f"tests/{module}::{name}")
    assert not missing, f"{page.name} names tests that do not exist: {missing}"


def test_slugs_are_githubs() -> None:
    assert slug("Async: `iterencode_async`, `dump_async`") == "async-iterencode_async-dump_async"
    assert slug("Push-style writers: LinesWriter and ArrayWriter") == (
        "push-style-writers-lineswriter-and-arraywriter"
    )
    assert slug("Python ≥ 3.10") == "python--310"


@pytest.mark.parametrize("page", [pytest.param(p, id=p.name) for p in PAGES])
def test_the_files_named_exist(page: Path) -> None:
    named = set(FILE_REF.findall(page.read_text(encoding="utf-8")))
    missing = sorted(name for name in named if not (ROOT / name).is_file())
    assert not missing, f"{page.name} names files that do not exist: {missing}"
