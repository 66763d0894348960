#!/usr/bin/env bash
# Installs the "runtime" component of a kiln build into a temporary prefix, then builds and runs
# two consumers of it on the fake artifact: C++ through find_package(kiln), C11 through
# pkg-config. Also checks that the library exports only kiln_* symbols.
# Usage: install_smoke.sh BUILD_DIR ARTIFACT [CMAKE] [GENERATOR] [CC] [CXX] [SANITIZE]
set -euo pipefail
build=$1 artifact=$2 cmake=${3:-cmake} generator=${4:-Ninja} cc=${5:-cc} cxx=${6:-c++} sanitize=${7:-}
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
flags=""
[ -n "$sanitize" ] && flags="-fsanitize=$sanitize"

"$cmake" --install "$build" --prefix "$tmp/prefix" --component runtime >/dev/null
for h in kiln.h kiln.hpp kiln_artifact.h kiln_types.h; do
  test -f "$tmp/prefix/include/kiln/$h" || { echo "missing include/kiln/$h"; exit 1; }
done
lib=$(find "$tmp/prefix" -name 'libkiln_runtime.so.*.*' | head -n1)
extra=$(nm -D --defined-only "$lib" | awk '{print $3}' | grep -v '^kiln_' || true)
[ -z "$extra" ] || { echo "unexpected exported symbols:"; echo "$extra"; exit 1; }

"$cmake" -S "$here/consumer" -B "$tmp/build" -G "$generator" -DCMAKE_PREFIX_PATH="$tmp/prefix" \
  -DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_CXX_FLAGS="$flags" >/dev/null
"$cmake" --build "$tmp/build" >/dev/null
"$tmp/build/consumer_cpp" "$artifact"

pc=$(dirname "$(find "$tmp/prefix" -name kiln.pc)")
libdir=$(PKG_CONFIG_PATH=$pc pkg-config --variable=libdir kiln)
# shellcheck disable=SC2046
"$cc" -std=c11 -Wall -Wextra -pedantic -Werror $flags "$here/consumer/consumer.c" \
  $(PKG_CONFIG_PATH=$pc pkg-config --cflags --libs kiln) -Wl,-rpath,"$libdir" -o "$tmp/consumer_c"
"$tmp/consumer_c" "$artifact"
echo "install smoke test passed"
