#!/usr/bin/env bash
# Write the seed corpora (fuzz/seeds/TARGET/) from the committed samples; see fuzz/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."
rm -rf fuzz/seeds
MUSLCHECK_FUZZ_SEEDS="$PWD/fuzz/seeds" cargo test --quiet --test integration fuzz_seeds -- --ignored
ls fuzz/seeds | while read -r t; do echo "$t: $(ls "fuzz/seeds/$t" | wc -l) seeds"; done
