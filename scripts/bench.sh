#!/usr/bin/env bash
# scripts/bench.sh -- vigil vs the system libevent 2.1, side by side.
#
# Run from anywhere inside a clone (as root on a fresh Debian 12 it installs
# what it needs):   bash scripts/bench.sh
#
# Steps: install missing tools -> Release build in build-bench/ -> timed
# benchmarks run alternately vigil / libevent (and raw epoll for the pipe
# test) for several repetitions -> callgrind instruction counts -> RSS per
# timer / per descriptor -> one table.  The table is also written to
# build-bench/bench-results.txt, every raw output to build-bench/bench-logs/.
#
# Ratios are libevent/vigil of a cost (time, instructions, bytes):
# above 1 means vigil is cheaper.
#
# Knobs (environment):
#   BENCH_QUICK=1          small sizes, one repetition: a smoke run (~1 min)
#   BENCH_REPS=N           alternating repetitions of each timed benchmark (7)
#   BENCH_PIPE_WRITES=N    callbacks per pipe round (100000)
#   BENCH_PIPE_ROUNDS=N    rounds per pipe run, median taken (10)
#   BENCH_TIMER_PENDING=N  pending timers during add/del (10000)
#   BENCH_TIMER_OPS=N      add+del pairs per timer round (1000000)
#   BENCH_TIMER_FIRE=N     timers fired per round (200000)
#   BENCH_TIMER_ROUNDS=N   rounds per timer run, median taken (3)
#   BENCH_CG_WRITES=N      callgrind pipe: runs with N and 2N writes (20000)
#   BENCH_CG_TIMER_OPS=N   callgrind add/del: runs with N and 2N pairs (100000)
#   BENCH_CG_TIMER_FIRE=N  callgrind fire: N timers, 1 vs 2 rounds (20000)
#   BENCH_MEM_TIMERS=N     pending timers for the RSS test (200000)
#   BENCH_MEM_PAIRS=N      socketpairs for the RSS test (8000, capped by ulimit -n)
#   BENCH_CALLGRIND=0      skip the instruction counts
#   BENCH_MEM=0            skip the memory test
#   BENCH_SKIP_INSTALL=1   never call apt-get
#   BENCH_SKIP_BUILD=1     use the existing build-bench/ as it is
#   BENCH_BUILD_DIR=DIR    build directory (default: <repo>/build-bench)
#   BENCH_PIN=CPU          run every benchmark under taskset -c CPU
#   BENCH_TIMEOUT=SEC      kill a single benchmark run after SEC s (300)
set -u -o pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BENCH_BUILD_DIR:-$ROOT/build-bench}
LOGS=$BUILD/bench-logs
RESULTS=$BUILD/bench-results.txt
T_START=$(date +%s)

if [ "${BENCH_QUICK:-0}" = 1 ]; then
  d_reps=1 d_pw=10000 d_pr=3 d_tp=10000 d_to=200000 d_tf=50000 d_tr=1
  d_cgw=5000 d_cgo=20000 d_cgf=5000 d_mt=50000 d_mp=2000
else
  d_reps=7 d_pw=100000 d_pr=10 d_tp=10000 d_to=1000000 d_tf=200000 d_tr=3
  d_cgw=20000 d_cgo=100000 d_cgf=20000 d_mt=200000 d_mp=8000
fi
REPS=${BENCH_REPS:-$d_reps}
PIPE_WRITES=${BENCH_PIPE_WRITES:-$d_pw}
PIPE_ROUNDS=${BENCH_PIPE_ROUNDS:-$d_pr}
TIMER_PENDING=${BENCH_TIMER_PENDING:-$d_tp}
TIMER_OPS=${BENCH_TIMER_OPS:-$d_to}
TIMER_FIRE=${BENCH_TIMER_FIRE:-$d_tf}
TIMER_ROUNDS=${BENCH_TIMER_ROUNDS:-$d_tr}
CG_WRITES=${BENCH_CG_WRITES:-$d_cgw}
CG_TIMER_OPS=${BENCH_CG_TIMER_OPS:-$d_cgo}
CG_TIMER_FIRE=${BENCH_CG_TIMER_FIRE:-$d_cgf}
MEM_TIMERS=${BENCH_MEM_TIMERS:-$d_mt}
MEM_PAIRS=${BENCH_MEM_PAIRS:-$d_mp}
THREAD_TRIPS=${BENCH_THREAD_TRIPS:-$([ "${BENCH_QUICK:-0}" = 1 ] && echo 2000 || echo 20000)}
THREAD_BURST=${BENCH_THREAD_BURST:-$([ "${BENCH_QUICK:-0}" = 1 ] && echo 20000 || echo 200000)}
DO_CG=${BENCH_CALLGRIND:-1}
DO_MEM=${BENCH_MEM:-1}
RUN_TIMEOUT=${BENCH_TIMEOUT:-300}
# The two pipe configurations: "pipes active".
PIPE_CONFIGS=("100 1" "1000 100")

log() { printf '[bench %4ds] %s\n' "$(( $(date +%s) - T_START ))" "$*" >&2; }
die() { printf 'bench.sh: error: %s\n' "$*" >&2; exit 1; }
# fail MSG : a benchmark run failed; noted, reported at the end, exit status 1.
fail() { log "FAILED $*"; echo "$*" >>"$LOGS/failures"; }

# ---------------------------------------------------------------- install ----
have_libevent_dev() {
  [ -f /usr/include/event2/event.h ] &&
    ls /usr/lib/*/libevent_core*.so* /usr/lib/libevent_core*.so* >/dev/null 2>&1
}

install_deps() {
  local need=()
  command -v cmake >/dev/null 2>&1 || need+=(cmake)
  command -v g++ >/dev/null 2>&1 || need+=(g++)
  command -v cc >/dev/null 2>&1 || need+=(gcc)
  command -v make >/dev/null 2>&1 || need+=(make)
  command -v timeout >/dev/null 2>&1 || need+=(coreutils)
  command -v awk >/dev/null 2>&1 || need+=(mawk)
  have_libevent_dev || need+=(libevent-dev)
  if [ "$DO_CG" = 1 ]; then
    command -v valgrind >/dev/null 2>&1 || need+=(valgrind)
    # valgrind wants ld.so's symbols on Debian; without them it may refuse to start.
    dpkg -s libc6-dbg >/dev/null 2>&1 || need+=(libc6-dbg)
  fi
  if [ "${BENCH_PIN:-}" != "" ]; then command -v taskset >/dev/null 2>&1 || need+=(util-linux); fi
  [ ${#need[@]} -eq 0 ] && return 0
  if [ "${BENCH_SKIP_INSTALL:-0}" = 1 ]; then
    log "missing ${need[*]} and BENCH_SKIP_INSTALL=1: continuing without"
    return 0
  fi
  local sudo=""
  if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null 2>&1 || die "need ${need[*]}: run as root or install them"
    sudo="sudo"
  fi
  log "installing: ${need[*]}"
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null ||
    die "apt-get update failed"
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
    "${need[@]}" >/dev/null || die "apt-get install ${need[*]} failed"
}

install_deps
command -v valgrind >/dev/null 2>&1 || { [ "$DO_CG" = 1 ] && log "valgrind missing: skipping instruction counts"; DO_CG=0; }

# ------------------------------------------------------------------ build ----
if [ "${BENCH_SKIP_BUILD:-0}" != 1 ]; then
  log "configuring Release build in $BUILD"
  mkdir -p "$BUILD"
  cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release \
    -DVIGIL_BUILD_TESTS=OFF -DVIGIL_BUILD_BENCH=ON >"$BUILD/bench-configure.log" 2>&1 ||
    { tail -30 "$BUILD/bench-configure.log" >&2; die "cmake configure failed (log: $BUILD/bench-configure.log)"; }
  log "building (log: $BUILD/bench-build.log)"
  cmake --build "$BUILD" -j "$(nproc 2>/dev/null || echo 2)" --target bench_all \
    >"$BUILD/bench-build.log" 2>&1 ||
    { tail -40 "$BUILD/bench-build.log" >&2; die "build failed (log: $BUILD/bench-build.log)"; }
fi
BIN=$BUILD/bench
[ -x "$BIN/pipe_bench_vigil" ] || die "no $BIN/pipe_bench_vigil: the build did not produce the benchmarks"
HAVE_LIBEVENT=0
[ -x "$BIN/pipe_bench_libevent" ] && HAVE_LIBEVENT=1
[ "$HAVE_LIBEVENT" = 1 ] || log "no *_libevent binaries (system libevent-dev missing?): vigil-only figures"

rm -rf "$LOGS"
mkdir -p "$LOGS"
unset LD_LIBRARY_PATH LD_PRELOAD
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
PIN=()
[ -n "${BENCH_PIN:-}" ] && PIN=(taskset -c "$BENCH_PIN")

LIBS=(vigil)
[ "$HAVE_LIBEVENT" = 1 ] && LIBS+=(libevent)

# ---------------------------------------------------------------- helpers ----
# run OUTFILE CMD... : runs with the timeout; output (stdout+stderr) to OUTFILE.
run() {
  local out=$1; shift
  timeout "$RUN_TIMEOUT" "${PIN[@]}" "$@" >"$out" 2>&1
  local rc=$?
  [ $rc -eq 0 ] || fail "rc=$rc: $* -- see $out"
  return $rc
}

# field FILE TAG KEY : value of KEY= on the "RESULT TAG ..." line (first one).
field() {
  awk -v tag="$2" -v key="$3" '
    $1 == "RESULT" && $2 == tag {
      for (i = 3; i <= NF; i++) if (index($i, key "=") == 1) { print substr($i, length(key) + 2); exit }
    }' "$1" 2>/dev/null
}

# mem_field FILE TEST KEY : same for "RESULT mem test=TEST ..." lines.
mem_field() {
  awk -v t="test=$2" -v key="$3" '
    $1 == "RESULT" && $2 == "mem" && $3 == t {
      for (i = 4; i <= NF; i++) if (index($i, key "=") == 1) { print substr($i, length(key) + 2); exit }
    }' "$1" 2>/dev/null
}

# record NAME LIB VALUE : append one sample (ignores empty values).
record() { [ -n "$3" ] && echo "$3" >>"$LOGS/val.$1.$2"; return 0; }

# median NAME LIB : median of the recorded samples, or "-".
median() {
  local f="$LOGS/val.$1.$2"
  [ -s "$f" ] || { echo "-"; return; }
  sort -g "$f" | awk '{ v[NR] = $1 } END {
    if (NR % 2) m = v[(NR + 1) / 2]; else m = (v[NR / 2] + v[NR / 2 + 1]) / 2
    printf "%.6g\n", m }'
}

# spread NAME LIB : "min..max" of the samples (shows the noise), or "".
spread() {
  local f="$LOGS/val.$1.$2"
  [ -s "$f" ] || return 0
  [ "$(wc -l <"$f")" -gt 1 ] || return 0
  sort -g "$f" | awk 'NR == 1 { lo = $1 } { hi = $1 } END { printf "%.4g..%.4g", lo, hi }'
}

# Library identity: the "# prog library: ..." line each binary prints.
check_identity() {
  local out=$1 lib=$2 line file
  line=$(grep -m1 ' library: ' "$out" || true)
  [ -n "$line" ] || return 0
  file=$(sed -n 's/.* file=\([^ ]*\).*/\1/p' <<<"$line")
  echo "$lib: ${line#\# }" >>"$LOGS/identity"
  case "$lib" in
    vigil)
      case "$(readlink -f "$file" 2>/dev/null)" in
        "$(readlink -f "$BUILD")"/*) ;;
        *) die "a vigil benchmark loaded $file, not our build: $line" ;;
      esac ;;
    libevent)
      case "$(readlink -f "$file" 2>/dev/null)" in
        "$(readlink -f "$BUILD")"/*|"$(readlink -f "$ROOT")"/*)
          die "a libevent benchmark loaded our build: $line" ;;
      esac ;;
  esac
}

# ----------------------------------------------------------- smoke tests ----
# Every binary first runs tiny sizes under a short timeout (including > 32
# descriptors and the full teardown).  One that fails is marked broken and
# skipped afterwards, so a hang costs 30 s once, not a timeout per repetition;
# the table shows FAIL for it.
broken() { [ -e "$LOGS/broken.$1.$2" ]; }
smoke() {
  local prog=$1 lib=$2; shift 2
  local exe out=$LOGS/smoke.$prog.$lib.out
  if [ "$lib" = raw ]; then exe=$BIN/raw_epoll; else exe=$BIN/${prog}_$lib; fi
  timeout 30 "$exe" "$@" >"$out" 2>&1
  local rc=$?
  if [ $rc -ne 0 ]; then
    touch "$LOGS/broken.$prog.$lib"
    fail "smoke test (rc=$rc$([ $rc = 124 ] && echo ', timed out')): $(basename "$exe") $* -- see $out; skipped from now on"
    return 0
  fi
  check_identity "$out" "$lib"
}
log "smoke tests"
for lib in "${LIBS[@]}"; do
  smoke pipe_bench "$lib" -n 1000 -a 100 -w 3000 -r 2
  smoke timer_bench "$lib" -k 1000 -o 10000 -f 2000 -t 5 -r 2
  if [ "$DO_MEM" = 1 ]; then smoke mem_bench "$lib" -k 2000 -p 100; fi
  smoke thread_bench "$lib" -n 200 -b 2000 -r 1
done
smoke pipe_bench raw -n 1000 -a 100 -w 3000 -r 2

# ------------------------------------------------------- timed benchmarks ----
log "timed benchmarks: $REPS alternating repetitions (libs: ${LIBS[*]} + raw epoll)"
for rep in $(seq 1 "$REPS"); do
  for cfg in "${PIPE_CONFIGS[@]}"; do
    set -- $cfg
    n=$1 a=$2
    for lib in "${LIBS[@]}" raw; do
      broken pipe_bench "$lib" && continue
      if [ "$lib" = raw ]; then exe=$BIN/raw_epoll; else exe=$BIN/pipe_bench_$lib; fi
      out=$LOGS/pipe.n$n.a$a.$lib.$rep.out
      log "rep $rep/$REPS pipe n=$n a=$a $lib"
      run "$out" "$exe" -n "$n" -a "$a" -w "$PIPE_WRITES" -r "$PIPE_ROUNDS"
      record "pipe_n${n}_a$a" "$lib" "$(field "$out" pipe cb_ns)"
    done
  done
  for lib in "${LIBS[@]}"; do
    broken timer_bench "$lib" && continue
    out=$LOGS/timer.$lib.$rep.out
    log "rep $rep/$REPS timers $lib"
    run "$out" "$BIN/timer_bench_$lib" -k "$TIMER_PENDING" -o "$TIMER_OPS" \
      -f "$TIMER_FIRE" -r "$TIMER_ROUNDS"
    record t_adddel "$lib" "$(field "$out" adddel ns_per_pair)"
    record t_add "$lib" "$(field "$out" fire add_ns)"
    record t_fire "$lib" "$(field "$out" fire fire_ns)"
    record t_cadddel "$lib" "$(field "$out" cadddel ns_per_pair)"
    record t_cadd "$lib" "$(field "$out" cfire add_ns)"
    record t_cfire "$lib" "$(field "$out" cfire fire_ns)"
  done
  for lib in "${LIBS[@]}"; do
    broken thread_bench "$lib" && continue
    out=$LOGS/thread.$lib.$rep.out
    log "rep $rep/$REPS cross-thread event_active $lib"
    run "$out" "$BIN/thread_bench_$lib" -n "$THREAD_TRIPS" -b "$THREAD_BURST" -r 3
    record th_pingpong "$lib" "$(field "$out" thread pingpong_ns)"
    record th_active "$lib" "$(field "$out" thread active_call_ns)"
  done
done

# ------------------------------------------------------------- callgrind ----
# cg OUTPREFIX [valgrind options --] CMD... : prints "instructions callbacks".
cg_total() {
  local prefix=$1; shift
  local vgopts=()
  while [ "$1" != "--" ]; do vgopts+=("$1"); shift; done
  shift
  rm -f "$prefix.cg"
  if ! timeout "$RUN_TIMEOUT" valgrind --tool=callgrind --callgrind-out-file="$prefix.cg" \
      "${vgopts[@]}" "$@" >"$prefix.out" 2>"$prefix.vg"; then
    fail "under callgrind: $* -- see $prefix.out / $prefix.vg"
    return 1
  fi
  local total
  total=$(awk '$1 == "totals:" { print $2; exit } $1 == "summary:" { s = $2 } END { if (s != "") print s }' "$prefix.cg" | head -1)
  [ -n "$total" ] || { fail "no callgrind totals in $prefix.cg"; return 1; }
  echo "$total"
}

# cg_pair NAME LIB DIVISOR PREFIX1 PREFIX2 : records (I2 - I1) / DIVISOR.
cg_record() {
  local name=$1 lib=$2 i1=$3 i2=$4 div=$5
  [ -n "$i1" ] && [ -n "$i2" ] && [ -n "$div" ] || return 0
  awk -v a="$i1" -v b="$i2" -v d="$div" 'BEGIN { if (d > 0) printf "%.1f\n", (b - a) / d }' \
    >>"$LOGS/val.$name.$lib"
}

if [ "$DO_CG" = 1 ]; then
  log "callgrind: instruction counts (difference of two runs, setup cancels)"
  for cfg in "${PIPE_CONFIGS[@]}"; do
    set -- $cfg
    n=$1 a=$2
    w1=$CG_WRITES w2=$(( 2 * CG_WRITES ))
    for lib in "${LIBS[@]}" raw; do
      broken pipe_bench "$lib" && continue
      if [ "$lib" = raw ]; then exe=$BIN/raw_epoll; else exe=$BIN/pipe_bench_$lib; fi
      log "callgrind pipe n=$n a=$a $lib"
      p=$LOGS/cg.pipe.n$n.a$a.$lib
      i1=$(cg_total "$p.1" -- "$exe" -n "$n" -a "$a" -w "$w1" -r 1 -u 0) || continue
      i2=$(cg_total "$p.2" -- "$exe" -n "$n" -a "$a" -w "$w2" -r 1 -u 0) || continue
      c1=$(field "$p.1.out" pipe callbacks) c2=$(field "$p.2.out" pipe callbacks)
      cg_record "cg_pipe_n${n}_a$a" "$lib" "$i1" "$i2" "$(( c2 - c1 ))"
      [ "$lib" = raw ] && continue
      # The same with thread support enabled (-T): what locking costs.
      log "callgrind pipe n=$n a=$a $lib, threads enabled"
      i1=$(cg_total "$p.T1" -- "$exe" -n "$n" -a "$a" -w "$w1" -r 1 -u 0 -T) || continue
      i2=$(cg_total "$p.T2" -- "$exe" -n "$n" -a "$a" -w "$w2" -r 1 -u 0 -T) || continue
      c1=$(field "$p.T1.out" pipe callbacks) c2=$(field "$p.T2.out" pipe callbacks)
      cg_record "cg_pipeT_n${n}_a$a" "$lib" "$i1" "$i2" "$(( c2 - c1 ))"
    done
  done
  for lib in "${LIBS[@]}"; do
    broken timer_bench "$lib" && continue
    exe=$BIN/timer_bench_$lib
    for t in adddel cadddel; do
      log "callgrind timer $t $lib"
      p=$LOGS/cg.$t.$lib
      o1=$CG_TIMER_OPS o2=$(( 2 * CG_TIMER_OPS ))
      i1=$(cg_total "$p.1" -- "$exe" -x "$t" -k "$TIMER_PENDING" -o "$o1" -r 1) || continue
      i2=$(cg_total "$p.2" -- "$exe" -x "$t" -k "$TIMER_PENDING" -o "$o2" -r 1) || continue
      cg_record "cg_$t" "$lib" "$i1" "$i2" "$(( o2 - o1 ))"
    done
    for t in fire cfire; do
      log "callgrind timer $t $lib"
      p=$LOGS/cg.$t.$lib
      # One extra round = F adds + F fires; -s makes every round fire in one pass.
      i1=$(cg_total "$p.1" -- "$exe" -x "$t" -f "$CG_TIMER_FIRE" -r 1 -s) || continue
      i2=$(cg_total "$p.2" -- "$exe" -x "$t" -f "$CG_TIMER_FIRE" -r 2 -s) || continue
      cg_record "cg_${t}_round" "$lib" "$i1" "$i2" "$CG_TIMER_FIRE"
      # The loop phase alone (the add phase is not collected).
      i1=$(cg_total "$p.l1" --toggle-collect=fire_loop_phase -- "$exe" -x "$t" -f "$CG_TIMER_FIRE" -r 1 -s) || continue
      i2=$(cg_total "$p.l2" --toggle-collect=fire_loop_phase -- "$exe" -x "$t" -f "$CG_TIMER_FIRE" -r 2 -s) || continue
      cg_record "cg_${t}_loop" "$lib" "$i1" "$i2" "$CG_TIMER_FIRE"
    done
  done
fi

# ---------------------------------------------------------------- memory ----
if [ "$DO_MEM" = 1 ]; then
  log "memory: RSS growth per pending timer / watched descriptor"
  for lib in "${LIBS[@]}"; do
    broken mem_bench "$lib" && continue
    out=$LOGS/mem.$lib.out
    run "$out" "$BIN/mem_bench_$lib" -k "$MEM_TIMERS" -p "$MEM_PAIRS"
    for t in timer_add timer_new ctimer_add fd_add fd_new; do
      record "mem_$t" "$lib" "$(mem_field "$out" "$t" bytes_per)"
      record "memanon_$t" "$lib" "$(mem_field "$out" "$t" anon_bytes_per)"
    done
    MEM_FDS=$(mem_field "$out" fd_add count)
  done
fi

# ----------------------------------------------------------------- table ----
# row LABEL UNIT NAME PROG : one table line from the recorded medians
# (FAIL where PROG is marked broken for that library).
row() {
  local label=$1 unit=$2 name=$3 prog=$4 v l r
  v=$(median "$name" vigil)
  l=$(median "$name" libevent)
  r=$(median "$name" raw)
  broken "$prog" vigil && v=FAIL
  broken "$prog" libevent && l=FAIL
  broken "$prog" raw && r=FAIL
  awk -v label="$label" -v unit="$unit" -v v="$v" -v l="$l" -v r="$r" 'BEGIN {
    ratio = "-"
    if (v ~ /^[0-9.e+-]+$/ && l ~ /^[0-9.e+-]+$/ && v + 0 > 0.05 && l + 0 > 0.05) ratio = sprintf("%.2fx", l / v)
    printf "%-44s %-12s %11s %11s %9s %10s\n", label, unit, v, l, ratio, (r == "-" ? "" : r)
  }'
}

{
  echo "vigil benchmark results  ($(date -u '+%Y-%m-%d %H:%M UTC'))"
  echo "host: $(nproc) cpu(s), $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1), kernel $(uname -r)"
  echo "commit: $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')" \
       "  build: $BUILD (Release; benchmarks -O2)"
  [ -s "$LOGS/identity" ] && sort -u "$LOGS/identity" | sed 's/^/loaded  /'
  echo "sizes: reps=$REPS (alternating); pipe: w=$PIPE_WRITES/round, $PIPE_ROUNDS rounds/run;" \
       "timers: pending=$TIMER_PENDING ops=$TIMER_OPS fire=$TIMER_FIRE rounds=$TIMER_ROUNDS"
  echo "values: median over repetitions of each run's median; ratio = libevent/vigil (>1: vigil cheaper)"
  echo
  printf "%-44s %-12s %11s %11s %9s %10s\n" "benchmark" "unit" "vigil" "libevent" "ratio" "raw epoll"
  printf '%.0s-' $(seq 1 102); echo
  echo "[time]"
  row "pipe n=100 a=1 (setup+loop per callback)" "ns/callback" pipe_n100_a1 pipe_bench
  row "pipe n=1000 a=100" "ns/callback" pipe_n1000_a100 pipe_bench
  row "timer add+del, $TIMER_PENDING pending" "ns/pair" t_adddel timer_bench
  row "timer add, $TIMER_FIRE random 0-50ms" "cpu ns/timer" t_add timer_bench
  row "timer fire, $TIMER_FIRE random 0-50ms" "cpu ns/timer" t_fire timer_bench
  row "common-timeout add+del, $TIMER_PENDING pending" "ns/pair" t_cadddel timer_bench
  row "common-timeout add, $TIMER_FIRE" "cpu ns/timer" t_cadd timer_bench
  row "common-timeout fire, $TIMER_FIRE" "cpu ns/timer" t_cfire timer_bench
  row "cross-thread event_active round trip" "ns/trip" th_pingpong thread_bench
  row "cross-thread event_active, loop busy" "ns/call" th_active thread_bench
  if [ "$DO_CG" = 1 ]; then
    echo "[user-space instructions, callgrind]"
    row "pipe n=100 a=1" "instr/cb" cg_pipe_n100_a1 pipe_bench
    row "pipe n=1000 a=100" "instr/cb" cg_pipe_n1000_a100 pipe_bench
    row "pipe n=100 a=1, threads enabled" "instr/cb" cg_pipeT_n100_a1 pipe_bench
    row "pipe n=1000 a=100, threads enabled" "instr/cb" cg_pipeT_n1000_a100 pipe_bench
    row "timer add+del, $TIMER_PENDING pending" "instr/pair" cg_adddel timer_bench
    row "timer add+fire, whole round" "instr/timer" cg_fire_round timer_bench
    row "timer fire, loop only" "instr/timer" cg_fire_loop timer_bench
    row "common-timeout add+del" "instr/pair" cg_cadddel timer_bench
    row "common-timeout add+fire, whole round" "instr/timer" cg_cfire_round timer_bench
    row "common-timeout fire, loop only" "instr/timer" cg_cfire_loop timer_bench
  fi
  if [ "$DO_MEM" = 1 ]; then
    echo "[memory: VmRSS growth]"
    row "pending timer ($MEM_TIMERS, event_assign'ed)" "bytes/timer" mem_timer_add mem_bench
    row "pending timer incl. event_new" "bytes/timer" mem_timer_new mem_bench
    row "pending common-timeout timer" "bytes/timer" mem_ctimer_add mem_bench
    row "watched fd (${MEM_FDS:-?} fds, event_assign'ed)" "bytes/fd" mem_fd_add mem_bench
    row "watched fd incl. event_new" "bytes/fd" mem_fd_new mem_bench
    echo "[memory: RssAnon growth (VmRSS without file-backed code pages)]"
    row "pending timer, event_assign'ed" "bytes/timer" memanon_timer_add mem_bench
    row "pending timer incl. event_new" "bytes/timer" memanon_timer_new mem_bench
    row "pending common-timeout timer" "bytes/timer" memanon_ctimer_add mem_bench
    row "watched fd, event_assign'ed" "bytes/fd" memanon_fd_add mem_bench
    row "watched fd incl. event_new" "bytes/fd" memanon_fd_new mem_bench
  fi
  echo
  echo "noise (min..max over repetitions, ns):"
  for name in pipe_n100_a1 pipe_n1000_a100 t_adddel t_add t_fire t_cadddel t_cadd t_cfire; do
    line=""
    for lib in vigil libevent raw; do
      s=$(spread "$name" "$lib")
      [ -n "$s" ] && line="$line  $lib $s"
    done
    [ -n "$line" ] && printf "  %-18s%s\n" "$name" "$line"
  done
  if [ -s "$LOGS/failures" ]; then
    echo "FAILED runs (FAIL / - in the table):"
    sed 's/^/  /' "$LOGS/failures"
  fi
  echo "total time: $(( $(date +%s) - T_START )) s; raw outputs: $LOGS"
} | tee "$RESULTS"

# A failed benchmark leaves "-" in the table; make that visible in the exit code.
[ -s "$LOGS/failures" ] && exit 1
exit 0
