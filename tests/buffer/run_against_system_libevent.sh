#!/bin/sh
# The evbuffer tests built against the system libevent 2.1.12 and run: the oracle (see
# tests/support/oracle.sh). Usage: run_against_system_libevent.sh [outdir] [extra CXXFLAGS...]
. "$(dirname "$0")/../support/oracle.sh"
oracle_begin buffer "$@"
oracle_binary buffer_tests gtest_main "-levent_core" buffer_test.cpp
oracle_binary buffer_lock_tests gtest_main "-levent_core -levent_pthreads" lock_test.cpp
oracle_binary buffer_mem_functions_tests own_main "-levent_core" mem_functions_test.cpp
oracle_run
