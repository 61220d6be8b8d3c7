#!/usr/bin/env bash
# Fuzz every target (or those named) for SECONDS each, one after another, and print the
# executions and crashes per target. Needs nightly and cargo-fuzz; see fuzz/README.md.
#
#   fuzz/run.sh [SECONDS] [TARGET...]        (default: 300 seconds, every target)
set -uo pipefail
cd "$(dirname "$0")"
secs=${1:-300}
shift $(( $# > 0 ? 1 : 0 ))
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(elf tar compressed zip deb rpm apk image)
[ -d seeds ] || ./seed.sh
mkdir -p logs
for t in "${targets[@]}"; do
  mkdir -p "corpus/$t"
  extra=()
  [ "$t" = elf ] && extra=(-max_len=262144)
  # Limits that make an unbounded allocation or a slow input a finding: one allocation over
  # 512 MiB, a process over 2 GiB, or one input over 10 s. Inputs use fuzz/src/lib.rs's small
  # limits (1 MiB per file, 16 MiB per artifact), so nothing legitimate comes near.
  cargo +nightly fuzz run -O "$t" "corpus/$t" "seeds/$t" -- \
    -max_total_time="$secs" -rss_limit_mb=2048 -malloc_limit_mb=512 -timeout=10 \
    -print_final_stats=1 "${extra[@]}" >"logs/$t.log" 2>&1
  status=$?
  execs=$(awk '/stat::number_of_executed_units/ {print $2}' "logs/$t.log")
  crashes=$(find "artifacts/$t" -type f 2>/dev/null | wc -l)
  echo "$t: ${execs:-?} executions in ${secs} s, exit $status, $crashes crash file(s)"
done
