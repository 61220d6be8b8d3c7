#!/usr/bin/env bash
# Registry pull vs docker-save tarball (issue #12), for BENCHMARKS.md. Not run by CI.
#
#   bash bench/images.sh
#
# Builds an image from real Debian packages (one layer per package, gzip'd as registries store
# them), writes its `docker save` form with skopeo, pushes it to Debian's docker-registry on
# 127.0.0.1 (a free port, storage in bench/out/images), and times with hyperfine:
#   muslcheck scan docker-save.tar                          (reads the tarball from disk)
#   muslcheck scan registry:127.0.0.1:PORT/bench:1          (pulls, verifies every blob, judges)
# Needs: hyperfine docker-registry skopeo dpkg python3. Warm cache, release build.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT="$PWD/bench/out/images"
DEBS="$PWD/bench/corpus/deb"
mkdir -p "$OUT" "$DEBS"
cargo build --release --quiet
MC="$PWD/target/release/muslcheck"

if [ -z "$(ls -A "$DEBS")" ]; then
  (cd "$DEBS" && apt-get download -qq git strace openssh-client curl libcurl4 jq libjq1 \
      rsync tmux zstd file libmagic1 nginx-core redis-server busybox-static libssl3 libpython3.11 \
      python3.11-minimal 2>/dev/null) || true
fi

# --- the image: an OCI layout, one gzip'd layer per package ------------------------------
rm -rf "$OUT/oci" "$OUT/rootfs" "$OUT/bench.tar"
python3 - "$DEBS" "$OUT" <<'EOF'
import gzip, hashlib, json, os, subprocess, sys, tempfile
debs, out = sys.argv[1], sys.argv[2]
blobs = os.path.join(out, "oci/blobs/sha256")
os.makedirs(blobs)
def put(b):
    d = hashlib.sha256(b).hexdigest()
    open(os.path.join(blobs, d), "wb").write(b)
    return "sha256:" + d, len(b)
layers, diffs, history = [], [], []
for deb in sorted(os.listdir(debs)):
    with tempfile.TemporaryDirectory() as root:
        subprocess.run(["dpkg-deb", "-x", os.path.join(debs, deb), root], check=True)
        subprocess.run(["dpkg-deb", "-x", os.path.join(debs, deb), os.path.join(out, "rootfs")], check=True)
        raw = subprocess.run(["tar", "-C", root, "-cf", "-", "."], check=True, capture_output=True).stdout
    diffs.append("sha256:" + hashlib.sha256(raw).hexdigest())
    d, n = put(gzip.compress(raw, 6))
    layers.append({"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": d, "size": n})
    history.append({"created_by": "RUN apt-get install " + deb.split("_")[0]})
cfg = json.dumps({"architecture": "amd64", "os": "linux",
                  "rootfs": {"type": "layers", "diff_ids": diffs}, "history": history}).encode()
cd, cn = put(cfg)
man = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                  "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cd, "size": cn},
                  "layers": layers}).encode()
md, mn = put(man)
json.dump({"schemaVersion": 2, "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json",
           "digest": md, "size": mn, "annotations": {"org.opencontainers.image.ref.name": "1"}}]},
          open(os.path.join(out, "oci/index.json"), "w"))
open(os.path.join(out, "oci/oci-layout"), "w").write('{"imageLayoutVersion":"1.0.0"}')
print(f"{len(layers)} layers")
EOF
skopeo copy -q "oci:$OUT/oci:1" "docker-archive:$OUT/bench.tar:bench:1"

# --- the registry, on loopback, stopped on exit --------------------------------------------
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
rm -rf "$OUT/registry"; mkdir -p "$OUT/registry"
cat > "$OUT/registry/config.yml" <<EOF
version: 0.1
log:
  level: error
storage:
  filesystem:
    rootdirectory: $OUT/registry/store
http:
  addr: 127.0.0.1:$PORT
EOF
docker-registry serve "$OUT/registry/config.yml" >"$OUT/registry/log" 2>&1 &
REG=$!
trap 'kill $REG' EXIT
for _ in $(seq 100); do (echo >"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break; sleep 0.1; done
skopeo copy -q --dest-tls-verify=false "oci:$OUT/oci:1" "docker://127.0.0.1:$PORT/bench:1"

echo "tarball: $(du -h "$OUT/bench.tar" | cut -f1) (layers uncompressed), registry blobs: $(du -sh "$OUT/oci/blobs" | cut -f1) (gzip)"
hyperfine --warmup 1 --runs "${RUNS:-10}" --style basic --export-json "$OUT/images.json" \
  -n "docker-save tarball" "$MC scan --format json --fail-on never $OUT/bench.tar > /dev/null" \
  -n "registry pull" "$MC scan --format json --fail-on never --insecure-registry 127.0.0.1:$PORT registry:127.0.0.1:$PORT/bench:1 > /dev/null" \
  -n "unpacked tree" "$MC scan --format json --fail-on never $OUT/rootfs > /dev/null"

# Same verdicts every way.
"$MC" scan --format json --fail-on never "$OUT/bench.tar" > "$OUT/tar.json"
"$MC" scan --format json --fail-on never --insecure-registry "127.0.0.1:$PORT" "registry:127.0.0.1:$PORT/bench:1" > "$OUT/reg.json"
python3 - "$OUT" <<'EOF'
import json, sys
out = sys.argv[1]
def load(f):
    return {r["path"].split("!", 1)[-1]: (r["verdict"], sorted(x["id"] for x in r["findings"]))
            for r in json.load(open(f"{out}/{f}"))["results"]}
a, b = load("tar.json"), load("reg.json")
print(f"records: tarball {len(a)}, registry {len(b)}, identical verdicts and findings: {a == b}")
EOF
