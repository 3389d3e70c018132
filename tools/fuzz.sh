#!/usr/bin/env bash
# Fuzzes what roost reads from outside with libFuzzer, under AddressSanitizer and
# UndefinedBehaviorSanitizer (clang, the `fuzz` preset): OTLP protobuf and JSON bodies, gzip and
# deflate bodies, stored payload pages and records, column chunks, HTTP requests to every route,
# OTLP files for `roost import`, and sequences of store operations checked against a model
# (tests/fuzz/fuzz_targets.h says what each one checks). Each target starts from the kept corpus (tests/fuzz/corpus/<target>/)
# plus fresh seeds, and runs for SECONDS. An input that finds a fault is saved as
# build/fuzz/findings/<target>/crash-*; once the fault is fixed, copy it into the kept corpus,
# where the test suite (roost_fuzz_corpus_tests) runs it in every build from then on.
# Usage: tools/fuzz.sh [SECONDS=60] [TARGET...]   (targets: otlp_protobuf otlp_json decompress
#        stored_page column_chunk http_request otlp_file store_ops; default all)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(otlp_protobuf otlp_json decompress stored_page column_chunk http_request otlp_file
    store_ops)
fi
bash tools/install-deps.sh --fuzz
cmake --preset fuzz >/dev/null
cmake --build build/fuzz -j "$(nproc)" --target fuzz_seeds "${targets[@]/#/fuzz_}"
work=build/fuzz/work
rm -rf "$work/seeds"
build/fuzz/tests/fuzz/fuzz_seeds "$work/seeds"
failed=()
for t in "${targets[@]}"; do
  mkdir -p "$work/corpus/$t" "$work/seeds/$t" "build/fuzz/findings/$t"
  echo "fuzz.sh: $t for ${seconds}s"
  # New inputs go to the working corpus (the first directory); the kept corpus is only read.
  if ! "build/fuzz/tests/fuzz/fuzz_$t" -max_total_time="$seconds" -max_len=65536 -timeout=20 \
      -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="build/fuzz/findings/$t/" \
      "$work/corpus/$t" "tests/fuzz/corpus/$t" "$work/seeds/$t" >"$work/$t.log" 2>&1; then
    failed+=("$t")
    tail -n 40 "$work/$t.log" >&2
  fi
  grep -E "^stat::number_of_executed_units|^stat::new_units_added" "$work/$t.log" | tr '\n' ' '
  echo
done
if [ ${#failed[@]} -ne 0 ]; then
  echo "fuzz.sh: faults found in: ${failed[*]} (inputs in build/fuzz/findings/)" >&2
  exit 1
fi
echo "fuzz.sh: no faults in ${targets[*]}"
