#!/usr/bin/env bash
# Configures and builds into build/ (or $OTA_BUILD_DIR): the named targets,
# or everything when none is named. $OTA_CMAKE_ARGS adds configure options.
# Uses ccache when it is installed (rebuilds in other checkouts hit its cache).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${OTA_BUILD_DIR:-$root/build}
launcher=()
if command -v ccache >/dev/null 2>&1; then
  launcher=(-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  # Share hits between build directories (build/, build-deb/): the cwd is
  # then not part of the hash, only the debug info's compile directory differs.
  export CCACHE_NOHASHDIR=1
fi
# shellcheck disable=SC2086
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=${OTA_BUILD_TYPE:-RelWithDebInfo} \
  "${launcher[@]}" ${OTA_CMAKE_ARGS:-} >/dev/null
targets=()
for t in "$@"; do targets+=(--target "$t"); done
cmake --build "$build" -j"$(nproc)" "${targets[@]}"
