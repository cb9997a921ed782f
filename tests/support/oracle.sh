# Shared by every tests/<component>/run_against_system_libevent.sh (sourced, POSIX sh).
#
# Those scripts build a component's behaviour tests against the SYSTEM libevent
# (Debian's libevent-dev, headers from /usr/include) instead of vigil, and run them.
# This is the oracle: every test built here must pass on libevent 2.1.12, so a failure
# on vigil is a vigil bug. vigil-only expectations are compiled out
# (VIGIL_TEST_AGAINST_SYSTEM_LIBEVENT). Not part of the CMake build.
#
# A script names its test binaries and leaves the rest to these functions:
#   oracle_begin NAME "$@"            outdir (default /tmp/vigil-NAME-oracle) and extra
#                                     CXXFLAGS from the script's own arguments
#   oracle_binary BIN MAIN LIBS SRC...  compile SRC (relative to the script's folder)
#                                     into BIN; MAIN is "gtest_main" or "own_main";
#                                     LIBS are the -l flags of the system libraries
#   oracle_run                        link, then run every test in its own process, as
#                                     ctest does (global limits, lock callbacks, fd
#                                     checks); prints "N passed, M failed" and exits
#                                     non-zero if any failed or did not build

oracle_begin() {
  set -eu
  oracle_here=$(cd "$(dirname "$0")" && pwd)
  oracle_out=/tmp/vigil-$1-oracle
  shift
  if [ $# -gt 0 ]; then
    oracle_out=$1
    shift
  fi
  mkdir -p "$oracle_out"
  oracle_cxx=${CXX:-g++}
  oracle_flags="-std=c++20 -g -O1 -Wall -Wextra -DVIGIL_TEST_AGAINST_SYSTEM_LIBEVENT=1 -I/usr/include $*"
  oracle_bins=
  oracle_pids=
  oracle_links=$oracle_out/links
  : >"$oracle_links"
}

# Each source compiles to its own object in the background; oracle_run links.
oracle_binary() {
  bin=$1 main=$2 libs=$3
  shift 3
  objs=
  for src in "$@"; do
    o=$oracle_out/$bin.$(basename "$src" .cpp).o
    # shellcheck disable=SC2086
    $oracle_cxx $oracle_flags -c -o "$o" "$oracle_here/$src" &
    oracle_pids="$oracle_pids $!"
    objs="$objs $o"
  done
  extra=-lgtest
  [ "$main" = gtest_main ] && extra="-lgtest -lgtest_main"
  echo "$bin $libs $extra -pthread :$objs" >>"$oracle_links"
  oracle_bins="$oracle_bins $bin"
}

oracle_run() {
  rc=0
  for p in $oracle_pids; do wait "$p" || rc=1; done
  [ $rc -eq 0 ] || { echo "oracle: compile failed"; exit 1; }
  while read -r line; do
    bin=${line%% *}
    libs=${line#* }
    libs=${libs%%:*}
    objs=${line#*:}
    # shellcheck disable=SC2086
    $oracle_cxx -o "$oracle_out/$bin" $objs $libs || { echo "oracle: link of $bin failed"; exit 1; }
  done <"$oracle_links"
  passed=0 failed=0
  for t in $oracle_bins; do
    for name in $("$oracle_out/$t" --gtest_list_tests | awk '/^[^ ]/ {suite=$1} /^  / {print suite $1}'); do
      if "$oracle_out/$t" --gtest_brief=1 --gtest_filter="$name" >"$oracle_out/last.log" 2>&1; then
        if grep -q 'SKIPPED' "$oracle_out/last.log"; then echo "skipped: $t $name"; fi
        passed=$((passed + 1))
      else
        cat "$oracle_out/last.log"
        echo "FAILED: $t $name"
        failed=$((failed + 1))
        rc=1
      fi
    done
  done
  echo "$passed passed, $failed failed"
  exit $rc
}
