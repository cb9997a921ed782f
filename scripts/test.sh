#!/usr/bin/env bash
# Runs every vigil test, from a fresh clone on a fresh Debian 12 machine.
#
#   bash scripts/test.sh
#
# Stages (each one runs even when an earlier one failed, and each reports on its own):
#   packages  apt-get installs what is missing (checked with dpkg-query, so reruns are fast)
#   normal    build/      RelWithDebInfo, ctest (unit, header and integration tests)
#   asan      build-asan/ RelWithDebInfo + ASan/UBSan (VIGIL_SANITIZE=ON, no bench), ctest
#   tsan      build-tsan/ ThreadSanitizer (VIGIL_SANITIZE_THREAD=ON), the thread tests (ctest -L thread)
#   fuzz      build-fuzz/ libFuzzer targets (scripts/fuzz.sh, clang + ASan/UBSan), each run
#             for VIGIL_FUZZ_SECONDS seconds (default 60)
#   oracle    build-oracle/ each tests/<component>/run_against_system_libevent.sh: the
#             shared tests built against the system libevent 2.1.12, which must pass too
#   abi       ../shared/abi/abi-check layout and api on include/, symbols on build/lib
# Logs go to build-logs/. The last line printed is "N passed, M failed", where N and M
# count ctest tests of the builds, each fuzz target, the oracle tests, the three ABI
# checks, and any stage
# that broke before its tests could run (a failed configure or build counts as one
# failure).
# Exit status: 0 only if M is 0.
#
# Environment: VIGIL_JOBS (parallel jobs, default 2), VIGIL_SKIP_ASAN=1 (leave out the
# sanitizer build, for a quicker local run; CI always runs it), VIGIL_SKIP_TSAN=1,
# VIGIL_SKIP_FUZZ=1 and VIGIL_SKIP_ORACLE=1 (the same for those stages),
# VIGIL_FUZZ_SECONDS (time per fuzz target).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
shared="$(dirname "$repo")/shared"
jobs="${VIGIL_JOBS:-2}"
logs="$repo/build-logs"
mkdir -p "$logs"

passed=0
failed=0
ctest_extra=()   # extra ctest arguments for the next build_and_test (e.g. a label)
skipped=0
failures=()
script_start=$SECONDS

made_policy=""   # a policy-rc.d this script created, removed even if it is interrupted
trap 'if [[ -n "$made_policy" ]]; then rm -f "$made_policy" 2>/dev/null || sudo rm -f "$made_policy"; fi' EXIT

banner() { printf '\n==== %s ====\n' "$*"; }
note() { printf 'test.sh: %s\n' "$*"; }
record_fail() { failures+=("$1"); failed=$((failed + 1)); note "FAILED: $1"; }
elapsed() { printf '%ds' $((SECONDS - $1)); }

# ---------------------------------------------------------------------------------------
# packages
# ---------------------------------------------------------------------------------------
packages=(cmake make g++ gcc binutils clang libclang-rt-14-dev googletest libgtest-dev libgmock-dev
          memcached tmux libevent-dev valgrind python3 pkg-config util-linux)

install_packages() {
  local missing=() p
  for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  if ((${#missing[@]} == 0)); then
    note "all ${#packages[@]} needed packages are installed"
    return 0
  fi
  note "installing: ${missing[*]}"
  local sudo=()
  if [[ "$(id -u)" -ne 0 ]]; then
    command -v sudo >/dev/null || { note "not root and no sudo: install ${missing[*]} by hand"; return 1; }
    sudo=(sudo)
  fi
  # Keep package scripts from starting services (memcached's daemon on port 11211): the
  # tests start their own servers. Only done when no policy is in place already.
  local policy=/usr/sbin/policy-rc.d
  if [[ ! -e "$policy" ]]; then
    printf '#!/bin/sh\nexit 101\n' | "${sudo[@]}" tee "$policy" >/dev/null &&
      "${sudo[@]}" chmod 755 "$policy" && made_policy="$policy"
  fi
  local rc=0
  {
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
      --no-install-recommends -o Dpkg::Use-Pty=0 "${missing[@]}"
  } >"$logs/apt.log" 2>&1 || rc=$?
  if [[ -n "$made_policy" ]]; then "${sudo[@]}" rm -f "$made_policy"; made_policy=""; fi
  if ((rc != 0)); then
    tail -n 30 "$logs/apt.log"
    note "apt-get failed (exit $rc); full log: $logs/apt.log"
    return 1
  fi
  note "installed ${#missing[@]} package(s)"
}

# ---------------------------------------------------------------------------------------
# one build directory: configure, build, ctest
# ---------------------------------------------------------------------------------------
# Adds the ctest results in a JUnit file to the totals; prints failed and skipped tests.
count_junit() {   # $1 = label, $2 = junit file; prints "passed failed skipped" on stdout
  python3 - "$1" "$2" <<'EOF'
import sys, xml.etree.ElementTree as ET
label, path = sys.argv[1], sys.argv[2]
SHOW = 40   # names listed per kind; the JUnit file has them all
p, failed, skipped = 0, [], []
for case in ET.parse(path).getroot().iter("testcase"):
    name = case.get("name")
    status = case.get("status", "")
    if case.find("failure") is not None or status == "fail":
        failed.append(name)
    elif case.find("skipped") is not None or status in ("notrun", "disabled"):
        skipped.append(name)
    else:
        p += 1
for kind, names in (("FAILED", failed), ("skipped", skipped)):
    for name in names[:SHOW]:
        print("test.sh: %s: %s %s" % (label, kind, name), file=sys.stderr)
    if len(names) > SHOW:
        print("test.sh: %s: ... and %d more %s (see %s)" % (label, len(names) - SHOW, kind, path),
              file=sys.stderr)
print(p, len(failed), len(skipped))
EOF
}

build_and_test() {   # $1 = label, $2 = build dir, rest = extra cmake options
  local label="$1" dir="$2"; shift 2
  local t0=$SECONDS
  banner "$label: configure $dir"
  if ! cmake -S "$repo" -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DVIGIL_BUILD_TESTS=ON "$@" \
       >"$logs/$label-configure.log" 2>&1; then
    tail -n 40 "$logs/$label-configure.log"
    record_fail "$label: cmake configure failed (log: $logs/$label-configure.log)"
    return 0
  fi
  banner "$label: build ($jobs jobs)"
  if ! cmake --build "$dir" -j "$jobs" >"$logs/$label-build.log" 2>&1; then
    # The first errors say more than the last lines of a parallel build.
    grep -n -m 30 -E 'error|Error [0-9]|undefined reference' "$logs/$label-build.log" || true
    echo "..."
    tail -n 20 "$logs/$label-build.log"
    record_fail "$label: build failed (log: $logs/$label-build.log)"
    return 0
  fi
  local warnings
  warnings="$(grep -c 'warning:' "$logs/$label-build.log" || true)"
  note "$label: build ok in $(elapsed "$t0") ($warnings compiler warnings; log: $logs/$label-build.log)"

  banner "$label: ctest"
  local junit="$logs/$label-junit.xml" rc=0
  rm -f "$junit"
  ctest --test-dir "$dir" --output-on-failure -j "$jobs" --timeout 900 --no-tests=error \
    --output-junit "$junit" "${ctest_extra[@]}" || rc=$?
  if [[ ! -s "$junit" ]]; then
    record_fail "$label: ctest did not run (exit $rc)"
    return 0
  fi
  local counts p f s
  counts="$(count_junit "$label" "$junit")" || { record_fail "$label: unreadable $junit"; return 0; }
  read -r p f s <<<"$counts"
  passed=$((passed + p))
  skipped=$((skipped + s))
  if ((p + f + s == 0)); then
    record_fail "$label: ctest found no tests in $dir"
    return 0
  fi
  if ((f > 0)); then
    failed=$((failed + f))
    failures+=("$label: $f ctest test(s) failed")
  elif ((rc != 0)); then
    record_fail "$label: ctest exited $rc with no failed test in its report"
  fi
  note "$label: $p passed, $f failed, $s skipped in $(elapsed "$t0")"
  # scripts/test.sh installs everything the integration tests need, so a skipped one
  # means something is wrong with the machine or with this script.
  if [[ "$label" == normal ]] && grep -q 'name="integration\.[^"]*"[^>]*status="notrun"' "$junit"; then
    record_fail "$label: an integration test was skipped although its packages were installed"
  fi
}

# ---------------------------------------------------------------------------------------
# fuzzing: every target of scripts/fuzz.sh counts as one test
# ---------------------------------------------------------------------------------------
fuzz_stage() {
  local t0=$SECONDS t targets
  banner "fuzz: build"
  if ! bash "$repo/scripts/fuzz.sh" --build >"$logs/fuzz-build.log" 2>&1; then
    grep -n -m 30 -E 'error|undefined reference' "$logs/fuzz-build.log" || true
    tail -n 20 "$logs/fuzz-build.log"
    record_fail "fuzz: build failed (log: $logs/fuzz-build.log)"
    return 0
  fi
  targets="$(bash "$repo/scripts/fuzz.sh" --list)"
  for t in $targets; do
    banner "fuzz: $t (${VIGIL_FUZZ_SECONDS:-60}s)"
    if bash "$repo/scripts/fuzz.sh" --no-build "$t" >"$logs/fuzz-$t.log" 2>&1; then
      passed=$((passed + 1))
      note "fuzz $t: $(grep -o 'ok (.*)' "$logs/fuzz-$t.log" | tail -n 1)"
    else
      tail -n 30 "$logs/fuzz-$t.log"
      record_fail "fuzz $t: failed (log: $logs/fuzz-$t.log; inputs: $repo/build-fuzz/artifacts/$t/)"
    fi
  done
  note "fuzz: done in $(elapsed "$t0")"
}

# ---------------------------------------------------------------------------------------
# ABI checks against the Debian reference in ../shared/abi
# ---------------------------------------------------------------------------------------
abi_check() {   # $1 = label, rest = abi-check arguments
  local label="$1"; shift
  local log="$logs/abi-$label.log" rc=0
  banner "abi: $label"
  python3 "$shared/abi/abi-check" "$@" >"$log" 2>&1 || rc=$?
  # Failures come first, then the "N passed, M failed" line: show the failures in full.
  grep -v '^== ' "$log" | tail -n 60
  if ((rc == 0)); then
    passed=$((passed + 1))
    note "abi $label: ok"
  else
    record_fail "abi $label: $(tail -n 1 "$log") (exit $rc; log: $log)"
  fi
}

# ---------------------------------------------------------------------------------------
banner "packages"
if ! install_packages; then
  record_fail "packages: could not install the needed packages"
fi

build_and_test normal "$repo/build" -DVIGIL_SANITIZE=OFF -DVIGIL_BUILD_BENCH=ON

if [[ "${VIGIL_SKIP_ASAN:-0}" == 1 && "${CI:-}" != true ]]; then
  banner "asan: left out (VIGIL_SKIP_ASAN=1)"
else
  # Leaks, heap errors and undefined behaviour all fail the test that hit them.
  export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:detect_stack_use_after_return=1:check_initialization_order=1:strict_init_order=1}"
  export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
  build_and_test asan "$repo/build-asan" -DVIGIL_SANITIZE=ON -DVIGIL_BUILD_BENCH=OFF
  unset ASAN_OPTIONS UBSAN_OPTIONS
fi

if [[ "${VIGIL_SKIP_TSAN:-0}" == 1 && "${CI:-}" != true ]]; then
  banner "tsan: left out (VIGIL_SKIP_TSAN=1)"
else
  # Any data race or lock-order problem fails the test that hit it.
  export TSAN_OPTIONS="${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1}"
  ctest_extra=(-L thread)
  build_and_test tsan "$repo/build-tsan" -DVIGIL_SANITIZE_THREAD=ON -DVIGIL_BUILD_BENCH=OFF
  ctest_extra=()
  unset TSAN_OPTIONS
fi

if [[ "${VIGIL_SKIP_FUZZ:-0}" == 1 && "${CI:-}" != true ]]; then
  banner "fuzz: left out (VIGIL_SKIP_FUZZ=1)"
else
  fuzz_stage
fi

# The oracle: each component's shared tests on the system libevent. A test that fails
# there pins something libevent does not do, so it is a wrong test, not a vigil bug.
oracle_stage() {
  local script comp log t0=$SECONDS counts
  for script in "$repo"/tests/*/run_against_system_libevent.sh; do
    comp="$(basename "$(dirname "$script")")"
    log="$logs/oracle-$comp.log"
    banner "oracle: $comp"
    sh "$script" "$repo/build-oracle/$comp" >"$log" 2>&1 || true
    counts="$(tail -n 1 "$log")"
    if [[ "$counts" =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed$ ]]; then
      passed=$((passed + BASH_REMATCH[1]))
      if ((BASH_REMATCH[2] > 0)); then
        grep -E '^FAILED: ' "$log" | head -n 20 || true
        failed=$((failed + BASH_REMATCH[2] - 1))
        record_fail "oracle $comp: ${BASH_REMATCH[2]} test(s) fail on the system libevent (log: $log)"
      fi
      note "oracle $comp: $counts"
    else
      tail -n 20 "$log"
      record_fail "oracle $comp: did not build or run (log: $log)"
    fi
  done
  note "oracle: done in $(elapsed "$t0")"
}

if [[ "${VIGIL_SKIP_ORACLE:-0}" == 1 && "${CI:-}" != true ]]; then
  banner "oracle: left out (VIGIL_SKIP_ORACLE=1)"
else
  oracle_stage
fi

if [[ ! -f "$shared/abi/abi-check" ]]; then
  banner "abi"
  record_fail "abi: $shared/abi/abi-check not found (shared/ must be a sibling of the repository: $shared)"
else
  # The headers of the components that are done; each new component adds its own.
  # api checks that top/event.h (the 1.4-style include) makes the event, buffer and
  # bufferevent functions of these headers visible, as libevent's does.
  done_headers="event.h,event_compat.h,event_struct.h,util.h,thread.h,buffer.h,buffer_compat.h,listener.h,bufferevent.h,bufferevent_compat.h,bufferevent_struct.h,tag.h,tag_compat.h"
  abi_check layout "--headers=$done_headers,top/evutil.h,top/event.h" layout "$repo/include"
  abi_check api "--headers=$done_headers,top/evutil.h,top/event.h" api "$repo/include"
  abi_check symbols "--headers=$done_headers" symbols "$repo/build/lib"
fi

banner "summary ($(elapsed "$script_start"))"
if ((${#failures[@]})); then
  printf 'test.sh: failed: %s\n' "${failures[@]}"
fi
((skipped == 0)) || note "$skipped test(s) skipped"
echo "$passed passed, $failed failed"
((failed == 0))
