#!/usr/bin/env bash
# Builds and runs vigil's libFuzzer targets (fuzz/*_fuzzer.cpp) with clang, ASan and
# UBSan. Self-contained, outside the CMake build: it compiles vigil's sources into a
# static archive that the targets link (with the evutil names changed, see
# fuzz/vigil_names.h, so Debian's libevent can be loaded next to them as the oracle).
#
#   bash scripts/fuzz.sh                 build, then run every target
#   bash scripts/fuzz.sh TARGET...       build, then run only these targets
#   bash scripts/fuzz.sh --build         build only
#   bash scripts/fuzz.sh --no-build T... run already built targets
#   bash scripts/fuzz.sh --list          print the target names
#
# Each target runs for VIGIL_FUZZ_SECONDS (default 60) seconds, starting from its seed
# corpus in fuzz/corpus/<target>/ (read only; new inputs go to build-fuzz/corpus/).
# Any crash, sanitizer report, leak, timeout or failed check is a failure: the input is
# saved under build-fuzz/artifacts/<target>/ and the exit status is non-zero.
# Output of each run: build-fuzz/<target>.log. Environment: CXX (default clang++),
# VIGIL_FUZZ_SECONDS, VIGIL_FUZZ_ORACLE=0 (run without the system libevent oracle).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="$repo/build-fuzz"
cxx="${CXX:-clang++}"
seconds="${VIGIL_FUZZ_SECONDS:-60}"

targets_all=()
for f in "$repo"/fuzz/*_fuzzer.cpp; do
  t="$(basename "$f" .cpp)"
  targets_all+=("${t%_fuzzer}")
done

build=1
run=1
targets=()
for arg in "$@"; do
  case "$arg" in
    --list) printf '%s\n' "${targets_all[@]}"; exit 0 ;;
    --build) run=0 ;;
    --no-build) build=0 ;;
    -*) echo "fuzz.sh: unknown option $arg" >&2; exit 2 ;;
    *) targets+=("$arg") ;;
  esac
done
((${#targets[@]})) || targets=("${targets_all[@]}")
for t in "${targets[@]}"; do
  [[ -f "$repo/fuzz/${t}_fuzzer.cpp" ]] || { echo "fuzz.sh: no target $t (see --list)" >&2; exit 2; }
done

# All of vigil's sources go into one archive; each target pulls in what it uses.
vigil_sources=("$repo"/src/*/*.cpp)
flags=(-std=c++20 -g -O1 -fno-omit-frame-pointer -fno-exceptions -fno-rtti -pthread
       -fsanitize=address,undefined -fno-sanitize-recover=undefined
       -D_GNU_SOURCE=1 -DVIGIL_BUILDING_LIBRARY=1 -DVIGIL_VERSION_STRING=\"fuzz\"
       -include "$repo/fuzz/vigil_names.h" -I"$repo/include" -I"$repo/src")

if ((build)); then
  command -v "$cxx" >/dev/null || { echo "fuzz.sh: $cxx not found (apt-get install clang libclang-rt-14-dev)" >&2; exit 1; }
  rm -rf "$out/obj"
  mkdir -p "$out/obj"
  echo "fuzz.sh: compiling ${#vigil_sources[@]} vigil sources with $cxx"
  objs=()
  pids=()
  for src in "${vigil_sources[@]}"; do
    obj="$out/obj/$(basename "$(dirname "$src")")_$(basename "$src" .cpp).o"
    objs+=("$obj")
    "$cxx" "${flags[@]}" -fsanitize=fuzzer-no-link -c "$src" -o "$obj" &
    pids+=($!)
    # Two compilers at a time; any failure stops the build.
    if ((${#pids[@]} >= 2)); then wait "${pids[0]}"; pids=("${pids[@]:1}"); fi
  done
  for p in "${pids[@]}"; do wait "$p"; done
  rm -f "$out/libvigil_fuzz.a"
  ar rcs "$out/libvigil_fuzz.a" "${objs[@]}"
  for t in "${targets[@]}"; do
    echo "fuzz.sh: linking $t"
    "$cxx" "${flags[@]}" -fsanitize=fuzzer "$repo/fuzz/${t}_fuzzer.cpp" "$out/libvigil_fuzz.a" -ldl -o "$out/$t"
  done
fi
((run)) || exit 0

failed=()
for t in "${targets[@]}"; do
  [[ -x "$out/$t" ]] || { echo "fuzz.sh: $t is not built (run without --no-build)" >&2; failed+=("$t"); continue; }
  mkdir -p "$out/corpus/$t" "$out/artifacts/$t"
  seeds="$repo/fuzz/corpus/$t"
  dict=()
  [[ -f "$repo/fuzz/$t.dict" ]] && dict=(-dict="$repo/fuzz/$t.dict")
  echo "fuzz.sh: running $t for ${seconds}s"
  rc=0
  ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}" UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}" \
    "$out/$t" -max_total_time="$seconds" -timeout=20 -rss_limit_mb=2048 -max_len=512 -print_final_stats=1 \
      -artifact_prefix="$out/artifacts/$t/" "${dict[@]}" "$out/corpus/$t" "$seeds" >"$out/$t.log" 2>&1 || rc=$?
  runs="$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$out/$t.log" | grep -o '[0-9]*$' || true)"
  if ((rc == 0)); then
    echo "fuzz.sh: $t: ok (${runs:-?} inputs in ${seconds}s)"
  else
    failed+=("$t")
    echo "fuzz.sh: $t: FAILED (exit $rc; log: $out/$t.log; inputs: $out/artifacts/$t/)"
    grep -E 'FINDING|ERROR|runtime error|input:|SUMMARY' "$out/$t.log" | head -n 20 || true
  fi
done
if ((${#failed[@]})); then
  echo "fuzz.sh: failed: ${failed[*]}"
  exit 1
fi
