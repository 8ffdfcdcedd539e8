#!/usr/bin/env bash
# Builds the Debian package: build-deb/mosquitto-ota_<version>_<arch>.deb
# (or under $OTA_DEB_BUILD_DIR). Configures a build with the /usr prefix
# (the plugin lands in the multiarch libdir beside Debian's other mosquitto
# plugins), without the tests, and runs CPack's DEB generator. Prints the
# path of the package on its last line.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${OTA_DEB_BUILD_DIR:-$root/build-deb}
OTA_BUILD_DIR="$build" OTA_BUILD_TYPE=${OTA_BUILD_TYPE:-RelWithDebInfo} \
  OTA_CMAKE_ARGS="-DCMAKE_INSTALL_PREFIX=/usr -DOTA_BUILD_TESTS=OFF ${OTA_CMAKE_ARGS:-}" \
  "$root/packaging/build.sh" >&2
rm -f "$build"/mosquitto-ota_*.deb
(cd "$build" && cpack -G DEB >&2)
ls "$build"/mosquitto-ota_*.deb
