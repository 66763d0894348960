#!/usr/bin/env bash
# README command 2 (and what .ci/run calls): install, build, run the whole test suite.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash tools/setup.sh
ctest --test-dir "${KILN_BUILD_DIR:-build}" --output-on-failure -j"$(nproc)" --timeout 600
