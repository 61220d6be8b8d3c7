#!/usr/bin/env bash
# Registry pull vs docker-save tarball (issue #12), for BENCHMARKS.md. Not run by CI.
#
#   bash bench/images.sh
#
# Builds an image from real Debian packages (one layer per package), writes its `docker save`
# form with skopeo, pushes it to Debian's docker-registry on 127.0.0.1 (a free port, storage in
# bench/out/images) in the three forms registries hold layers in — gzip (bench:1, pushed by
# skopeo), zstd (bench:zstd) and uncompressed (bench:raw), the last two pushed byte for byte
# through the distribution API, since skopeo would gzip uncompressed layers — and times with
# one hyperfine run:
#   muslcheck scan docker-save.tar                          (reads the tarball from disk)
#   muslcheck scan registry:127.0.0.1:PORT/bench:TAG        (pulls, verifies every blob, judges)
# both with --no-cache, and both again with the results cache warm (replayed without reading a
# layer, #13); then prints cores busy ((user+sys)/wall) and the decompression floor of the layers
# (examples/layer_floor.rs: zlib-rs and zstd in process, best of five).
# Needs: hyperfine docker-registry skopeo dpkg python3 zstd. Warm page cache, release build.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT="$PWD/bench/out/images"
DEBS="$PWD/bench/corpus/deb"
mkdir -p "$OUT" "$DEBS"
cargo build --release --quiet --example layer_floor
cargo build --release --quiet
MC="${MC:-$PWD/target/release/muslcheck}"

if [ -z "$(ls -A "$DEBS")" ]; then
  (cd "$DEBS" && apt-get download -qq git strace openssh-client curl libcurl4 jq libjq1 \
      rsync tmux zstd file libmagic1 nginx-core redis-server busybox-static libssl3 libpython3.11 \
      python3.11-minimal 2>/dev/null) || true
fi

# --- the image: an OCI layout, one gzip'd layer per package ------------------------------
rm -rf "$OUT/oci" "$OUT/oci-zstd" "$OUT/oci-raw" "$OUT/rootfs" "$OUT/bench.tar"
python3 - "$DEBS" "$OUT" <<'EOF'
import gzip, hashlib, json, os, subprocess, sys, tempfile
debs, out = sys.argv[1], sys.argv[2]
raws = []
for deb in sorted(os.listdir(debs)):
    with tempfile.TemporaryDirectory() as root:
        subprocess.run(["dpkg-deb", "-x", os.path.join(debs, deb), root], check=True)
        subprocess.run(["dpkg-deb", "-x", os.path.join(debs, deb), os.path.join(out, "rootfs")], check=True)
        raw = subprocess.run(["tar", "-C", root, "-cf", "-", "."], check=True, capture_output=True).stdout
    raws.append((deb.split("_")[0], raw))
zstd = lambda b: subprocess.run(["zstd", "-q", "-3", "-c"], input=b, check=True, capture_output=True).stdout
forms = {"oci": ("tar+gzip", lambda b: gzip.compress(b, 6)), "oci-zstd": ("tar+zstd", zstd),
         "oci-raw": ("tar", lambda b: b)}
for name, (suffix, compress) in forms.items():
    blobs = os.path.join(out, name, "blobs/sha256")
    os.makedirs(blobs)
    def put(b):
        d = hashlib.sha256(b).hexdigest()
        open(os.path.join(blobs, d), "wb").write(b)
        return "sha256:" + d, len(b)
    layers, diffs, history = [], [], []
    for pkg, raw in raws:
        diffs.append("sha256:" + hashlib.sha256(raw).hexdigest())
        d, n = put(compress(raw))
        layers.append({"mediaType": "application/vnd.oci.image.layer.v1." + suffix, "digest": d, "size": n})
        history.append({"created_by": "RUN apt-get install " + pkg})
    cfg = json.dumps({"architecture": "amd64", "os": "linux",
                      "rootfs": {"type": "layers", "diff_ids": diffs}, "history": history}).encode()
    cd, cn = put(cfg)
    man = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                      "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cd, "size": cn},
                      "layers": layers}).encode()
    md, mn = put(man)
    json.dump({"schemaVersion": 2, "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json",
               "digest": md, "size": mn, "annotations": {"org.opencontainers.image.ref.name": "1"}}]},
              open(os.path.join(out, name, "index.json"), "w"))
    open(os.path.join(out, name, "oci-layout"), "w").write('{"imageLayoutVersion":"1.0.0"}')
print(f"{len(raws)} layers")
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
# zstd and uncompressed layers, byte for byte (monolithic uploads of the distribution API).
python3 - "$OUT" "127.0.0.1:$PORT" <<'EOF'
import json, os, sys, urllib.request
out, host = sys.argv[1], sys.argv[2]
def req(method, url, data=None, ctype=None):
    r = urllib.request.Request(url, data=data, method=method)
    if ctype:
        r.add_header("Content-Type", ctype)
    return urllib.request.urlopen(r)
for layout, tag in (("oci-zstd", "zstd"), ("oci-raw", "raw")):
    blob = lambda d: open(os.path.join(out, layout, "blobs/sha256", d.split(":")[1]), "rb").read()
    top = json.load(open(os.path.join(out, layout, "index.json")))["manifests"][0]
    man = blob(top["digest"])
    doc = json.loads(man)
    for d in [doc["config"]["digest"]] + [l["digest"] for l in doc["layers"]]:
        loc = req("POST", f"http://{host}/v2/bench/blobs/uploads/").headers["Location"]
        loc = loc if loc.startswith("http") else f"http://{host}{loc}"
        req("PUT", f"{loc}{'&' if '?' in loc else '?'}digest={d}", blob(d), "application/octet-stream")
    req("PUT", f"http://{host}/v2/bench/manifests/{tag}", man, doc["mediaType"])
EOF

echo "tarball: $(du -h "$OUT/bench.tar" | cut -f1) (layers uncompressed), registry blobs: $(du -sh "$OUT/oci/blobs" | cut -f1) gzip, $(du -sh "$OUT/oci-zstd/blobs" | cut -f1) zstd, $(du -sh "$OUT/oci-raw/blobs" | cut -f1) uncompressed"
REG_ARGS="--insecure-registry 127.0.0.1:$PORT registry:127.0.0.1:$PORT/bench"
# Pulls are measured without the results cache: with it, an image whose manifest (or tarball)
# is remembered is replayed without reading a layer (#13) — the last two rows.
NC="--no-cache"
hyperfine --warmup 1 --runs "${RUNS:-10}" --style basic --export-json "$OUT/images.json" \
  -n "docker-save tarball" "$MC scan $NC --format json --fail-on never $OUT/bench.tar > /dev/null" \
  -n "registry pull, gzip layers" "$MC scan $NC --format json --fail-on never $REG_ARGS:1 > /dev/null" \
  -n "registry pull, zstd layers" "$MC scan $NC --format json --fail-on never $REG_ARGS:zstd > /dev/null" \
  -n "registry pull, uncompressed layers" "$MC scan $NC --format json --fail-on never $REG_ARGS:raw > /dev/null" \
  -n "unpacked tree" "$MC scan $NC --format json --fail-on never $OUT/rootfs > /dev/null" \
  -n "docker-save tarball, cache warm (replayed)" "$MC scan --format json --fail-on never $OUT/bench.tar > /dev/null" \
  -n "registry, gzip layers, cache warm (replayed)" "$MC scan --format json --fail-on never $REG_ARGS:1 > /dev/null"
python3 - "$OUT/images.json" <<'EOF'
import json, sys
rs = json.load(open(sys.argv[1]))["results"]
tar = rs[0]["mean"]
for r in rs:
    cpu = r["user"] + r["system"]
    print(f"{r['command']:36} wall {r['mean']:.3f} s  cpu {cpu:.3f} s  cores busy {cpu / r['mean']:.2f}"
          f"  / tarball {r['mean'] / tar:.2f}x")
EOF
echo "floor (zlib-rs / zstd in process; the largest layer bounds a pull):"
for f in oci oci-zstd; do
  man=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["manifests"][0]["digest"].split(":")[1])' "$OUT/$f/index.json")
  layers=$(python3 -c 'import json,sys; [print(sys.argv[2] + "/" + l["digest"].split(":")[1]) for l in json.load(open(sys.argv[1]))["layers"]]' "$OUT/$f/blobs/sha256/$man" "$OUT/$f/blobs/sha256")
  echo "$f:"; ./target/release/examples/layer_floor $layers | sed -n '1,4p;$p'
done

# Same verdicts every way.
"$MC" scan --format json --fail-on never "$OUT/bench.tar" > "$OUT/tar.json"
for tag in 1 zstd raw; do
  "$MC" scan --format json --fail-on never $REG_ARGS:$tag > "$OUT/reg-$tag.json"
done
python3 - "$OUT" <<'EOF'
import json, sys
out = sys.argv[1]
def load(f):
    return {r["path"].split("!", 1)[-1]: (r["verdict"], sorted(x["id"] for x in r["findings"]))
            for r in json.load(open(f"{out}/{f}"))["results"]}
a = load("tar.json")
for tag in ("1", "zstd", "raw"):
    b = load(f"reg-{tag}.json")
    print(f"records: tarball {len(a)}, registry bench:{tag} {len(b)}, identical verdicts and findings: {a == b}")
EOF
