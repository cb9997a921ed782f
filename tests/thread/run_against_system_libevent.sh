#!/bin/sh
# The thread tests built against the system libevent 2.1.12 and run: the oracle (see
# tests/support/oracle.sh). lock_debug_test.cpp checks vigil's internals and is not part
# of it. Usage: run_against_system_libevent.sh [outdir] [extra CXXFLAGS...]
. "$(dirname "$0")/../support/oracle.sh"
oracle_begin thread "$@"
oracle_binary thread_tests own_main "-levent_pthreads -levent_core" thread_test.cpp once_test.cpp
oracle_binary nolock_tests gtest_main "-levent_core" nolock_test.cpp
oracle_run
