#!/usr/bin/env bash
# Runs Debian's unmodified tmux on vigil's libraries.
#
#   tmux_test.sh LIBDIR
#
# /usr/bin/tmux links libevent_core-2.1.so.7 only (see `readelf -d`); it uses the 1.x
# global-base calls (event_init, event_loop, event_once, event_set), event_reinit after
# fork, evbuffers and bufferevents. The test does two rounds, each on a private socket:
#
#   daemon      `tmux new-session -d` starts the server the usual way: the client forks,
#               the child daemonizes and calls event_reinit on the base the client made;
#   foreground  `tmux -D` runs the server as this script's child, so its exit status is
#               seen (a daemonized server's is not: its parent is init).
#
# and in each:
# 1. opens a detached 80x24 session running /bin/sh and types `echo vigil-$((6*7))`;
# 2. waits (10 s at most) until capture-pane shows a line "vigil-42", which only the
#    shell's output can contain;
# 3. checks /proc/PID/maps of the server: the libevent libraries tmux needs are mapped
#    from LIBDIR, and no libevent from anywhere else;
# 4. kill-server, then expects the server and the pane's shell to be gone within 10 s,
#    no process of the round left over, and (foreground) exit status 0.
# Before that, every libevent symbol tmux imports must be exported from LIBDIR (tmux is
# linked with BIND_NOW, so one missing symbol stops it from starting at all).
#
# The tmux processes run with HOME and TMUX_TMPDIR in a scratch directory, TMUX unset,
# -f /dev/null (no configuration), and an environment variable naming the round that
# finds them in /proc (leftovers, cleanup). A trap kills whatever is left on every path;
# the foreground server also gets a parent-death signal.
# Exit status: 0 pass, 1 fail, 77 skip (tmux or binutils not installed).
set -euo pipefail

log() { printf 'tmux-test: %s\n' "$*"; }
fail() { printf 'tmux-test: FAIL: %s\n' "$*" >&2; exit 1; }

[[ $# -eq 1 ]] || fail "usage: $0 LIBDIR"
[[ -d "$1" ]] || fail "library directory $1 does not exist (was the build run?)"
libdir="$(cd "$1" && pwd -P)"

tmux="$(command -v tmux || true)"
[[ -n "$tmux" ]] || tmux=/usr/bin/tmux
if [[ ! -x "$tmux" ]]; then
  log "SKIP: tmux is not installed (apt-get install tmux)"
  exit 77
fi
if ! command -v readelf >/dev/null || ! command -v nm >/dev/null; then
  log "SKIP: readelf/nm not found (apt-get install binutils)"
  exit 77
fi

# The libevent libraries tmux is linked against (libevent_core-2.1.so.7 on Debian 12).
needed="$(LC_ALL=C readelf -d "$tmux" | sed -n 's/.*(NEEDED).*\[\(libevent[^]]*\)\].*/\1/p')"
[[ -n "$needed" ]] || fail "$tmux is not linked against a shared libevent"

# Without our copy in LIBDIR the loader would quietly take the system's, so say so first;
# then list every libevent symbol tmux imports that LIBDIR does not export.
check_symbols() {
  local lib wanted have missing
  for lib in $needed; do
    [[ -e "$libdir/$lib" ]] || fail "$libdir/$lib is missing (tmux needs it)"
  done
  wanted="$(nm -D --undefined-only "$tmux" | awk '{print $NF}' | sed 's/@.*//' |
    grep -E '^(event|evbuffer|bufferevent|evutil|evthread|evtimer|evsignal|evconnlistener|evdns|evhttp|evrpc|evtag)_' |
    sort -u || true)"
  have="$(for lib in $needed; do nm -D --defined-only "$libdir/$lib"; done | awk '{print $NF}' |
    sed 's/@.*//' | sort -u)"
  missing="$(comm -23 <(printf '%s\n' "$wanted") <(printf '%s\n' "$have") | grep . || true)"
  if [[ -n "$missing" ]]; then
    fail "tmux imports $(wc -l <<<"$missing") libevent symbol(s) that $libdir/{${needed//$'\n'/,}} does not export: ${missing//$'\n'/ }"
  fi
  log "all $(wc -l <<<"$wanted") libevent symbols tmux imports are exported from $libdir"
}

# Every libevent the server mapped comes from LIBDIR, and the ones tmux needs are there.
# Paths in maps are resolved (libevent_core-2.1.so.7.0.1).
check_maps() {   # $1 = server pid
  local maps paths lib want foreign
  maps="$(cat "/proc/$1/maps")" || fail "cannot read /proc/$1/maps"
  paths="$(awk '$6 ~ /\/libevent[^\/]*\.so/ {print $6}' <<<"$maps" | sort -u)"
  [[ -n "$paths" ]] || fail "the tmux server (pid $1) has no libevent mapped at all"
  while read -r p; do log "mapped: $p"; done <<<"$paths"
  for lib in $needed; do
    want="$(readlink -f "$libdir/$lib")"
    grep -qxF "$want" <<<"$paths" || fail "the tmux server did not map $want"
  done
  foreign="$(grep -v "^$libdir/" <<<"$paths" || true)"
  [[ -z "$foreign" ]] || fail "the tmux server loaded a libevent from outside $libdir: ${foreign//$'\n'/ }"
  log "maps check passed: libevent comes only from $libdir"
}

check_symbols

# A socket path must fit in sun_path (108 bytes): fall back to /tmp for a long TMPDIR.
base_tmp="${TMPDIR:-/tmp}"
((${#base_tmp} <= 60)) || base_tmp=/tmp
workdir="$(mktemp -d "$base_tmp/vigil-tmux.XXXXXX")"
fg_pid=""
tags=()

# Processes whose environment carries VIGIL_TMUX_TEST=$1 (tmux server, clients, shells).
# A zombie's environ reads empty, so only live processes are found.
tagged_pids() {
  local f pid
  for f in /proc/[0-9]*/environ; do
    pid="${f#/proc/}"; pid="${pid%/environ}"
    [[ "$pid" == "$$" || "$pid" == "$BASHPID" ]] && continue
    if grep -qszxF "VIGIL_TMUX_TEST=$1" "$f"; then echo "$pid"; fi
  done
}
describe_pids() {
  local pid cmd
  for pid in "$@"; do
    cmd="$({ tr '\0' ' ' <"/proc/$pid/cmdline"; } 2>/dev/null | sed 's/ $//')"
    printf '%s(%s) ' "$pid" "${cmd:-exited just now}"
  done
}
alive() {   # a live, non-zombie process
  local st
  st="$(cat "/proc/$1/stat" 2>/dev/null)" || return 1
  st="${st##*) }"
  [[ "${st:0:1}" != Z ]]
}

cleanup() {
  local rc=$? tag pid
  for tag in "${tags[@]}"; do
    for pid in $(tagged_pids "$tag"); do kill -KILL "$pid" 2>/dev/null || true; done
  done
  if [[ -n "$fg_pid" ]]; then
    kill -KILL "$fg_pid" 2>/dev/null || true
    wait "$fg_pid" 2>/dev/null || true
  fi
  if [[ $rc -ne 0 ]]; then
    local f
    for f in "$workdir"/*.log; do
      [[ -s "$f" ]] || continue
      echo "---- $(basename "$f") ----" >&2
      tail -n 30 "$f" >&2 || true
    done
  fi
  rm -rf "$workdir"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

export HOME="$workdir" TMUX_TMPDIR="$workdir" SHELL=/bin/sh LC_ALL=C.UTF-8
unset TMUX TMUX_PANE ENV
cd "$workdir"

pdeath=()
setpriv --help 2>/dev/null | grep -q -- --pdeathsig && pdeath=(setpriv --pdeathsig KILL --)

sock="" tag="" mode=""
# A tmux client of this round's server, bounded in time; its stdout is the caller's.
tm() {
  env LD_LIBRARY_PATH="$libdir" VIGIL_TMUX_TEST="$tag" \
    timeout 10 "$tmux" -S "$sock" -f /dev/null "$@" </dev/null 2>>"$workdir/$mode-clients.log"
}

run_round() {   # $1 = daemon | foreground
  mode="$1"
  sock="$workdir/$mode.sock"
  tag="$workdir/$mode"
  tags+=("$tag")
  local rc=0 server_pid="" pane_pid="" screen="" found=""

  if [[ "$mode" == foreground ]]; then
    env LD_LIBRARY_PATH="$libdir" VIGIL_TMUX_TEST="$tag" "${pdeath[@]}" \
      "$tmux" -D -S "$sock" -f /dev/null </dev/null >"$workdir/$mode-server.log" 2>&1 &
    fg_pid=$!
    for _ in $(seq 100); do       # up to 10 s
      [[ -S "$sock" ]] && break
      alive "$fg_pid" || break
      sleep 0.1
    done
    if ! alive "$fg_pid"; then
      wait "$fg_pid" && rc=0 || rc=$?
      fg_pid=""
      fail "$mode: 'tmux -D' exited with status $rc right after starting"
    fi
    [[ -S "$sock" ]] || fail "$mode: 'tmux -D' (pid $fg_pid) made no socket at $sock within 10 s"
  fi

  tm new-session -d -s t -x 80 -y 24 /bin/sh ||
    fail "$mode: 'tmux new-session -d' exited with status $?"
  read -r server_pid pane_pid < <(tm display-message -p -t t '#{pid} #{pane_pid}' || true) || true
  [[ "$server_pid" =~ ^[0-9]+$ && "$pane_pid" =~ ^[0-9]+$ ]] ||
    fail "$mode: display-message did not give the server and pane pids (got '$server_pid' '$pane_pid')"
  if [[ "$mode" == foreground && "$server_pid" != "$fg_pid" ]]; then
    fail "$mode: the server says its pid is $server_pid, but 'tmux -D' is $fg_pid"
  fi
  log "$mode: server pid $server_pid, shell pid $pane_pid, socket $sock"

  # The shell, not tmux, turns this into vigil-42.
  # shellcheck disable=SC2016
  tm send-keys -t t 'echo vigil-$((6*7))' Enter || fail "$mode: send-keys exited with status $?"
  for _ in $(seq 100); do         # up to 10 s
    screen="$(tm capture-pane -p -t t || true)"
    if grep -q '^vigil-42 *$' <<<"$screen"; then found=1; break; fi
    alive "$server_pid" || break
    sleep 0.1
  done
  if [[ -z "$found" ]]; then
    printf '%s\n' "---- the pane shows ----" "$screen" >&2
    alive "$server_pid" || fail "$mode: the tmux server (pid $server_pid) died before the shell's output showed"
    fail "$mode: the pane did not show vigil-42 within 10 s"
  fi
  log "$mode: the pane shows the shell's output (vigil-42)"

  check_maps "$server_pid"

  tm kill-server || fail "$mode: kill-server exited with status $?"
  for _ in $(seq 100); do         # up to 10 s
    alive "$server_pid" || alive "$pane_pid" || break
    sleep 0.1
  done
  alive "$server_pid" && fail "$mode: the tmux server (pid $server_pid) is still running 10 s after kill-server"
  alive "$pane_pid" && fail "$mode: the pane's shell (pid $pane_pid) is still running 10 s after kill-server"
  if [[ "$mode" == foreground ]]; then
    wait "$fg_pid" && rc=0 || rc=$?
    fg_pid=""
    [[ $rc -eq 0 ]] || fail "$mode: the tmux server exited with status $rc after kill-server (expected 0)"
    log "$mode: the server exited with status 0"
  fi
  local left=""
  for _ in $(seq 50); do          # up to 5 s for stray clients to finish
    left="$(tagged_pids "$tag")"
    [[ -z "$left" ]] && break
    sleep 0.1
  done
  # shellcheck disable=SC2086
  [[ -z "$left" ]] || fail "$mode: processes left after kill-server: $(describe_pids $left)"
  log "$mode: kill-server stopped everything"
}

log "tmux $("$tmux" -V | awk '{print $2}') ($tmux, needs: ${needed//$'\n'/ }), LD_LIBRARY_PATH=$libdir"
run_round daemon
run_round foreground
log "PASS"
