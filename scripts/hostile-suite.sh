#!/usr/bin/env bash
# Measure muslcheck on the hostile-input suite (#5): every forged input (tests/forge.rs) is
# scanned alone by the release binary under /usr/bin/time, with the limits the tests use and
# then with the default limits; prints the slowest input, the largest peak RSS and the exit
# statuses, then one batch over everything. Timing goals live here, never in the tests.
#
#   scripts/hostile-suite.sh [DIR]     (DIR: where the suite is written; default target/hostile)
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-target/hostile}
bin=target/release/muslcheck
cargo build --release --quiet
rm -rf "$dir"
MUSLCHECK_HOSTILE_DIR="$PWD/$dir" cargo test --quiet --test integration write_hostile_corpus \
  -- --ignored >/dev/null
n=$(find "$dir" -type f | wc -l)
echo "suite: $n inputs, $(du -sh "$dir" | cut -f1) in $dir"
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT

measure() { # label, limit flags...
  local label=$1; shift
  local max_t=0 max_t_f="" max_m=0 max_m_f="" f st
  declare -A statuses=()
  for f in "$dir"/*; do
    st=0
    /usr/bin/time -f "%e %M" -o "$tmp" "$bin" scan --format json "$@" "$f" >/dev/null 2>&1 || st=$?
    statuses[$st]=$(( ${statuses[$st]:-0} + 1 ))
    read -r t m < <(tail -1 "$tmp")
    if awk -v a="$t" -v b="$max_t" 'BEGIN{exit !(a>b)}'; then max_t=$t; max_t_f=$f; fi
    if (( m > max_m )); then max_m=$m; max_m_f=$f; fi
  done
  echo "$label: slowest ${max_t}s ($(basename "$max_t_f")); peak RSS $((max_m / 1024)) MiB ($(basename "$max_m_f"))"
  local s line="  exit statuses:"
  for s in $(printf '%s\n' "${!statuses[@]}" | sort -n); do line+=" $s×${statuses[$s]}"; done
  echo "$line"
}

measure "one input per run, test limits (--max-file-size 1M --max-artifact-size 48M)" \
  --max-file-size 1M --max-artifact-size 48M
measure "one input per run, default limits" 
st=0
/usr/bin/time -f "%e %M" -o "$tmp" "$bin" scan --format json --max-file-size 1M \
  --max-artifact-size 48M "$dir" >/dev/null 2>&1 || st=$?
read -r t m < <(tail -1 "$tmp")
echo "whole suite as one batch (test limits): ${t}s, peak RSS $((m / 1024)) MiB, exit $st"
