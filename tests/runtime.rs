//! Will it run (#10): gcompat's loader stub crash and the lost `.init_array` arguments, reproduced
//! with programs built here and started for real.
//!
//! gcompat is not installed here, so the tests build what its package provides: a re-exec stub
//! that works like gcompat's loader/loader.c (tests/fixtures/runtime/loader-stub.c, linked
//! -static-pie against Debian's musl like gcompat's Makefile links its stub) and a libgcompat
//! stand-in exporting the two glibc-only symbols the test programs use. The programs are built
//! with gcc against glibc and pointed at the stub with `patchelf --set-interpreter`, which is
//! exactly the start gcompat gives a glibc program on Alpine.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use muslcheck::inspect::{Kind, inspect};

const LDSO: &str = "/lib/ld-musl-x86_64.so.1";
/// Debian's musl-dev layout (musl-gcc.specs, rcrt1.o, libc.a).
const MUSL_LIB: &str = "/usr/lib/x86_64-linux-musl";

fn fixture(name: &str) -> PathBuf {
    crate::util::root()
        .join("tests/fixtures/runtime")
        .join(name)
}

fn run(cmd: &mut Command) -> Output {
    cmd.output()
        .unwrap_or_else(|e| panic!("{cmd:?}: {e} (gcc, musl-tools and patchelf: .ci/run)"))
}

fn ok(cmd: &mut Command) {
    let out = run(cmd);
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn gcc_file(name: &str) -> String {
    let out = run(Command::new("gcc").arg(format!("-print-file-name={name}")));
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// Build the stub, the libgcompat stand-in and the test programs once per test run.
fn built() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = crate::util::temp_dir("runtime-10");
        let m = Path::new(MUSL_LIB);
        assert!(
            m.join("rcrt1.o").exists() && Path::new(LDSO).exists(),
            "Debian's musl and musl-dev are needed (.ci/run installs musl-tools)"
        );
        let standin = dir.join("libgcompat.so.0");
        ok(Command::new("musl-gcc")
            .args([
                "-shared",
                "-fPIC",
                "-O2",
                "-Wl,-soname,libgcompat.so.0",
                "-o",
            ])
            .arg(&standin)
            .arg(fixture("gcompat-standin.c")));
        // The stub: compiled with musl's headers, linked by hand with rcrt1.o, because musl-gcc's
        // specs turn -static-pie into a dynamically linked PIE with PT_INTERP.
        let obj = dir.join("loader-stub.o");
        ok(Command::new("musl-gcc")
            .args(["-fPIC", "-O2", "-c", "-o"])
            .arg(&obj)
            .arg(format!("-DPRELOAD_PATH=\"{}\"", standin.display()))
            .arg(fixture("loader-stub.c")));
        ok(Command::new("gcc")
            .args(["-static-pie", "-nostdlib", "-nostartfiles", "-o"])
            .arg(dir.join("stub"))
            .arg(m.join("rcrt1.o"))
            .arg(m.join("crti.o"))
            .arg(gcc_file("crtbeginS.o"))
            .arg(&obj)
            .arg(m.join("libc.a"))
            .arg(gcc_file("libgcc.a"))
            .arg(gcc_file("crtendS.o"))
            .arg(m.join("crtn.o")));
        for (name, flags) in PROGRAMS {
            ok(Command::new("gcc")
                .args(["-O2", "-D_FORTIFY_SOURCE=2", "-o"])
                .arg(dir.join(name))
                .args(flags.split_whitespace())
                .arg(fixture("tlsrelro.c")));
        }
        dir
    })
}

/// The test programs: one trigger and three controls.
const PROGRAMS: &[(&str, &str)] = &[
    ("big-tdata", "-DTLS_DATA -DENTRIES=16384"),
    ("big-tbss", "-DTLS_BSS -DENTRIES=16384"),
    ("big-notls", "-DENTRIES=16384"),
    ("small-tdata", "-DTLS_DATA -DENTRIES=16"),
    (
        "big-tdata-plain",
        "-DTLS_DATA -DENTRIES=16384 -DPLAIN -U_FORTIFY_SOURCE",
    ),
];

/// A copy of a built program with its PT_INTERP set to `interp`.
fn patched(name: &str, suffix: &str, patchelf_args: &[&str]) -> PathBuf {
    let dir = built();
    let path = dir.join(format!("{name}-{suffix}"));
    std::fs::copy(dir.join(name), &path).unwrap();
    ok(Command::new("patchelf").args(patchelf_args).arg(&path));
    path
}

fn through_stub(name: &str) -> PathBuf {
    let stub = built().join("stub");
    patched(name, "stub", &["--set-interpreter", stub.to_str().unwrap()])
}

fn judged(path: &Path) -> serde_json::Value {
    let (doc, _) = crate::util::scan_json(&[], &[path]);
    doc["results"][0].clone()
}

fn crash_finding(result: &serde_json::Value) -> Option<serde_json::Value> {
    result["findings"]
        .as_array()?
        .iter()
        .find(|f| f["id"] == "gcompat-loader-crash")
        .cloned()
}

fn signal(out: &Output) -> Option<i32> {
    use std::os::unix::process::ExitStatusExt;
    out.status.signal()
}

#[test]
fn the_stub_is_a_static_pie_like_gcompats() {
    let stub = std::fs::read(built().join("stub")).unwrap();
    let facts = inspect(&stub).unwrap();
    assert_eq!(facts.kind, Kind::StaticPie, "ET_DYN without PT_INTERP");
    assert!(facts.interpreter.is_none());
    // scripts/stub-window.sh derives the window the database keeps for this stub.
    let out = run(Command::new("bash")
        .arg(crate::util::root().join("scripts/stub-window.sh"))
        .arg(built().join("stub"))
        .args(["x86_64", "4096", "standin"]));
    let line = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{line}");
    let f: Vec<&str> = line.split_whitespace().collect();
    assert_eq!(f[..3], ["build", "x86_64", "4096"]);
    let hex = |s: &str| u64::from_str_radix(s.trim_start_matches("0x"), 16).unwrap();
    let (dynamic, lo, hi) = (hex(f[3]), hex(f[4]), hex(f[5]));
    assert!(lo <= dynamic && dynamic < hi, "{line}");
    // The stand-in's window lies within the range of the builds in symbol-db.
    let db = std::fs::read_to_string(crate::util::root().join("symbol-db/gcompat/loader-stub.txt"))
        .unwrap();
    let known: Vec<u64> = db
        .lines()
        .filter(|l| l.starts_with("build x86_64 4096 "))
        .filter_map(|l| l.split_whitespace().nth(3).map(hex))
        .collect();
    let (min, max) = (known.iter().min().unwrap(), known.iter().max().unwrap());
    assert!(
        (*min..=*max).contains(&dynamic),
        "stand-in _DYNAMIC {dynamic:#x} outside the database's {min:#x}..={max:#x}"
    );
}

#[test]
fn programs_run_under_glibc() {
    for (name, _) in PROGRAMS {
        let out = run(Command::new(built().join(name)).arg("x"));
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{name}");
        let tl = if name.contains("tbss") { "0" } else { "42" };
        assert!(
            stdout.starts_with(&format!("ran tl={tl} libc=")),
            "{name}: {stdout}"
        );
        assert!(
            !stdout.contains("libc=2.8"),
            "glibc answers for itself: {stdout}"
        );
    }
}

#[test]
fn initialised_tls_far_below_dynamic_crashes_the_stub_and_is_flagged() {
    let prog = through_stub("big-tdata");
    let out = run(Command::new(&prog).arg("x"));
    assert_eq!(signal(&out), Some(11), "SIGSEGV expected: {out:?}");
    assert!(out.stdout.is_empty(), "the program never ran");

    let result = judged(&built().join("big-tdata"));
    assert_eq!(result["verdict"], "rebuild");
    let f = crash_finding(&result).expect("gcompat-loader-crash");
    assert_eq!(f["severity"], "error");
    assert_eq!(f["requires"], "rebuild");
    let e = &f["evidence"];
    assert_eq!(e["kind"], "stub-tls");
    assert_eq!(e["confidence"], "certain");
    assert_eq!(e["tdata_size"], 8);
    assert!(e["distance"].as_i64().unwrap() > 16384 * 8);
    assert!(e["window_below"].as_u64().unwrap() < e["distance"].as_u64().unwrap());
}

#[test]
fn controls_run_under_the_stub_and_are_not_flagged() {
    for name in ["big-tbss", "big-notls", "small-tdata"] {
        let prog = through_stub(name);
        let out = run(Command::new(&prog).arg("x"));
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success() && stdout.starts_with("ran tl="),
            "{name}: {out:?}"
        );
        // Started by musl's loader with the stand-in preloaded: gcompat's answer.
        assert!(
            stdout.contains("libc=2.8 argc=2 last=x"),
            "{name}: {stdout}"
        );
        let result = judged(&built().join(name));
        assert_eq!(result["verdict"], "gcompat", "{name}");
        assert!(crash_finding(&result).is_none(), "{name}: {result}");
    }
}

#[test]
fn the_documented_fix_runs_the_program_and_the_interpreter_alone_does_not() {
    let standin_dir = built().to_str().unwrap().to_string();
    let result = judged(&built().join("big-tdata"));
    let fix = crash_finding(&result).unwrap()["fix"]
        .as_str()
        .unwrap()
        .to_string();
    let set = format!("patchelf --set-interpreter {LDSO} --add-needed libgcompat.so.0 FILE");
    assert!(fix.contains(&set), "{fix}");
    assert!(fix.contains("LD_PRELOAD=/lib/libgcompat.so.0"), "{fix}");

    // The fix as written (libgcompat.so.0 is in /lib on Alpine; here it is found through
    // LD_LIBRARY_PATH).
    let fixed = patched(
        "big-tdata",
        "fixed",
        &["--set-interpreter", LDSO, "--add-needed", "libgcompat.so.0"],
    );
    let out = run(Command::new(&fixed)
        .arg("x")
        .env("LD_LIBRARY_PATH", &standin_dir));
    assert!(out.status.success(), "{out:?}");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "ran tl=42 libc=2.8 argc=2 last=x\n"
    );

    // The alternative: interpreter changed, libgcompat preloaded.
    let interp_only = patched("big-tdata", "interp", &["--set-interpreter", LDSO]);
    let out = run(Command::new(&interp_only)
        .arg("x")
        .env("LD_PRELOAD", built().join("libgcompat.so.0")));
    assert!(out.status.success(), "{out:?}");

    // Never the interpreter change alone: gcompat's symbols stay missing.
    let out = run(Command::new(&interp_only).arg("x"));
    assert_eq!(out.status.code(), Some(127), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("__printf_chk: symbol not found"),
        "{stderr}"
    );
}

#[test]
fn without_gcompat_symbols_the_interpreter_change_is_the_whole_fix() {
    let result = judged(&built().join("big-tdata-plain"));
    assert_eq!(
        result["verdict"], "rebuild",
        "it crashes under gcompat's stub"
    );
    let fix = crash_finding(&result).unwrap()["fix"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        fix.starts_with(&format!("patchelf --set-interpreter {LDSO} FILE")),
        "{fix}"
    );
    let out = run(Command::new(through_stub("big-tdata-plain")).arg("x"));
    assert_eq!(signal(&out), Some(11), "{out:?}");
    let fixed = patched("big-tdata-plain", "interp", &["--set-interpreter", LDSO]);
    let out = run(Command::new(&fixed).arg("x"));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "ran tl=42 libc=none argc=2 last=x\n",
        "{out:?}"
    );
}

#[test]
fn the_fix_removes_a_needed_glibc_loader() {
    // A program that lists ld-linux-x86-64.so.2: musl answers that name only when started as
    // gcompat's stub starts it (argv[0]), so the fix drops it.
    let prog = patched(
        "big-tdata",
        "needs-ld",
        &["--add-needed", "ld-linux-x86-64.so.2"],
    );
    let result = judged(&prog);
    let fix = crash_finding(&result).unwrap()["fix"]
        .as_str()
        .unwrap()
        .to_string();
    let steps = format!(
        "patchelf --set-interpreter {LDSO} --add-needed libgcompat.so.0 --remove-needed ld-linux-x86-64.so.2 FILE"
    );
    assert!(fix.contains(&steps), "{fix}");
    let fixed = built().join("big-tdata-needs-ld-fixed");
    std::fs::copy(&prog, &fixed).unwrap();
    ok(Command::new("patchelf")
        .args(["--set-interpreter", LDSO, "--add-needed", "libgcompat.so.0"])
        .args(["--remove-needed", "ld-linux-x86-64.so.2"])
        .arg(&fixed));
    let out = run(Command::new(&fixed)
        .arg("x")
        .env("LD_LIBRARY_PATH", built()));
    assert!(out.status.success(), "{out:?}");
}

#[test]
fn a_ci_gate_at_the_default_fail_on_fails_the_crash() {
    let (doc, code) = crate::util::scan_json(&[], &[&built().join("big-tdata")]);
    assert_eq!(code, 1, "{doc}");
    assert_eq!(doc["gate"]["status"], "failed");
    assert_eq!(doc["results"][0]["own_verdict"], "rebuild");
    // The summary does not offer `apk add gcompat` as the way to run it.
    assert!(
        doc["summary"]["install"]
            .as_array()
            .is_none_or(|a| !a.iter().any(|p| p == "gcompat")),
        "{}",
        doc["summary"]
    );
    // And explain documents the finding with its fix.
    let out = crate::util::muslcheck(["explain", "gcompat-loader-crash"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    assert!(text.contains("--add-needed libgcompat.so.0") && text.contains("static_init_tls"));
    // And `db info` names the windows' file and its provenance.
    let out = crate::util::muslcheck(["db", "info"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("gcompat/loader-stub.txt"), "{text}");
}

/// Build `initargs.c` with `flags` into the shared build directory.
fn initargs(name: &str, flags: &[&str]) -> PathBuf {
    let path = built().join(name);
    ok(Command::new("gcc")
        .args(["-O2", "-o"])
        .arg(&path)
        .args(flags)
        .arg(fixture("initargs.c")));
    path
}

fn init_args_finding(result: &serde_json::Value) -> Option<serde_json::Value> {
    result["findings"]
        .as_array()?
        .iter()
        .find(|f| f["id"] == "init-array-args")
        .cloned()
}

#[test]
fn init_array_arguments_vanish_under_musl_and_old_rust_std_is_flagged() {
    let old = initargs("ia-old", &["-DRUSTC=\"1.70.0\""]);
    let fixed = initargs("ia-fixed", &["-DRUSTC=\"1.80.0\"", "-DFIXED"]);
    for p in [&old, &fixed] {
        // glibc passes (argc, argv, envp) to .init_array functions.
        let out = run(Command::new(p).args(["a", "b"]));
        assert_eq!(String::from_utf8_lossy(&out.stdout), "args:3 last=b\n");
    }
    // Started the gcompat way (stub → musl's loader), the init function receives nothing.
    let stub = built().join("stub");
    let old_stub = patched(
        "ia-old",
        "stub",
        &["--set-interpreter", stub.to_str().unwrap()],
    );
    let out = run(Command::new(&old_stub).args(["a", "b"]));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "args lost (main has 3)\n",
        "{out:?}"
    );
    // The fixed start-up takes them from main and keeps them.
    let fixed_stub = patched(
        "ia-fixed",
        "stub",
        &["--set-interpreter", stub.to_str().unwrap()],
    );
    let out = run(Command::new(&fixed_stub).args(["a", "b"]));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "args:3 last=b\n");

    let r = judged(&old);
    assert_eq!(
        r["verdict"], "gcompat",
        "it loads; the finding is a runtime warning"
    );
    let f = init_args_finding(&r).expect("init-array-args");
    assert_eq!(f["severity"], "warning");
    assert_eq!(f["evidence"]["confidence"], "certain");
    assert_eq!(f["evidence"]["runtime"], "rust-std");
    assert_eq!(f["evidence"]["toolchain"], "rustc 1.70.0");
    assert!(f["fix"].as_str().unwrap().contains("Rust 1.80"));
    assert!(init_args_finding(&judged(&fixed)).is_none());
    // Without a recorded version, std's old module path still dates it.
    let nover = initargs("ia-nover", &[]);
    let f = init_args_finding(&judged(&nover)).expect("init-array-args without .comment");
    assert_eq!(f["evidence"]["confidence"], "certain");
}

/// A musl-built libgcc_s.so.1 (what Alpine's libgcc package provides, which Rust programs need):
/// libgcc_eh.a's objects with their hidden `_Unwind_*` made default-visible, linked against musl,
/// plus a `_dl_find_object` that always fails (libgcc then uses dl_iterate_phdr).
fn musl_libgcc_s() -> PathBuf {
    let dir = built().join("libgcc");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    ok(Command::new("ar")
        .arg("x")
        .arg(gcc_file("libgcc_eh.a"))
        .current_dir(&dir));
    let mut objects = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "o") {
            unhide_globals(&path);
            objects.push(path);
        }
    }
    let dlfo = dir.join("dlfo.c");
    std::fs::write(
        &dlfo,
        "int _dl_find_object(void *pc, void *r) { (void)pc; (void)r; return -1; }\n",
    )
    .unwrap();
    ok(Command::new("musl-gcc")
        .args(["-shared", "-fPIC", "-O2", "-Wl,-soname,libgcc_s.so.1", "-o"])
        .arg(dir.join("libgcc_s.so.1"))
        .arg(&dlfo)
        .args(&objects));
    dir
}

/// Make the hidden global symbols of an ELF64 little-endian object default-visible.
fn unhide_globals(path: &Path) {
    let mut b = std::fs::read(path).unwrap();
    let u16_at = |b: &[u8], o: usize| u16::from_le_bytes(b[o..o + 2].try_into().unwrap()) as usize;
    let u32_at = |b: &[u8], o: usize| u32::from_le_bytes(b[o..o + 4].try_into().unwrap());
    let u64_at = |b: &[u8], o: usize| u64::from_le_bytes(b[o..o + 8].try_into().unwrap()) as usize;
    let (shoff, shentsize, shnum) = (u64_at(&b, 0x28), u16_at(&b, 0x3a), u16_at(&b, 0x3c));
    for i in 0..shnum {
        let sh = shoff + i * shentsize;
        if u32_at(&b, sh + 4) != 2 {
            continue; // not SHT_SYMTAB
        }
        let (off, size, entsize) = (
            u64_at(&b, sh + 0x18),
            u64_at(&b, sh + 0x20),
            u64_at(&b, sh + 0x38),
        );
        for j in 0..size / entsize {
            let sym = off + j * entsize;
            if b[sym + 4] >> 4 == 1 && b[sym + 5] & 3 == 2 {
                b[sym + 5] &= !3; // STB_GLOBAL + STV_HIDDEN → STV_DEFAULT
            }
        }
    }
    std::fs::write(path, b).unwrap();
}

#[test]
fn todays_rust_std_is_not_flagged() {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let prog = built().join("rust-args");
    ok(Command::new(rustc)
        .args(["-O", "--target", "x86_64-unknown-linux-gnu", "-o"])
        .arg(&prog)
        .arg(fixture("args.rs")));
    let facts = inspect(&std::fs::read(&prog).unwrap()).unwrap();
    let version = facts
        .extra
        .startup
        .rustc_version()
        .expect(".comment: rustc version");
    assert!(
        facts
            .extra
            .startup
            .markers
            .iter()
            .any(|m| m.contains("ARGV_INIT_ARRAY")),
        "{:?}",
        facts.extra.startup
    );
    let r = judged(&prog);
    assert!(init_args_finding(&r).is_none(), "rustc {version}: {r}");
    assert!(crash_finding(&r).is_none(), "{r}");
    // Through the stub it starts and keeps its arguments (std takes them from main too).
    let stub = built().join("stub");
    let started = patched(
        "rust-args",
        "stub",
        &["--set-interpreter", stub.to_str().unwrap()],
    );
    let out = run(Command::new(&started)
        .args(["a", "b"])
        .env("LD_LIBRARY_PATH", musl_libgcc_s()));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "args:3 last=b\n",
        "{out:?}"
    );
}

#[test]
fn go_c_shared_libraries_are_flagged() {
    let lib = built().join("libgo.so");
    ok(Command::new("gcc")
        .args(["-shared", "-fPIC", "-O2", "-o"])
        .arg(&lib)
        .arg(fixture("go-cshared.c")));
    let r = judged(&lib);
    assert_eq!(r["verdict"], "rebuild", "{r}");
    let f = init_args_finding(&r).expect("init-array-args");
    assert_eq!(f["severity"], "error");
    assert_eq!(f["evidence"]["runtime"], "go");
    assert_eq!(f["evidence"]["toolchain"], "go1.22.1");
    // A glibc C library without Go build info is not.
    let plain = built().join("libplain.so");
    ok(Command::new("gcc")
        .args(["-shared", "-fPIC", "-O2", "-o"])
        .arg(&plain)
        .arg(fixture("gcompat-standin.c")));
    assert!(init_args_finding(&judged(&plain)).is_none());
}

#[test]
fn evidence_matches_the_schema_and_is_documented() {
    let old = initargs("ia-schema", &["-DRUSTC=\"1.70.0\""]);
    let (doc, _) = crate::util::scan_json(&[], &[&built().join("big-tdata"), &old]);
    let schema = crate::formats::report_schema();
    let v = crate::formats::validator(&schema, jsonschema::Draft::Draft202012);
    crate::formats::assert_valid(&v, &doc, "runtime findings");
    let mut missing = Vec::new();
    crate::formats::undocumented(&schema, &schema, &doc, "", &mut missing);
    assert!(
        missing.iter().all(|m| !m.contains("evidence")),
        "{missing:?}"
    );
    let kinds: Vec<&str> = doc["results"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| r["findings"].as_array().unwrap())
        .filter_map(|f| f["evidence"]["kind"].as_str())
        .collect();
    assert!(
        kinds.contains(&"stub-tls") && kinds.contains(&"init-args"),
        "{kinds:?}"
    );
}

#[test]
fn a_real_go_c_shared_library_crashes_under_musl_and_is_flagged() {
    let dir = built().join("go");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy(fixture("go-sum.go"), dir.join("sum.go")).unwrap();
    ok(Command::new("go")
        .args(["build", "-buildmode=c-shared", "-o", "libsum.so", "sum.go"])
        .current_dir(&dir)
        .env("GO111MODULE", "off")
        .env("GOCACHE", dir.join("cache"))
        .env("GOFLAGS", ""));
    ok(Command::new("gcc")
        .args(["-O2", "-o", "usesum"])
        .arg(fixture("go-sum-user.c"))
        .args(["-L.", "-lsum", "-Wl,-rpath,$ORIGIN"])
        .current_dir(&dir));
    let out = run(Command::new(dir.join("usesum")).arg("a"));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "sum=3 argc=2\n");
    // Through the stub: the program has no TLS, so the stub execs musl's loader, which runs the
    // Go runtime's .init_array entry with no arguments; the runtime faults.
    let stub = built().join("stub");
    let started = dir.join("usesum-stub");
    std::fs::copy(dir.join("usesum"), &started).unwrap();
    ok(Command::new("patchelf")
        .args(["--set-interpreter", stub.to_str().unwrap()])
        .arg(&started));
    let out = run(Command::new(&started).arg("a"));
    assert_eq!(signal(&out), Some(11), "{out:?}");
    assert!(out.stdout.is_empty());
    std::fs::remove_file(&started).unwrap();

    let (doc, _) = crate::util::scan_json(&[], &[&dir.join("libsum.so"), &dir.join("usesum")]);
    let lib = &doc["results"][0];
    assert_eq!(lib["verdict"], "rebuild", "{lib}");
    let f = init_args_finding(lib).expect("init-array-args");
    assert_eq!(f["evidence"]["runtime"], "go");
    assert!(
        f["evidence"]["toolchain"]
            .as_str()
            .unwrap()
            .starts_with("go1.")
    );
    let prog = &doc["results"][1];
    assert!(crash_finding(prog).is_none(), "the stub survives: {prog}");
    // Scanned together, the program is judged with the library it bundles.
    let (doc, _) = crate::util::scan_json(&[], &[&dir]);
    let prog = doc["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["path"].as_str().unwrap().ends_with("/usesum"))
        .unwrap();
    assert_eq!(prog["verdict"], "rebuild", "{prog}");
}
