#!/usr/bin/env bash
# README command 1: install, build, then compile every demo model and print the folded vs
# unfolded comparison on the Fashion-MNIST test set.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash tools/setup.sh
BUILD_DIR=${KILN_BUILD_DIR:-build}
for model in tests/models/demos/*.onnx; do
  case "$model" in *.train.onnx) continue ;; esac
  echo
  echo "== $(basename "$model" .onnx)"
  "$BUILD_DIR/bin/kiln" compare "$model" "$@"
done
