#!/usr/bin/env bash
# Fleet-scale benchmarks for BENCHMARKS.md (issue #13). Not run by CI.
#
#   bash bench/scale.sh          # release build, corpus as bench/run.sh fetches it
#
# Side by side in one hyperfine run each: /usr fresh (no cache) vs scanelf vs a second run with
# the results cache; the packed corpus vs its sequential decompression floor (cores busy =
# (user+sys)/wall); peak RSS with the cache on; the physical floor (walk + header reads, and
# hashing the ELF bytes over the cores). Raw hyperfine JSON goes to bench/out/.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=bench/out
CORPUS=bench/corpus
mkdir -p "$OUT"
cargo build --release --quiet
MC="$PWD/target/release/muslcheck"
CACHE=$(mktemp -d)
export XDG_CACHE_HOME="$CACHE"
RUNS="${RUNS:-5}"
hf() { hyperfine --warmup 1 --runs "$RUNS" --ignore-failure --style basic --export-json "$OUT/$1.json" "${@:2}"; }
busy() { python3 - "$OUT/$1.json" <<'PY'
import json, sys
for r in json.load(open(sys.argv[1]))["results"]:
    print(f'{r["command"]}: wall {r["mean"]:.3f} s ± {r["stddev"]:.3f}, user {r["user"]:.3f} s, sys {r["system"]:.3f} s, cores busy {(r["user"]+r["system"])/r["mean"]:.2f}')
PY
}

echo "## /usr: fresh vs scanelf vs second run with the cache"
"$MC" scan --format json --fail-on never /usr > /dev/null   # fill the cache
sleep 3                                                       # past the racy-timestamp window
"$MC" scan --format json --fail-on never /usr > /dev/null   # file digests remembered
"$MC" scan --format json --fail-on never /usr/lib > /dev/null
# One huge directory (#13 item 3): /usr/lib is one unit, walked by every core.
hf usr-scale \
  -n "muslcheck scan --no-cache /usr" "$MC scan --no-cache --format json --fail-on never /usr > /dev/null" \
  -n "scanelf -R -n /usr" "scanelf -R -n -q -F '%F %n' /usr > /dev/null" \
  -n "muslcheck scan /usr (cache warm)" "$MC scan --format json --fail-on never /usr > /dev/null" \
  -n "muslcheck scan --no-cache /usr/lib" "$MC scan --no-cache --format json --fail-on never /usr/lib > /dev/null" \
  -n "scanelf -R -n /usr/lib" "scanelf -R -n -q -F '%F %n' /usr/lib > /dev/null" \
  -n "muslcheck scan /usr/lib (cache warm)" "$MC scan --format json --fail-on never /usr/lib > /dev/null"
busy usr-scale

echo "## time to the first JSONL record (#11: records stream per file, not per directory)"
for tree in /usr/lib /usr; do
  python3 - "$MC" "$tree" <<'PY'
import subprocess, sys, time
start = time.monotonic()
p = subprocess.Popen([sys.argv[1], "scan", "--no-cache", "--format", "jsonl", "--fail-on", "never", sys.argv[2]],
                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
first, n = None, 0
for line in p.stdout:
    if line.startswith(b'{"type":"record"'):
        n += 1
        first = first if first is not None else time.monotonic() - start
p.wait()
print(f"{sys.argv[2]}: first record after {first:.2f} s, all {n} records after {time.monotonic() - start:.2f} s")
PY
done

echo "## floor: walk + header reads (scanelf -R without reporting), hashing the ELF bytes on 2 cores"
scanelf -R -B -F '%F' /usr > "$OUT/elf-list.txt" 2>/dev/null || true
cargo build --release --quiet --manifest-path bench/sha-floor/Cargo.toml
SHA=bench/sha-floor/target/release/sha-floor
hf floor \
  -n "walk + header reads (scanelf -R -B -F %F)" "scanelf -R -B -F '%F' /usr > /dev/null" \
  -n "sha256 of the ELF files (muslcheck's sha2 crate, mapped, 2 threads in-process)" "$SHA 2 < $OUT/elf-list.txt > /dev/null" \
  -n "sha256 of the ELF files (openssl, SHA-NI, 2 processes)" "xargs -d '\n' -P2 -n 64 openssl dgst -sha256 < $OUT/elf-list.txt > /dev/null"
busy floor

echo "## packed corpus vs the sequential decompression floor"
hf corpus-scale \
  -n "muslcheck scan --no-cache (all archives)" "$MC scan --no-cache --format json --fail-on never $CORPUS/*/* > /dev/null" \
  -n "decompression floor (sequential)" "for f in $CORPUS/deb/*.deb; do dpkg-deb --fsys-tarfile \$f; done > /dev/null; for f in $CORPUS/whl/*.whl; do unzip -p \$f; done > /dev/null; for f in $CORPUS/npm/*.tgz; do gzip -dc \$f; done > /dev/null" \
  -n "muslcheck scan (all archives, cache warm)" "$MC scan --format json --fail-on never $CORPUS/*/* > /dev/null"
busy corpus-scale

echo "## peak RSS, /usr with the cache on"
rm -rf "$CACHE"/muslcheck
/usr/bin/time -f "cold cache: peak RSS %M KB, %e s wall, %U s user, %S s sys" "$MC" scan --format json --fail-on never /usr > /dev/null
/usr/bin/time -f "warm cache: peak RSS %M KB, %e s wall, %U s user, %S s sys" "$MC" scan --format json --fail-on never /usr > /dev/null
"$MC" cache info
echo "load: $(uptime)"
rm -rf "$CACHE"
