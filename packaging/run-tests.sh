#!/usr/bin/env bash
# The README's test command: installs what is missing, builds, and runs every
# test: the unit tests and fuzz targets under AddressSanitizer and UBSan
# first, then the whole suite (unit, integration with a real mosquitto,
# fuzz) through ctest. OTA_SKIP_SANITIZERS=1 skips the first stage.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/packaging/install-deps.sh"

if [ "${OTA_SKIP_SANITIZERS:-0}" != 1 ]; then
  echo "== unit tests and fuzz targets with ASan + UBSan =="
  asan="$root/build-asan"
  OTA_BUILD_DIR="$asan" OTA_BUILD_TYPE=Debug OTA_CMAKE_ARGS="-DOTA_SANITIZE=ON" \
    "$root/packaging/build.sh" unit_tests dialect_fuzz control_fuzz record_fuzz living_fuzz flat_json_fuzz \
      http_request_fuzz
  export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
  "$asan/tests/unit_tests" --gtest_brief=1
  for t in dialect control record living flat_json http_request; do "$asan/tests/${t}_fuzz"; done
fi

echo "== the whole suite =="
"$root/packaging/build.sh"
cd "${OTA_BUILD_DIR:-$root/build}"
ctest --output-on-failure -j"$(nproc)"
