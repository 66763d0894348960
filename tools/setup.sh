#!/usr/bin/env bash
# Installs what kiln needs on a Debian bookworm machine, then configures and builds it.
# Sourced or run by tools/run_demo.sh and tools/run_tests.sh; safe to run again (it skips
# what is already there).
#   Debian packages: compiler toolchain, ONNX + protobuf, LLVM 19, GoogleTest, Google
#     Benchmark, zlib, the Fashion-MNIST data set, python3-venv, python3-torch (Debian's
#     CPU PyTorch under /usr/bin/python3: re-exporting the demo models), python3-onnx (the
#     same interpreter reads the exported files back), clang-19 + libclang-rt-19-dev (libFuzzer
#     and the sanitizer runtimes for the fuzz targets, tools/run_fuzz.sh).
#   PyPI (pinned in tools/requirements.txt) into .venv/: onnx (its backend node tests),
#     onnxruntime, numpy.
# Environment: KILN_BUILD_DIR (default build), KILN_SKIP_INSTALL=1 to skip installs.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

BUILD_DIR=${KILN_BUILD_DIR:-build}
APT_PACKAGES=(build-essential cmake ninja-build ccache pkg-config
  libonnx-dev libprotobuf-dev protobuf-compiler zlib1g-dev
  llvm-19-dev libgtest-dev libgmock-dev libbenchmark-dev
  dataset-fashion-mnist python3 python3-venv python3-torch python3-onnx
  clang-19 libclang-rt-19-dev)

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

if [ "${KILN_SKIP_INSTALL:-0}" != 1 ]; then
  missing=()
  for p in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "kiln setup: installing Debian packages: ${missing[*]}"
    as_root apt-get update -q
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
  fi
  if [ ! -x .venv/bin/python ]; then
    echo "kiln setup: creating .venv"
    python3 -m venv .venv
  fi
  .venv/bin/python -m pip install -q --disable-pip-version-check -r tools/requirements.txt
fi

cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DPython3_EXECUTABLE="$PWD/.venv/bin/python" >"$BUILD_DIR.configure.log" 2>&1 \
  || { cat "$BUILD_DIR.configure.log"; exit 1; }
cmake --build "$BUILD_DIR" -j"$(nproc)"
