#!/usr/bin/env bash
# Validate muslcheck against musl's real loader on real third-party binaries (issue #2, "Done when").
#
# Downloads a corpus (Debian 12 packages, PyPI manylinux/musllinux wheels, npm packages that ship
# glibc and musl builds side by side) into a temporary directory, loads every x86_64 dynamic ELF
# file with `/lib/ld-musl-x86_64.so.1 --list` (which performs all relocations without running
# anything), and compares the symbols the loader reports missing *for that file* with what
# `muslcheck scan --musl 1.2.3 --gcompat none` predicts for it. Prints the agreement table and the
# verdict distribution for the default target. See docs/validation.md for the method and results.
#
# Not run by CI (it downloads ~150 MB). Needs: Debian 12 (bookworm) x86_64 with the `musl` package
# (1.2.3-1), apt lists (`apt-get update`), pip, npm, python3, gcc, binutils, unzip, and a built
# muslcheck (built here with `cargo build` if target/debug/muslcheck is missing).
#
# Usage: scripts/validate-real.sh [WORKDIR]
#   WORKDIR   where to download and unpack (default: a new mktemp directory; an existing one is
#             reused, so a second run skips the downloads)
# Environment: MUSLCHECK=path/to/muslcheck   VERBOSE=1 (print every file's comparison)
set -euo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
WORK=${1:-$(mktemp -d /tmp/muslcheck-validate.XXXXXX)}
LDSO=/lib/ld-musl-x86_64.so.1
MUSLCHECK=${MUSLCHECK:-$REPO/target/debug/muslcheck}

[ -x "$LDSO" ] || { echo "need Debian's musl package ($LDSO)" >&2; exit 2; }
if [ ! -x "$MUSLCHECK" ]; then (cd "$REPO" && cargo build -q); fi
mkdir -p "$WORK"
cd "$WORK"
echo "work directory: $WORK" >&2

# ---------------------------------------------------------------------------------------------
# 1. Corpus. Debian packages float with bookworm's security updates (versions are printed);
#    PyPI and npm versions are pinned to what docs/validation.md reports.
DEBS="git strace openssh-client curl libcurl4 jq libjq1 libonig5 rsync tmux zstd libzstd1 file
libmagic1 nginx redis-server redis-tools busybox-static less libnghttp2-14 libssh2-1 librtmp1
libpsl5 libevent-core-2.1-7 libutempter0 libpopt0 libxxhash0 liblz4-1 libjemalloc2 liblzf1"
# name==version platform-tag python-version
WHEELS="
many numpy==2.2.6 manylinux2014_x86_64 3.11
many orjson==3.13.0 manylinux2014_x86_64 3.11
many cryptography==50.0.2 manylinux2014_x86_64 3.11
many pydantic-core==2.50.5 manylinux2014_x86_64 3.11
many psycopg2-binary==2.9.13 manylinux2014_x86_64 3.11
many lxml==6.1.3 manylinux2014_x86_64 3.11
many pillow==12.2.0 manylinux2014_x86_64 3.11
many228 numpy==2.5.5 manylinux_2_28_x86_64 3.12
many228 pillow==13.0.0 manylinux_2_28_x86_64 3.12
musl numpy==2.4.6 musllinux_1_2_x86_64 3.11
musl orjson==3.13.0 musllinux_1_2_x86_64 3.11
musl cryptography==50.0.2 musllinux_1_2_x86_64 3.11
musl pydantic-core==2.50.5 musllinux_1_1_x86_64 3.11
musl psycopg2-binary==2.9.13 musllinux_1_2_x86_64 3.11
musl lxml==6.1.3 musllinux_1_2_x86_64 3.11
musl pillow==13.0.0 musllinux_1_2_x86_64 3.11"
NPMS="@swc/core-linux-x64-gnu@1.16.22 @swc/core-linux-x64-musl@1.16.22
@rollup/rollup-linux-x64-gnu@4.68.8 @rollup/rollup-linux-x64-musl@4.68.8
lightningcss-linux-x64-gnu@1.33.0 lightningcss-linux-x64-musl@1.33.0 @esbuild/linux-x64@0.28.2
@img/sharp-linux-x64@0.35.5 @img/sharp-libvips-linux-x64@1.3.4
@img/sharp-linuxmusl-x64@0.35.5 @img/sharp-libvips-linuxmusl-x64@1.3.4"

if [ ! -e deb/.done ]; then
    mkdir -p deb/x && (cd deb && apt-get download $DEBS >/dev/null 2>&1) \
        || { echo "apt-get download failed (run apt-get update?)" >&2; exit 2; }
    for f in deb/*.deb; do
        d=deb/x/$(basename "$f" | sed 's/_.*//'); mkdir -p "$d"; dpkg-deb -x "$f" "$d"
    done
    touch deb/.done
fi
if [ ! -e whl/.done ]; then
    echo "$WHEELS" | while read -r group spec plat py; do
        [ -n "$group" ] || continue
        mkdir -p "whl/$group"
        pip download -q --only-binary=:all: --no-deps --platform "$plat" --python-version "$py" \
            -d "whl/$group" "$spec" >/dev/null
    done
    for w in whl/*/*.whl; do
        g=$(basename "$(dirname "$w")"); d=whl/x/$g/$(basename "$w" .whl)
        mkdir -p "$d"; unzip -q -o "$w" -d "$d"
    done
    touch whl/.done
fi
if [ ! -e npm/.done ]; then
    mkdir -p npm/x && (cd npm && npm pack --silent $NPMS >/dev/null)
    for t in npm/*.tgz; do d=npm/x/$(basename "$t" .tgz); mkdir -p "$d"; tar -xzf "$t" -C "$d"; done
    touch npm/.done
fi

# ---------------------------------------------------------------------------------------------
# 2. Library directories for LD_LIBRARY_PATH: symlinks to every shared library of the unpacked
#    Debian packages and of the host, minus glibc's own files (libc6, libcrypt1), so musl never
#    maps glibc's loader or libraries as if they were ordinary libraries. The names musl treats
#    as itself (libc.*, libm.*, ...) are never searched anyway; libresolv.so.2, libcrypt.so.1 and
#    ld-linux-x86-64.so.2 stay unfound, as on Alpine without gcompat.
is_glibc_file() {
    case $1 in
    ld-linux* | libc.so* | libc_malloc_debug* | libm.so* | libmvec* | libpthread.so* | libdl.so* | \
        librt.so* | libutil.so* | libresolv.so* | libanl.so* | libnsl.so* | libBrokenLocale* | \
        libthread_db* | libnss_compat* | libnss_dns* | libnss_files* | libnss_hesiod* | \
        libmemusage* | libpcprofile* | libcrypt.so*) return 0 ;;
    esac
    return 1
}
link_libs() { # DEST DIR...
    local dest=$1 f b; shift; mkdir -p "$dest"
    for d in "$@"; do
        for f in "$d"/*.so*; do
            [ -e "$f" ] || continue
            b=$(basename "$f"); is_glibc_file "$b" && continue
            ln -sfn "$(readlink -f "$f")" "$dest/$b"
        done
    done
}
rm -rf libs && mkdir -p libs
link_libs libs/system /usr/lib/x86_64-linux-gnu
link_libs libs/deb deb/x/*/usr/lib/x86_64-linux-gnu deb/x/*/lib/x86_64-linux-gnu

# ---------------------------------------------------------------------------------------------
# 3. Load every file, run muslcheck, compare (python3 does the bookkeeping).
export WORK LDSO MUSLCHECK REPO
python3 - <<'PY'
import collections, glob, json, os, re, struct, subprocess

WORK, LDSO, MUSLCHECK = os.environ["WORK"], os.environ["LDSO"], os.environ["MUSLCHECK"]
REPO = os.environ["REPO"]
VERBOSE = os.environ.get("VERBOSE") == "1"
os.chdir(WORK)

# Debian's musl 1.2.3 differs from the upstream build muslcheck models (symbol-db/README.md):
# it exports fts_* and lacks crypt, crypt_r, encrypt, setkey.
DEBIAN_LACKS = {"crypt", "crypt_r", "encrypt", "setkey"}
def debian_has(sym):
    return sym.startswith("fts_")

# Symbols a plugin's host process provides (python3, node): stubbed in one preloaded library so
# that the loader's verdict is about libc, not about the missing interpreter.
HOST = {
    "python": re.compile(r"^(_?Py|_Py)"),
    "node": re.compile(r"^(napi_|node_api_|uv_|_ZN2v8|_ZNK2v8|_ZN4node|_ZNK4node)"),
}

GROUPS = [  # name, root, host process of plugins
    ("debian", "deb/x", None),
    ("manylinux2014 wheels", "whl/x/many", "python"),
    ("manylinux_2_28 wheels", "whl/x/many228", "python"),
    ("musllinux wheels", "whl/x/musl", "python"),
    ("npm glibc builds", "npm/x", "node"),
    ("npm musl builds", "npm/x", "node"),
]

def elf_info(path):
    """(x86_64, has PT_DYNAMIC, e_type) from the ELF and program headers, independently of
    muslcheck; None for a non-ELF file."""
    try:
        with open(path, "rb") as f:
            h = f.read(64)
            if h[:4] != b"\x7fELF":
                return None
            if h[4] != 2 or h[5] != 1:
                return (False, False, 0)
            e_type, e_machine = struct.unpack_from("<HH", h, 16)
            phoff, = struct.unpack_from("<Q", h, 32)
            phentsize, phnum = struct.unpack_from("<HH", h, 54)
            f.seek(phoff)
            ph = f.read(phentsize * phnum)
            types = {struct.unpack_from("<I", ph, i * phentsize)[0] for i in range(phnum)
                     if len(ph) >= (i + 1) * phentsize}
            return (e_machine == 62, 2 in types, e_type)
    except OSError:
        return None

def npm_is_musl(artifact):
    return "musl" in artifact

def files_of(group, root):
    out = []
    for art in sorted(os.listdir(root)):
        if group.startswith("npm"):
            if npm_is_musl(art) != (group == "npm musl builds"):
                continue
        for dp, dn, fn in os.walk(os.path.join(root, art)):
            dn.sort()
            for n in sorted(fn):
                p = os.path.join(dp, n)
                if os.path.islink(p) or not os.path.isfile(p):
                    continue
                info = elf_info(p)
                if info is not None:
                    out.append((art, os.path.abspath(p), info))
    return out

def lib_dirs(paths):
    return sorted({os.path.dirname(p) for p in paths if ".so" in os.path.basename(p)})

_dynsym = {}
def dynsyms(path):
    """[(name, version, defined, bind, type, hidden)] from readelf (binutils)."""
    if path in _dynsym:
        return _dynsym[path]
    out = []
    r = subprocess.run(["readelf", "-W", "--dyn-syms", path], capture_output=True, text=True)
    for line in r.stdout.splitlines():
        m = re.match(r"\s*\d+: [0-9a-f]+\s+\S+\s+(\S+)\s+(\S+)\s+\S+\s+(\S+)\s+(\S+)", line)
        if not m:
            continue
        typ, bind, ndx, name = m.groups()
        hidden = "@@" not in name and "@" in name and ndx != "UND"
        name, _, ver = name.partition("@")
        ver = ver.lstrip("@").split(" ")[0]
        out.append((name, ver or None, ndx != "UND", bind, typ, hidden))
    _dynsym[path] = out
    return out

def host_stub(kind, files):
    """A preloadable library defining every host-process symbol the files import."""
    names = {}
    for _, p, _ in files:
        for name, ver, defined, bind, typ, _ in dynsyms(p):
            if not defined and bind != "WEAK" and ver is None and HOST[kind].match(name):
                names[name] = names.get(name) or typ == "OBJECT"
    os.makedirs("libs/host", exist_ok=True)
    src, lib = f"libs/host/{kind}.c", os.path.abspath(f"libs/host/lib{kind}-host.so")
    with open(src, "w") as f:
        for n, obj in sorted(names.items()):
            f.write(f"char {n}[64];\n" if obj else f"void {n}(void) {{}}\n")
    subprocess.run(["gcc", "-shared", "-fPIC", "-nostdlib", "-w", "-o", lib, src], check=True)
    return lib, len(names)

RELOC = "Error relocating "
def run_loader(path, libpath, preload):
    env = {"PATH": "/usr/bin:/bin", "LD_LIBRARY_PATH": ":".join(libpath)}
    if preload:
        env["LD_PRELOAD"] = preload
    try:
        r = subprocess.run([LDSO, "--list", path], env=env, capture_output=True, text=True,
                           timeout=120, errors="replace")
    except subprocess.TimeoutExpired:
        return {"rc": "timeout", "syms": set(), "relocs": set(), "libs": set(), "other": [], "loaded": [], "dep_errors": 0}
    res = {"rc": r.returncode, "syms": set(), "relocs": set(), "libs": set(), "other": [],
           "loaded": [], "dep_errors": 0}
    for line in r.stdout.splitlines():
        m = re.match(r"\t(\S+) => (\S+) \(", line)
        if m:
            res["loaded"].append(m.group(2))
    for line in r.stderr.splitlines():
        m = re.match(r"Error loading shared library (.+?): .* \(needed by (.+)\)$", line)
        if line.startswith(RELOC + path + ": "):
            rest = line[len(RELOC + path + ": "):]
            if rest.endswith(": symbol not found"):
                res["syms"].add(rest[: -len(": symbol not found")])
            elif rest.startswith("unsupported relocation type "):
                res["relocs"].add(int(rest.split()[-1]))
            else:
                res["other"].append(rest)
        elif m and m.group(2) == path:
            res["libs"].add(m.group(1))
        elif line.startswith(RELOC) or m:
            res["dep_errors"] += 1
        elif line.strip():
            res["other"].append(line)
    return res

def muslcheck(paths, *target):
    out = {}
    for i in range(0, len(paths), 200):
        r = subprocess.run([MUSLCHECK, "scan", "--format", "json", "--fail-on", "never", *target,
                            *paths[i:i + 200]], capture_output=True, text=True, check=True)
        for rec in json.loads(r.stdout)["results"]:
            out[rec["path"]] = rec
    return out

BLOCKING = {"missing-symbol", "glibc-private", "gcompat-symbol", "gcompat-stub"}
def predicted(rec):
    """muslcheck's prediction of the loader's errors for this file alone."""
    syms, relocs, libs, other = set(), set(), set(), []
    for f in rec.get("findings", []):
        fid, req = f["id"], f["requires"]
        sym = (f.get("symbol") or "").split("@")[0]
        if fid in BLOCKING and req == "rebuild":
            if not debian_has(sym):
                syms.add(sym)
        elif fid == "ifunc-export" and "refers to it itself" in f["message"]:
            syms.add(sym)
        elif fid == "unsupported-relocation":
            relocs.add(int(re.search(r"type (\d+)", f["message"]).group(1)))
        elif fid == "missing-library":
            libs.add(f["library"])
        elif req == "rebuild" and fid not in ("glibc-loader", "unknown-loader", "dt-relr"):
            other.append(fid)
    return syms, relocs, libs, other

def definer(sym, loaded, skip):
    for lib in loaded:
        if lib == skip or not os.path.exists(lib):
            continue
        for name, ver, defined, bind, typ, hidden in dynsyms(lib):
            if name == sym and defined and not hidden and typ != "IFUNC":
                return os.path.basename(lib)
    return None

def explain(sym, path, res, side):
    """A first diagnosis for one disagreeing symbol, from readelf facts."""
    rows = [s for s in dynsyms(path) if s[0] == sym]
    if side == "loader-only":
        if not rows:
            return "not in the file's dynamic symbol table"
        d = rows[0]
        if d[2]:
            return f"defined here as {d[4]} {d[3]}{' (hidden version)' if d[5] else ''}"
        return f"imported {d[3]} {d[4]} version={d[1]}"
    lib = definer(sym, res["loaded"], path)
    return f"resolved by loaded library {lib}" if lib else "no loaded library defines it"

def gcompat_stub():
    """A stand-in for Alpine's gcompat: one library exporting every name libgcompat.so.0,
    libucontext.so.1 and libobstack.so.1 export (symbol-db/gcompat, extracted from the real
    builds), installed under the sonames gcompat provides. Tests the judge's gcompat logic, not
    that data."""
    names = {}
    for f in ("gcompat-1.1.0", "libucontext-1.3.2", "musl-obstack-1.2.3"):
        for line in open(os.path.join(REPO, "symbol-db/gcompat", f + "-x86_64.txt")):
            parts = line.split()
            if len(parts) == 2 and not line.startswith("#") and parts[0] not in ("_init", "_fini"):
                names[parts[0]] = parts[1] == "OBJECT"
    os.makedirs("libs/gcompat", exist_ok=True)
    with open("libs/gcompat-stub.c", "w") as f:
        for n, obj in sorted(names.items()):
            f.write(f"char {n}[64];\n" if obj else f"void {n}(void) {{}}\n")
    lib = os.path.abspath("libs/gcompat/libgcompat.so.0")
    subprocess.run(["gcc", "-shared", "-fPIC", "-nostdlib", "-w", "-Wl,-soname,libgcompat.so.0",
                    "-o", lib, "libs/gcompat-stub.c"], check=True)
    for alias in ("libresolv.so.2", "libcrypt.so.1", "ld-linux-x86-64.so.2", "libucontext.so.1",
                  "libobstack.so.1"):
        dst = os.path.join("libs/gcompat", alias)
        if not os.path.lexists(dst):
            os.symlink("libgcompat.so.0", dst)
    return lib

LOADED = {}  # file -> realpaths of everything the loader mapped for it, artifact dirs not on the path

MODES = [  # name, muslcheck target options, simulate gcompat
    ("musl 1.2.3", ["--musl", "1.2.3", "--gcompat", "none"], False),
    ("musl 1.2.3 + gcompat stand-in", ["--musl", "1.2.3", "--gcompat", "1.1.0"], True),
]

def compare(group, dyn, mode, libpath, preload):
    name, target, _ = mode
    mc = muslcheck([p for _, p, _ in dyn], *target)
    agree = own_agree = 0
    dis, whole = [], collections.Counter()
    for art, p, _ in dyn:
        res = run_loader(p, libpath, preload)
        loader_syms = {s for s in res["syms"] if s not in DEBIAN_LACKS}
        msyms, mrelocs, mlibs, mother = predicted(mc[p])
        extra_l, extra_m = loader_syms - msyms, msyms - loader_syms
        relocs_ok = res["relocs"] == mrelocs
        if not extra_l and not extra_m and relocs_ok and not res["other"]:
            agree += 1
        else:
            for s in sorted(extra_l):
                dis.append((name, group, p, s, "loader-only", explain(s, p, res, "loader-only")))
            for s in sorted(extra_m):
                dis.append((name, group, p, s, "muslcheck-only", explain(s, p, res, "muslcheck-only")))
            if not relocs_ok:
                dis.append((name, group, p, f"relocs {sorted(res['relocs'])} vs {sorted(mrelocs)}", "relocation", ""))
            for o in res["other"]:
                dis.append((name, group, p, o, "other loader error", ""))
        if mlibs - res["libs"]:
            dis.append((name, group, p, " ".join(sorted(mlibs - res["libs"])), "muslcheck-only library", "found by the loader"))
        loader_own_ok = not loader_syms and not res["relocs"] and not (res["libs"] & mlibs) and not res["other"]
        mc_own_ok = not msyms and not mrelocs and not mlibs and not mother
        own_agree += loader_own_ok == mc_own_ok
        whole[("own errors: loader", "none" if loader_own_ok else "some", "muslcheck", "none" if mc_own_ok else "some")] += 1
        whole[("exit", str(res["rc"]), "muslcheck", "loads" if mc_own_ok else "fails",
               "dependencies", "fail" if res["dep_errors"] else "ok")] += 1
        for lib in sorted(res["libs"] - mlibs):
            whole[("library not in the test environment", lib)] += 1
        if VERBOSE:
            print(f"[{name}] {p}: rc={res['rc']} loader={sorted(loader_syms)} relocs={sorted(res['relocs'])} "
                  f"libs={sorted(res['libs'])} | muslcheck={sorted(msyms)} relocs={sorted(mrelocs)} libs={sorted(mlibs)}")
    return agree, own_agree, dis, whole

RANK = {"skipped": 0, "native": 1, "gcompat": 2, "rebuild": 3, "error": 4}

def archives_of(group):
    """The downloaded archives of a corpus group, each with the directory it was unpacked into."""
    if group == "debian":
        return [(a, os.path.join("deb/x", os.path.basename(a).split("_")[0])) for a in sorted(glob.glob("deb/*.deb"))]
    if group.startswith("npm"):
        musl = group == "npm musl builds"
        return [(a, os.path.join("npm/x", os.path.basename(a)[:-4])) for a in sorted(glob.glob("npm/*.tgz"))
                if npm_is_musl(os.path.basename(a)) == musl]
    sub = {"manylinux2014 wheels": "many", "manylinux_2_28 wheels": "many228", "musllinux wheels": "musl"}[group]
    return [(a, os.path.join("whl/x", sub, os.path.basename(a)[:-4])) for a in sorted(glob.glob(f"whl/{sub}/*.whl"))]

def scan_archives(group, *target):
    """muslcheck on the archives themselves (what a new user runs), records keyed by the path of
    the same member in the unpacked tree."""
    arcs = archives_of(group)
    roots = dict(arcs)
    recs = muslcheck([a for a, _ in arcs], *target)
    out = {}
    for rec in recs.values():
        arc, sep, member = rec["path"].partition("!/")
        if sep and arc in roots:
            member = member[2:] if member.startswith("./") else member
            out[os.path.realpath(os.path.join(roots[arc], member.lstrip("/")))] = rec
    return out, {os.path.realpath(r): a for a, r in arcs}

def closure_check(files, per_file, from_archive, roots):
    """Compare the closure verdict muslcheck gives an archive member with the worst own verdict of
    the bundled libraries (same archive) that musl's loader actually mapped for that file."""
    own = {os.path.realpath(p): per_file[p]["own_verdict"] for _, p, _ in files}
    agree, diffs, consistent, incons = 0, [], 0, []
    for _, p, _ in files:
        rp = os.path.realpath(p)
        rec = from_archive.get(rp)
        if rec is None:
            incons.append((p, "not reported when scanning the archive"))
            continue
        # Closure findings differ by design (a lone file has no unit to resolve libraries in).
        ids = lambda r: sorted((f["id"], f.get("symbol"), f.get("library")) for f in r.get("findings", [])
                               if f["id"] not in ("bundled-library", "needs-package"))
        if rec["own_verdict"] == per_file[p]["own_verdict"] and ids(rec) == ids(per_file[p]):
            consistent += 1
        else:
            incons.append((p, f"archive member own verdict {rec['own_verdict']} vs file {per_file[p]['own_verdict']}"))
        if p not in LOADED:
            continue
        root = next((r for r in roots if rp.startswith(r + "/")), None)
        bundled = [(own[l], l) for l in LOADED[p] if l in own and l != rp and root and l.startswith(root + "/")]
        expect = max([(own[rp], rp)] + bundled, key=lambda x: RANK[x[0]])
        if rec["verdict"] == expect[0]:
            agree += 1
        else:
            diffs.append((p, rec["verdict"], expect[0], os.path.basename(expect[1])))
    return agree, diffs, consistent, incons

PROBE_C = r"""
#include <dlfcn.h>
#include <stdio.h>
int main(int argc, char **argv) {
    void *h = dlopen(argv[1], RTLD_NOW);
    if (!h) { printf("dlopen-error %s\n", dlerror()); return 1; }
    printf("loaded\n");
    return 0;
}
"""

def has_relr(path):
    r = subprocess.run(["readelf", "-d", path], capture_output=True, text=True)
    return "(RELR)" in r.stdout

def is_musl_linked(path):
    r = subprocess.run(["readelf", "-d", path], capture_output=True, text=True)
    return "[libc.musl-" in r.stdout

def relr_probe(musl_files, closure123):
    """DT_RELR cannot be seen by --list (musl 1.2.3 silently skips the table). Run it for real:
    dlopen each musl-linked library under musl 1.2.3 from a musl program (constructors run, so
    unrelocated pointers crash) and compare with muslcheck's dt-relr finding for musl 1.2.3."""
    os.makedirs("relr", exist_ok=True)
    with open("relr/probe.c", "w") as f:
        f.write(PROBE_C)
    subprocess.run(["musl-gcc", "-o", "relr/probe", "relr/probe.c"], check=True)
    mc = muslcheck([p for p, _, _ in musl_files], "--musl", "1.2.3")
    corpus = {os.path.realpath(p) for p, _, _ in musl_files}
    tally = collections.Counter()
    for p, libpath, preload in musl_files:
        own = has_relr(p)
        closure = own or any(has_relr(l) for l in LOADED.get(p, []) if l in corpus and l != os.path.realpath(p))
        env = {"PATH": "/usr/bin:/bin", "LD_LIBRARY_PATH": ":".join(libpath)}
        if preload:
            env["LD_PRELOAD"] = preload
        try:
            r = subprocess.run([os.path.abspath("relr/probe"), p], env=env, capture_output=True, text=True, timeout=60)
            outcome = "SIGSEGV" if r.returncode == -11 else f"signal {-r.returncode}" if r.returncode < 0 else \
                "loaded" if r.returncode == 0 else \
                "dlopen error from a Debian (glibc) library" if "/libs/system/" in r.stdout else \
                "dlopen error: " + r.stdout.strip()
        except subprocess.TimeoutExpired:
            outcome = "timeout"
        flagged = any(f["id"] == "dt-relr" for f in mc[p].get("findings", []))
        arc = closure123.get(os.path.realpath(p), {})
        tally[(f"file has DT_RELR: {'yes' if own else 'no'}", f"bundled dependency has DT_RELR: {'yes' if closure and not own else 'no'}",
               f"dlopen under musl 1.2.3: {outcome}", f"muslcheck dt-relr: {'yes' if flagged else 'no'}",
               f"archive verdict for musl 1.2.3: {arc.get('verdict', '-')}")] += 1
    return tally

def main():
    libs_system = os.path.abspath("libs/system")
    libs_deb = os.path.abspath("libs/deb")
    gcompat = gcompat_stub()
    table, disagreements, distribution, gaps, musl_files, closure123 = [], [], {}, {}, [], {}
    wholefile = collections.defaultdict(collections.Counter)
    for group, root, host in GROUPS:
        files = files_of(group, root)
        dyn = [(a, p, i) for a, p, i in files if i[0] and i[1] and i[2] in (2, 3)]
        if group == "debian":
            libpath = [libs_deb, libs_system]
        else:
            libpath = lib_dirs([p for _, p, _ in files]) + [libs_system]
        hostlib, nstubs = host_stub(host, dyn) if host else (None, 0)
        row = [group, len(files), len(dyn)]
        for mode in MODES:
            preload = " ".join(x for x in (gcompat if mode[2] else None, hostlib) if x)
            path = ([os.path.dirname(gcompat)] if mode[2] else []) + libpath
            agree, own, dis, whole = compare(group, dyn, mode, path, preload)
            row += [agree, own]
            disagreements += dis
            wholefile[mode[0]].update(whole)
        table.append(row + [nstubs])
        # The loader's own closure: no LD_LIBRARY_PATH into the artifact, so bundled libraries are
        # found only the way musl finds them on Alpine (DT_RPATH/DT_RUNPATH up the requester chain).
        for _, p, _ in dyn:
            res = run_loader(p, [libs_system], hostlib)
            LOADED[p] = [os.path.realpath(l) for l in res["loaded"]]
        if "musl" in group:
            musl_files += [(p, libpath, hostlib) for _, p, _ in dyn if is_musl_linked(p)]
            closure123.update(scan_archives(group, "--musl", "1.2.3")[0])
        per_file = muslcheck([p for _, p, _ in files])
        from_archive, roots = scan_archives(group)
        distribution[group] = (files, per_file, from_archive)
        gaps[group] = closure_check(files, per_file, from_archive, roots)

    print("== Corpus ==")
    for pat in ("deb/*.deb", "whl/*/*.whl", "npm/*.tgz"):
        print("  " + " ".join(sorted(os.path.basename(a) for a in glob.glob(pat))))
    print("\n== Agreement: musl 1.2.3 loader (--list) vs muslcheck with the same target ==")
    print("   sym = same set of 'symbol not found' / 'unsupported relocation' errors for the file itself")
    print("   own = same yes/no answer to 'does the file itself cause a loading error'")
    hdr = f"{'corpus':24} {'ELF':>5} {'compared':>8}"
    for m in MODES:
        hdr += f" | {m[0][:30]:>30}"
    print(hdr + " | host stubs")
    print(f"{'':24} {'':>5} {'':>8}" + "".join(f" | {'sym':>14} {'own':>15}" for _ in MODES))
    for r in table:
        line = f"{r[0]:24} {r[1]:5} {r[2]:8}"
        for i in range(len(MODES)):
            line += f" | {r[3 + 2 * i]:14} {r[4 + 2 * i]:15}"
        print(line + f" | {r[-1]}")
    tot = [sum(r[i] for r in table) for i in range(1, 3 + 2 * len(MODES))]
    print(f"{'total':24} {tot[0]:5} {tot[1]:8}" + "".join(f" | {tot[2 + 2 * i]:14} {tot[3 + 2 * i]:15}" for i in range(len(MODES))))
    print(f"\n== Disagreements ({len(disagreements)}) ==")
    for m, g, p, s, side, why in disagreements:
        print(f"[{m}] [{g}] {os.path.relpath(p, WORK)}: {side}: {s}  -- {why}")
    for m, whole in wholefile.items():
        print(f"\n== Whole file, {m} ==")
        for k, v in sorted(whole.items()):
            print(f"  {' '.join(k)}: {v}")
    print("\n== DT_RELR: musl-linked libraries dlopen()ed by a musl 1.2.3 program ==")
    for k, v in sorted(relr_probe(musl_files, closure123).items()):
        print(f"  {'; '.join(k)}: {v}")
    print("\n== Archives scanned directly (default target): consistency and closure ==")
    print("   consistent = archive member has the same own verdict and findings as the unpacked file")
    print("                (closure findings bundled-library/needs-package aside)")
    print("   closure = member's verdict equals the worst own verdict among itself and the bundled")
    print("             libraries (same archive) that musl's loader mapped for it")
    for g, (agree, diffs, consistent, incons) in gaps.items():
        n = len(distribution[g][0])
        print(f"-- {g}: consistent {consistent}/{n}, closure agrees {agree}/{sum(1 for _, p, _ in distribution[g][0] if p in LOADED)}")
        for p, why in incons:
            print(f"   inconsistent: {os.path.relpath(p, WORK)}: {why}")
        for p, got, want, lib in diffs:
            print(f"   closure: {os.path.relpath(p, WORK)}: muslcheck {got}, loader's closure {want} (worst: {lib})")
    print("\n== Verdicts for the default target (musl 1.2.5 + gcompat 1.1.0) ==")
    print("   (verdict of each ELF member when the archive is scanned; own verdict in brackets when it differs)")
    for g, (files, default, from_archive) in distribution.items():
        arts = collections.defaultdict(collections.Counter)
        reasons = collections.defaultdict(collections.Counter)
        for art, p, _ in files:
            rec = from_archive.get(os.path.realpath(p), default[p])
            v = rec["own_verdict"]
            arts[art][rec["verdict"] if rec["verdict"] == v else f"{rec['verdict']} (own {v})"] += 1
            for f in rec.get("findings", []):
                if f["requires"] == v and v in ("gcompat", "rebuild") and f["id"] != "glibc-loader":
                    reasons[v][f["id"] + " " + (f.get("symbol") or f.get("library") or "").split("@")[0]] += 1
        total = collections.Counter()
        for c in arts.values():
            total.update(c)
        print(f"-- {g}: {dict(sorted(total.items()))}")
        for art, c in arts.items():
            print(f"   {art}: {dict(sorted(c.items()))}")
        for v, c in sorted(reasons.items()):
            print(f"   {v} because: " + ", ".join(f"{k} x{n}" for k, n in c.most_common(12)))

main()
PY
