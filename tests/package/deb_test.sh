#!/usr/bin/env bash
# The Debian package, installed as a user would (docs/operations.md):
# builds the .deb, installs it with apt-get, enables the shipped conf.d
# fragment beside Debian's own mosquitto.conf, runs one upgrade with
# mosquitto_pub/mosquitto_sub and the installed mosquitto_ota_ctrl, then
# checks that "remove" keeps the state and disables the fragment, and that
# "purge" leaves no file behind.
#
# Needs root and apt (CI: a fresh Debian 12). Skipped (status 77) otherwise,
# and on a machine where mosquitto-ota is already installed or has state:
# this test never touches an existing installation. It starts its own
# broker on free loopback ports and never the mosquitto service.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
. "$here/lib.sh"

[ "$(id -u)" -eq 0 ] || skip "needs root: it installs the package with apt-get"
for tool in apt-get dpkg dpkg-deb cpack mosquitto mosquitto_pub mosquitto_sub curl sha256sum; do
  command -v "$tool" >/dev/null || skip "$tool is not installed"
done
[ -f /etc/mosquitto/mosquitto.conf ] || skip "Debian's /etc/mosquitto/mosquitto.conf is missing"
if dpkg-query -W -f='${Status}' mosquitto-ota 2>/dev/null | grep -qv "not-installed"; then
  skip "mosquitto-ota is installed (or its configuration is kept) on this machine: not touching it"
fi
for path in /var/lib/mosquitto/ota /etc/mosquitto/conf.d/ota.conf /etc/mosquitto/conf.d/ota.conf.disabled; do
  [ ! -e "$path" ] || skip "$path exists: not touching another installation's state"
done

work=$(mktemp -d)
chmod 0755 "$work"
broker_pid=""
installed=0
cleanup() {
  [ -n "$broker_pid" ] && kill "$broker_pid" 2>/dev/null && wait "$broker_pid" 2>/dev/null || true
  if [ "$installed" = 1 ]; then
    apt-get purge -y -q mosquitto-ota >/dev/null 2>&1 || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

# Everything the package could leave behind, listed before and after.
watched=(/etc/mosquitto /var/lib/mosquitto /usr/share/mosquitto-ota /usr/share/doc/mosquitto-ota)
list_watched() { { find "${watched[@]}" 2>/dev/null || true; } | sort; }
list_watched > "$work/before.txt"

step "build the package (packaging/build-deb.sh)"
deb=$(OTA_DEB_BUILD_DIR="${OTA_DEB_BUILD_DIR:-$root/build-deb}" "$root/packaging/build-deb.sh" | tail -1)
[ -f "$deb" ] || fail "no package built"
dpkg-deb -f "$deb" Depends | grep -q 'mosquitto (>= 2.0.11)' || fail "Depends lacks mosquitto"
for lib in liblmdb0 libjansson4 libssl3 libwebsockets17 libmosquitto1; do
  dpkg-deb -f "$deb" Depends | grep -q "$lib" || fail "Depends lacks $lib (dpkg-shlibdeps)"
done
dpkg-deb -c "$deb" | awk '{print $6}' | sed 's|^\./|/|' | grep -v '/$' > "$work/files.txt"
multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || gcc -print-multiarch)
plugin=/usr/lib/$multiarch/mosquitto_ota.so
for f in "$plugin" /usr/lib/$multiarch/mosquitto_ota_http.so /usr/bin/mosquitto_ota_ctrl \
         /etc/mosquitto/conf.d/ota.conf.example; do
  grep -qx "$f" "$work/files.txt" || fail "the package lacks $f"
done

step "apt-get install $deb"
export DEBIAN_FRONTEND=noninteractive
installed=1
apt-get install -y -q -o DPkg::Lock::Timeout=120 "$deb" > "$work/apt-install.log" 2>&1 \
  || { cat "$work/apt-install.log"; fail "apt-get install failed"; }
[ "$(stat -c %U:%a /var/lib/mosquitto/ota)" = "mosquitto:750" ] \
  || fail "state directory: $(stat -c %U:%a /var/lib/mosquitto/ota), expected mosquitto:750"
[ -x /usr/bin/mosquitto_ota_ctrl ] || fail "/usr/bin/mosquitto_ota_ctrl missing"

step "start mosquitto: Debian's mosquitto.conf with the fragment enabled"
# The fragment is enabled the documented way (a copy named *.conf), in a
# private include_dir, and Debian's mosquitto.conf is used with only its
# paths moved into the work directory: this broker must not write the
# service's pid file, persistence file or log.
mkdir "$work/conf.d"
sed -e "s|^pid_file .*|pid_file $work/mosquitto.pid|" \
    -e "s|^persistence_location .*|persistence_location $work/|" \
    -e "s|^log_dest file .*|log_dest file $work/mosquitto.log|" \
    -e "s|^include_dir .*|include_dir $work/conf.d|" \
    /etc/mosquitto/mosquitto.conf > "$work/mosquitto.conf"
changed=$(diff /etc/mosquitto/mosquitto.conf "$work/mosquitto.conf" | grep -c '^>' || true)
[ "$changed" = 4 ] || fail "expected to move 4 paths of Debian's mosquitto.conf, moved $changed"
chown mosquitto: "$work"
# Free ports can be taken between the check and the bind: try a few.
for attempt in 1 2 3 4 5; do
  port=$(free_port)
  http_port=$(free_port)
  cp /etc/mosquitto/conf.d/ota.conf.example "$work/conf.d/ota.conf"
  sed -i -e "s/^listener 1883 /listener $port /" -e "s/127\.0\.0\.1:8880/127.0.0.1:$http_port/g" \
    "$work/conf.d/ota.conf"
  mosquitto -c "$work/mosquitto.conf" > "$work/broker.out" 2>&1 &
  broker_pid=$!
  wait_port "$port" 20 "$broker_pid" && break
  kill "$broker_pid" 2>/dev/null; wait "$broker_pid" 2>/dev/null || true; broker_pid=""
  grep -Eqi "already in use|bind" "$work/broker.out" "$work/mosquitto.log" 2>/dev/null \
    || { cat "$work/broker.out" "$work/mosquitto.log" 2>/dev/null; fail "broker did not start"; }
  echo "port $port or $http_port was taken meanwhile (attempt $attempt); again"
done
[ -n "$broker_pid" ] || fail "broker did not start: no free ports"
grep -q "mosquitto-ota" "$work/mosquitto.log" || fail "the plugin did not log its start"

step "one upgrade: device d1 of product pk1 from 1.0.0 to 2.0.0"
ctrl=(/usr/bin/mosquitto_ota_ctrl -p "$port" -u admin)
head -c 200000 /dev/urandom > "$work/fw-2.0.0.bin"
mosquitto_sub -p "$port" -u 'd1&pk1' -t /ota/device/upgrade/pk1/d1 -C 1 -W 30 > "$work/notification" &
sub_pid=$!
sleep 0.5  # the subscription marks the device online
mosquitto_pub -p "$port" -u 'd1&pk1' -t /ota/device/inform/pk1/d1 -m '{"id":"1","params":{"version":"1.0.0"}}'
"${ctrl[@]}" package add --product pk1 --version 2.0.0 --file "$work/fw-2.0.0.bin" > "$work/package.txt"
"${ctrl[@]}" job create --package 1 --devices d1 > "$work/job.txt"
wait "$sub_pid" || fail "no upgrade notification for d1"
url=$(sed -n 's/.*"url":"\([^"]*\)".*/\1/p' "$work/notification")
[ -n "$url" ] || fail "notification without url: $(cat "$work/notification")"
# The download server runs from mosquitto_ota_http.so beside the plugin.
curl -fsS -o "$work/downloaded.bin" "$url" || fail "download of $url failed"
[ "$(sha256sum < "$work/downloaded.bin")" = "$(sha256sum < "$work/fw-2.0.0.bin")" ] \
  || fail "downloaded firmware differs from the uploaded one"
mosquitto_pub -p "$port" -u 'd1&pk1' -t /ota/device/progress/pk1/d1 -m '{"id":"2","params":{"step":"50","desc":"downloading"}}'
mosquitto_pub -p "$port" -u 'd1&pk1' -t /ota/device/inform/pk1/d1 -m '{"id":"3","params":{"version":"2.0.0"}}'
"${ctrl[@]}" --timeout 60s job watch 1 > "$work/watch.txt" || fail "job 1 did not complete: $(cat "$work/watch.txt")"
"${ctrl[@]}" --json job show 1 > "$work/job.json"
grep -Eq '"SUCCEEDED": *1\b' "$work/job.json" || fail "job 1 has no succeeded task: $(cat "$work/job.json")"
"${ctrl[@]}" --json device show --product pk1 d1 | grep -q '"2.0.0"' || fail "d1 does not report 2.0.0"

kill "$broker_pid"; wait "$broker_pid" || true; broker_pid=""
[ "$(stat -c %U /var/lib/mosquitto/ota/db/data.mdb)" = mosquitto ] \
  || fail "the database is not owned by mosquitto"

step "apt-get remove: the state stays, an enabled fragment is disabled"
cp /etc/mosquitto/conf.d/ota.conf.example /etc/mosquitto/conf.d/ota.conf
apt-get remove -y -q mosquitto-ota > "$work/apt-remove.log" 2>&1 \
  || { cat "$work/apt-remove.log"; fail "apt-get remove failed"; }
[ ! -e "$plugin" ] || fail "remove left the plugin"
[ -s /var/lib/mosquitto/ota/db/data.mdb ] || fail "remove deleted the database"
[ -d /var/lib/mosquitto/ota/firmware ] || fail "remove deleted the firmware store"
[ ! -e /etc/mosquitto/conf.d/ota.conf ] || fail "remove left ota.conf enabled (mosquitto would not start)"
[ -f /etc/mosquitto/conf.d/ota.conf.disabled ] || fail "remove did not keep the disabled fragment"

step "apt-get purge: nothing left"
apt-get purge -y -q mosquitto-ota > "$work/apt-purge.log" 2>&1 \
  || { cat "$work/apt-purge.log"; fail "apt-get purge failed"; }
installed=0
while read -r f; do [ ! -e "$f" ] || fail "purge left $f"; done < "$work/files.txt"
list_watched > "$work/after.txt"
diff "$work/before.txt" "$work/after.txt" || fail "purge left files behind (above)"
echo "PASSED: package installed, upgraded a device, removed and purged cleanly"
