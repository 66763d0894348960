#!/usr/bin/env bash
# README command 2 (and what .ci/run calls): install, build, run the whole test suite, then
# build everything again under AddressSanitizer and UndefinedBehaviorSanitizer and run the
# whole suite there too.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash tools/setup.sh
BUILD_DIR=${KILN_BUILD_DIR:-build}
ctest --test-dir "$BUILD_DIR" --output-on-failure -j"$(nproc)" --timeout 600

echo
echo "== the whole suite again under AddressSanitizer + UndefinedBehaviorSanitizer"
# Everything kiln builds (frontend, compiler, plan, CPU backend, CLI, runtime, tests) is
# instrumented; -O1 keeps the instrumented reference evaluations quick. The PyTorch re-export
# check runs Python only and is left to the first run.
SAN_DIR="$BUILD_DIR-sanitize"
cmake -S . -B "$SAN_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-g -O1" \
  -DCMAKE_C_FLAGS_DEBUG="-g -O1" -DKILN_SANITIZE=address,undefined \
  -DPython3_EXECUTABLE="$PWD/.venv/bin/python" >"$SAN_DIR.configure.log" 2>&1 \
  || { cat "$SAN_DIR.configure.log"; exit 1; }
cmake --build "$SAN_DIR" -j"$(nproc)"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:strict_string_checks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
ctest --test-dir "$SAN_DIR" -E '^e2e\.reexport_models$' --output-on-failure -j"$(nproc)" --timeout 1200
