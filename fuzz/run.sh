#!/usr/bin/env bash
# Runs every fuzz target for a bounded time (default 30 s each; FUZZ_SECONDS
# sets it), starting from the committed seeds in fuzz/corpus (deep nesting
# of every kind included). What the fuzzer learns goes to a scratch folder,
# never into the checkout. A crash, a panic or an input over the time budget
# (fuzz_targets/budget.rs) stops it with the input saved under
# fuzz/artifacts/, and the script fails.
#
# Needs cargo-fuzz (`cargo install cargo-fuzz`); libFuzzer's flags need a
# nightly compiler, which RUSTC_BOOTSTRAP=1 stands in for on stable. Built
# in 16 codegen units (cargo-fuzz's default of one takes three times as
# long on two cores, for a little more speed per input).
set -euo pipefail
cd "$(dirname "$0")"
seconds="${FUZZ_SECONDS:-30}"
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
export RUSTC_BOOTSTRAP=1
targets=$(cargo fuzz list)
echo "== building the fuzz targets"
cargo fuzz build --sanitizer none --codegen-units 16
for target in $targets; do
  echo "== fuzzing $target for ${seconds}s"
  mkdir -p "$scratch/$target"
  status=0
  cargo fuzz run --sanitizer none --codegen-units 16 "$target" "$scratch/$target" "corpus/$target" -- \
    -max_total_time="$seconds" -max_len=65536 -timeout=5 -rss_limit_mb=2048 \
    -print_final_stats=1 >"$scratch/$target.log" 2>&1 || status=$?
  grep -E "^stat::(number_of_executed_units|peak_rss_mb)" "$scratch/$target.log" || true
  if [ "$status" -ne 0 ]; then
    tail -n 60 "$scratch/$target.log" >&2
    echo "fuzz target $target failed (exit $status); the input is under fuzz/artifacts/$target" >&2
    exit 1
  fi
done
echo "== every fuzz target ran ${seconds}s without a finding"
