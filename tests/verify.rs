//! `muslcheck verify` (#10) against real loaders on this machine: Debian's musl loader
//! (/lib/ld-musl-x86_64.so.1, package musl) for plain-musl hosts, and for gcompat-style hosts a
//! stand-in built here: an ELF interpreter that re-executes musl's loader with `--preload` as
//! gcompat's loader/loader.c does, and a small libgcompat exporting the glibc-only names the
//! test programs use. Programs are built at test time with musl-gcc and gcc (.ci/run installs
//! both).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use serde_json::Value;

use crate::util::{muslcheck, sample, temp_dir, tools_present};

const LDSO: &str = "/lib/ld-musl-x86_64.so.1";

fn cc(compiler: &str, src: &str, out: &Path, args: &[&str]) {
    let dir = out.parent().unwrap();
    let c = dir.join(format!("{}.c", out.file_name().unwrap().to_string_lossy()));
    std::fs::write(&c, src).unwrap();
    let o = Command::new(compiler)
        .arg("-O0")
        .arg("-o")
        .arg(out)
        .arg(&c)
        .args(args)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "{compiler} {}: {}",
        out.display(),
        String::from_utf8_lossy(&o.stderr)
    );
}

/// Writes one line to stderr describing its sandbox, leaves a file in its working directory.
const PROBE: &str = r#"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
int main(int argc, char **argv) {
    char cwd[4096] = "";
    getcwd(cwd, sizeof cwd);
    char buf[16];
    long got = read(0, buf, sizeof buf);
    int ifaces = -2;
    FILE *f = fopen("/proc/net/dev", "r");
    char line[512];
    while (f && fgets(line, sizeof line, f)) ifaces++;
    FILE *m = fopen("marker", "w");
    if (m) fclose(m);
    fprintf(stderr, "cwd=%s stdin=%ld ifaces=%d args=%s home=%s\n", cwd, got, ifaces,
            argc > 1 ? argv[1] : "-", getenv("HOME") ? getenv("HOME") : "-");
    return 3;
}
"#;

const SEGV: &str = "int main(void) { *(volatile int *)0 = 1; return 0; }\n";

/// Forks a child that sleeps in the same process group, says the child's pid, sleeps.
const LINGER: &str = r#"
#include <stdio.h>
#include <unistd.h>
int main(void) {
    pid_t c = fork();
    if (c == 0) { sleep(1000); return 0; }
    fprintf(stderr, "child=%d\n", (int)c);
    fflush(stderr);
    sleep(1000);
    return 0;
}
"#;

/// Writes 8 MiB to standard output.
const CHATTY: &str = r#"
#include <stdio.h>
#include <string.h>
int main(void) {
    char b[4096];
    memset(b, 'x', sizeof b);
    for (int i = 0; i < 2048; i++) fwrite(b, 1, sizeof b, stdout);
    fputs("done\n", stderr);
    return 0;
}
"#;

/// A gcompat-style ELF interpreter: what gcompat's loader/loader.c does (readlink
/// /proc/self/exe, execve musl's loader with --argv0 and --preload). Built -static with musl
/// (an ET_EXEC interpreter; gcompat builds a static-pie, which matters only for #10's loader
/// crash, not for what these tests check).
pub const STUB: &str = r#"
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
int main(int argc, char **argv) {
    static char target[4096];
    ssize_t n = readlink("/proc/self/exe", target, sizeof target - 1);
    if (n < 0) { perror("readlink"); return 1; }
    target[n] = 0;
    char **v = calloc(argc + 8, sizeof *v);
    int i = 0;
    v[i++] = ARGV0; v[i++] = "--argv0"; v[i++] = argv[0];
    v[i++] = "--preload"; v[i++] = PRELOAD; v[i++] = "--"; v[i++] = target;
    for (int k = 1; k < argc; k++) v[i++] = argv[k];
    execv(LDSO, v);
    perror("execv");
    return 127;
}
"#;

/// The stand-in libgcompat: `gnu_get_libc_version` as gcompat's version.c has it. It lacks
/// `strfry`, which the real gcompat has (string.c).
pub const LIBGCOMPAT: &str = "const char *gnu_get_libc_version(void) { return \"2.8\"; }\n";

/// glibc programs: one runs with gcompat, one needs a name gcompat has and the stand-in does
/// not, one a name neither musl nor gcompat has (arc4random, glibc 2.36).
const GLIBC_VERSION: &str = r#"
#include <stdio.h>
#include <gnu/libc-version.h>
int main(int argc, char **argv) {
    printf("glibc %s\n", gnu_get_libc_version());
    fprintf(stderr, "argc=%d\n", argc);
    return 0;
}
"#;
const GLIBC_STRFRY: &str = r#"
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
int main(int argc, char **argv) { char s[] = "abc"; puts(argc > 5 ? strfry(s) : s); return 0; }
"#;
const GLIBC_ARC4: &str = r#"
#include <stdio.h>
#include <stdlib.h>
int main(void) { printf("%u\n", arc4random()); return 0; }
"#;

struct Fixtures {
    dir: PathBuf,
}

impl Fixtures {
    fn path(&self, name: &str) -> String {
        self.dir.join(name).display().to_string()
    }
}

fn fixtures() -> Option<&'static Fixtures> {
    static F: OnceLock<Option<Fixtures>> = OnceLock::new();
    F.get_or_init(|| {
        if !tools_present(&["musl-gcc", "gcc"], &[LDSO]) {
            return None;
        }
        let dir = temp_dir("verify-fixtures");
        let musl = |src, name: &str| cc("musl-gcc", src, &dir.join(name), &[]);
        musl(PROBE, "probe");
        musl(SEGV, "segv");
        musl(LINGER, "linger");
        musl(CHATTY, "chatty");
        let preload = dir.join("libgcompat-standin.so");
        cc("musl-gcc", LIBGCOMPAT, &preload, &["-shared", "-fPIC"]);
        let stub = dir.join("ld-gcompat-standin");
        cc(
            "musl-gcc",
            STUB,
            &stub,
            &[
                "-static",
                "-DARGV0=\"ld-linux-x86-64.so.2\"",
                &format!("-DLDSO=\"{LDSO}\""),
                &format!("-DPRELOAD=\"{}\"", preload.display()),
            ],
        );
        let interp = format!("-Wl,--dynamic-linker={}", stub.display());
        for (src, name) in [
            (GLIBC_VERSION, "glibc-version"),
            (GLIBC_STRFRY, "glibc-strfry"),
            (GLIBC_ARC4, "glibc-arc4random"),
        ] {
            cc("gcc", src, &dir.join(name), &[&interp]);
        }
        Some(Fixtures { dir })
    })
    .as_ref()
}

/// `muslcheck verify --format json ARGS`: the document and the exit status.
fn verify(args: &[&str]) -> (Value, i32) {
    let mut all = vec!["verify", "--format", "json"];
    all.extend_from_slice(args);
    let out = muslcheck(&all);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let doc: Value = serde_json::from_str(&stdout).unwrap_or_else(|e| {
        panic!(
            "bad JSON ({e}): {stdout}\nstderr: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (doc, out.status.code().unwrap_or(-1))
}

fn result<'a>(doc: &'a Value, name: &str) -> &'a Value {
    doc["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["path"].as_str().unwrap().ends_with(name))
        .unwrap_or_else(|| panic!("no result for {name}: {doc}"))
}

fn plain(extra: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = ["--loader", LDSO, "--gcompat-preload", "none"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    v.extend(extra.iter().map(|s| s.to_string()));
    v
}

#[test]
fn plain_musl_host_agrees_on_the_samples_and_names_the_loaders_symbols() {
    if fixtures().is_none() {
        return;
    }
    let samples: Vec<String> = [
        "hello-musl",
        "hello-musl-static",
        "plugin-native.so",
        "plugin-fortify.so",
        "fortify",
        "fcntl64",
        "hello-glibc",
        "res-init",
        "hello-glibc-aarch64",
        "not-elf.txt",
    ]
    .iter()
    .map(|s| sample(s).display().to_string())
    .collect();
    let mut args = plain(&[]);
    args.extend(samples);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (doc, code) = verify(&args);
    let v = &doc["verify"];
    assert_eq!(v["host"]["musl"], "1.2.3", "Debian's musl package: {v}");
    assert_eq!(doc["target"]["gcompat"], Value::Null);
    assert_eq!(v["disagree"], 0, "{doc}");
    assert_eq!(code, 0);
    assert_eq!(v["checked"], 8);
    assert_eq!(v["agree"], 8);
    assert_eq!(v["agreement_rate"], 1.0);
    assert_eq!(v["not_checked"], 2, "aarch64, not ELF: {doc}");
    assert_eq!(result(&doc, "hello-musl")["verify"]["loader"]["ok"], true);
    assert_eq!(
        result(&doc, "hello-glibc-aarch64")["verify"]["agreement"],
        "not-checked"
    );
    // What list mode reported missing is what muslcheck predicted missing.
    for name in ["fortify", "plugin-fortify.so", "fcntl64", "res-init"] {
        let r = result(&doc, name);
        let mut predicted: Vec<String> = r["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["id"] == "missing-symbol")
            .map(|f| {
                f["symbol"]
                    .as_str()
                    .unwrap()
                    .split('@')
                    .next()
                    .unwrap()
                    .to_string()
            })
            .collect();
        predicted.sort();
        let mut seen: Vec<String> = r["verify"]["loader"]["missing_symbols"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_str().unwrap().to_string())
            .collect();
        seen.sort();
        assert!(!seen.is_empty(), "{name}: {r}");
        assert_eq!(predicted, seen, "{name}");
        assert_eq!(r["verdict"], "rebuild");
        assert_eq!(r["verify"]["agreement"], "agree");
    }
    // glibc programs on a host without gcompat: the kernel finds no musl loader at PT_INTERP.
    let g = result(&doc, "hello-glibc");
    assert_eq!(g["verdict"], "rebuild");
    assert_eq!(g["verify"]["loader"]["ok"], false);
    assert!(
        g["verify"]["loader"]["interpreter_problem"]
            .as_str()
            .unwrap()
            .contains("/lib64/ld-linux-x86-64.so.2"),
        "{g}"
    );
}

#[test]
fn runs_happen_in_a_sandbox_and_are_reported() {
    let Some(f) = fixtures() else { return };
    let here = std::env::current_dir().unwrap();
    let args = plain(&["--run=--probe-arg", &f.path("probe")]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (doc, code) = verify(&args);
    let r = result(&doc, "probe");
    let run = &r["verify"]["run"];
    assert_eq!(run["outcome"], "exited", "{r}");
    assert_eq!(run["exit_code"], 3, "a non-zero exit is not a crash: {r}");
    assert_eq!(r["verify"]["agreement"], "agree");
    assert_eq!(code, 0);
    let line = run["stderr"].as_str().unwrap();
    let field = |k: &str| {
        line.split(' ')
            .find_map(|w| w.strip_prefix(&format!("{k}=")))
            .unwrap_or_else(|| panic!("{k} in {line}"))
            .to_string()
    };
    assert_eq!(field("stdin"), "0", "stdin is /dev/null: {line}");
    assert_eq!(field("args"), "--probe-arg");
    let cwd = PathBuf::from(field("cwd"));
    assert_ne!(cwd, here);
    assert_eq!(PathBuf::from(field("home")), cwd, "HOME is the scratch dir");
    assert!(
        !cwd.join("marker").exists() && !cwd.exists(),
        "scratch directory {} removed after the run",
        cwd.display()
    );
    match doc["verify"]["host"]["network_isolation"].as_str() {
        Some(how) => {
            assert!(how.starts_with("unshare"), "{how}");
            assert_eq!(
                field("ifaces"),
                "1",
                "only loopback in a new namespace: {line}"
            );
        }
        None => eprintln!("note: no network namespace can be made here; runs had network"),
    }
}

#[test]
fn a_crash_is_a_disagreement_with_native_and_exits_1() {
    let Some(f) = fixtures() else { return };
    let args = plain(&["--run", &f.path("segv")]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (doc, code) = verify(&args);
    let r = result(&doc, "segv");
    assert_eq!(r["verdict"], "native");
    assert_eq!(r["verify"]["loader"]["ok"], true, "it loads: {r}");
    assert_eq!(r["verify"]["run"]["outcome"], "signal");
    assert_eq!(r["verify"]["run"]["signal"], "SIGSEGV");
    assert_eq!(r["verify"]["agreement"], "disagree");
    assert_eq!(doc["verify"]["disagree"], 1);
    assert_eq!(code, 1);
    // List mode alone never starts it, so it agrees.
    let args = plain(&[&f.path("segv")]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (doc, code) = verify(&args);
    assert_eq!(result(&doc, "segv")["verify"]["agreement"], "agree");
    assert!(result(&doc, "segv")["verify"].get("run").is_none());
    assert_eq!(code, 0);
}

#[test]
fn a_run_that_hangs_is_killed_with_its_children_and_is_no_crash() {
    let Some(f) = fixtures() else { return };
    let args = plain(&["--run", "--run-timeout", "1", &f.path("linger")]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let started = std::time::Instant::now();
    let (doc, code) = verify(&args);
    assert!(started.elapsed().as_secs() < 20);
    let r = result(&doc, "linger");
    let run = &r["verify"]["run"];
    assert_eq!(run["outcome"], "timeout", "{r}");
    assert_eq!(r["verify"]["agreement"], "agree");
    assert_eq!(code, 0);
    let child: u32 = run["stderr"]
        .as_str()
        .unwrap()
        .strip_prefix("child=")
        .unwrap()
        .parse()
        .unwrap();
    // The forked child was in the run's process group: it must be gone (or a zombie being
    // reaped by init), never still sleeping.
    std::thread::sleep(std::time::Duration::from_millis(200));
    let state = std::fs::read_to_string(format!("/proc/{child}/stat")).unwrap_or_default();
    assert!(
        state.is_empty() || state.contains(") Z"),
        "child {child} still alive: {state}"
    );
}

#[test]
fn output_is_captured_up_to_a_bound() {
    let Some(f) = fixtures() else { return };
    let args = plain(&["--run", &f.path("chatty")]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = muslcheck(&{
        let mut a = vec!["verify", "--format", "json"];
        a.extend_from_slice(&args);
        a
    });
    assert!(
        out.stdout.len() < 1 << 20,
        "the report does not carry the output"
    );
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let r = result(&doc, "chatty");
    assert_eq!(r["verify"]["run"]["outcome"], "exited");
    assert_eq!(r["verify"]["run"]["stderr"], "done");
}

fn gcompat_host(f: &Fixtures, extra: &[&str]) -> Vec<String> {
    let mut v = vec![
        "--loader".to_string(),
        LDSO.to_string(),
        "--gcompat-preload".to_string(),
        f.path("libgcompat-standin.so"),
        "--gcompat-loader".to_string(),
        f.path("ld-gcompat-standin"),
    ];
    v.extend(extra.iter().map(|s| s.to_string()));
    v
}

#[test]
fn gcompat_host_runs_glibc_programs_through_the_interpreter_and_agrees() {
    let Some(f) = fixtures() else { return };
    let args = gcompat_host(
        f,
        &[
            "--run=--version",
            &f.path("glibc-version"),
            &f.path("glibc-arc4random"),
        ],
    );
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (doc, code) = verify(&args);
    assert_eq!(doc["target"]["gcompat"], "1.1.0", "{}", doc["target"]);
    let ok = result(&doc, "glibc-version");
    assert_eq!(ok["verdict"], "gcompat", "{ok}");
    let loader = &ok["verify"]["loader"];
    assert_eq!(loader["ok"], true, "{ok}");
    assert!(
        loader["command"]
            .as_str()
            .unwrap()
            .starts_with("LD_PRELOAD="),
        "list mode preloads libgcompat: {loader}"
    );
    let run = &ok["verify"]["run"];
    assert_eq!(run["outcome"], "exited", "{ok}");
    assert_eq!(run["exit_code"], 0);
    // Started by the kernel through PT_INTERP (the stand-in), musl's loader and the preload:
    // main saw its argument.
    assert_eq!(run["stderr"], "argc=2", "{ok}");
    assert_eq!(ok["verify"]["agreement"], "agree");
    let bad = result(&doc, "glibc-arc4random");
    assert_eq!(bad["verdict"], "rebuild");
    assert_eq!(
        bad["verify"]["loader"]["missing_symbols"],
        serde_json::json!(["arc4random"])
    );
    assert_eq!(bad["verify"]["run"]["exit_code"], 127, "{bad}");
    assert_eq!(bad["verify"]["agreement"], "agree");
    assert_eq!(doc["verify"]["agree"], 2);
    assert_eq!(code, 0);
}

#[test]
fn gcompat_host_missing_a_name_gcompat_has_is_a_disagreement() {
    // The stand-in lacks strfry; the real gcompat has it. muslcheck predicts gcompat; the
    // loader fails: verify must say so and exit 1.
    let Some(f) = fixtures() else { return };
    let args = gcompat_host(f, &[&f.path("glibc-strfry")]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (doc, code) = verify(&args);
    let r = result(&doc, "glibc-strfry");
    assert_eq!(r["verdict"], "gcompat");
    assert_eq!(
        r["verify"]["loader"]["missing_symbols"],
        serde_json::json!(["strfry"])
    );
    assert_eq!(r["verify"]["agreement"], "disagree");
    assert_eq!(code, 1);
    // The same program judged for plain musl is `rebuild`, and the loader agrees.
    let args = plain(&[&f.path("glibc-strfry")]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (doc, code) = verify(&args);
    assert_eq!(result(&doc, "glibc-strfry")["verdict"], "rebuild");
    assert_eq!(code, 0);
}

#[test]
fn refuses_without_a_musl_loader() {
    let out = muslcheck([
        "verify",
        "--loader",
        "/nonexistent/ld-musl-x86_64.so.1",
        sample("hello-musl").to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no musl loader"), "{err}");
    assert!(out.stdout.is_empty());
    // glibc's loader is not musl's.
    if Path::new("/lib64/ld-linux-x86-64.so.2").exists() {
        let out = muslcheck([
            "verify",
            "--loader",
            "/lib64/ld-linux-x86-64.so.2",
            sample("hello-musl").to_str().unwrap(),
        ]);
        assert_eq!(out.status.code(), Some(2));
        assert!(String::from_utf8_lossy(&out.stderr).contains("musl"));
    }
}

#[test]
fn every_format_carries_the_observations() {
    let Some(f) = fixtures() else { return };
    let dir = temp_dir("verify-formats");
    let mut args = vec!["verify".to_string()];
    args.extend(plain(&["--run"]));
    for fmt in [
        "json", "jsonl", "sarif", "junit", "markdown", "html", "text",
    ] {
        args.push("--report".into());
        args.push(format!("{fmt}={}", dir.join(fmt).display()));
    }
    args.push(f.path("segv"));
    args.push(sample("hello-musl").display().to_string());
    let out = muslcheck(&args);
    assert_eq!(out.status.code(), Some(1), "segv disagrees");
    let read = |n: &str| std::fs::read_to_string(dir.join(n)).unwrap();
    let text = read("text");
    assert!(text.contains("VERIFY disagree"), "{text}");
    assert!(
        text.contains("1 agree, 1 disagree (50.0% agreement)"),
        "{text}"
    );
    let json: Value = serde_json::from_str(&read("json")).unwrap();
    assert_eq!(json["verify"]["agreement_rate"], 0.5);
    let last: Value = serde_json::from_str(read("jsonl").lines().last().unwrap()).unwrap();
    assert_eq!(last["verify"]["disagree"], 1);
    let sarif: Value = serde_json::from_str(&read("sarif")).unwrap();
    let sarif_schema = crate::formats::sarif_schema();
    crate::formats::assert_valid(
        &crate::formats::validator(&sarif_schema, jsonschema::Draft::Draft7),
        &sarif,
        "verify sarif",
    );
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    let d: Vec<&Value> = results
        .iter()
        .filter(|r| r["ruleId"] == "verify-disagreement")
        .collect();
    assert_eq!(d.len(), 1);
    let rules = sarif["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap();
    let idx = d[0]["ruleIndex"].as_u64().unwrap() as usize;
    assert_eq!(rules[idx]["id"], "verify-disagreement");
    let junit = read("junit");
    let xml = roxmltree::Document::parse(&junit).unwrap();
    let failures: Vec<_> = xml
        .descendants()
        .filter(|n| n.has_tag_name("failure"))
        .collect();
    assert_eq!(failures.len(), 1, "{junit}");
    assert_eq!(failures[0].attribute("type"), Some("disagree"));
    assert!(read("markdown").contains("verify: 1 of 2 checked files agree"));
    let html = read("html");
    assert!(html.contains("\"agreement\":\"disagree\""));
    assert!(html.contains("data-disagree"));
}

#[test]
fn verify_json_and_jsonl_match_the_schema_and_document_every_field() {
    use crate::formats::{assert_valid, def_schema, report_schema, undocumented, validator};
    let Some(f) = fixtures() else { return };
    let schema = report_schema();
    let v = validator(&schema, jsonschema::Draft::Draft202012);
    let mut args = gcompat_host(f, &["--run"]);
    for p in [
        f.path("segv"),
        f.path("glibc-version"),
        f.path("glibc-arc4random"),
        sample("fortify").display().to_string(),
        sample("needs-zlib").display().to_string(),
        sample("not-elf.txt").display().to_string(),
    ] {
        args.push(p);
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (doc, _) = verify(&args);
    assert_valid(&v, &doc, "verify json");
    let mut missing = Vec::new();
    undocumented(&schema, &schema, &doc, "", &mut missing);
    assert!(missing.is_empty(), "fields not in the schema: {missing:?}");
    let text = doc.to_string();
    for field in [
        "\"run\"",
        "\"signal\"",
        "\"missing_symbols\"",
        "\"gcompat_preload\"",
    ] {
        assert!(text.contains(field), "the run exercises {field}");
    }
    let mut all = vec!["verify", "--format", "jsonl"];
    all.extend_from_slice(&args);
    let out = muslcheck(&all);
    let lines: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let record = validator(&def_schema("jsonl_record"), jsonschema::Draft::Draft202012);
    let summary = validator(&def_schema("jsonl_summary"), jsonschema::Draft::Draft202012);
    for l in &lines[1..lines.len() - 1] {
        assert_valid(&record, l, "jsonl record");
    }
    let last = lines.last().unwrap();
    assert_valid(&summary, last, "jsonl summary");
    assert_eq!(last["verify"], doc["verify"]);
}

/// Debian 13's musl 1.2.5, unpacked by .ci/run (a second, newer loader next to Debian 12's 1.2.3).
const LDSO_125: &str = "/opt/musl-1.2.5/usr/lib/ld-musl-x86_64.so.1";

#[test]
fn dt_relr_crashes_on_musl_1_2_3_and_runs_on_1_2_5_as_predicted() {
    if fixtures().is_none() || !tools_present(&[], &[LDSO_125]) {
        return;
    }
    let dir = temp_dir("verify-relr");
    let src = crate::util::root().join("samples/src/relr.c");
    let build = |out: &str, extra: &[&str]| {
        let o = Command::new("musl-gcc")
            .args(["-O2", "-fPIE", "-pie", "-Wl,-z,pack-relative-relocs"])
            .args(extra)
            .arg("-o")
            .arg(dir.join(out))
            .arg(&src)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        dir.join(out).display().to_string()
    };
    let old = build("relr-musl", &[]);
    let new = build(
        "relr-musl-125",
        &[&format!("-Wl,--dynamic-linker={LDSO_125}")],
    );
    let on = |loader: &str, extra: &[&str]| {
        let mut a = vec!["--loader", loader, "--gcompat-preload", "none"];
        a.extend_from_slice(extra);
        verify(&a)
    };
    // musl 1.2.3: rebuild (dt-relr); list mode cannot see it, the run crashes.
    let (doc, code) = on(LDSO, &[&old]);
    let r = result(&doc, "relr-musl");
    assert_eq!(r["verdict"], "rebuild");
    assert_eq!(r["verify"]["agreement"], "unconfirmed", "{r}");
    assert_eq!(code, 0);
    let (doc, _) = on(LDSO, &["--run", &old]);
    let r = result(&doc, "relr-musl");
    assert_eq!(r["verify"]["run"]["signal"], "SIGSEGV", "{r}");
    assert_eq!(r["verify"]["agreement"], "agree");
    // musl 1.2.5 applies DT_RELR: native, and it runs.
    let (doc, code) = on(LDSO_125, &["--run", &new]);
    assert_eq!(doc["verify"]["host"]["musl"], "1.2.5");
    assert_eq!(doc["target"]["musl"], "1.2.5");
    let r = result(&doc, "relr-musl-125");
    assert_eq!(r["verdict"], "native", "{r}");
    assert_eq!(r["verify"]["run"]["outcome"], "exited", "{r}");
    assert_eq!(r["verify"]["run"]["exit_code"], 0);
    assert_eq!(r["verify"]["agreement"], "agree");
    assert_eq!(code, 0);
}

#[test]
fn musl_1_2_5_list_mode_agrees_on_the_samples() {
    if fixtures().is_none() || !tools_present(&[], &[LDSO_125]) {
        return;
    }
    let bin = sample("hello-musl").parent().unwrap().display().to_string();
    let vendor = crate::util::root()
        .join("samples/vendor")
        .display()
        .to_string();
    let (doc, _) = verify(&[
        "--loader",
        LDSO_125,
        "--gcompat-preload",
        "none",
        &bin,
        &vendor,
    ]);
    let v = &doc["verify"];
    assert_eq!(v["host"]["musl"], "1.2.5");
    assert_eq!(v["disagree"], 0, "{doc}");
    assert!(v["checked"].as_u64().unwrap() >= 20, "{v}");
    assert_eq!(v["symbols_agree"], v["symbols_checked"], "{v}");
    eprintln!(
        "musl 1.2.5 list mode: {} checked, {} agree, {} unconfirmed; symbols {} / {}",
        v["checked"], v["agree"], v["unconfirmed"], v["symbols_agree"], v["symbols_checked"]
    );
}

#[test]
fn the_html_report_shows_the_verification_in_a_browser() {
    let Some(f) = fixtures() else { return };
    let dir = temp_dir("verify-html");
    let page = dir.join("verify.html");
    let mut args = vec!["verify".to_string(), "--format".into(), "html".into()];
    args.extend(plain(&["--run", "-o", &page.display().to_string()]));
    args.push(f.path("segv"));
    args.push(sample("hello-musl").display().to_string());
    assert_eq!(muslcheck(&args).status.code(), Some(1));
    let dom = crate::html::rendered_dom(&page, &dir);
    assert!(dom.contains("id=\"verify\""), "{dom}");
    assert!(dom.contains("data-disagree=\"1\""), "{dom}");
    assert!(dom.contains("1 of 2 checked files agree"), "{dom}");
    assert!(dom.contains("data-agreement=\"disagree\""));
    assert!(dom.contains("data-agreement=\"agree\""));
    assert!(dom.contains("SIGSEGV"));
}

#[test]
fn the_host_can_be_named_through_the_environment() {
    // MUSLCHECK_LOADER, MUSLCHECK_GCOMPAT_PRELOAD and MUSLCHECK_GCOMPAT_LOADER do what the
    // flags do (for CI jobs that set them once).
    let Some(f) = fixtures() else { return };
    let out = Command::new(crate::util::bin())
        .env("XDG_CACHE_HOME", crate::util::own_cache())
        .args(["verify", "--format", "json", &f.path("glibc-version")])
        .env("MUSLCHECK_LOADER", LDSO)
        .env("MUSLCHECK_GCOMPAT_PRELOAD", f.path("libgcompat-standin.so"))
        .env("MUSLCHECK_GCOMPAT_LOADER", f.path("ld-gcompat-standin"))
        .output()
        .unwrap();
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["target"]["gcompat"], "1.1.0");
    assert_eq!(
        doc["verify"]["host"]["gcompat_loader"],
        f.path("ld-gcompat-standin")
    );
    let r = result(&doc, "glibc-version");
    assert_eq!(r["verdict"], "gcompat");
    assert_eq!(r["verify"]["agreement"], "agree", "{r}");
    // And `--gcompat-preload none` turns gcompat off again.
    let out = Command::new(crate::util::bin())
        .env("XDG_CACHE_HOME", crate::util::own_cache())
        .args(["verify", "--format", "json", "--gcompat-preload", "none"])
        .arg(f.path("glibc-version"))
        .env("MUSLCHECK_LOADER", LDSO)
        .env("MUSLCHECK_GCOMPAT_PRELOAD", f.path("libgcompat-standin.so"))
        .output()
        .unwrap();
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["target"]["gcompat"], Value::Null);
}

#[test]
fn a_plugins_imports_from_its_host_program_leave_it_unconfirmed() {
    // A Python or Node extension imports names its host program defines (PyList_New, napi_*):
    // list mode of the library alone cannot resolve them, on any host. Such a library is
    // unconfirmed, not a disagreement; one that also lacks a C library name still fails as
    // predicted.
    if fixtures().is_none() {
        return;
    }
    let dir = temp_dir("verify-plugin");
    let build = |name: &str, src: &str| {
        let out = dir.join(name);
        cc("musl-gcc", src, &out, &["-shared", "-fPIC"]);
        out.display().to_string()
    };
    let plain = build(
        "libplugin.so",
        "int host_callback(int);\nint plugin_entry(int x) { return host_callback(x) + 1; }\n",
    );
    let glibc_only = build(
        "libplugin-strfry.so",
        "int host_callback(int);\nchar *strfry(char *);\n\
         int plugin_entry(int x) { char s[] = \"ab\"; return host_callback(x) + (strfry(s) != 0); }\n",
    );
    let args = plain_args(&[&plain, &glibc_only]);
    let (doc, code) = verify(&args);
    let p = result(&doc, "libplugin.so");
    assert_eq!(p["verdict"], "native");
    assert_eq!(
        p["verify"]["loader"]["missing_symbols"],
        serde_json::json!(["host_callback"])
    );
    assert_eq!(p["verify"]["agreement"], "unconfirmed", "{p}");
    assert_eq!(
        p["verify"]["symbols_agree"], true,
        "host names are left out"
    );
    let s = result(&doc, "libplugin-strfry.so");
    assert_eq!(s["verdict"], "rebuild");
    assert_eq!(s["verify"]["agreement"], "agree", "{s}");
    assert_eq!(code, 0);
}

fn plain_args<'a>(files: &[&'a str]) -> Vec<&'a str> {
    let mut v = vec!["--loader", LDSO, "--gcompat-preload", "none"];
    v.extend_from_slice(files);
    v
}
