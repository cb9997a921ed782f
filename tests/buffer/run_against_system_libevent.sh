#!/bin/sh
# Builds the evbuffer tests against the SYSTEM libevent (Debian's libevent-dev) instead
# of vigil, and runs them. This is the oracle: every test here must pass on libevent
# 2.1.12, so a failure on vigil is a vigil bug. vigil-only expectations are compiled
# out (VIGIL_TEST_AGAINST_SYSTEM_LIBEVENT).
# Not part of the CMake build. Usage: run_against_system_libevent.sh [outdir] [extra CXXFLAGS...]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-/tmp/vigil-buffer-oracle}
[ $# -gt 0 ] && shift
mkdir -p "$out"
cxx=${CXX:-g++}
flags="-std=c++20 -g -O1 -Wall -Wextra -DVIGIL_TEST_AGAINST_SYSTEM_LIBEVENT=1 -I/usr/include $*"
# shellcheck disable=SC2086
$cxx $flags -o "$out/buffer_tests" "$here/buffer_test.cpp" -levent_core -lgtest -lgtest_main -pthread &
# shellcheck disable=SC2086
$cxx $flags -o "$out/buffer_lock_tests" "$here/lock_test.cpp" -levent_core -levent_pthreads -lgtest -lgtest_main -pthread &
# shellcheck disable=SC2086
$cxx $flags -o "$out/buffer_mem_functions_tests" "$here/mem_functions_test.cpp" -levent_core -lgtest -pthread &
wait
rc=0
for t in buffer_tests buffer_lock_tests buffer_mem_functions_tests; do
  echo "=== $t"
  "$out/$t" --gtest_brief=1 || rc=1
done
exit $rc
