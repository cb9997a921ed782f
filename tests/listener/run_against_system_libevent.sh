#!/bin/sh
# Builds the listener tests against the SYSTEM libevent (Debian's libevent-dev) instead
# of vigil, and runs them. This is the oracle: every test here must pass on libevent
# 2.1.12, so a failure on vigil is a vigil bug. vigil-only expectations are compiled
# out (VIGIL_TEST_AGAINST_SYSTEM_LIBEVENT), and where vigil differs on purpose the
# test pins libevent's behaviour instead.
# Not part of the CMake build. Usage: run_against_system_libevent.sh [outdir] [extra CXXFLAGS...]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-/tmp/vigil-listener-oracle}
[ $# -gt 0 ] && shift
mkdir -p "$out"
cxx=${CXX:-g++}
flags="-std=c++20 -g -O1 -Wall -Wextra -DVIGIL_TEST_AGAINST_SYSTEM_LIBEVENT=1 -I/usr/include $*"
# shellcheck disable=SC2086
$cxx $flags -o "$out/listener_tests" "$here/listener_test.cpp" "$here/emfile_test.cpp" \
  -levent -levent_core -lgtest -lgtest_main -pthread &
# shellcheck disable=SC2086
$cxx $flags -o "$out/listener_thread_tests" "$here/threads_test.cpp" \
  -levent_pthreads -levent -levent_core -lgtest -lgtest_main -pthread &
# shellcheck disable=SC2086
$cxx $flags -o "$out/listener_mem_debug_tests" "$here/mem_debug_test.cpp" \
  -levent -levent_core -lgtest -pthread &
wait
rc=0 passed=0 failed=0
for t in listener_tests listener_thread_tests listener_mem_debug_tests; do
  # One process per test, as ctest runs them (global limits and lock callbacks).
  for name in $("$out/$t" --gtest_list_tests | awk '/^[^ ]/ {suite=$1} /^  / {print suite $1}'); do
    if "$out/$t" --gtest_brief=1 --gtest_filter="$name" >"$out/last.log" 2>&1; then
      if grep -q '1 test.*skipped\|SKIPPED' "$out/last.log"; then echo "skipped: $t $name"; fi
      passed=$((passed + 1))
    else
      cat "$out/last.log"
      echo "FAILED: $t $name"
      failed=$((failed + 1))
      rc=1
    fi
  done
done
echo "$passed passed, $failed failed"
exit $rc
