#!/bin/sh
# Build the float sweep against libpython and run it.
#   sh streamjson/_native/tests/run_sweep.sh 100000000 [SEED]   edge classes + N random patterns
#   sh streamjson/_native/tests/run_sweep.sh --bench            ns per call, both formatters
# Environment: PYTHON (the interpreter whose repr is the oracle; default the pyenv 3.11.7 if
# present, else python3), CC (default gcc), SJ_CFLAGS (extra flags, e.g.
# -DSJ_SHORTEST_NO_INT128 to test the portable multiplication), SJ_SWEEP_BIN (binary path).
# Under sanitizers: SJ_CFLAGS="-fsanitize=address,undefined -fno-sanitize-recover=all"
# ASAN_OPTIONS=detect_leaks=0 (the interpreter keeps some memory at exit by design).
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
# the formatter as warning-free plain C99; the harness in the compiler's default standard
${CC:-gcc} -std=c99 -pedantic -Wall -Wextra -Werror -O2 ${SJ_CFLAGS:-} \
    -c "$native/shortest.c" -o "$bin.o"
# shellcheck disable=SC2046  # the config's flags are meant to split
${CC:-gcc} -O2 -Wall ${SJ_CFLAGS:-} -I"$native" $("$config" --includes) \
    -o "$bin" "$here/sweep.c" "$bin.o" $("$config" --embed --ldflags) -lm
rm -f "$bin.o"
[ -n "${SJ_SWEEP_BIN:-}" ] || trap 'rm -f "$bin"' EXIT
"$bin" "$@"
