#!/usr/bin/env bash
# By hand: the native encoder's differential tests (tests/test_native.py, its strict
# mode's tests/test_native_strict.py, its UTF-8 output's tests/test_utf8.py and the
# hostile fuzz tests/test_native_fuzz.py) and the compat suite (tests/test_compat.py),
# or the test files given, with streamjson._native built under
# AddressSanitizer.
#   streamjson/_native/asan.sh [python [test files]]   (default: python on PATH; needs gcc, libasan)
# The package and tests are copied to a scratch directory holding the ASan build, so the
# installed extension is left alone. Leak detection is off: the interpreter itself keeps
# memory at exit; reference leaks are tests/test_native.py's test_no_leak_on_error_paths.
set -euo pipefail
cd "$(dirname "$0")/../.."
python=${1:-python}
shift || true
tests=("$@")
[ ${#tests[@]} -gt 0 ] || tests=(tests/test_native.py tests/test_native_strict.py tests/test_utf8.py tests/test_native_fuzz.py tests/test_compat.py)
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
cp -r streamjson tests pyproject.toml "$scratch"/
rm -f "$scratch"/streamjson/_native.*.so
include=$("$python" -c "import sysconfig; print(sysconfig.get_paths()['include'])")
suffix=$("$python" -c "import sysconfig; print(sysconfig.get_config_var('EXT_SUFFIX'))")
gcc -shared -fPIC -g -O1 -fno-omit-frame-pointer -fsanitize=address,undefined \
    -I"$include" -Istreamjson/_native streamjson/_native/encoder.c \
    streamjson/_native/shortest.c -o "$scratch/streamjson/_native$suffix"
cd "$scratch"
# ASan's red zones make every C frame several times larger: the deepest documents json
# accepts (3.13's C recursion limit) need more than the usual 8 MiB of stack under it.
ulimit -s 262144
LD_PRELOAD="$(gcc -print-file-name=libasan.so) $(gcc -print-file-name=libubsan.so)" \
    ASAN_OPTIONS=detect_leaks=0:abort_on_error=1:detect_stack_use_after_return=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
    "$python" -m pytest -q -p no:cacheprovider "${tests[@]}"
