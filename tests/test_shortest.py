"""The C float formatter (streamjson/_native/shortest.c) against this interpreter's repr.

Compiles the sweep harness (streamjson/_native/tests/sweep.c) with gcc against libpython and
runs its quick mode: every edge class (powers of ten and two with their neighbours,
subnormals, the 1e16 and 1e-4 switches, interval ends, ties...) plus 1,000,000 random bit
patterns from a fixed seed, each compared with ``PyOS_double_to_string(x, 'r', ...)``.
Skipped where there is no gcc or no Python headers; with ``CI`` set, a failed build fails.
The by-hand proof run is ``sh streamjson/_native/tests/run_sweep.sh 100000000``.
"""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

NATIVE = Path(__file__).resolve().parent.parent / "streamjson" / "_native"
SEED = "20261204"


def _build(tmp_path: Path, extra: list[str]) -> Path:
    """Compile the sweep harness, or skip (fail under CI) when this machine cannot."""
    gcc = shutil.which("gcc")
    if gcc is None:
        pytest.skip("no C compiler: gcc is not on PATH")
    if platform.python_implementation() != "CPython":
        pytest.skip("the oracle is CPython's PyOS_double_to_string")
    include = sysconfig.get_paths()["include"]
    if not (Path(include) / "Python.h").exists():
        pytest.skip(f"no Python headers: {include}/Python.h is missing")
    cfg = sysconfig.get_config_vars()
    libdirs = [d for d in (cfg.get("LIBDIR"), cfg.get("LIBPL")) if d]
    obj, binary = tmp_path / "shortest.o", tmp_path / "sweep"
    # the formatter must be warning-free plain C99; the harness takes the compiler's default
    # standard, which the Python headers need
    strict = [gcc, "-std=c99", "-pedantic", "-Wall", "-Wextra", "-Werror", "-O2", *extra]
    strict += ["-c", str(NATIVE / "shortest.c"), "-o", str(obj)]
    harness = [gcc, "-O2", "-Wall", f"-I{NATIVE}", f"-I{include}", "-o", str(binary)]
    harness += [str(NATIVE / "tests" / "sweep.c"), str(obj)]
    harness += [*(f"-L{d}" for d in libdirs), *(f"-Wl,-rpath,{d}" for d in libdirs)]
    harness += [f"-lpython{cfg['LDVERSION']}", *str(cfg.get("LIBS") or "").split()]
    harness += [*str(cfg.get("SYSLIBS") or "").split(), "-lm"]
    for cmd in (strict, harness):
        built = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if built.returncode != 0:
            message = f"the sweep harness did not build:\n{' '.join(cmd)}\n{built.stderr}"
            if os.environ.get("CI"):
                pytest.fail(message)
            pytest.skip(message)
    return binary


def _sweep(binary: Path, random_patterns: int) -> None:
    """Run the harness; every class must report 0 mismatches."""
    env = dict(os.environ, PYTHONHOME=sys.base_prefix)
    ran = subprocess.run(
        [str(binary), str(random_patterns), SEED],
        capture_output=True,
        text=True,
        check=False,
        env=env,
        timeout=300,
    )
    assert ran.returncode == 0, ran.stdout + ran.stderr
    total = ran.stdout.splitlines()[-1]
    assert total.startswith("TOTAL checked=") and total.endswith(" mismatches=0"), ran.stdout
    assert int(total.split()[1].removeprefix("checked=")) > 3_500_000 + random_patterns


def test_sweep_matches_repr(tmp_path: Path) -> None:
    """Edge classes and 1,000,000 random patterns format exactly as repr()."""
    _sweep(_build(tmp_path, []), 1_000_000)


@pytest.mark.slow
def test_sweep_matches_repr_without_int128(tmp_path: Path) -> None:
    """The portable 64x64->128 multiplication (compilers without __int128) agrees too."""
    _sweep(_build(tmp_path, ["-DSJ_SHORTEST_NO_INT128"]), 100_000)


def test_tables_are_what_the_generator_makes(tmp_path: Path) -> None:
    """shortest_tables.h is reproducible: the generator's checks pass and it writes the same."""
    out = tmp_path / "shortest_tables.h"
    subprocess.run(
        [sys.executable, str(NATIVE / "gen_shortest_tables.py"), str(out)],
        check=True,
        timeout=120,
    )
    assert out.read_bytes() == (NATIVE / "shortest_tables.h").read_bytes()
