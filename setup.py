"""Build the optional C encoder (``streamjson._native``); everything else is in pyproject.toml.

The extension is optional, as simplejson's is: where it cannot be built (no compiler, no
Python headers, PyPy) the install goes on without it and streamjson uses its pure path
(``streamjson.native`` is then False).
"""

from __future__ import annotations

import platform
import sys

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext


class OptionalBuildExt(build_ext):
    """build_ext that warns and carries on when the C encoder fails to build."""

    def run(self) -> None:
        try:
            super().run()
        except Exception as exc:  # the compiler's own errors are not one class
            _skipped(exc)

    def build_extension(self, ext: Extension) -> None:
        try:
            super().build_extension(ext)
        except Exception as exc:
            _skipped(exc)


def _skipped(exc: Exception) -> None:
    print(
        f"WARNING: streamjson's C encoder was not built ({exc}); the pure path is used",
        file=sys.stderr,
    )


ext_modules = []
if platform.python_implementation() == "CPython":
    ext_modules.append(
        Extension(
            "streamjson._native",
            sources=["streamjson/_native/encoder.c", "streamjson/_native/shortest.c"],
            include_dirs=["streamjson/_native"],
            depends=[
                "streamjson/_native/shortest.h",
                "streamjson/_native/shortest_tables.h",
            ],
            extra_compile_args=["-O2"] if sys.platform != "win32" else [],
        )
    )

setup(ext_modules=ext_modules, cmdclass={"build_ext": OptionalBuildExt})
