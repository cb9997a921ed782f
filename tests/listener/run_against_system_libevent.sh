#!/bin/sh
# The listener tests built against the system libevent 2.1.12 and run: the oracle (see
# tests/support/oracle.sh). Where vigil differs on purpose the tests pin libevent's
# behaviour here. Usage: run_against_system_libevent.sh [outdir] [extra CXXFLAGS...]
. "$(dirname "$0")/../support/oracle.sh"
oracle_begin listener "$@"
oracle_binary listener_tests gtest_main "-levent -levent_core" listener_test.cpp emfile_test.cpp
oracle_binary listener_thread_tests gtest_main "-levent_pthreads -levent -levent_core" threads_test.cpp
oracle_binary listener_mem_debug_tests own_main "-levent -levent_core" mem_debug_test.cpp
oracle_run
