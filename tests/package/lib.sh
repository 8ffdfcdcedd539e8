# Helpers shared by the shell tests under tests/package/ (sourced).

# Exit status ctest reads as "skipped" (SKIP_RETURN_CODE).
readonly SKIP=77

skip() { echo "SKIPPED: $*"; exit "$SKIP"; }
fail() { echo "FAILED: $*" >&2; exit 1; }
step() { echo "== $*"; }

# A loopback TCP port nobody listens on, below the kernel's ephemeral range
# (32768+) that outgoing connections take ports from. The caller still
# handles the race: a broker that cannot bind it fails to start.
free_port() {
  local p
  for _ in $(seq 100); do
    p=$(( 20000 + RANDOM % 12000 ))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return; fi
  done
  fail "no free port found"
}

# Waits up to $2 seconds (default 20) for something to accept on port $1;
# gives up early when the process $3 (if given) has exited.
wait_port() {
  local port=$1 tries=$(( ${2:-20} * 10 )) pid=${3:-}
  for _ in $(seq "$tries"); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && return 0
    [ -z "$pid" ] || kill -0 "$pid" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}

# Waits up to $2 seconds for the file $1 to be non-empty.
wait_file() {
  local file=$1 tries=$(( ${2:-20} * 10 ))
  for _ in $(seq "$tries"); do
    [ -s "$file" ] && return 0
    sleep 0.1
  done
  return 1
}
