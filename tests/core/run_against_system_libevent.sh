#!/bin/sh
# Builds the core behaviour tests against the SYSTEM libevent (Debian's
# libevent-dev) instead of vigil, and runs them. This is the oracle: every test
# here must pass on libevent 2.1.12, so a failure on vigil is a vigil bug.
# Not part of the CMake build. Usage: run_against_system_libevent.sh [outdir] [extra CXXFLAGS...]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-/tmp/vigil-core-oracle}
[ $# -gt 0 ] && shift
mkdir -p "$out"
cxx=${CXX:-g++}
flags="-std=c++20 -g -O1 -Wall -Wextra -DVIGIL_TEST_AGAINST_SYSTEM_LIBEVENT=1 -I/usr/include $*"
build() { # name lib sources...
  name=$1; lib=$2; shift 2
  main=-lgtest_main
  case "$name" in core_mem_functions_tests|core_debug_mode_tests) main= ;; esac
  # shellcheck disable=SC2086
  $cxx $flags -o "$out/$name" "$@" -l$lib -lgtest $main -pthread &
}
build core_backend_tests event_core "$here"/backend_*_test.cpp
build core_global_tests event_core "$here/global_test.cpp"
wait
build core_mem_functions_tests event_core "$here/mem_functions_test.cpp"
build core_debug_mode_tests event_core "$here/debug_mode_test.cpp"
build core_libevent_so_tests event "$here/libevent_so_test.cpp"
wait
rc=0
for t in core_backend_tests core_global_tests core_mem_functions_tests core_debug_mode_tests core_libevent_so_tests; do
  echo "=== $t"
  "$out/$t" --gtest_brief=1 || rc=1
done
exit $rc
