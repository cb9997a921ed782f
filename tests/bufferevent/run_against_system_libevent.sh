#!/bin/sh
# Builds the bufferevent tests against the SYSTEM libevent (Debian's libevent-dev)
# instead of vigil, and runs them. This is the oracle: every test here must pass on
# libevent 2.1.12, so a failure on vigil is a vigil bug. vigil-only expectations are
# compiled out (VIGIL_TEST_AGAINST_SYSTEM_LIBEVENT).
# Every *_test.cpp goes into bufferevent_tests, every *_thread_test.cpp into
# bufferevent_thread_tests, exactly as the CMake globs do.
# Not part of the CMake build. Usage: run_against_system_libevent.sh [outdir] [extra CXXFLAGS...]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-/tmp/vigil-bufferevent-oracle}
[ $# -gt 0 ] && shift
mkdir -p "$out"
cxx=${CXX:-g++}
flags="-std=c++20 -g -O1 -Wall -Wextra -DVIGIL_TEST_AGAINST_SYSTEM_LIBEVENT=1 -I/usr/include $*"
libs="-levent -levent_core -levent_pthreads -lgtest -lgtest_main -pthread"
main_srcs= thread_srcs=
for f in "$here"/*_test.cpp; do
  case "$f" in
    *_thread_test.cpp) thread_srcs="$thread_srcs $f" ;;
    *) main_srcs="$main_srcs $f" ;;
  esac
done
bins=
# Each source compiles to its own object in parallel; then the two executables link.
pids=
for f in $main_srcs $thread_srcs; do
  o="$out/$(basename "$f" .cpp).o"
  # shellcheck disable=SC2086
  $cxx $flags -c -o "$o" "$f" &
  pids="$pids $!"
done
rc=0
for p in $pids; do wait "$p" || rc=1; done
[ $rc -eq 0 ] || { echo "compile failed"; exit 1; }
objs() { for f in "$@"; do printf '%s ' "$out/$(basename "$f" .cpp).o"; done; }
if [ -n "$main_srcs" ]; then
  # shellcheck disable=SC2046,SC2086
  $cxx -o "$out/bufferevent_tests" $(objs $main_srcs) $libs
  bins="$bins bufferevent_tests"
fi
if [ -n "$thread_srcs" ]; then
  # shellcheck disable=SC2046,SC2086
  $cxx -o "$out/bufferevent_thread_tests" $(objs $thread_srcs) $libs
  bins="$bins bufferevent_thread_tests"
fi
passed=0 failed=0
for t in $bins; do
  # One process per test, as ctest runs them (lock callbacks, current base, fd checks).
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
