#!/bin/sh
# The core behaviour tests built against the system libevent 2.1.12 and run: the oracle
# (see tests/support/oracle.sh). Usage: run_against_system_libevent.sh [outdir] [extra CXXFLAGS...]
. "$(dirname "$0")/../support/oracle.sh"
oracle_begin core "$@"
cd "$oracle_here"
# shellcheck disable=SC2046
oracle_binary core_backend_tests gtest_main "-levent_core" $(ls ./backend_*_test.cpp)
oracle_binary core_global_tests gtest_main "-levent_core" global_test.cpp
oracle_binary core_mem_functions_tests own_main "-levent_core" mem_functions_test.cpp
oracle_binary core_debug_mode_tests own_main "-levent_core" debug_mode_test.cpp
oracle_binary core_libevent_so_tests gtest_main "-levent" libevent_so_test.cpp
oracle_run
