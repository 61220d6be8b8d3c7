#!/usr/bin/env bash
# Whole-process benchmarks for BENCHMARKS.md (issue #3). Not run by CI.
#
#   bash bench/run.sh            # build release, fetch the corpus, run everything
#
# Needs (Debian): hyperfine pax-utils (scanelf) dpkg unzip gzip time, plus pip and npm for the
# corpus. Results are printed as markdown and the raw hyperfine JSON is left in bench/out/.
# Warm cache: every command gets a warm-up run first. The machine has 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=bench/out
CORPUS=bench/corpus
mkdir -p "$OUT" "$CORPUS/deb" "$CORPUS/whl" "$CORPUS/npm"

cargo build --release --quiet
MC="$PWD/target/release/muslcheck"

# --- corpus: real packages nobody here built -------------------------------------------
if [ -z "$(ls -A "$CORPUS/deb")" ]; then
  (cd "$CORPUS/deb" && apt-get download -qq git strace openssh-client curl libcurl4 jq libjq1 \
      rsync tmux zstd file libmagic1 nginx-core redis-server busybox-static libssl3 libpython3.11 \
      python3.11-minimal 2>/dev/null) || true
fi
if [ -z "$(ls -A "$CORPUS/whl")" ]; then
  for plat in manylinux2014_x86_64 musllinux_1_2_x86_64; do
    pip download -q --only-binary=:all: --no-deps --platform "$plat" --python-version 3.11 \
      -d "$CORPUS/whl" numpy orjson cryptography pydantic-core lxml pillow 2>/dev/null || true
  done
fi
if [ -z "$(ls -A "$CORPUS/npm")" ]; then
  (cd "$CORPUS/npm" && npm pack --silent @swc/core-linux-x64-gnu @swc/core-linux-x64-musl \
      @rollup/rollup-linux-x64-gnu @rollup/rollup-linux-x64-musl @esbuild/linux-x64 \
      @img/sharp-libvips-linux-x64 @img/sharp-libvips-linuxmusl-x64 >/dev/null 2>&1) || true
fi

hf() { hyperfine --warmup 1 --runs "${RUNS:-5}" --ignore-failure --style basic --export-json "$OUT/$1.json" "${@:2}"; }

echo "## (a) /usr: full analysis vs scanelf NEEDED-only"
hf usr \
  -n "muslcheck scan /usr" "$MC scan --format json --fail-on never /usr > /dev/null" \
  -n "scanelf -R -n /usr" "scanelf -R -n -q -F '%F %n' /usr > /dev/null"

echo "## (b) archives vs the decompression floor"
hf deb \
  -n "muslcheck scan *.deb" "$MC scan --format json --fail-on never $CORPUS/deb/*.deb > /dev/null" \
  -n "dpkg-deb --fsys-tarfile" "for f in $CORPUS/deb/*.deb; do dpkg-deb --fsys-tarfile \$f > /dev/null; done"
hf whl \
  -n "muslcheck scan *.whl" "$MC scan --format json --fail-on never $CORPUS/whl/*.whl > /dev/null" \
  -n "unzip -p" "for f in $CORPUS/whl/*.whl; do unzip -p \$f > /dev/null; done"
hf npm \
  -n "muslcheck scan *.tgz" "$MC scan --format json --fail-on never $CORPUS/npm/*.tgz > /dev/null" \
  -n "gzip -dc" "for f in $CORPUS/npm/*.tgz; do gzip -dc \$f > /dev/null; done"
hf jobs1 \
  -n "muslcheck --jobs 1 (all archives)" "$MC scan --jobs 1 --format json --fail-on never $CORPUS/*/* > /dev/null" \
  -n "floor, all archives" "for f in $CORPUS/deb/*.deb; do dpkg-deb --fsys-tarfile \$f; done > /dev/null; for f in $CORPUS/whl/*.whl; do unzip -p \$f; done > /dev/null; for f in $CORPUS/npm/*.tgz; do gzip -dc \$f; done > /dev/null"

echo "## (c) peak RSS"
for target in /usr "$CORPUS"; do
  /usr/bin/time -f "peak RSS %M KB, %e s wall, %U s user, %S s sys: muslcheck scan $target" \
    "$MC" scan --format json --fail-on never "$target" > /dev/null
done
echo "corpus: $(ls "$CORPUS"/deb | wc -l) .deb, $(ls "$CORPUS"/whl | wc -l) .whl, $(ls "$CORPUS"/npm | wc -l) .tgz; $(du -sh "$CORPUS" | cut -f1)"
