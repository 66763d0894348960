#!/usr/bin/env bash
# Verifies that re-exporting the committed models from PyTorch reproduces them: the demos
# from their saved weights (export_demos.py --check), the variants byte for byte (their
# PyTorch float32 outputs to within 1e-6 of the output scale).
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
# Models and fp64 references byte for byte / exactly; PyTorch's float32 outputs (*_fp32) to
# within 1e-6 of their scale, since its fp32 kernels round differently on AVX2 and AVX-512.
for f in "$tmp"/*; do
  name=$(basename "$f")
  committed="tests/models/variants/$name"
  if cmp -s "$f" "$committed"; then continue; fi
  if [[ "$name" == *.npz ]] && "$PY" - "$f" "$committed" <<'PYEOF'
import sys
import numpy as np
new, old = np.load(sys.argv[1]), np.load(sys.argv[2])
ok = sorted(new.files) == sorted(old.files)
for k in new.files if ok else []:
    a, b = new[k], old[k]
    if a.shape != b.shape or a.dtype != b.dtype:
        ok = False
    elif k.endswith("_fp32"):
        scale = max(float(np.abs(b).max()), 1e-30)
        ok = ok and float(np.abs(a.astype(np.float64) - b).max()) <= 1e-6 * scale
    else:
        ok = ok and np.array_equal(a, b)
sys.exit(0 if ok else 1)
PYEOF
  then continue; fi
  echo "differs from the committed file: $committed"
  status=1
done
[ "$status" = 0 ] && echo "variants: all $(ls "$tmp" | wc -l) re-exported files match the committed ones"
exit "$status"
