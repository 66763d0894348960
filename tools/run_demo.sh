#!/usr/bin/env bash
# README command 1: install, build, then for every demo model: compile it to a shared library
# (printing the compile time), and print the folded vs unfolded comparison on the
# Fashion-MNIST test set (on the default target, the LLVM CPU backend). Extra arguments go
# to `kiln compare`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash tools/setup.sh
BUILD_DIR=${KILN_BUILD_DIR:-build}
artifacts=$(mktemp -d)
trap 'rm -rf "$artifacts"' EXIT
for model in tests/models/demos/*.onnx; do
  case "$model" in *.train.onnx) continue ;; esac
  name=$(basename "$model" .onnx)
  echo
  echo "== $name"
  "$BUILD_DIR/bin/kiln" compile "$model" -o "$artifacts/$name.so" | grep '^compiled'
  "$BUILD_DIR/bin/kiln" compare "$model" "$@"
done
