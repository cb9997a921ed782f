#!/bin/sh
# The bufferevent tests built against the system libevent 2.1.12 and run: the oracle
# (see tests/support/oracle.sh). As the CMake globs do, every *_thread_test.cpp goes
# into bufferevent_thread_tests and every other *_test.cpp into bufferevent_tests.
# Usage: run_against_system_libevent.sh [outdir] [extra CXXFLAGS...]
. "$(dirname "$0")/../support/oracle.sh"
oracle_begin bufferevent "$@"
cd "$oracle_here"
libs="-levent -levent_core -levent_pthreads"
# shellcheck disable=SC2046
oracle_binary bufferevent_tests gtest_main "$libs" $(ls ./*_test.cpp | grep -v '_thread_test\.cpp$')
# shellcheck disable=SC2046
oracle_binary bufferevent_thread_tests gtest_main "$libs" $(ls ./*_thread_test.cpp)
oracle_run
