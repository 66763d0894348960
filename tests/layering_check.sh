#!/usr/bin/env bash
# The layering of DESIGN.md, checked on the sources: a folder may not include the headers of
# the libraries (or kiln layers) it must stay free of. Include paths already keep LLVM and
# CUDA out of the plan; protobuf and ONNX sit on the default path, so they are checked here.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
status=0
forbid() {  # FOLDER REGEX WHAT
  local hits
  hits=$(grep -rnE "^[[:space:]]*#[[:space:]]*include[[:space:]]*[<\"]($2)" "$1" --include='*.h' --include='*.hpp' --include='*.cpp' --include='*.c' --include='*.def' || true)
  if [ -n "$hits" ]; then
    echo "$1 must not include $3:"
    echo "$hits"
    status=1
  fi
}
forbid compiler 'llvm/|google/protobuf|onnx/|cuda|nvrtc|kiln/(frontend|backends|plan)/' "LLVM, protobuf, ONNX, CUDA, the frontend or a backend"
forbid backends/common 'llvm/|google/protobuf|onnx/|cuda|nvrtc|kiln/frontend/|kiln/backends/cpu/' "LLVM, protobuf, ONNX, CUDA, the frontend or a backend"
forbid backends/cuda 'llvm/|google/protobuf|onnx/|kiln/frontend/|kiln/backends/cpu/' "LLVM, protobuf, ONNX, the frontend or the CPU backend"
forbid runtime 'llvm/|google/protobuf|onnx/|kiln/(ir|eval|passes|frontend|plan|backends|support)/' "the compiler, LLVM, protobuf or ONNX"
forbid frontend 'llvm/|cuda|nvrtc|kiln/(backends|plan)/' "LLVM, CUDA or a backend"
[ "$status" = 0 ] && echo "layering: compiler, backends/common, backends/cuda, runtime and frontend include only what they may"
exit "$status"
