#!/usr/bin/env bash
# Installs the Debian 12 packages mosquitto-ota needs to build, run and test.
# Does nothing when they are all present; uses sudo when not root.
set -euo pipefail

packages=(
  build-essential cmake pkg-config
  mosquitto mosquitto-dev libmosquitto-dev mosquitto-clients
  liblmdb-dev lmdb-utils libjansson-dev libsimdjson-dev libwebsockets-dev libssl-dev
  googletest libgtest-dev libcli11-dev curl openssl
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "mosquitto-ota: installing ${missing[*]}"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q
$sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
