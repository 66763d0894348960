#!/usr/bin/env bash
# The libFuzzer step of the test command (tools/run_tests.sh runs it last): builds the fuzz
# targets of tests/fuzz with Debian's clang 19 under ASan+UBSan into build-fuzz/ (no LLVM or
# CUDA backend: the targets need neither), makes their seed corpora (tests/fuzz/make_seeds.py:
# the demo, variant and ONNX node-test models; artifacts the main build's `kiln compile` makes
# and the runtime tests' fake artifacts, whole, truncated and tampered), then runs both
# fuzzers side by side for a bounded time. Fails when either finds a crash, a leak, a hang
# (-timeout) or a blow-up (-rss_limit_mb, which also caps single allocations); the input is
# left under build-fuzz/findings/<target>/ and belongs, once fixed, in
# tests/fuzz/regressions/<target>/ (replayed by ctest in every other build).
#   tools/run_fuzz.sh [SECONDS_PER_TARGET]   (default 90)
# Environment: KILN_BUILD_DIR (default build: its bin/kiln and lib/kiln_fake_*.so make seeds),
# KILN_FUZZ_DIR (default $KILN_BUILD_DIR-fuzz), KILN_FUZZ_INTERNAL (see tests/fuzz/fuzz_model.cpp).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
SECONDS_PER_TARGET=${1:-90}
BUILD_DIR=${KILN_BUILD_DIR:-build}
FUZZ_DIR=${KILN_FUZZ_DIR:-$BUILD_DIR-fuzz}
for tool in clang-19 clang++-19; do
  command -v "$tool" >/dev/null || { echo "run_fuzz: $tool is missing (tools/setup.sh installs clang-19 and libclang-rt-19-dev)"; exit 1; }
done

# -O1 keeps the instrumented compile path quick; line tables are enough for stack traces.
cmake -S . -B "$FUZZ_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-O1 -gline-tables-only" \
  -DCMAKE_C_FLAGS_DEBUG="-O1 -gline-tables-only" -DCMAKE_C_COMPILER=clang-19 -DCMAKE_CXX_COMPILER=clang++-19 \
  -DKILN_FUZZ=ON -DKILN_SANITIZE=address,undefined -DKILN_WITH_LLVM=OFF -DKILN_WITH_CUDA=OFF \
  -DPython3_EXECUTABLE="$PWD/.venv/bin/python" >"$FUZZ_DIR.configure.log" 2>&1 \
  || { cat "$FUZZ_DIR.configure.log"; exit 1; }
cmake --build "$FUZZ_DIR" -j"$(nproc)" --target fuzz_model fuzz_artifact kiln_fuzz_descriptor_seed

node_tests=$(.venv/bin/python -c "import onnx, os; print(os.path.join(os.path.dirname(onnx.__file__), 'backend', 'test', 'data', 'node'))")
seed_args=(--out "$FUZZ_DIR/seeds" --node-tests "$node_tests" --descriptor-tool "$FUZZ_DIR/bin/kiln_fuzz_descriptor_seed")
[ -x "$BUILD_DIR/bin/kiln" ] && seed_args+=(--kiln "$BUILD_DIR/bin/kiln")
for f in "$BUILD_DIR"/lib/kiln_fake_*.so; do
  case "$f" in *cuda*|*'*'*) ;; *) seed_args+=(--artifact "$f") ;; esac
done
python3 tests/fuzz/make_seeds.py "${seed_args[@]}"

# fuzz_artifact's inputs stay under 128 KiB (the compiled seeds are 15-80 KB): the checks look
# at headers and sizes, and short inputs keep it fast.
declare -A extra=([fuzz_model]="" [fuzz_artifact]="-max_len=131072")
pids=()
for t in fuzz_model fuzz_artifact; do
  rm -rf "$FUZZ_DIR/findings/$t"
  mkdir -p "$FUZZ_DIR/corpus/$t" "$FUZZ_DIR/findings/$t"
  # New inputs go to corpus/<t> (kept between local runs); the seeds are read only.
  "$FUZZ_DIR/bin/$t" -max_total_time="$SECONDS_PER_TARGET" -rss_limit_mb=2048 -timeout=10 \
    -print_final_stats=1 -artifact_prefix="$FUZZ_DIR/findings/$t/" ${extra[$t]} \
    "$FUZZ_DIR/corpus/$t" "$FUZZ_DIR/seeds/$t" >"$FUZZ_DIR/$t.log" 2>&1 &
  pids+=($!)
done
status=0
i=0
for t in fuzz_model fuzz_artifact; do
  if wait "${pids[$i]}"; then
    echo "run_fuzz: $t: $(grep -E '^#[0-9]+[[:space:]]+DONE' "$FUZZ_DIR/$t.log" | tail -1)"
  else
    status=1
    echo "run_fuzz: $t FAILED; the end of $FUZZ_DIR/$t.log:"
    tail -n 60 "$FUZZ_DIR/$t.log"
    echo "run_fuzz: the input: $(ls "$FUZZ_DIR/findings/$t"/* 2>/dev/null | tr '\n' ' ')"
    echo "run_fuzz: reproduce with $FUZZ_DIR/bin/$t FILE; once fixed, add FILE to tests/fuzz/regressions/$t/"
  fi
  i=$((i + 1))
done
exit "$status"
