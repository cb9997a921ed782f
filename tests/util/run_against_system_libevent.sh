#!/bin/sh
# The evutil tests built against the system libevent 2.1.12 and run: the oracle (see
# tests/support/oracle.sh). Usage: run_against_system_libevent.sh [outdir] [extra CXXFLAGS...]
. "$(dirname "$0")/../support/oracle.sh"
oracle_begin util "$@"
oracle_binary util_tests gtest_main "-levent_core" parse_sockaddr_port_test.cpp inet_test.cpp \
  getaddrinfo_test.cpp strings_test.cpp rng_monotonic_test.cpp socket_test.cpp
oracle_binary util_mem_functions_tests own_main "-levent_core" mem_functions_test.cpp
oracle_run
