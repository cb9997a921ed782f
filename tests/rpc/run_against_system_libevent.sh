#!/bin/sh
# The event tagging tests built against the system libevent 2.1.12 and run: the oracle
# (see tests/support/oracle.sh). Usage: run_against_system_libevent.sh [outdir] [extra CXXFLAGS...]
. "$(dirname "$0")/../support/oracle.sh"
oracle_begin rpc "$@"
oracle_binary rpc_tests gtest_main "-levent_extra -levent_core -ldl" tag_test.cpp
oracle_run
