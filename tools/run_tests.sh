#!/usr/bin/env bash
# README command 2 (and what .ci/run calls): install, build, run the whole test suite, then
# build the runtime library and its tests again under AddressSanitizer and
# UndefinedBehaviorSanitizer and run them.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash tools/setup.sh
BUILD_DIR=${KILN_BUILD_DIR:-build}
ctest --test-dir "$BUILD_DIR" --output-on-failure -j"$(nproc)" --timeout 600

echo
echo "== runtime under AddressSanitizer + UndefinedBehaviorSanitizer"
SAN_DIR="$BUILD_DIR-sanitize"
cmake -S . -B "$SAN_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DKILN_WITH_LLVM=OFF \
  -DKILN_SANITIZE=address,undefined >"$SAN_DIR.configure.log" 2>&1 \
  || { cat "$SAN_DIR.configure.log"; exit 1; }
cmake --build "$SAN_DIR" -j"$(nproc)" --target kiln_runtime_tests
ctest --test-dir "$SAN_DIR" -R '^runtime\.' --output-on-failure -j"$(nproc)" --timeout 600
