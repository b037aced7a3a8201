"""``python -m streamjson``: the same program as the ``streamjson`` command."""

from .cli import main

if __name__ == "__main__":
    raise SystemExit(main())
