#!/usr/bin/env bash
# Binary drop-in for libevent_extra: evtag_consumer.c is built against the system
# libevent-dev and linked with Debian's libevent_extra-2.1.so.7 and libevent_core-2.1.so.7,
# then run twice, unchanged: on the system libraries, and with LD_LIBRARY_PATH=LIBDIR.
# Both runs must print the same records and results, and the second must have loaded
# evtag_marshal from LIBDIR.
#
#   evtag_dropin_test.sh LIBDIR [CC]
#
# Exit status: 0 pass, 1 fail, 77 skip (libevent-dev not installed).
set -euo pipefail

log() { printf 'evtag-dropin: %s\n' "$*"; }
fail() { printf 'evtag-dropin: FAIL: %s\n' "$*" >&2; exit 1; }

[[ $# -ge 1 ]] || fail "usage: $0 LIBDIR [CC]"
libdir="$(cd "$1" && pwd -P)" || fail "no library directory $1"
cc="${2:-cc}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
if [[ ! -f /usr/include/event2/tag.h ]]; then
  log "SKIP: the system libevent-dev is not installed (apt-get install libevent-dev)"
  exit 77
fi
[[ -e "$libdir/libevent_extra-2.1.so.7" ]] || fail "$libdir/libevent_extra-2.1.so.7 is missing"

work="$(mktemp -d "${TMPDIR:-/tmp}/vigil-evtag.XXXXXX")"
trap 'rm -rf "$work"' EXIT
"$cc" -std=c99 -Wall -Werror -I/usr/include -o "$work/consumer" "$here/evtag_consumer.c" \
  -levent_extra -levent_core -ldl || fail "the consumer does not build against the system libevent"

"$work/consumer" >"$work/system.out" || fail "the consumer failed on the system libevent"
LD_LIBRARY_PATH="$libdir" "$work/consumer" >"$work/vigil.out" || fail "the consumer failed on vigil's libraries"

lib="$(sed -n 's/^library //p' "$work/vigil.out")"
[[ "$(readlink -f "$lib")" == "$libdir"/* ]] || fail "evtag_marshal came from '$lib', not from $libdir"
if ! diff <(grep -v '^library ' "$work/system.out") <(grep -v '^library ' "$work/vigil.out") >"$work/diff"; then
  cat "$work/diff" >&2
  fail "the consumer prints differently on vigil (< system, > vigil)"
fi
log "same $(grep -vc '^library ' "$work/vigil.out") lines on both; evtag_marshal from $lib"
