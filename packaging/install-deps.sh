#!/usr/bin/env bash
# Installs the Debian 12 packages mosquitto-ota needs to build, run and test.
# Does nothing when they are all present; uses sudo when not root.
set -euo pipefail

packages=(
  build-essential cmake pkg-config
  mosquitto mosquitto-dev libmosquitto-dev mosquitto-clients
  liblmdb-dev lmdb-utils libjansson-dev libwebsockets-dev libssl-dev libabsl-dev
  googletest libgtest-dev libcli11-dev curl openssl
  chromium fonts-wqy-microhei
  # the Debian package (CPack: dpkg-shlibdeps, file) and a compiler cache
  # that lets its build reuse the main build's objects
  dpkg-dev file ccache
  # the 3-broker test (haproxy routes devices by MQTT client id) and the
  # check of the systemd drop-in (systemd-analyze)
  haproxy systemd
  # promtool: the tests validate the /metrics exposition with it
  prometheus
)
# The web console is built with node and npm (and its browser tests run
# chromium). Use the node on PATH when there is one: Debian's npm package
# conflicts with a node installed otherwise. A plain Debian 12 gets
# Debian's nodejs 18 and npm 9.
if ! command -v node >/dev/null 2>&1; then
  packages+=(nodejs npm)
elif ! command -v npm >/dev/null 2>&1; then
  echo "mosquitto-ota: node is installed without npm: the web console will not be built" >&2
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "mosquitto-ota: installing ${missing[*]}"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
# Installing prometheus must not start its daemon (only promtool is used):
# where no policy-rc.d says otherwise, forbid service starts while installing.
policy=/usr/sbin/policy-rc.d
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' | $sudo tee "$policy" >/dev/null
  $sudo chmod +x "$policy"
  trap '$sudo rm -f "$policy"' EXIT
fi
$sudo apt-get update -q
$sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
