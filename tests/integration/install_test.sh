#!/usr/bin/env bash
# Installs vigil into a scratch prefix and builds a consumer against the installed files.
#
#   install_test.sh BUILD_DIR [CMAKE [CC]]
#
# 1. cmake --install BUILD_DIR --prefix <tmp>/prefix;
# 2. the prefix must hold the shared libraries (by SONAME and as development links), the
#    static archives, both pkg-config files, the headers and the CMake package;
# 3. consumer.c is built with `pkg-config --cflags --libs libevent_core` and with a CMake
#    project using find_package(Libevent CONFIG REQUIRED) + libevent::core; both programs
#    must run a 10 ms timer and print a version string containing "vigil".
# Every problem found is listed (the test does not stop at the first one).
# Exit status: 0 pass, 1 fail, 77 skip (pkg-config missing).
set -uo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
log() { printf 'install-test: %s\n' "$*"; }
problems=()
problem() { printf 'install-test: PROBLEM: %s\n' "$*" >&2; problems+=("$*"); }

[[ $# -ge 1 ]] || { echo "usage: $0 BUILD_DIR [CMAKE [CC]]" >&2; exit 1; }
build="$(cd "$1" && pwd)" || exit 1
cmake_bin="${2:-cmake}"
cc_bin="${3:-cc}"
if ! command -v pkg-config >/dev/null; then
  log "SKIP: pkg-config is not installed (apt-get install pkg-config)"
  exit 77
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/vigil-install.XXXXXX")"
trap 'rm -rf "$work"' EXIT
prefix="$work/prefix"

# 1. install
if ! "$cmake_bin" --install "$build" --prefix "$prefix" >"$work/install.log" 2>&1; then
  cat "$work/install.log" >&2
  echo "install-test: FAIL: cmake --install $build --prefix $prefix failed" >&2
  exit 1
fi
log "installed into $prefix ($(grep -c '^-- ' "$work/install.log") files)"

# 2. layout
libdir="$prefix/lib"
for f in lib/libevent_core-2.1.so.7 lib/libevent_core.so lib/libevent-2.1.so.7 lib/libevent.so \
         lib/libevent_extra-2.1.so.7 lib/libevent_extra.so \
         lib/libevent_core.a lib/libevent.a lib/libevent_extra.a \
         lib/pkgconfig/libevent.pc lib/pkgconfig/libevent_core.pc lib/pkgconfig/libevent_extra.pc \
         include/event2/event.h \
         lib/cmake/libevent/LibeventConfig.cmake lib/cmake/libevent/LibeventConfigVersion.cmake; do
  if [[ ! -e "$prefix/$f" ]]; then
    if [[ -L "$prefix/$f" ]]; then
      problem "$f is a dangling symlink (-> $(readlink "$prefix/$f"))"
    else
      problem "$f is not installed"
    fi
  fi
done
for name in event_core event event_extra; do
  so="$libdir/lib$name-2.1.so.7"
  [[ -e "$so" ]] || continue
  soname="$(readelf -d "$so" 2>/dev/null | sed -n 's/.*(SONAME).*\[\(.*\)\].*/\1/p')"
  [[ "$soname" == "lib$name-2.1.so.7" ]] \
    || problem "lib/lib$name-2.1.so.7 has SONAME '${soname:-none}', expected lib$name-2.1.so.7"
  if [[ -e "$libdir/lib$name.so" ]] && \
     [[ "$(readlink -f "$libdir/lib$name.so")" != "$(readlink -f "$so")" ]]; then
    problem "lib/lib$name.so does not lead to the same file as lib/lib$name-2.1.so.7"
  fi
done
targets="$(find "$prefix/lib/cmake/libevent" -maxdepth 1 -name '*Targets*.cmake' 2>/dev/null | head -n1)"
[[ -n "$targets" ]] || problem "lib/cmake/libevent/ has no exported targets file (*Targets.cmake)"

check_version_output() {   # $1 = label, $2 = output file
  if ! grep -q '^timer fired after' "$2"; then
    problem "$1: the consumer did not report its timer"
  elif ! grep -q '^version .*vigil' "$2"; then
    problem "$1: event_get_version() is '$(sed -n 's/^version //p' "$2")', which does not contain 'vigil' (the system libevent was used?)"
  else
    log "$1: $(tr '\n' ' ' <"$2")"
  fi
}

# 3a. pkg-config
# Paths from a relocatable .pc (prefix=${pcfiledir}/../..) come out unnormalised: compare
# them after resolving '..'.
norm() { realpath -m -- "$1"; }
has_flag() {   # $1 = -I or -L, $2 = wanted directory, rest = flags
  local kind="$1" want; want="$(norm "$2")"; shift 2
  local f
  for f in "$@"; do
    [[ "$f" == "$kind"* ]] && [[ "$(norm "${f#"$kind"}")" == "$want" ]] && return 0
  done
  return 1
}
export PKG_CONFIG_PATH="$libdir/pkgconfig"
for pc in libevent libevent_core; do
  [[ -e "$libdir/pkgconfig/$pc.pc" ]] || continue
  pc_prefix="$(pkg-config --variable=prefix "$pc" 2>/dev/null)"
  if [[ "$(norm "$pc_prefix")" != "$(norm "$prefix")" ]]; then
    problem "$pc.pc says prefix=$pc_prefix, but it was installed with --prefix $prefix: the prefix was fixed when CMake configured the file (configure_file with CMAKE_INSTALL_PREFIX); a relocatable 'prefix=\${pcfiledir}/<path from libdir/pkgconfig to the prefix>' in cmake/libevent.pc.in would fix it"
  fi
done
if [[ -e "$libdir/pkgconfig/libevent_core.pc" ]]; then
  if flags="$(pkg-config --cflags --libs libevent_core 2>"$work/pc.err")"; then
    log "pkg-config --cflags --libs libevent_core: $flags"
    read -r -a flag_list <<<"$flags"
    has_flag -I "$prefix/include" "${flag_list[@]}" \
      || problem "pkg-config cflags do not name $prefix/include, so the consumer would compile against other headers"
    has_flag -L "$libdir" "${flag_list[@]}" \
      || problem "pkg-config libs do not name -L$libdir, so the consumer would link another libevent_core"
    [[ " $flags " == *" -levent_core "* ]] || problem "pkg-config libs lack -levent_core"
    # shellcheck disable=SC2086  # the flags are meant to split
    if "$cc_bin" -std=c99 -Wall -Werror -o "$work/consumer-pc" "$here/consumer.c" $flags \
         >"$work/pc-build.log" 2>&1; then
      if LD_LIBRARY_PATH="$libdir" "$work/consumer-pc" >"$work/pc-run.log" 2>&1; then
        check_version_output "pkg-config consumer" "$work/pc-run.log"
      else
        cat "$work/pc-run.log" >&2
        problem "pkg-config consumer: the program failed"
      fi
    else
      cat "$work/pc-build.log" >&2
      problem "pkg-config consumer: $cc_bin consumer.c $flags failed"
    fi
  else
    cat "$work/pc.err" >&2
    problem "pkg-config --cflags --libs libevent_core failed"
  fi
fi

# 3b. CMake package
mkdir -p "$work/cmake-consumer"
cp "$here/consumer.c" "$work/cmake-consumer/"
cat >"$work/cmake-consumer/CMakeLists.txt" <<'EOF'
cmake_minimum_required(VERSION 3.16)
project(vigil_consumer C)
find_package(Libevent CONFIG REQUIRED)
message(STATUS "consumer: Libevent_DIR=${Libevent_DIR} version=${Libevent_VERSION}")
message(STATUS "consumer-includes: ${LIBEVENT_INCLUDE_DIRS}")
add_executable(consumer consumer.c)
target_link_libraries(consumer PRIVATE libevent::core)
EOF
if "$cmake_bin" -S "$work/cmake-consumer" -B "$work/cmake-consumer/build" \
     -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_C_COMPILER="$cc_bin" -DCMAKE_BUILD_TYPE=Release \
     >"$work/cmake-configure.log" 2>&1; then
  found_dir="$(sed -n 's/.*consumer: Libevent_DIR=\([^ ]*\) .*/\1/p' "$work/cmake-configure.log")"
  log "find_package(Libevent): $(sed -n 's/.*consumer: //p' "$work/cmake-configure.log")"
  [[ "$found_dir" == "$prefix"/* ]] \
    || problem "find_package(Libevent) found $found_dir instead of the package under $prefix"
  inc="$(sed -n 's/.*consumer-includes: //p' "$work/cmake-configure.log")"
  [[ -n "$inc" && "$(norm "$inc")" == "$(norm "$prefix/include")" ]] \
    || problem "LibeventConfig.cmake sets LIBEVENT_INCLUDE_DIRS to '$inc', expected $prefix/include (@PACKAGE_CMAKE_INSTALL_INCLUDEDIR@ is only filled in when configure_package_config_file gets PATH_VARS CMAKE_INSTALL_INCLUDEDIR)"
  if "$cmake_bin" --build "$work/cmake-consumer/build" >"$work/cmake-build.log" 2>&1; then
    # No LD_LIBRARY_PATH: the imported target's location (build RPATH) must lead to the prefix.
    if "$work/cmake-consumer/build/consumer" >"$work/cmake-run.log" 2>&1; then
      check_version_output "CMake consumer" "$work/cmake-run.log"
    else
      cat "$work/cmake-run.log" >&2
      problem "CMake consumer: the program failed"
    fi
  else
    tail -n 30 "$work/cmake-build.log" >&2
    problem "CMake consumer: building against libevent::core failed$(grep -q 'libevent::core' "$work/cmake-build.log" "$work/cmake-configure.log" && echo ' (is libevent::core exported? install(EXPORT) uses each target'"'"'s EXPORT_NAME, not its ALIAS)')"
  fi
else
  tail -n 30 "$work/cmake-configure.log" >&2
  if grep -q 'libevent::core' "$work/cmake-configure.log"; then
    exported="$(grep -ho 'add_library(libevent::[A-Za-z_]*' "$prefix"/lib/cmake/libevent/*.cmake 2>/dev/null | sed 's/add_library(//' | sort -u | tr '\n' ' ')"
    problem "CMake consumer: the package has no target libevent::core (it exports: ${exported:-nothing}); install(EXPORT) names targets by their EXPORT_NAME, not by their ALIAS: set EXPORT_NAME core/extra/core_static/extra_static on event_core_shared/event_shared/event_core_static/event_static"
  else
    problem "CMake consumer: configuring with find_package(Libevent CONFIG REQUIRED) failed"
  fi
fi

if ((${#problems[@]})); then
  echo "install-test: FAIL: ${#problems[@]} problem(s), each marked PROBLEM above" >&2
  exit 1
fi
log "PASS"
