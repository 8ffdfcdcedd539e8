#!/usr/bin/env bash
# Configures and builds into build/ (or $OTA_BUILD_DIR): the named targets,
# or everything when none is named.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${OTA_BUILD_DIR:-$root/build}
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=${OTA_BUILD_TYPE:-RelWithDebInfo} >/dev/null
targets=()
for t in "$@"; do targets+=(--target "$t"); done
cmake --build "$build" -j"$(nproc)" "${targets[@]}"
