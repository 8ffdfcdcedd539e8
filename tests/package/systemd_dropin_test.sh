#!/usr/bin/env bash
# The large-fleet drop-in (packaging/systemd/mosquitto-ota-limits.conf) is
# valid for Debian's stock mosquitto.service, which stays unchanged:
# systemd-analyze verify reads the stock unit with the drop-in beside it
# and must say nothing about the drop-in. A broken copy must be reported,
# so the check is known to read the drop-in at all. Skipped (77) without
# systemd-analyze or the mosquitto unit; needs no running systemd.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
. "$here/lib.sh"

command -v systemd-analyze >/dev/null || skip "systemd-analyze is not installed"
unit=/lib/systemd/system/mosquitto.service
[ -f "$unit" ] || skip "$unit (Debian's mosquitto) is not installed"
dropin=$root/packaging/systemd/mosquitto-ota-limits.conf

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/mosquitto.service.d"

# Verifies the stock unit with $1 as its drop-in; prints what systemd said
# about the drop-in.
verify_with() {
  cp "$1" "$work/mosquitto.service.d/mosquitto-ota-limits.conf"
  SYSTEMD_UNIT_PATH="$work:" systemd-analyze verify "$unit" 2>&1 \
    | grep -F "mosquitto.service.d/" || true
}

said=$(verify_with "$dropin")
[ -z "$said" ] || fail "systemd-analyze verify objects to the drop-in: $said"
grep -q '^LimitNOFILE=[0-9]' "$dropin" || fail "the drop-in sets no LimitNOFILE"

sed 's/^LimitNOFILE=.*/LimitNOFILE=lots/' "$dropin" > "$work/broken.conf"
said=$(verify_with "$work/broken.conf")
echo "$said" | grep -q "LimitNOFILE\|resource value" \
  || fail "a broken LimitNOFILE went unnoticed: the check does not read the drop-in"
echo "PASSED: the drop-in verifies against $unit"
