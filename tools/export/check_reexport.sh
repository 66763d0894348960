#!/usr/bin/env bash
# Verifies that re-exporting the committed models from PyTorch reproduces them: the demos
# from their saved weights (export_demos.py --check), the variants byte for byte.
# Needs Debian's python3-torch under /usr/bin/python3; exits 77 (ctest: skipped) without it.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
PY=/usr/bin/python3
if ! "$PY" -c "import torch" 2>/dev/null; then
  echo "skipped: $PY has no torch (apt-get install python3-torch)"
  exit 77
fi
"$PY" tools/export/export_demos.py --check
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$PY" tools/export/export_variants.py --out-dir "$tmp" >/dev/null
status=0
for f in "$tmp"/*; do
  name=$(basename "$f")
  if ! cmp -s "$f" "tests/models/variants/$name"; then
    echo "differs from the committed file: tests/models/variants/$name"
    status=1
  fi
done
[ "$status" = 0 ] && echo "variants: all $(ls "$tmp" | wc -l) re-exported files match the committed ones"
exit "$status"
