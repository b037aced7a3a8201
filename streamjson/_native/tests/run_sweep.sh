#!/bin/sh
# Build the float sweep against libpython and run it.
#   sh streamjson/_native/tests/run_sweep.sh 100000000 [SEED]   edge classes + N random patterns
#   sh streamjson/_native/tests/run_sweep.sh --bench            ns per call, both formatters
# Environment: PYTHON (the interpreter whose repr is the oracle; default the pyenv 3.11.7 if
# present, else python3), CC (default gcc), SJ_CFLAGS (extra flags, e.g.
# -DSJ_SHORTEST_NO_INT128 to test the portable multiplication), SJ_SWEEP_BIN (binary path).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
native=$(dirname "$here")
if [ -z "${PYTHON:-}" ]; then
    PYTHON="$HOME/.pyenv/versions/3.11.7/bin/python3"
    [ -x "$PYTHON" ] || PYTHON=python3
fi
config="$PYTHON-config"
[ -x "$config" ] || config=python3-config
bin=${SJ_SWEEP_BIN:-"${TMPDIR:-/tmp}/sj_sweep.$$"}
# shellcheck disable=SC2046  # the config's flags are meant to split
${CC:-gcc} -std=c99 -O2 -Wall -Wextra ${SJ_CFLAGS:-} -I"$native" \
    $("$config" --includes) \
    -o "$bin" "$here/sweep.c" "$native/shortest.c" \
    $("$config" --embed --ldflags) -lm
[ -n "${SJ_SWEEP_BIN:-}" ] || trap 'rm -f "$bin"' EXIT
"$bin" "$@"
