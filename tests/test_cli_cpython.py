"""CPython's own json.tool tests (``Lib/test/test_json/test_tool.py`` of the running
interpreter) with ``streamjson`` in place of ``json.tool``. Skipped where the
interpreter ships without its ``test`` package."""

from __future__ import annotations

import importlib.util
import types
import unittest
from pathlib import Path

import pytest


def _tool_tests() -> type[unittest.TestCase]:
    try:
        spec = importlib.util.find_spec("test.test_json.test_tool")
    except ImportError:
        spec = None
    if spec is None or spec.origin is None:
        pytest.skip("this interpreter has no test.test_json.test_tool")
    source = Path(spec.origin).read_text(encoding="utf-8")
    assert source.count("'-m', 'json.tool'") >= 10
    module = types.ModuleType("streamjson_test_tool")
    module.__file__ = spec.origin
    code = compile(source.replace("'json.tool'", "'streamjson'"), spec.origin, "exec")
    exec(code, module.__dict__)
    tests: type[unittest.TestCase] = module.TestTool
    return tests


def _names() -> list[str]:
    try:
        return list(unittest.TestLoader().getTestCaseNames(_tool_tests()))
    except pytest.skip.Exception:
        return ["unavailable"]


@pytest.mark.parametrize("name", _names())
def test_cpython_json_tool_test_passes_with_streamjson(name: str) -> None:
    case = _tool_tests()(name)
    result = unittest.TestResult()
    case.run(result)
    problems = [text for _, text in result.failures + result.errors]
    assert not problems, problems[0]
    assert not result.skipped or "requires" in str(result.skipped)
