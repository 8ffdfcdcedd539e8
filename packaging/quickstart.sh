#!/usr/bin/env bash
# The README's start command: installs what is missing, builds, and runs
# mosquitto on localhost with the OTA plugin and the quick-start
# configuration, in the foreground (Ctrl-C stops it). State lives in
# .quickstart/ (or $OTA_STATE_DIR); PORT picks the MQTT port (default 1883),
# WS_PORT the web console's (default 9001).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
port=${PORT:-1883}
http_port=${HTTP_PORT:-8880}
ws_port=${WS_PORT:-9001}
state=${OTA_STATE_DIR:-$root/.quickstart}

"$root/packaging/install-deps.sh"
build=${OTA_BUILD_DIR:-$root/build}
targets=(mosquitto_ota mosquitto_ota_http mosquitto_ota_ctrl)
command -v npm >/dev/null 2>&1 && targets+=(webui)
"$root/packaging/build.sh" "${targets[@]}"
ctrl="$build/ctrl/mosquitto_ota_ctrl"

for p in "$port" "$http_port" "$ws_port"; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
    echo "mosquitto-ota: port $p is already in use (another broker?)." >&2
    echo "Stop it, or choose other ports: PORT=1884 HTTP_PORT=8881 $0" >&2
    exit 1
  fi
done

mkdir -p "$state/db" "$state/firmware"
conf="$state/mosquitto.conf"
sed -e "s|@PORT@|$port|g" -e "s|@PLUGIN@|$build/mosquitto_ota.so|g" \
    -e "s|@DB@|$state/db|g" -e "s|@USER@|$(id -un)|g" \
    -e "s|@FIRMWARE@|$state/firmware|g" -e "s|@HTTP_PORT@|$http_port|g" \
    "$root/broker-config/quickstart.conf" > "$conf"
console="(not built: node and npm are missing)"
if [ -f "$build/webui/index.html" ]; then
  # The operators' websockets listener serving the console (webui.conf).
  sed -e "s|^listener 9001 127.0.0.1|listener $ws_port 127.0.0.1|" \
      -e "s|^http_dir /usr/share/mosquitto-ota/webui|http_dir $build/webui|" \
      "$root/broker-config/webui.conf" >> "$conf"
  console="http://127.0.0.1:$ws_port/ (log in as admin; the quick start checks no passwords)"
fi

cat <<TXT

mosquitto-ota is starting on mqtt://127.0.0.1:$port (config: $conf),
firmware downloads on http://127.0.0.1:$http_port

Web console: $console

First upgrade, in another terminal (seed 000's protocol, product pk1, device d1):
  # 1. the device listens for upgrades and reports its version
  mosquitto_sub -p $port -t '/ota/device/upgrade/pk1/d1' -v &
  mosquitto_pub -p $port -t '/ota/device/inform/pk1/d1' -m '{"id":"1","params":{"version":"1.0.0"}}'
  # 2. the operator adds firmware 2.0.0 and starts a job (admin user: admin)
  mosquitto_rr -p $port -u admin -t '\$CONTROL/ota/v1' -e '\$CONTROL/ota/v1/response' -m '{"commands":[{"command":"createPackage","product":"pk1","version":"2.0.0","url":"https://example.com/fw-2.0.0.bin","size":432945,"sign":"93230c3bde425a9d93230c3bde425a9d","signMethod":"MD5"}]}'
  mosquitto_rr -p $port -u admin -t '\$CONTROL/ota/v1' -e '\$CONTROL/ota/v1/response' -m '{"commands":[{"command":"createJob","packageId":1,"devices":["d1"]}]}'
  # 3. the device reports progress, then its new version
  mosquitto_pub -p $port -t '/ota/device/progress/pk1/d1' -m '{"id":"2","params":{"step":"50","desc":"downloading"}}'
  mosquitto_pub -p $port -t '/ota/device/inform/pk1/d1' -m '{"id":"3","params":{"version":"2.0.0"}}'
  # 4. see the result
  mosquitto_rr -p $port -u admin -t '\$CONTROL/ota/v1' -e '\$CONTROL/ota/v1/response' -m '{"commands":[{"command":"getDevice","product":"pk1","device":"d1"}]}'
  mosquitto_sub -p $port -t '\$SYS/broker/ota/#' -v -W 2

Or with the command-line client ($ctrl), uploading a real file:
  $ctrl -p $port -u admin package add --product pk1 --version 3.0.0 --file /bin/ls
  $ctrl -p $port -u admin job create --package 2 --devices d1
  $ctrl -p $port -u admin device show --product pk1 d1

TXT
exec mosquitto -c "$conf"
