#!/usr/bin/env bash
# Start real glibc programs the way gcompat starts them and compare with muslcheck's runtime
# findings (#10; docs/validation.md, "runtime").
#
# usage: scripts/runtime-validate.sh OUT-DIR PATH...
#   PATH: files or directories (extracted .deb packages, wheels, npm tarballs).
# For every x86_64 ELF program whose PT_INTERP is glibc's loader:
#   1. a copy is pointed (patchelf --set-interpreter) at a stand-in of gcompat's loader stub
#      (tests/fixtures/runtime/loader-stub.c, linked -static-pie against musl like gcompat's) and run
#      once as `PROG --version` under strace (execve only), timeout 10 s, stdin /dev/null, in a
#      scratch directory. "stub-crash" = killed by SIGSEGV/SIGBUS before the stub's execve of musl's
#      loader; anything else got past the stub.
#   2. musl's loader in list mode (`ld-musl-x86_64.so.1 --preload STANDIN --list PROG`) — never
#      running the program — says whether it loads with the libgcompat stand-in, which exports only
#      the two symbols of tests/fixtures/runtime/gcompat-standin.c (so missing gcompat symbols show
#      as errors here; the column is informative, not a verdict check).
#   3. muslcheck's JSON: verdict, gcompat-loader-crash (confidence), init-array-args.
# Writes OUT-DIR/runtime.tsv (one row per program) and prints the agreement counts.
# Needs: gcc, musl-tools (Debian layout), patchelf, strace, python3, a built muslcheck (target/debug).
set -euo pipefail
[ $# -ge 2 ] || { echo "usage: $0 OUT-DIR PATH..." >&2; exit 2; }
root=$(cd "$(dirname "$0")/.." && pwd)
out=$(mkdir -p "$1" && cd "$1" && pwd); shift
bin=${MUSLCHECK:-$root/target/debug/muslcheck}
fx=$root/tests/fixtures/runtime
M=/usr/lib/x86_64-linux-musl
work=$out/work; rm -rf "$work"; mkdir -p "$work/scratch"

# The libgcompat stand-in: the tests' two symbols plus two more that real gcompat also exports
# (pthread.c __register_atfork, string.c __rawmemchr) and that these programs ask for.
cat "$fx/gcompat-standin.c" - > "$work/standin.c" <<'C'
#include <pthread.h>
int __register_atfork(void (*prepare)(void), void (*parent)(void), void (*child)(void), void *dso)
{
	(void)dso;
	return pthread_atfork(prepare, parent, child);
}
void *__rawmemchr(const void *s, int c)
{
	const unsigned char *p = s;
	while (*p != (unsigned char)c)
		p++;
	return (void *)p;
}
C
musl-gcc -shared -fPIC -O2 -Wl,-soname,libgcompat.so.0 -o "$work/libgcompat.so.0" "$work/standin.c"
musl-gcc -fPIC -O2 -c -o "$work/stub.o" -DPRELOAD_PATH="\"$work/libgcompat.so.0\"" "$fx/loader-stub.c"
gcc -static-pie -nostdlib -nostartfiles -o "$work/stub" "$M/rcrt1.o" "$M/crti.o" \
  "$(gcc -print-file-name=crtbeginS.o)" "$work/stub.o" "$M/libc.a" "$(gcc -print-libgcc-file-name)" \
  "$(gcc -print-file-name=crtendS.o)" "$M/crtn.o"

# A musl-built libgcc_s.so.1 stand-in (Alpine's libgcc package): libgcc_eh.a's objects with their
# hidden _Unwind_* made visible, plus a _dl_find_object that always fails (libgcc then falls back to
# dl_iterate_phdr). Rust programs need it to get past musl's loader.
mkdir -p "$work/libgcc" && (cd "$work/libgcc" && ar x "$(gcc -print-file-name=libgcc_eh.a)" && python3 - *.o <<'PY'
import struct, sys
for path in sys.argv[1:]:
    b = bytearray(open(path, 'rb').read())
    shoff, = struct.unpack_from('<Q', b, 0x28)
    shentsize, shnum = struct.unpack_from('<HH', b, 0x3a)
    for i in range(shnum):
        off = shoff + i * shentsize
        if struct.unpack_from('<I', b, off + 4)[0] != 2:  # SHT_SYMTAB
            continue
        so, ss = struct.unpack_from('<QQ', b, off + 0x18)
        es, = struct.unpack_from('<Q', b, off + 0x38)
        for j in range(ss // es):
            e = so + j * es
            if b[e + 4] >> 4 == 1 and (b[e + 5] & 3) == 2:  # STB_GLOBAL, STV_HIDDEN
                b[e + 5] &= ~3
    open(path, 'wb').write(bytes(b))
PY
printf 'int _dl_find_object(void *pc, void *r) { (void)pc; (void)r; return -1; }\n' > dlfo.c
musl-gcc -shared -fPIC -O2 -Wl,-soname,libgcc_s.so.1 -o libgcc_s.so.1 dlfo.c ./*.o)
libs="$work/libgcc:$work"

"$bin" scan --format json "$@" > "$out/muslcheck.json" || true

python3 - "$out" "$work" "$libs" <<'PY'
import json, os, shutil, signal, subprocess, sys
out, work, libs = sys.argv[1], sys.argv[2], sys.argv[3]
env = dict(os.environ, LD_LIBRARY_PATH=libs)
def first_line(b):
    return (b.decode(errors="replace").strip().splitlines() or [""])[0][:80]
def start(prog):
    return subprocess.run(["timeout", "10", prog, "--version"], cwd=os.path.join(work, "scratch"),
                          stdin=subprocess.DEVNULL, capture_output=True, env=env)
doc = json.load(open(os.path.join(out, "muslcheck.json")))
rows, n = [], 0
for r in doc["results"]:
    elf = r.get("elf") or {}
    interp = elf.get("interpreter") or ""
    if elf.get("arch") != "x86_64" or "ld-linux" not in interp:
        continue
    path = r["path"]
    if "!" in path or not os.path.isfile(path):
        continue
    n += 1
    copy = os.path.join(work, f"p{n}")
    shutil.copy(path, copy)
    os.chmod(copy, 0o755)
    subprocess.run(["patchelf", "--set-interpreter", os.path.join(work, "stub"), copy], check=True)
    log = copy + ".strace"
    p = subprocess.run(["timeout", "10", "strace", "-f", "-qq", "-e", "trace=execve", "-o", log, copy, "--version"],
                       cwd=os.path.join(work, "scratch"), stdin=subprocess.DEVNULL, capture_output=True, env=env)
    trace = open(log, errors="replace").read()
    execs = trace.count("execve(")
    killed = "+++ killed by SIGSEGV" in trace or "+++ killed by SIGBUS" in trace
    if killed and execs <= 1:
        run = "stub-crash"
    elif p.returncode == 0:
        run = "ran"
    elif p.returncode == 127:
        run = "loader-error"
    elif p.returncode == 124:
        run = "timeout"
    else:
        run = f"exit-{p.returncode}" if p.returncode >= 0 else f"signal-{-p.returncode}"
    first = first_line(p.stderr)
    # What glibc prints for --version, and what the program prints started through musl's loader:
    # through the stub when it survives, else with muslcheck's fix (interpreter + libgcompat first).
    orig = copy + "-glibc"
    shutil.copy(path, orig)
    os.chmod(orig, 0o755)
    glibc = subprocess.run(["timeout", "10", orig, "--version"], cwd=os.path.join(work, "scratch"),
                           stdin=subprocess.DEVNULL, capture_output=True)
    musl_out = p
    fixed = "-"
    if run == "stub-crash":
        fx = copy + "-fixed"
        shutil.copy(path, fx)
        os.chmod(fx, 0o755)
        cmd = ["patchelf", "--set-interpreter", "/lib/ld-musl-x86_64.so.1", "--add-needed", "libgcompat.so.0"]
        for lib in (r.get("elf") or {}).get("needed", []):
            if lib.startswith("ld-linux"):
                cmd += ["--remove-needed", lib]
        subprocess.run(cmd + [fx], check=True)
        musl_out = start(fx)
        fixed = {0: "ran", 127: "loader-error", 124: "timeout"}.get(musl_out.returncode, f"status-{musl_out.returncode}")
    g_line = first_line(glibc.stdout)
    m_line = first_line(musl_out.stdout)
    if musl_out.returncode == 127 or (run == "stub-crash" and fixed == "-"):
        args_seen = "-"
    else:
        args_seen = "same" if g_line == m_line else "differs"
    lm = subprocess.run(["/lib/ld-musl-x86_64.so.1", "--preload", os.path.join(work, "libgcompat.so.0"), "--list", path],
                        capture_output=True, stdin=subprocess.DEVNULL)
    crash = [f for f in r["findings"] if f["id"] == "gcompat-loader-crash"]
    args = [f for f in r["findings"] if f["id"] == "init-array-args"]
    conf = crash[0]["evidence"]["confidence"] if crash else "-"
    dist = crash[0]["evidence"]["distance"] if crash else "-"
    argv = (args[0]["evidence"]["confidence"] + ":" + (args[0]["evidence"].get("toolchain") or "?")) if args else "-"
    rows.append([path, r["verdict"], conf, str(dist), argv, run, str(lm.returncode), first, fixed, args_seen, g_line, m_line])
with open(os.path.join(out, "runtime.tsv"), "w") as f:
    f.write("path\tverdict\tgcompat-loader-crash\tdistance\tinit-array-args\tstub-run\tlist-mode\tfirst-stderr\tfixed-run\t--version\tglibc-stdout\tmusl-stdout\n")
    for row in rows:
        f.write("\t".join(row) + "\n")
crashed = [r for r in rows if r[5] == "stub-crash"]
flagged = [r for r in rows if r[2] in ("certain", "likely")]
possible = [r for r in rows if r[2] == "possible"]
false_alarms = [r for r in flagged if r[5] != "stub-crash"]
misses = [r for r in crashed if r[2] not in ("certain", "likely")]
print(f"programs {len(rows)}, stub crashes {len(crashed)}, flagged (error) {len(flagged)}, possible {len(possible)}, "
      f"false alarms {len(false_alarms)}, misses {len(misses)}")
for label, rs in (("false alarm", false_alarms), ("miss", misses), ("possible", possible)):
    for r in rs:
        print(f"  {label}: {r[0]} ({r[5]}, {r[2]}, distance {r[3]})")
fix_runs = [r for r in crashed if r[8] == "ran"]
print(f"stub crashes started with the fix: {len(fix_runs)} of {len(crashed)}")
ran = [r for r in rows if r[9] in ("same", "differs")]
lost = [r for r in ran if r[9] == "differs"]
flag_args = [r for r in rows if r[4] != "-"]
print(f"started under musl: {len(ran)}; --version output differs from glibc's: {len(lost)}; init-array-args raised: {len(flag_args)}")
for r in ran:
    print(f"  {r[9]:8} init-array-args={r[4]:22} {r[0]}: glibc '{r[10]}' / musl '{r[11]}'")
PY
