#!/usr/bin/env bash
# Configures and builds into build/ (or $OTA_BUILD_DIR): the named targets,
# or everything when none is named. $OTA_CMAKE_ARGS adds configure options.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${OTA_BUILD_DIR:-$root/build}
# shellcheck disable=SC2086
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=${OTA_BUILD_TYPE:-RelWithDebInfo} \
  ${OTA_CMAKE_ARGS:-} >/dev/null
targets=()
for t in "$@"; do targets+=(--target "$t"); done
cmake --build "$build" -j"$(nproc)" "${targets[@]}"
