#!/usr/bin/env bash
# scripts/bench.sh -- vigil vs the system libevent 2.1, side by side.
#
# Run from anywhere inside a clone (as root on a fresh Debian 12 it installs
# what it needs):   bash scripts/bench.sh
#
# Steps: install missing tools -> Release build in build-bench/ -> timed
# benchmarks run alternately vigil / libevent (and a raw column: hand-written
# epoll loops for the pipe and echo tests, raw_epoll and raw_echo; plain
# malloc+memcpy for the evbuffer cases bound by copying, buffer_bench -F) for
# several repetitions -> callgrind instruction counts -> syscalls
# per bufferevent echo message (strace -c) -> RSS per timer / per descriptor /
# per idle bufferevent -> one table.  The table is also written to
# build-bench/bench-results.txt, every raw output to build-bench/bench-logs/.
#
# Ratios are libevent/vigil of a cost (time, instructions, syscalls, bytes)
# and vigil/libevent of a throughput (MB/s): above 1 always means vigil is
# better.
#
# Knobs (environment):
#   BENCH_QUICK=1          small sizes, one repetition: a smoke run (~2 min)
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
#   BENCH_BUF_SCALE=X      buffer_bench and tag_bench operation-count scale (1.0)
#   BENCH_CG_BUF_SCALE=X   callgrind buffer_bench and tag_bench: runs at X and 2X (0.1)
#   BENCH_BEV_MSGS=N       bufferevent echo: 64 B messages per round (10000)
#   BENCH_BEV_BIGMSGS=N    bufferevent echo: 64 KiB messages per round (1000)
#   BENCH_BEV_ROUNDS=N     bufferevent echo rounds per run, median taken (3)
#   BENCH_BEV_REPS=N       alternating repetitions of the echo runs (40): this VM's
#                          speed drifts for seconds at a time, so the echo rows also
#                          report the median of each repetition's vigil/libevent ratio,
#                          with that median's 95% confidence interval
#   BENCH_ST_MSGS=N        strace: 64 B messages, runs with N and 2N (1000)
#   BENCH_CG_BEV_MSGS=N    callgrind bufferevent echo: runs with N and 2N (2000)
#   BENCH_BEV_MEM_PAIRS=N  socketpairs for the idle-bufferevent RSS test, one
#                          bufferevent per descriptor (5000 = 10000 bufferevents)
#   BENCH_STRACE=0         skip the syscall counts
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
  d_bs=0.2 d_cgbs=0.05 d_bm=2000 d_bbm=200 d_br=1 d_stm=300 d_cgbm=500 d_bmp=2000 d_bevreps=1
else
  d_reps=7 d_pw=100000 d_pr=10 d_tp=10000 d_to=1000000 d_tf=200000 d_tr=3
  d_cgw=20000 d_cgo=100000 d_cgf=20000 d_mt=200000 d_mp=8000
  d_bs=1.0 d_cgbs=0.1 d_bm=10000 d_bbm=1000 d_br=3 d_stm=1000 d_cgbm=2000 d_bmp=5000 d_bevreps=40
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
BUF_SCALE=${BENCH_BUF_SCALE:-$d_bs}
CG_BUF_SCALE=${BENCH_CG_BUF_SCALE:-$d_cgbs}
BEV_MSGS=${BENCH_BEV_MSGS:-$d_bm}
BEV_BIGMSGS=${BENCH_BEV_BIGMSGS:-$d_bbm}
BEV_ROUNDS=${BENCH_BEV_ROUNDS:-$d_br}
BEV_REPS=${BENCH_BEV_REPS:-$d_bevreps}
ST_MSGS=${BENCH_ST_MSGS:-$d_stm}
CG_BEV_MSGS=${BENCH_CG_BEV_MSGS:-$d_cgbm}
BEV_MEM_PAIRS=${BENCH_BEV_MEM_PAIRS:-$d_bmp}
DO_STRACE=${BENCH_STRACE:-1}
THREAD_TRIPS=${BENCH_THREAD_TRIPS:-$([ "${BENCH_QUICK:-0}" = 1 ] && echo 2000 || echo 20000)}
THREAD_BURST=${BENCH_THREAD_BURST:-$([ "${BENCH_QUICK:-0}" = 1 ] && echo 20000 || echo 200000)}
DO_CG=${BENCH_CALLGRIND:-1}
DO_MEM=${BENCH_MEM:-1}
RUN_TIMEOUT=${BENCH_TIMEOUT:-300}
# The two pipe configurations: "pipes active".
PIPE_CONFIGS=("100 1" "1000 100")
# buffer_bench cases (each a time row and a callgrind row).
BUF_CASES=(small large move addbuf search readln_crlf readln_lf prepend reserve)
# tag_bench cases (each a time row and a callgrind row).
TAG_CASES=(marshal unmarshal skim)
# bufferevent echo configurations: "transport connections message-size".
BEV_CONFIGS=("unix 1 64" "unix 1 65536" "unix 100 64" "unix 100 65536"
             "tcp 1 64" "tcp 1 65536" "tcp 100 64" "tcp 100 65536")
# ... all of which have their system calls per message counted under strace, and
# these their instructions per message under callgrind.
ST_CONFIGS=("${BEV_CONFIGS[@]}")
CG_BEV_CONFIGS=("unix 1 64" "unix 1 65536" "tcp 1 64" "tcp 100 64")
# The echo throughput target (vigil/libevent MB/s) shown beside those rows.
BEV_TARGET=1.5
# The 64 B echo again with WINDOW messages in flight per connection ("transport
# connections window"): a stream of small messages instead of a ping-pong, where the
# kernel's per-round-trip cost no longer hides the library's own. For information: no
# target, and no raw column (raw_echo keeps one message in flight).
WIN_CONFIGS=("unix 1 16" "unix 100 16" "tcp 1 16" "tcp 100 16")

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
  if [ "$DO_STRACE" = 1 ]; then command -v strace >/dev/null 2>&1 || need+=(strace); fi
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
command -v strace >/dev/null 2>&1 || { [ "$DO_STRACE" = 1 ] && log "strace missing: skipping syscall counts"; DO_STRACE=0; }

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

# A benchmark binary the build did not make (bufferevent_bench_vigil until
# vigil has bufferevents, see bench/CMakeLists.txt) is "missing": skipped,
# n/a in the table, not a failure.
missing() { [ -e "$LOGS/missing.$1.$2" ]; }
for lib in "${LIBS[@]}"; do
  for prog in pipe_bench timer_bench mem_bench thread_bench buffer_bench bufferevent_bench tag_bench; do
    if [ ! -x "$BIN/${prog}_$lib" ]; then
      touch "$LOGS/missing.$prog.$lib"
      log "no ${prog}_$lib in the build: its figures are n/a"
    fi
  done
done

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
broken() { [ -e "$LOGS/broken.$1.$2" ] || missing "$1" "$2"; }
# exe PROG LIB : the binary that runs PROG's workload for LIB (raw: no library).
exe() {
  if [ "$2" != raw ]; then echo "$BIN/$1_$2"
  elif [ "$1" = pipe_bench ]; then echo "$BIN/raw_epoll"
  else echo "$BIN/raw_echo"; fi
}
SMOKE_N=0
smoke() {
  local prog=$1 lib=$2; shift 2
  broken "$prog" "$lib" && return 0
  SMOKE_N=$(( SMOKE_N + 1 ))
  local exe out=$LOGS/smoke.$prog.$lib.$SMOKE_N.out
  exe=$(exe "$prog" "$lib")
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
  smoke buffer_bench "$lib" -s 0.01 -r 1 -u 0
  smoke tag_bench "$lib" -s 0.01 -r 1
  # odd sizes, a window of 2, > 32 descriptors, every byte checked (-V)
  smoke bufferevent_bench "$lib" -t unix -c 3 -s 100 -w 2 -m 300 -r 2 -V
  smoke bufferevent_bench "$lib" -t tcp -c 40 -s 65536 -w 2 -m 80 -r 2 -V
  if [ "$DO_MEM" = 1 ]; then smoke bufferevent_bench "$lib" -x mem -p 100; fi
done
smoke pipe_bench raw -n 1000 -a 100 -w 3000 -r 2
smoke bufferevent_bench raw -t unix -c 3 -s 100 -m 300 -r 2
smoke bufferevent_bench raw -t tcp -c 40 -s 65536 -m 80 -r 2

# ------------------------------------------------------- timed benchmarks ----
log "timed benchmarks: $REPS alternating repetitions (libs: ${LIBS[*]} + raw)"
for rep in $(seq 1 "$REPS"); do
  for cfg in "${PIPE_CONFIGS[@]}"; do
    set -- $cfg
    n=$1 a=$2
    for lib in "${LIBS[@]}" raw; do
      broken pipe_bench "$lib" && continue
      exe=$(exe pipe_bench "$lib")
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
  for lib in "${LIBS[@]}"; do
    broken buffer_bench "$lib" && continue
    out=$LOGS/buffer.$lib.$rep.out
    log "rep $rep/$REPS evbuffer $lib"
    run "$out" "$BIN/buffer_bench_$lib" -s "$BUF_SCALE" -r 3
    for c in "${BUF_CASES[@]}"; do
      unit=ns_op
      [ "$c" = search ] && unit=us_op
      record "buf_$c" "$lib" "$(field "$out" "buffer_$c" "$unit")"
    done
  done
  for lib in "${LIBS[@]}"; do
    broken tag_bench "$lib" && continue
    out=$LOGS/tag.$lib.$rep.out
    log "rep $rep/$REPS event tagging $lib"
    run "$out" "$BIN/tag_bench_$lib" -s "$BUF_SCALE" -r 3
    for c in "${TAG_CASES[@]}"; do
      record "tag_$c" "$lib" "$(field "$out" "tag_$c" ns_op)"
    done
  done
  if ! broken buffer_bench vigil; then
    out=$LOGS/buffer.floor.$rep.out
    log "rep $rep/$REPS evbuffer naive copy (malloc+memcpy+free, no library)"
    run "$out" "$BIN/buffer_bench_vigil" -F -s "$BUF_SCALE" -r 3
    for c in large reserve; do
      record "buf_$c" raw "$(field "$out" "buffer_$c" ns_op)"
    done
  fi
done
# record_pair NAME OUTPREFIX REP : records this repetition's vigil/libevent echo MB/s,
# from the two runs OUTPREFIX.{vigil,libevent}.REP.out made a second apart.
record_pair() {
  local v l
  v=$(field "$2.vigil.$3.out" bev_echo mb_s)
  l=$(field "$2.libevent.$3.out" bev_echo mb_s)
  [ -n "$v" ] && [ -n "$l" ] &&
    record "$1" vigil "$(awk -v v="$v" -v l="$l" 'BEGIN { if (l > 0) printf "%.4f\n", v / l }')"
  return 0
}
log "bufferevent echo: $BEV_REPS alternating repetitions"
for rep in $(seq 1 "$BEV_REPS"); do
  for cfg in "${BEV_CONFIGS[@]}"; do
    set -- $cfg
    t=$1 c=$2 sz=$3
    m=$BEV_MSGS
    [ "$sz" -gt 4096 ] && m=$BEV_BIGMSGS
    for lib in "${LIBS[@]}" raw; do
      broken bufferevent_bench "$lib" && continue
      out=$LOGS/bev.$t.c$c.s$sz.$lib.$rep.out
      log "rep $rep/$BEV_REPS bufferevent echo $t c=$c size=$sz $lib"
      run "$out" "$(exe bufferevent_bench "$lib")" -t "$t" -c "$c" -s "$sz" -m "$m" -r "$BEV_ROUNDS"
      record "bev_${t}_c${c}_s$sz" "$lib" "$(field "$out" bev_echo mb_s)"
      record "bevcpu_${t}_c${c}_s$sz" "$lib" "$(field "$out" bev_echo cpu_mb_s)"
    done
    record_pair "bevpair_${t}_c${c}_s$sz" "$LOGS/bev.$t.c$c.s$sz" "$rep"
  done
  for cfg in "${WIN_CONFIGS[@]}"; do
    set -- $cfg
    t=$1 c=$2 w=$3
    for lib in "${LIBS[@]}"; do
      broken bufferevent_bench "$lib" && continue
      out=$LOGS/bevw.$t.c$c.w$w.$lib.$rep.out
      log "rep $rep/$BEV_REPS bufferevent echo $t c=$c size=64 window=$w $lib"
      run "$out" "$(exe bufferevent_bench "$lib")" -t "$t" -c "$c" -s 64 -w "$w" -m "$((BEV_MSGS * w))" -r "$BEV_ROUNDS"
      record "bevw_${t}_c${c}_w$w" "$lib" "$(field "$out" bev_echo mb_s)"
    done
    record_pair "bevwpair_${t}_c${c}_w$w" "$LOGS/bevw.$t.c$c.w$w" "$rep"
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

# cg_fn ANNOTATION FUNC : inclusive instructions of FUNC and of FUNC_* (and
# their compiler clones FUNC.xxx) in callgrind_annotate --inclusive=yes output.
cg_fn() {
  awk -v f="$2" 'match($0, /^ *[0-9,]+ +\( *[0-9.]+%\) +/) {
      n = substr($0, RSTART + RLENGTH); sub(/ .*$/, "", n)
      sub(/^.*:/, "", n); sub(/\..*$/, "", n)
      if (n == f || index(n, f "_") == 1) { v = $1; gsub(/,/, "", v); s += v; hit = 1 }
    } END { if (hit) printf "%.0f\n", s }' "$1" 2>/dev/null
}

# cg_timed PREFIX EXE ARGS... : callgrind of EXE's timed_* functions only, run with
# -s $s1 and with -s $s2 (PREFIX.1, PREFIX.2), each annotated inclusively into
# PREFIX.k.annotate for cg_fn. Returns non-zero (having said why) if a step fails.
cg_timed() {
  local p=$1 exe=$2 k s
  shift 2
  for k in 1 2; do
    s=$s1
    [ "$k" = 2 ] && s=$s2
    cg_total "$p.$k" --toggle-collect='timed_*' -- "$exe" -s "$s" "$@" >/dev/null || return 1
    callgrind_annotate --inclusive=yes --threshold=100 "$p.$k.cg" >"$p.$k.annotate" 2>&1 ||
      { fail "callgrind_annotate $p.$k.cg -- see $p.$k.annotate"; return 1; }
  done
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
      exe=$(exe pipe_bench "$lib")
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
  # evbuffer: only the timed sections (functions timed_<case>*), all cases
  # in one run at scale S and one at 2S; callgrind_annotate splits the
  # counts by case (inclusive cost of that case's timed_ functions).
  s1=$CG_BUF_SCALE
  s2=$(awk -v s="$s1" 'BEGIN { print 2 * s }')
  for lib in "${LIBS[@]}"; do
    broken buffer_bench "$lib" && continue
    exe=$BIN/buffer_bench_$lib
    log "callgrind evbuffer (all cases) $lib"
    p=$LOGS/cg.buf.$lib
    cg_timed "$p" "$exe" -r 1 -u 0 || continue
    for c in "${BUF_CASES[@]}"; do
      i1=$(cg_fn "$p.1.annotate" "timed_$c") i2=$(cg_fn "$p.2.annotate" "timed_$c")
      o1=$(field "$p.1.out" "buffer_$c" ops) o2=$(field "$p.2.out" "buffer_$c" ops)
      # search: per KiB scanned, not per 1 MiB search
      [ "$c" = search ] && [ -n "$o1" ] && [ -n "$o2" ] && o1=$(( o1 * 1024 )) o2=$(( o2 * 1024 ))
      [ -n "$o1" ] && [ -n "$o2" ] && cg_record "cg_buf_$c" "$lib" "$i1" "$i2" "$(( o2 - o1 ))"
    done
  done
  # event tagging: the timed sections only, at scale S and 2S, split by case.
  for lib in "${LIBS[@]}"; do
    broken tag_bench "$lib" && continue
    exe=$BIN/tag_bench_$lib
    log "callgrind event tagging (all cases) $lib"
    p=$LOGS/cg.tag.$lib
    cg_timed "$p" "$exe" -r 1 -u 0 || continue
    for c in "${TAG_CASES[@]}"; do
      i1=$(cg_fn "$p.1.annotate" "timed_$c") i2=$(cg_fn "$p.2.annotate" "timed_$c")
      o1=$(field "$p.1.out" "tag_$c" ops) o2=$(field "$p.2.out" "tag_$c" ops)
      [ -n "$o1" ] && [ -n "$o2" ] && cg_record "cg_tag_$c" "$lib" "$i1" "$i2" "$(( o2 - o1 ))"
    done
  done
  # bufferevent echo, whole process, per message (both ends' work).
  for cfg in "${CG_BEV_CONFIGS[@]}"; do
    set -- $cfg
    t=$1 c=$2 sz=$3
    m1=$CG_BEV_MSGS
    [ "$sz" -gt 4096 ] && m1=$(( CG_BEV_MSGS / 10 ))
    for lib in "${LIBS[@]}"; do
      broken bufferevent_bench "$lib" && continue
      exe=$BIN/bufferevent_bench_$lib
      log "callgrind bufferevent echo $t c=$c size=$sz $lib"
      p=$LOGS/cg.bev.$t.c$c.s$sz.$lib
      i1=$(cg_total "$p.1" -- "$exe" -t "$t" -c "$c" -s "$sz" -m "$m1" -r 1 -u 0) || continue
      i2=$(cg_total "$p.2" -- "$exe" -t "$t" -c "$c" -s "$sz" -m "$(( 2 * m1 ))" -r 1 -u 0) || continue
      cg_record "cg_bev_${t}_c${c}_s$sz" "$lib" "$i1" "$i2" "$m1"
    done
  done
fi

# --------------------------------------------------------------- syscalls ----
# strace -c of the echo benchmark at N and 2N messages: the difference over N
# is the system calls per message (set-up and teardown cancel).
st_total() { awk '$NF == "total" { print $4; exit }' "$1" 2>/dev/null; }
if [ "$DO_STRACE" = 1 ]; then
  log "strace: system calls per bufferevent echo message"
  for cfg in "${ST_CONFIGS[@]}"; do
    set -- $cfg
    t=$1 c=$2 sz=$3
    m1=$ST_MSGS
    [ "$sz" -gt 4096 ] && m1=$(( ST_MSGS / 5 ))
    [ "$m1" -lt "$c" ] && m1=$c
    m2=$(( 2 * m1 ))
    for lib in "${LIBS[@]}"; do
      broken bufferevent_bench "$lib" && continue
      exe=$BIN/bufferevent_bench_$lib
      log "strace bufferevent echo $t c=$c size=$sz $lib"
      p=$LOGS/st.$t.c$c.s$sz.$lib
      ok=1
      for k in 1 2; do
        mk=$m1
        [ $k = 2 ] && mk=$m2
        if ! timeout "$RUN_TIMEOUT" strace -f -c -o "$p.$k.st" \
            "$exe" -t "$t" -c "$c" -s "$sz" -m "$mk" -r 1 -u 0 >"$p.$k.out" 2>&1; then
          fail "under strace: $exe -t $t -c $c -s $sz -m $mk -- see $p.$k.out"
          ok=0
          break
        fi
      done
      [ $ok = 1 ] || continue
      cg_record "st_${t}_c${c}_s$sz" "$lib" "$(st_total "$p.1.st")" "$(st_total "$p.2.st")" "$(( m2 - m1 ))"
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
  log "memory: RSS growth per idle socket bufferevent"
  for lib in "${LIBS[@]}"; do
    broken bufferevent_bench "$lib" && continue
    out=$LOGS/bevmem.$lib.out
    run "$out" "$BIN/bufferevent_bench_$lib" -x mem -p "$BEV_MEM_PAIRS"
    record mem_bev "$lib" "$(field "$out" bev_mem bytes_per)"
    record memanon_bev "$lib" "$(field "$out" bev_mem anon_bytes_per)"
    BEV_MEM_COUNT=$(field "$out" bev_mem count)
  done
fi

# ----------------------------------------------------------------- table ----
# row LABEL UNIT NAME PROG [KIND [TARGET]] : one table line from the recorded
# medians (FAIL where PROG is marked broken for that library, n/a where its
# binary was not built).  KIND "cost" (default): ratio = libevent/vigil;
# "tput" (a throughput): ratio = vigil/libevent -- above 1 is vigil better
# either way.  TARGET: the ratio an issue asks for, noted as met or MISSED.
row() {
  local label=$1 unit=$2 name=$3 prog=$4 kind=${5:-cost} target=${6:-} v l r lib
  v=$(median "$name" vigil)
  l=$(median "$name" libevent)
  r=$(median "$name" raw)
  if missing "$prog" vigil; then v=n/a; elif broken "$prog" vigil; then v=FAIL; fi
  if missing "$prog" libevent; then l=n/a; elif broken "$prog" libevent; then l=FAIL; fi
  broken "$prog" raw && r=FAIL
  awk -v label="$label" -v unit="$unit" -v v="$v" -v l="$l" -v r="$r" -v kind="$kind" \
      -v target="$target" 'BEGIN {
    ratio = "-"; note = ""
    if (v ~ /^[0-9.e+-]+$/ && l ~ /^[0-9.e+-]+$/ && v + 0 > 0.05 && l + 0 > 0.05) {
      q = (kind == "tput") ? v / l : l / v
      ratio = sprintf("%.2fx", q)
      if (target != "") note = sprintf("  target >=%sx: %s", target, (q + 1e-9 >= target ? "met" : "MISSED"))
    } else if (target != "") note = "  target >=" target "x: ?"
    printf "%-44s %-12s %11s %11s %9s %10s%s\n", label, unit, v, l, ratio, (r == "-" ? "" : r), note
  }'
}
# pair_row LABEL NAME [TARGET] : the median of recorded vigil/libevent ratios, with the
# 95% confidence interval of that median, noted against TARGET if given. The interval
# needs no assumption about the ratios' distribution: for n values in order it runs
# from the k-th to the (n+1-k)-th, k = n/2 - 0.98 sqrt(n) (the binomial bound for the
# median); it is left out below 6 values.
pair_row() {
  local q ci
  q=$(median "$2" vigil)
  ci=$(sort -g "$LOGS/val.$2.vigil" 2>/dev/null | awk '{ v[NR] = $1 } END {
    n = NR; if (n < 6) exit
    k = int(n / 2 - 0.98 * sqrt(n)); if (k < 1) k = 1
    printf "ci95 %.2f..%.2f\n", v[k], v[n + 1 - k] }')
  awk -v label="$1" -v q="$q" -v s="$ci" -v target="${3:-}" 'BEGIN {
    if (q !~ /^[0-9.e+-]+$/) { printf "%-44s %-12s %11s\n", label, "ratio", "-"; exit }
    printf "%-44s %-12s %11s %11s %8.2fx %15s", label, "ratio", "", "", q, s
    if (target != "") printf "  target >=%sx: %s", target, (q + 1e-9 >= target ? "met" : "MISSED")
    printf "\n"
  }'
}
# buf_label CASE : the table label of a buffer_bench case.
buf_label() {
  case "$1" in
    small) echo "evbuffer add+remove, 16 B pieces" ;;
    large) echo "evbuffer add+remove, 64 KiB pieces" ;;
    move) echo "evbuffer_add_buffer of 64 KiB (16 chunks)" ;;
    addbuf) echo "evbuffer add 256 B + add_buffer to output" ;;
    search) echo "evbuffer_search, 1 MiB of CRLF lines" ;;  # us/search, instr/KiB
    readln_crlf) echo "evbuffer_readln CRLF, ~34 B lines" ;;
    readln_lf) echo "evbuffer_readln LF, ~33 B lines" ;;
    prepend) echo "evbuffer_prepend, 16 B" ;;
    reserve) echo "evbuffer reserve+commit, 4 KiB" ;;
  esac
}
buf_unit() {
  case "$1/$2" in
    search/ns) echo "us/search" ;; search/instr) echo "instr/KiB" ;;
    readln_*) echo "$2/line" ;; *) echo "$2/op" ;;
  esac
}
# tag_label CASE : the table label of a tag_bench case (a message is four records).
tag_label() {
  case "$1" in
    marshal) echo "evtag marshal, 4-record message" ;;
    unmarshal) echo "evtag unmarshal, 4-record message" ;;
    skim) echo "evtag peek+peek_length+consume x4" ;;
  esac
}
# bev_label TRANSPORT CONNS SIZE
bev_label() {
  local sz=$3
  [ "$sz" = 65536 ] && sz="64 KiB" || sz="$sz B"
  echo "bufferevent echo $1, $2 conn$([ "$2" = 1 ] || echo s), $sz"
}

{
  echo "vigil benchmark results  ($(date -u '+%Y-%m-%d %H:%M UTC'))"
  echo "host: $(nproc) cpu(s), $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1), kernel $(uname -r)"
  echo "commit: $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')" \
       "  build: $BUILD (Release; benchmarks -O2)"
  [ -s "$LOGS/identity" ] && sort -u "$LOGS/identity" | sed 's/^/loaded  /'
  echo "sizes: reps=$REPS (alternating); pipe: w=$PIPE_WRITES/round, $PIPE_ROUNDS rounds/run;" \
       "timers: pending=$TIMER_PENDING ops=$TIMER_OPS fire=$TIMER_FIRE rounds=$TIMER_ROUNDS"
  echo "evbuffer: scale $BUF_SCALE; bufferevent echo: $BEV_MSGS msgs of 64 B / $BEV_BIGMSGS of 64 KiB" \
       "per round, $BEV_ROUNDS rounds/run, $BEV_REPS repetitions, window 1 (ping-pong; the in-flight rows:" \
       "window times as many messages), MB/s one direction, wall time"
  echo "values: median over repetitions of each run's median; ratio = libevent/vigil of a cost," \
       "vigil/libevent of a throughput (MB/s): >1 = vigil better"
  echo
  echo "raw: hand-written epoll loops with the fewest system calls (pipe and echo rows); the same" \
       "bytes through plain malloc+memcpy+free per piece (evbuffer rows: what freeing every emptied chunk costs)"
  printf "%-44s %-12s %11s %11s %9s %10s\n" "benchmark" "unit" "vigil" "libevent" "ratio" "raw"
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
  for c in "${BUF_CASES[@]}"; do
    row "$(buf_label "$c")" "$(buf_unit "$c" ns)" "buf_$c" buffer_bench
  done
  for c in "${TAG_CASES[@]}"; do
    row "$(tag_label "$c")" "ns/msg" "tag_$c" tag_bench
  done
  echo "[throughput]"
  for cfg in "${BEV_CONFIGS[@]}"; do
    set -- $cfg
    row "$(bev_label "$1" "$2" "$3")" "MB/s" "bev_${1}_c${2}_s$3" bufferevent_bench tput "$BEV_TARGET"
  done
  echo "[throughput: median of the per-repetition ratios vigil/libevent (95% confidence interval), same runs]"
  for cfg in "${BEV_CONFIGS[@]}"; do
    set -- $cfg
    pair_row "$(bev_label "$1" "$2" "$3")" "bevpair_${1}_c${2}_s$3" "$BEV_TARGET"
  done
  echo "[throughput, 64 B with several messages in flight per connection (information, no target)]"
  for cfg in "${WIN_CONFIGS[@]}"; do
    set -- $cfg
    row "echo $1, $2 conn$([ "$2" = 1 ] || echo s), 64 B, $3 in flight" "MB/s" "bevw_${1}_c${2}_w$3" bufferevent_bench tput
  done
  for cfg in "${WIN_CONFIGS[@]}"; do
    set -- $cfg
    pair_row "echo $1, $2 conn$([ "$2" = 1 ] || echo s), 64 B, $3 in flight" "bevwpair_${1}_c${2}_w$3"
  done
  echo "[throughput per CPU second (user+sys of both ends), same runs]"
  for cfg in "${BEV_CONFIGS[@]}"; do
    set -- $cfg
    row "$(bev_label "$1" "$2" "$3")" "MB/cpu-s" "bevcpu_${1}_c${2}_s$3" bufferevent_bench tput
  done
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
    for c in "${BUF_CASES[@]}"; do
      row "$(buf_label "$c")" "$(buf_unit "$c" instr)" "cg_buf_$c" buffer_bench
    done
    for c in "${TAG_CASES[@]}"; do
      row "$(tag_label "$c")" "instr/msg" "cg_tag_$c" tag_bench
    done
    for cfg in "${CG_BEV_CONFIGS[@]}"; do
      set -- $cfg
      row "$(bev_label "$1" "$2" "$3")" "instr/msg" "cg_bev_${1}_c${2}_s$3" bufferevent_bench
    done
  fi
  if [ "$DO_STRACE" = 1 ]; then
    echo "[system calls per echo message, strace -c]"
    for cfg in "${ST_CONFIGS[@]}"; do
      set -- $cfg
      row "$(bev_label "$1" "$2" "$3")" "calls/msg" "st_${1}_c${2}_s$3" bufferevent_bench cost 1
    done
  fi
  if [ "$DO_MEM" = 1 ]; then
    echo "[memory: VmRSS growth]"
    row "pending timer ($MEM_TIMERS, event_assign'ed)" "bytes/timer" mem_timer_add mem_bench
    row "pending timer incl. event_new" "bytes/timer" mem_timer_new mem_bench
    row "pending common-timeout timer" "bytes/timer" mem_ctimer_add mem_bench
    row "watched fd (${MEM_FDS:-?} fds, event_assign'ed)" "bytes/fd" mem_fd_add mem_bench
    row "watched fd incl. event_new" "bytes/fd" mem_fd_new mem_bench
    row "idle socket bufferevent (${BEV_MEM_COUNT:-?}, EV_READ)" "bytes/bev" mem_bev bufferevent_bench cost 1
    echo "[memory: RssAnon growth (VmRSS without file-backed code pages)]"
    row "pending timer, event_assign'ed" "bytes/timer" memanon_timer_add mem_bench
    row "pending timer incl. event_new" "bytes/timer" memanon_timer_new mem_bench
    row "pending common-timeout timer" "bytes/timer" memanon_ctimer_add mem_bench
    row "watched fd, event_assign'ed" "bytes/fd" memanon_fd_add mem_bench
    row "watched fd incl. event_new" "bytes/fd" memanon_fd_new mem_bench
    row "idle socket bufferevent, EV_READ" "bytes/bev" memanon_bev bufferevent_bench cost 1
  fi
  echo
  echo "noise (min..max over repetitions; ns, us for buf_search, MB/s for bev_*):"
  bev_names=()
  for cfg in "${BEV_CONFIGS[@]}"; do set -- $cfg; bev_names+=("bev_${1}_c${2}_s$3"); done
  for cfg in "${WIN_CONFIGS[@]}"; do set -- $cfg; bev_names+=("bevw_${1}_c${2}_w$3"); done
  for name in pipe_n100_a1 pipe_n1000_a100 t_adddel t_add t_fire t_cadddel t_cadd t_cfire \
      "${BUF_CASES[@]/#/buf_}" "${bev_names[@]}"; do
    line=""
    for lib in vigil libevent raw; do
      s=$(spread "$name" "$lib")
      [ -n "$s" ] && line="$line  $lib $s"
    done
    [ -n "$line" ] && printf "  %-22s%s\n" "$name" "$line"
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
