//! Runtime risks, shim advice, hardening posture and the glibc floor (#6), on programs compiled from
//! tests/fixtures/advice/ at test time (gcc and musl-gcc; .ci/run installs musl-tools). Each finding
//! has a program that triggers it and a control that does not; IDs are compared exactly.
// See: #6

use std::path::{Path, PathBuf};
use std::process::Command;

use muslcheck::judge::{Category, Code};
use serde_json::Value;

use crate::util::{ids, muslcheck, root, sample, scan_json};

fn fixture(name: &str) -> PathBuf {
    root().join("tests/fixtures/advice").join(name)
}

fn out_dir() -> PathBuf {
    // Shared by the tests of this module (built programs are reused), so not wiped.
    let d = crate::util::temp_path("advice");
    std::fs::create_dir_all(&d).expect("create test output dir");
    d
}

/// Compile `args` with `cc` into `out` (a name in the output directory) and return its path.
fn build(cc: &str, out: &str, args: &[&str]) -> PathBuf {
    let path = out_dir().join(out);
    let result = Command::new(cc)
        .args(args)
        .arg("-o")
        .arg(&path)
        .current_dir(out_dir())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cc}: {e}"));
    assert!(
        result.status.success(),
        "{cc} {args:?} failed:\n{}",
        String::from_utf8_lossy(&result.stderr)
    );
    path
}

/// gcc with fixed flags, so that distribution defaults do not change the imports.
fn gcc(out: &str, src: &str, extra: &[&str]) -> PathBuf {
    let src = fixture(src);
    let mut args = vec!["-O2", "-g0", "-fno-stack-protector", "-U_FORTIFY_SOURCE"];
    args.push(src.to_str().unwrap());
    args.extend_from_slice(extra);
    build("gcc", out, &args)
}

fn scan(args: &[&str], paths: &[&Path]) -> Vec<Value> {
    let (doc, _) = scan_json(args, paths);
    doc["results"].as_array().expect("results").clone()
}

/// Loading and runtime IDs (hardening has its own tests below).
fn runtime_ids(r: &Value) -> Vec<String> {
    ids(r)
        .into_iter()
        .filter(|id| Code::from_id(id).is_some_and(|c| c.category() != Category::Hardening))
        .collect()
}

fn hardening_ids(r: &Value) -> Vec<String> {
    ids(r)
        .into_iter()
        .filter(|id| Code::from_id(id).is_some_and(|c| c.category() == Category::Hardening))
        .collect()
}

fn finding<'a>(r: &'a Value, id: &str) -> &'a Value {
    r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == id)
        .unwrap_or_else(|| panic!("no {id} in {r:#}"))
}

fn text(f: &Value, key: &str) -> String {
    f[key].as_str().unwrap_or_default().to_string()
}

fn set(v: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = v.iter().map(|s| s.to_string()).collect();
    v.sort();
    v
}

#[test]
fn thread_stack_size_and_malloc_contention() {
    let threads = gcc("threads", "threads.c", &["-pthread"]);
    let big_stack = gcc(
        "threads-8m",
        "threads.c",
        &["-pthread", "-Wl,-z,stack-size=8388608"],
    );
    let no_malloc = gcc("threads-nomalloc", "threads-nomalloc.c", &["-pthread"]);
    let musl = build(
        "musl-gcc",
        "threads-musl",
        &["-O2", fixture("threads.c").to_str().unwrap(), "-pthread"],
    );
    let r = scan(&[], &[&threads, &big_stack, &no_malloc, &musl]);
    let loader = "glibc-loader";
    assert_eq!(
        runtime_ids(&r[0]),
        set(&[loader, "malloc-contention", "thread-stack-size"])
    );
    let stack = finding(&r[0], "thread-stack-size");
    assert_eq!(stack["severity"], "warning");
    assert_eq!(
        stack["requires"], "native",
        "advice never changes the verdict"
    );
    assert!(text(stack, "message").contains("pthread_create"), "{stack}");
    assert!(text(stack, "message").contains("128 KiB"), "{stack}");
    assert!(text(stack, "fix").contains("-Wl,-z,stack-size="), "{stack}");
    let malloc = finding(&r[0], "malloc-contention");
    assert!(text(malloc, "message").contains("malloc"), "{malloc}");
    assert!(text(malloc, "fix").contains("mimalloc"), "{malloc}");
    assert_eq!(r[0]["verdict"], "gcompat");
    // 8 MiB PT_GNU_STACK raises musl's default: no stack finding, the allocator one stays.
    assert_eq!(runtime_ids(&r[1]), set(&[loader, "malloc-contention"]));
    // Threads without allocations.
    assert_eq!(runtime_ids(&r[2]), set(&[loader, "thread-stack-size"]));
    // Built against musl: musl's behaviour is what it was tested with.
    assert_eq!(runtime_ids(&r[3]), Vec::<String>::new());
}

#[test]
fn dns_resolver_knows_the_musl_version() {
    let dns = gcc("dns", "dns.c", &[]);
    let hello = sample("hello-glibc");
    let now = scan(&[], &[&dns, &hello]);
    assert_eq!(runtime_ids(&now[0]), set(&["glibc-loader", "dns-resolver"]));
    assert_eq!(runtime_ids(&now[1]), set(&["glibc-loader"]));
    let f = finding(&now[0], "dns-resolver");
    assert_eq!(f["severity"], "note", "musl 1.2.5 has TCP fallback: {f}");
    assert!(text(f, "message").contains("getaddrinfo"));
    let old = scan(&["--musl", "1.2.3"], &[&dns]);
    let f = finding(&old[0], "dns-resolver");
    assert_eq!(f["severity"], "warning");
    assert!(text(f, "message").contains("no TCP fallback"), "{f}");
    assert!(text(f, "fix").contains("1.2.4"), "{f}");
}

#[test]
fn locale_iconv_warns_on_collation_and_iconv_only() {
    let strong = gcc("locale", "locale.c", &[]);
    let weak = gcc("setlocale", "setlocale.c", &[]);
    let r = scan(&[], &[&strong, &weak]);
    let f = finding(&r[0], "locale-iconv");
    assert_eq!(f["severity"], "warning");
    for evidence in ["iconv_open", "strcoll"] {
        assert!(text(f, "message").contains(evidence), "{f}");
    }
    let f = finding(&r[1], "locale-iconv");
    assert_eq!(f["severity"], "note");
    assert!(f["fix"].is_null(), "nothing to fix for setlocale alone");
    let hello = scan(&[], &[&sample("hello-glibc")]);
    assert!(!ids(&hello[0]).contains(&"locale-iconv".to_string()));
}

#[test]
fn gnu_semantics_for_gnu_variants_only() {
    let gnu = gcc("gnu", "gnu.c", &[]);
    let lib = gcc("libgnu.so", "gnu.c", &["-fPIC", "-shared"]);
    let posix = gcc("posix", "posix.c", &[]);
    let r = scan(&[], &[&gnu, &lib, &posix]);
    let symbols = |r: &Value| -> Vec<String> {
        let mut v: Vec<String> = r["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["id"] == "gnu-semantics")
            .map(|f| text(f, "symbol").split('@').next().unwrap().to_string())
            .collect();
        v.sort();
        v
    };
    // A glibc program gets libgcompat preloaded, whose GNU strerror_r overrides musl's.
    assert_eq!(symbols(&r[0]), set(&["basename", "getopt"]));
    // A library gets no preload: musl's XSI strerror_r is what it calls.
    assert_eq!(symbols(&r[1]), set(&["basename", "getopt", "strerror_r"]));
    let f = r[1]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| text(f, "symbol").starts_with("strerror_r@"))
        .unwrap();
    assert!(text(f, "message").contains("char *"), "{f}");
    assert!(text(f, "fix").contains("libgcompat"), "{f}");
    // XSI strerror_r (__xpg_strerror_r) and libgen's basename (__xpg_basename): nothing differs.
    assert_eq!(symbols(&r[2]), Vec::<String>::new());
    // Without gcompat, the program's strerror_r binds to musl's too.
    let none = scan(&["--gcompat", "none"], &[&gnu]);
    assert_eq!(
        symbols(&none[0]),
        set(&["basename", "getopt", "strerror_r"])
    );
}

#[test]
fn glibc_file_internals_from_inline_getc_putc() {
    let inline = gcc("stdio-inline", "stdio-inline.c", &[]);
    let plain = gcc("stdio-plain", "stdio-plain.c", &[]);
    let r = scan(&[], &[&inline, &plain]);
    assert_eq!(
        runtime_ids(&r[0]),
        set(&["glibc-loader", "glibc-file-internals"])
    );
    let f = finding(&r[0], "glibc-file-internals");
    assert!(text(f, "message").contains("__uflow@GLIBC_2.2.5"), "{f}");
    assert_eq!(f["severity"], "note", "musl's FILE layout supports these");
    assert_eq!(runtime_ids(&r[1]), set(&["glibc-loader"]));
}

#[test]
fn dlopen_glibc_lib_with_confidence() {
    let nss = gcc("dlopen-nss", "dlopen-nss.c", &["-ldl"]);
    let zlib = gcc("dlopen-zlib", "dlopen-zlib.c", &["-ldl"]);
    let cuda = gcc("names-cuda", "names-cuda.c", &[]);
    let r = scan(&[], &[&nss, &zlib, &cuda]);
    let f = finding(&r[0], "dlopen-glibc-lib");
    assert_eq!(f["library"], "libnss_files.so.2");
    assert!(text(f, "message").contains("confidence high"), "{f}");
    assert_eq!(f["severity"], "warning");
    assert!(
        !ids(&r[1]).contains(&"dlopen-glibc-lib".to_string()),
        "zlib exists on Alpine"
    );
    let f = finding(&r[2], "dlopen-glibc-lib");
    assert_eq!(f["library"], "libcuda.so.1");
    assert!(text(f, "message").contains("confidence medium"), "{f}");
}

#[test]
fn static_glibc_nss_needs_glibc_and_nss_evidence() {
    let stripped = gcc("getpwnam-static", "getpwnam.c", &["-static", "-s"]);
    let iconv = gcc("iconv-static", "iconv.c", &["-static"]);
    let iconv_stripped = gcc("iconv-static-s", "iconv.c", &["-static", "-s"]);
    let musl = build(
        "musl-gcc",
        "getpwnam-musl-static",
        &["-O2", "-static", fixture("getpwnam.c").to_str().unwrap()],
    );
    let r = scan(
        &[],
        &[
            &stripped,
            &iconv,
            &iconv_stripped,
            &musl,
            &sample("hello-static-glibc"),
        ],
    );
    assert_eq!(runtime_ids(&r[0]), set(&["static-glibc-nss"]));
    let f = finding(&r[0], "static-glibc-nss");
    assert!(text(f, "message").contains("/etc/nsswitch.conf"), "{f}");
    assert!(text(f, "message").contains("NT_GNU_ABI_TAG"), "{f}");
    assert_eq!(r[0]["verdict"], "native", "advice only");
    // iconv is visible only through .symtab.
    assert_eq!(runtime_ids(&r[1]), set(&["static-glibc-nss"]));
    assert!(text(finding(&r[1], "static-glibc-nss"), "message").contains("iconv_open"));
    assert_eq!(runtime_ids(&r[2]), Vec::<String>::new());
    // musl's static getpwnam reads /etc/passwd itself; a plain static glibc hello uses no NSS.
    assert_eq!(runtime_ids(&r[3]), Vec::<String>::new());
    assert_eq!(runtime_ids(&r[4]), Vec::<String>::new());
}

#[test]
fn versioned_foreign_symbol_follows_load_order() {
    let dir = out_dir();
    let map = format!("-Wl,--version-script={}", fixture("libfoo.map").display());
    gcc("libfoo.so", "libfoo.c", &["-fPIC", "-shared", &map]);
    let libdir = format!("-L{}", dir.display());
    let first = gcc(
        "usefoo-libc-first",
        "usefoo.c",
        &["-Wl,--no-as-needed", "-lc", &libdir, "-lfoo"],
    );
    let normal = gcc("usefoo", "usefoo.c", &[&libdir, "-lfoo"]);
    let r = scan(
        &[],
        &[&first, &normal, &sample("uses-crypt"), &sample("hello-cxx")],
    );
    let f = finding(&r[0], "versioned-foreign-symbol");
    assert_eq!(f["symbol"], "issetugid@FOO_1");
    assert_eq!(f["library"], "libfoo.so");
    assert!(text(f, "message").contains("DT_NEEDED order"), "{f}");
    // libfoo.so comes first: its definition wins, as on glibc.
    assert!(!ids(&r[1]).contains(&"versioned-foreign-symbol".to_string()));
    let f = finding(&r[2], "versioned-foreign-symbol");
    assert_eq!(f["symbol"], "crypt@XCRYPT_2.0");
    assert!(text(f, "message").contains("yescrypt"), "{f}");
    assert_eq!(r[2]["verdict"], "gcompat", "still loads with gcompat");
    // GLIBCXX_ versions: musl has no such names.
    assert!(!ids(&r[3]).contains(&"versioned-foreign-symbol".to_string()));
}

#[test]
fn time64_abi_makes_32_bit_glibc_rebuild() {
    let r = scan(&[], &[&sample("hello-i386")]);
    assert_eq!(r[0]["verdict"], "rebuild");
    assert_eq!(ids(&r[0]), set(&["time64-abi"]));
    let f = finding(&r[0], "time64-abi");
    assert_eq!(f["requires"], "rebuild");
    assert!(text(f, "message").contains("i386"));
    // A 32-bit program using time functions, when the toolchain can build one.
    let probe = Command::new("gcc")
        .args(["-m32", "-x", "c", "-o"])
        .arg(out_dir().join("m32-probe"))
        .arg("-")
        .stdin(std::process::Stdio::null())
        .output();
    if probe.is_ok_and(|o| o.status.success()) {
        let t = gcc("time-i386", "dns.c", &["-m32"]);
        let r = scan(&[], &[&t]);
        assert_eq!(ids(&r[0]), set(&["time64-abi"]));
    } else {
        eprintln!(
            "note: gcc -m32 cannot link here (gcc-multilib); committed hello-i386 covers time64-abi"
        );
    }
}

#[test]
fn unjudged_architectures_stay_skipped() {
    // hello-glibc with e_machine patched to RISC-V: not i386/arm, so unsupported-arch, not time64-abi.
    let mut bytes = std::fs::read(sample("hello-glibc")).unwrap();
    bytes[18..20].copy_from_slice(&243u16.to_le_bytes());
    let path = out_dir().join("hello-riscv-patched");
    std::fs::write(&path, bytes).unwrap();
    let r = scan(&[], &[&path]);
    assert_eq!(r[0]["verdict"], "skipped");
    assert_eq!(ids(&r[0]), set(&["unsupported-arch"]));
}

#[test]
fn shim_advice_only_when_every_missing_symbol_has_a_shim() {
    let bsd = gcc("shim-bsd", "shim-bsd.c", &[]);
    let partial = gcc(
        "shim-partial",
        "shim-partial.c",
        &["-D_FILE_OFFSET_BITS=64"],
    );
    let fts = gcc("fts", "fts.c", &[]);
    let r = scan(&[], &[&bsd, &partial, &fts]);
    assert_eq!(
        r[0]["verdict"], "rebuild",
        "the shim is advice, not a verdict"
    );
    for f in r[0]["findings"].as_array().unwrap() {
        if f["id"] == "missing-symbol" {
            let fix = text(f, "fix");
            assert!(fix.contains("rebuild against musl"), "{fix}");
            assert!(fix.contains("apk add libbsd"), "{fix}");
            assert!(
                fix.contains("patchelf --add-needed libbsd.so.0 FILE"),
                "{fix}"
            );
            assert!(text(f, "message").contains("libbsd"), "{f}");
        }
    }
    let missing: Vec<_> = r[0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["id"] == "missing-symbol")
        .collect();
    assert_eq!(missing.len(), 2, "arc4random and closefrom");
    // fcntl64 has no shim: rebuilding is the only advice.
    for f in r[1]["findings"].as_array().unwrap() {
        if f["id"] == "missing-symbol" {
            assert!(!text(f, "fix").contains("apk add"), "{f}");
        }
    }
    let f = finding(&r[2], "missing-symbol");
    assert!(text(f, "fix").contains("apk add musl-fts"), "{f}");
    assert!(text(f, "fix").contains("libfts.so.0"), "{f}");
    // The text report shows the recipe as the fix.
    let out = muslcheck(["scan", bsd.to_str().unwrap()]);
    let t = String::from_utf8_lossy(&out.stdout);
    assert!(
        t.contains("fix: rebuild against musl; or try the shim: apk add libbsd"),
        "{t}"
    );
}

#[test]
fn hardening_posture_against_alpine_defaults() {
    let hardened_flags = [
        "-fstack-protector-strong",
        "-fPIE",
        "-pie",
        "-Wl,-z,relro,-z,now",
        "-Wl,-z,noexecstack",
    ];
    let src = fixture("buffers.c");
    let src = src.to_str().unwrap();
    let mut hardened_args = vec!["-O2", "-D_FORTIFY_SOURCE=2", src];
    hardened_args.extend_from_slice(&hardened_flags);
    let hardened = build("gcc", "buffers-hardened", &hardened_args);
    let soft = gcc("buffers-soft", "buffers.c", &["-no-pie", "-fno-PIE"]);
    let norelro = gcc(
        "buffers-norelro",
        "buffers.c",
        &["-Wl,-z,norelro", "-Wl,-z,execstack"],
    );
    let textrel = gcc(
        "libtextrel.so",
        "textrel.c",
        &["-fPIC", "-shared", "-Wl,-z,notext", "-Wl,-z,relro,-z,now"],
    );
    let rpath = gcc(
        "rpath",
        "setlocale.c",
        &[
            "-Wl,-rpath,lib:/tmp/plugins:$ORIGIN/../lib:/opt/app/lib",
            "-Wl,-z,now",
        ],
    );
    let r = scan(&[], &[&hardened, &soft, &norelro, &textrel, &rpath]);
    assert_eq!(hardening_ids(&r[0]), Vec::<String>::new(), "{:#}", r[0]);
    assert_eq!(
        hardening_ids(&r[1]),
        set(&[
            "no-pie",
            "no-stack-protector",
            "not-fortified",
            "partial-relro"
        ])
    );
    assert!(text(finding(&r[1], "no-stack-protector"), "message").contains("strcpy"));
    assert_eq!(
        hardening_ids(&r[2]),
        set(&[
            "exec-stack",
            "no-relro",
            "no-stack-protector",
            "not-fortified"
        ])
    );
    assert_eq!(finding(&r[2], "exec-stack")["severity"], "warning");
    assert_eq!(hardening_ids(&r[3]), set(&["textrel"]));
    assert_eq!(hardening_ids(&r[4]), set(&["risky-rpath"]));
    let risky: Vec<String> = r[4]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["id"] == "risky-rpath")
        .map(|f| text(f, "library"))
        .collect();
    assert_eq!(risky, set(&["/tmp/plugins", "lib"]));
    assert!(text(finding(&r[4], "risky-rpath"), "message").contains("only be checked on the host"));
    // Advice never changes the verdict.
    for rec in &r {
        for f in rec["findings"].as_array().unwrap() {
            if Code::from_id(f["id"].as_str().unwrap()).unwrap().category() == Category::Hardening {
                assert_eq!(f["requires"], "native");
            }
        }
    }
}

#[test]
fn text_report_keeps_hardening_notes_and_floor_for_verbose() {
    let soft = gcc("buffers-soft-text", "buffers.c", &["-no-pie", "-fno-PIE"]);
    let p = soft.to_str().unwrap();
    let quiet = String::from_utf8(muslcheck(["scan", p]).stdout).unwrap();
    assert!(!quiet.contains("partial-relro"), "{quiet}");
    assert!(!quiet.contains("glibc floor"), "{quiet}");
    let verbose = String::from_utf8(muslcheck(["scan", "-v", p]).stdout).unwrap();
    assert!(verbose.contains("partial-relro"), "{verbose}");
    assert!(verbose.contains("no-pie"), "{verbose}");
    assert!(verbose.contains("glibc floor: 2.34"), "{verbose}");
}

#[test]
fn glibc_floor_in_json() {
    let r = scan(
        &[],
        &[
            &sample("hello-glibc"),
            &sample("relr"),
            &sample("fcntl64"),
            &sample("hello-musl"),
            &sample("plugin-fortify.so"),
        ],
    );
    assert_eq!(r[0]["glibc_floor"]["version"], "2.34");
    assert_eq!(
        r[0]["glibc_floor"]["set_by"],
        serde_json::json!(["__libc_start_main@GLIBC_2.34"])
    );
    assert_eq!(r[1]["glibc_floor"]["version"], "2.36");
    assert_eq!(
        r[1]["glibc_floor"]["set_by"],
        serde_json::json!(["GLIBC_ABI_DT_RELR"])
    );
    assert_eq!(r[2]["glibc_floor"]["version"], "2.34");
    assert!(r[3].get("glibc_floor").is_none(), "musl programs have none");
    assert_eq!(r[4]["glibc_floor"]["version"], "2.3.4");
}

#[test]
fn explain_covers_every_new_id_with_sources() {
    for c in Code::ALL
        .iter()
        .filter(|c| c.category() != Category::Loading)
    {
        let out = muslcheck(["explain", c.id()]);
        assert!(out.status.success(), "{}", c.id());
        let t = String::from_utf8_lossy(&out.stdout);
        assert!(t.contains("Fix:"), "{}: {t}", c.id());
        assert!(
            [
                "src/",
                "aports",
                "commit",
                "release",
                "ldso/",
                "docs/",
                "symbol-db/"
            ]
            .iter()
            .any(|s| t.contains(s)),
            "{}: no source cited",
            c.id()
        );
    }
}
