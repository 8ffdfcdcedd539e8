#!/usr/bin/env bash
# The README's test command: installs what is missing, builds, and runs every
# test (unit and integration, through ctest).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/packaging/install-deps.sh"
"$root/packaging/build.sh"
cd "${OTA_BUILD_DIR:-$root/build}"
ctest --output-on-failure -j"$(nproc)"
