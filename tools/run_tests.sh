#!/usr/bin/env bash
# README command 2 (and what .ci/run calls): install, build, run the whole test suite, then
# build everything again under AddressSanitizer and UndefinedBehaviorSanitizer and run the
# whole suite there too, the runtime's tests under ThreadSanitizer, and finally the libFuzzer
# targets for a bounded time (tools/run_fuzz.sh).
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

echo
echo "== the runtime's tests (concurrent runs of one model included) under ThreadSanitizer"
# Only the runtime library, its fake artifacts and its test binary: TSan does not mix with
# ASan, and the runtime is where threads meet (the pool, concurrent kiln_run on one model).
TSAN_DIR="$BUILD_DIR-tsan"
cmake -S . -B "$TSAN_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-g -O1" \
  -DCMAKE_C_FLAGS_DEBUG="-g -O1" -DKILN_SANITIZE=thread -DKILN_WITH_LLVM=OFF -DKILN_WITH_CUDA=OFF \
  -DPython3_EXECUTABLE="$PWD/.venv/bin/python" >"$TSAN_DIR.configure.log" 2>&1 \
  || { cat "$TSAN_DIR.configure.log"; exit 1; }
cmake --build "$TSAN_DIR" -j"$(nproc)" --target kiln_runtime_tests
export TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1}
ctest --test-dir "$TSAN_DIR" -R '^runtime\.' -E 'install_smoke' --output-on-failure -j"$(nproc)" --timeout 600

echo
echo "== libFuzzer: fuzz_model and fuzz_artifact, ${KILN_FUZZ_SECONDS:-90} s each, side by side (tools/run_fuzz.sh)"
KILN_BUILD_DIR="$BUILD_DIR" bash tools/run_fuzz.sh "${KILN_FUZZ_SECONDS:-90}"
