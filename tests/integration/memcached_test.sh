#!/usr/bin/env bash
# Runs Debian's unmodified memcached on vigil's libraries and drives it with many clients.
#
#   memcached_test.sh LIBDIR
#
# 1. starts /usr/bin/memcached with LD_LIBRARY_PATH=LIBDIR on a free 127.0.0.1 TCP port;
# 2. checks /proc/PID/maps: every libevent mapped comes from LIBDIR, none from the system;
# 3. runs memcached_client.py (50 concurrent connections of set/get/delete/incr, verified);
# 4. stops memcached with SIGTERM and expects a clean exit.
# memcached is stopped on every path (trap), and is also given a parent-death signal so a
# ctest timeout that kills this script does not leave it running.
# Exit status: 0 pass, 1 fail, 77 skip (memcached or python3 not installed).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
log() { printf 'memcached-test: %s\n' "$*"; }
fail() { printf 'memcached-test: FAIL: %s\n' "$*" >&2; exit 1; }

[[ $# -eq 1 ]] || fail "usage: $0 LIBDIR"
[[ -d "$1" ]] || fail "library directory $1 does not exist (was the build run?)"
libdir="$(cd "$1" && pwd -P)"

memcached="$(command -v memcached || true)"
[[ -n "$memcached" ]] || memcached=/usr/bin/memcached
if [[ ! -x "$memcached" ]]; then
  log "SKIP: memcached is not installed (apt-get install memcached)"
  exit 77
fi
if ! command -v python3 >/dev/null; then
  log "SKIP: python3 is not installed"
  exit 77
fi

# memcached needs libevent-2.1.so.7; without ours in LIBDIR the loader would quietly take
# the system's copy, so say so up front.
[[ -e "$libdir/libevent-2.1.so.7" ]] || fail "$libdir/libevent-2.1.so.7 is missing"

workdir="$(mktemp -d "${TMPDIR:-/tmp}/vigil-memcached.XXXXXX")"
mc_pid=""
cleanup() {
  local rc=$?
  if [[ -n "$mc_pid" ]] && kill -0 "$mc_pid" 2>/dev/null; then
    kill -TERM "$mc_pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$mc_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$mc_pid" 2>/dev/null || true
    wait "$mc_pid" 2>/dev/null || true
  fi
  if [[ $rc -ne 0 && -s "$workdir/memcached.log" ]]; then
    echo "---- memcached output ----" >&2
    tail -n 40 "$workdir/memcached.log" >&2 || true
  fi
  rm -rf "$workdir"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

run_as=()
[[ "$(id -u)" -eq 0 ]] && run_as=(-u root)   # memcached refuses to run as root without -u
pdeath=()
setpriv --help 2>/dev/null | grep -q -- --pdeathsig && pdeath=(setpriv --pdeathsig TERM --)

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# Start memcached; the free port can be taken between probing and binding, so retry.
port=""
for attempt in 1 2 3 4 5; do
  port="$(free_port)"
  LD_LIBRARY_PATH="$libdir" "${pdeath[@]}" "$memcached" \
    -l 127.0.0.1 -p "$port" -U 0 -t 4 -c 1024 -m 64 "${run_as[@]}" \
    >"$workdir/memcached.log" 2>&1 &
  mc_pid=$!
  ready=""
  for _ in $(seq 100); do            # up to 10 s
    if ! kill -0 "$mc_pid" 2>/dev/null; then break; fi
    if python3 - "$port" <<'EOF' 2>/dev/null; then ready=1; break; fi
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=1)
s.sendall(b"version\r\n")
data = b""
while not data.endswith(b"\r\n"):
    chunk = s.recv(100)
    if not chunk:
        break
    data += chunk
sys.exit(0 if data.startswith(b"VERSION ") else 1)
EOF
    sleep 0.1
  done
  [[ -n "$ready" ]] && break
  if kill -0 "$mc_pid" 2>/dev/null; then
    fail "memcached (pid $mc_pid) is running but does not answer 'version' on port $port within 10 s"
  fi
  wait "$mc_pid" 2>/dev/null && status=0 || status=$?
  mc_pid=""
  if grep -qi 'address already in use' "$workdir/memcached.log"; then
    log "port $port was taken, retrying ($attempt)"
    continue
  fi
  fail "memcached exited with status $status right after starting (its output follows)"
done
[[ -n "$mc_pid" ]] || fail "could not start memcached on a free port"
log "memcached $("$memcached" -V 2>/dev/null | awk '{print $2}') pid $mc_pid on 127.0.0.1:$port, LD_LIBRARY_PATH=$libdir"

# Which libevent did the loader map? Paths in maps are resolved (libevent-2.1.so.7.0.1).
maps="$(cat "/proc/$mc_pid/maps")" || fail "cannot read /proc/$mc_pid/maps"
libevent_paths="$(awk '$6 ~ /\/libevent[^\/]*\.so/ {print $6}' <<<"$maps" | sort -u)"
[[ -n "$libevent_paths" ]] || fail "memcached has no libevent mapped at all (statically linked?)"
while read -r p; do log "mapped: $p"; done <<<"$libevent_paths"
foreign="$(grep -v "^$libdir/" <<<"$libevent_paths" || true)"
if [[ -n "$foreign" ]]; then
  fail "memcached loaded a libevent from outside $libdir: ${foreign//$'\n'/ }"
fi
if grep -q '^/usr/lib/x86_64-linux-gnu/libevent\|^/lib/x86_64-linux-gnu/libevent' <<<"$maps"; then
  fail "memcached mapped the system libevent"
fi
log "maps check passed: libevent comes only from $libdir"

# The client bounds itself (60 s deadline, 10 s per socket operation).
python3 "$here/memcached_client.py" --port "$port" --connections 50 --rounds 200 --deadline 60 \
  || fail "memcached_client.py reported errors"

# Clean stop: memcached leaves its loop on SIGTERM (its libevent clock timer sees the flag).
kill -TERM "$mc_pid"
stopped=""
for _ in $(seq 100); do          # up to 10 s
  if ! kill -0 "$mc_pid" 2>/dev/null; then stopped=1; break; fi
  sleep 0.1
done
[[ -n "$stopped" ]] || fail "memcached did not exit within 10 s of SIGTERM"
wait "$mc_pid" && status=0 || status=$?
mc_pid=""
[[ $status -eq 0 ]] || fail "memcached exited with status $status after SIGTERM (expected 0)"
log "memcached stopped cleanly"
log "PASS"
