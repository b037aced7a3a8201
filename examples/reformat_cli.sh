#!/usr/bin/env bash
# The streamjson command on a generated file: reformat, convert, and a malformed input.
# Run from the repository root: bash examples/reformat_cli.sh
set -euo pipefail
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
sj=(python -m streamjson)

python - "$work/api.json" <<'EOF'
import json, sys
records = [{"id": i, "name": f"item {i}", "price": 1.10 + i, "tags": ["a", "é"]} for i in range(5)]
json.dump({"meta": {"count": len(records)}, "data": records}, open(sys.argv[1], "w"))
EOF

echo "== pretty-print (indent 4, the same bytes as python -m json.tool)"
"${sj[@]}" "$work/api.json" | head -n 12
cmp <("${sj[@]}" "$work/api.json") <(python -m json.tool "$work/api.json") && echo "(same as json.tool)"

echo "== the array under \"data\" as JSON Lines, compressed"
"${sj[@]}" --to-lines=data.item "$work/api.json" "$work/items.jsonl.gz"
gzip -dc "$work/items.jsonl.gz"

echo "== and back into one compact array"
"${sj[@]}" --from-lines --compact "$work/items.jsonl.gz"

echo "== exact numbers keep their digits"
echo '[1.10, 0.1000000000000000055511151231257827]' | "${sj[@]}" --compact
echo '[1.10, 0.1000000000000000055511151231257827]' | "${sj[@]}" --compact --exact-numbers

echo "== a malformed file: exit status 1, OUTFILE untouched"
printf '{"data": [1, 2,\n  3 4]}' > "$work/broken.json"
echo "old" > "$work/out.json"
"${sj[@]}" "$work/broken.json" "$work/out.json" || echo "exit status $?; out.json still says: $(cat "$work/out.json")"
