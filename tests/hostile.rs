//! Hostile input (#5): every input forged by `forge.rs` gets exactly its documented records,
//! nothing crashes, the exit status is the documented one, and nothing leaves its place:
//! names stay strings, walks stay under their root, only `--output` is written.
//!
//! ELF damage is checked twice: through the library (thousands of variants, fast) and through
//! the binary in one batch per family (records counted per input). Timing and memory are
//! measured by scripts/hostile-suite.sh, never asserted here.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::forge::{self, Case, Expect};
use crate::util::{Tmp, command, root};

/// Limits lowered so that bombs stop fast; every case's expectation assumes these.
const LIMITS: &[&str] = &[
    "--max-file-size",
    "1M",
    "--max-artifact-size",
    "48M",
    "--max-depth",
    "4",
];

/// Size of the forged decompression bombs: 1 GiB of zeros each.
const BOMB_MIB: usize = 1024;

/// Run muslcheck with `args` in `cwd`; a run longer than two minutes is a hang and fails.
fn run(args: &[&str], paths: &[PathBuf], cwd: &Path) -> (String, Option<i32>) {
    let mut child = command()
        .args(args)
        .args(paths)
        .current_dir(cwd)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        stdout.read_to_string(&mut s).unwrap();
        s
    });
    let start = Instant::now();
    let status = loop {
        if let Some(st) = child.try_wait().unwrap() {
            break st;
        }
        if start.elapsed() > Duration::from_secs(120) {
            child.kill().unwrap();
            panic!("muslcheck {args:?} did not finish in two minutes");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    (reader.join().unwrap(), status.code())
}

/// Write the cases into `dir` and scan them in one batch; results by artifact.
fn scan_cases(
    dir: &Path,
    cases: &[Case],
    extra: &[&str],
) -> (BTreeMap<String, Vec<serde_json::Value>>, Option<i32>) {
    let paths: Vec<PathBuf> = cases
        .iter()
        .map(|c| {
            let p = dir.join(&c.name);
            std::fs::write(&p, &c.bytes).unwrap();
            p
        })
        .collect();
    let mut args = vec!["scan", "--format", "json", "--fail-on", "never"];
    args.extend_from_slice(LIMITS);
    args.extend_from_slice(extra);
    let (out, code) = run(&args, &paths, dir);
    let doc: serde_json::Value = serde_json::from_str(&out)
        .unwrap_or_else(|e| panic!("no JSON report ({e}), exit {code:?}"));
    let mut by: BTreeMap<String, Vec<serde_json::Value>> = BTreeMap::new();
    for r in doc["results"].as_array().unwrap() {
        by.entry(r["artifact"].as_str().unwrap().to_string())
            .or_default()
            .push(r.clone());
    }
    (by, code)
}

fn verdict(r: &serde_json::Value) -> &str {
    r["verdict"].as_str().unwrap_or("?")
}

fn reason(r: &serde_json::Value) -> &str {
    r["reason"].as_str().unwrap_or("")
}

/// Check one input's records against its documented outcome.
fn check(case: &Case, records: &[serde_json::Value]) -> Result<(), String> {
    let n = records.len();
    let errors = records.iter().filter(|r| verdict(r) == "error").count();
    let skipped_with = |text: &str| {
        records
            .iter()
            .any(|r| verdict(r) == "skipped" && reason(r).contains(text))
    };
    let ok = match &case.expect {
        Expect::One => n == 1,
        Expect::OneError => n == 1 && errors == 1,
        Expect::OneVerdict(v) => n == 1 && verdict(&records[0]) == v,
        Expect::OneSkipped(text) => n == 1 && skipped_with(text),
        Expect::SomeError => n >= 1 && errors >= 1,
        Expect::Some => n >= 1,
        Expect::SomeSkipped(text) => n >= 1 && skipped_with(text),
        Expect::AllSkipped(k, text) => {
            n == *k && records.iter().all(|r| verdict(r) == "skipped") && skipped_with(text)
        }
        Expect::Exactly(k) => n == *k,
    };
    if ok {
        Ok(())
    } else {
        let got: Vec<String> = records
            .iter()
            .map(|r| format!("{} {}: {}", r["path"], verdict(r), reason(r)))
            .collect();
        Err(format!(
            "{}: expected {:?}, got {got:#?}",
            case.name, case.expect
        ))
    }
}

/// Scan a family of cases and check every input's records; all failures are listed at once.
fn batch(tag: &str, cases: &[Case], extra: &[&str]) {
    let t = Tmp::new(&format!("hostile-{tag}"));
    let (by, code) = scan_cases(&t.0, cases, extra);
    assert_eq!(code, Some(0), "--fail-on never: no crash, no fatal error");
    let mut failures = Vec::new();
    for c in cases {
        let key = t.0.join(&c.name).display().to_string();
        let records = by.get(&key).map(Vec::as_slice).unwrap_or_default();
        if let Err(e) = check(c, records) {
            failures.push(e);
        }
    }
    let reported: usize = by.values().map(Vec::len).sum();
    assert!(
        failures.is_empty(),
        "{} of {} inputs differ:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
    assert!(reported >= cases.len(), "a record was lost");
}

/// The verdict the library gives bytes as one file.
fn library_verdict(data: &[u8]) -> String {
    let db = muslcheck::db::Db::get().unwrap();
    let target = muslcheck::judge::Target::resolve(db, None, None, None).unwrap();
    muslcheck::analyse("x", "x", data, db, &target)
        .verdict
        .as_str()
        .to_string()
}

/// Check ELF cases through the library: one record each, of the expected kind.
fn library(cases: &[Case]) {
    let db = muslcheck::db::Db::get().unwrap();
    let target = muslcheck::judge::Target::resolve(db, None, None, None).unwrap();
    let mut failures = Vec::new();
    for c in cases {
        let r = muslcheck::analyse(&c.name, &c.name, &c.bytes, db, &target);
        let v = r.verdict.as_str();
        let ok = match &c.expect {
            Expect::OneError => v == "error",
            Expect::OneVerdict(want) => v == want,
            _ => true,
        };
        if !ok {
            failures.push(format!(
                "{}: {v} ({:?}), expected {:?}",
                c.name, r.reason, c.expect
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn elf_truncated_at_every_structure_boundary() {
    let cases = forge::elf_truncations();
    assert!(cases.len() > 500, "{} boundaries", cases.len());
    library(&cases);
    batch("trunc", &cases, &[]);
}

#[test]
fn elf_absurd_headers_looping_versions_unterminated_strings_overlaps() {
    let cases = forge::elf_mutations(&library_verdict);
    assert!(cases.len() > 500, "{} mutations", cases.len());
    library(&cases);
    batch("mut", &cases, &[]);
}

#[test]
fn elf_random_damage() {
    // Through the library only: 2000 variants, each must simply come back as one record.
    library(&forge::elf_bit_flips(200));
}

#[test]
fn archives_truncated_anywhere_say_so() {
    batch("cut", &forge::archive_truncations(), &[]);
}

#[test]
fn members_that_lie_about_their_size() {
    batch("size", &forge::lying_sizes(), &[]);
}

#[test]
fn decompression_bombs_stop_at_the_limits() {
    batch("bomb", &forge::bombs(BOMB_MIB), &[]);
}

#[test]
fn links_nesting_duplicates_and_hostile_images() {
    batch("struct", &forge::structure(), &[]);
}

#[test]
fn member_names_outside_the_archive_stay_names() {
    let t = Tmp::new("traversal");
    let escape = Tmp::new("traversal-escape");
    std::fs::remove_dir(&escape.0).unwrap();
    let cases = forge::traversal(&escape.0.display().to_string());
    let work = t.path("work");
    std::fs::create_dir(&work).unwrap();
    let (by, code) = scan_cases(&work, &cases, &[]);
    assert_eq!(code, Some(0));
    for c in &cases {
        let key = work.join(&c.name).display().to_string();
        check(c, by.get(&key).map(Vec::as_slice).unwrap_or_default()).unwrap();
    }
    // Names are normalised strings under the archive: no `..`, nothing above `name!/`.
    let tar = work.join("traverse.tar").display().to_string();
    let mut names: Vec<&str> = by[&tar]
        .iter()
        .map(|r| r["path"].as_str().unwrap())
        .collect();
    names.sort_unstable();
    let esc = escape.0.display().to_string();
    let mut want = vec![
        format!("{tar}!/b/evil"),
        format!("{tar}!/etc/evil-abs2"),
        format!("{tar}!{esc}/evil"),
        format!("{tar}!{esc}/evil-abs"),
    ];
    want.sort_unstable();
    assert_eq!(names, want);
    for r in by.values().flatten() {
        assert!(!r["path"].as_str().unwrap().contains("/../"), "{r}");
    }
    // Nothing was extracted: not at the names, not next to the inputs.
    assert!(!escape.0.exists(), "{} was created", escape.0.display());
    assert!(!Path::new("/etc/evil-abs2").exists());
    let mut left: Vec<String> = std::fs::read_dir(&work)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    left.sort_unstable();
    let mut inputs: Vec<String> = cases.iter().map(|c| c.name.clone()).collect();
    inputs.sort_unstable();
    assert_eq!(left, inputs, "only the inputs are in the working directory");
}

/// A tree with an ELF file, symbolic-link loops of both kinds, and a link out of the root.
fn looping_tree(t: &Tmp) -> (PathBuf, PathBuf) {
    use std::os::unix::fs::symlink;
    let tree = t.path("tree");
    let outside = t.path("outside");
    std::fs::create_dir_all(tree.join("bin")).unwrap();
    std::fs::create_dir_all(&outside).unwrap();
    std::fs::copy(root().join("samples/bin/hello-glibc"), tree.join("bin/app")).unwrap();
    std::fs::copy(root().join("samples/bin/fcntl64"), outside.join("secret")).unwrap();
    symlink("b", tree.join("a")).unwrap();
    symlink("a", tree.join("b")).unwrap();
    symlink(".", tree.join("self")).unwrap();
    symlink("..", tree.join("bin/up")).unwrap();
    symlink(&outside, tree.join("out")).unwrap();
    symlink(outside.join("secret"), tree.join("bin/secret-link")).unwrap();
    (tree, outside)
}

#[test]
fn symlink_loops_on_disk_end_and_links_never_leave_the_root_unless_asked() {
    let t = Tmp::new("disk-links");
    let (tree, outside) = looping_tree(&t);
    let mut args = vec!["scan", "--format", "json", "--fail-on", "never"];
    let (out, code) = run(&args, std::slice::from_ref(&tree), &t.0);
    assert_eq!(code, Some(0));
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    let paths: Vec<&str> = doc["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["path"].as_str().unwrap())
        .collect();
    assert_eq!(
        paths,
        vec![tree.join("bin/app").display().to_string()],
        "without --follow-symlinks only the file inside the root"
    );

    args.push("--follow-symlinks");
    let (out, code) = run(&args, std::slice::from_ref(&tree), &t.0);
    assert_eq!(code, Some(0));
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    let results = doc["results"].as_array().unwrap();
    let by_path = |p: PathBuf| {
        let p = p.display().to_string();
        results
            .iter()
            .find(|r| r["path"] == p)
            .unwrap_or_else(|| panic!("{p} missing from {results:#?}"))
    };
    // Asked to follow, links out of the root are followed (loops still end).
    assert_eq!(verdict(by_path(tree.join("out/secret"))), "rebuild");
    assert_eq!(verdict(by_path(tree.join("bin/secret-link"))), "rebuild");
    for looped in [tree.join("a"), tree.join("b")] {
        let r = by_path(looped);
        assert_eq!(verdict(r), "skipped");
        assert!(reason(r).contains("symbolic link loop"), "{r}");
    }
    for looped in [tree.join("self"), tree.join("bin/up")] {
        let r = by_path(looped);
        assert_eq!(verdict(r), "skipped");
        assert!(reason(r).contains("own ancestor"), "{r}");
    }
    assert_eq!(results.len(), 7, "{results:#?}");
    assert!(outside.join("secret").exists());
}

#[test]
fn fifos_are_never_opened() {
    let t = Tmp::new("fifo");
    let tree = t.path("tree");
    std::fs::create_dir_all(&tree).unwrap();
    std::fs::copy(root().join("samples/bin/hello-musl"), tree.join("app")).unwrap();
    let fifo = tree.join("pipe");
    let ok = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(ok.success());
    // In a tree: left alone. Named directly: an error record, not a blocked reader.
    let (out, code) = run(
        &["scan", "--format", "json"],
        &[tree.clone(), fifo.clone()],
        &t.0,
    );
    assert_eq!(code, Some(3), "the named FIFO is unreadable");
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    let rs = doc["results"].as_array().unwrap();
    assert_eq!(rs.len(), 2, "{rs:#?}");
    assert_eq!(verdict(&rs[0]), "native");
    assert_eq!(rs[1]["path"], fifo.display().to_string());
    assert_eq!(verdict(&rs[1]), "error");
}

#[test]
fn a_tiny_timeout_skips_each_file_and_the_batch_goes_on() {
    let t = Tmp::new("timeout");
    let inputs = vec![
        root().join("samples/bin/fcntl64"),
        root().join("samples/bin/hello-static-glibc"),
        root().join("samples/bin/not-elf.txt"),
    ];
    let (out, code) = run(
        &["scan", "--format", "json", "--timeout", "0.000000001"],
        &inputs,
        &t.0,
    );
    // #11: files the deadline kept from being judged fail the gate closed (exit 3).
    assert_eq!(code, Some(3), "a limit fails closed");
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    let rs = doc["results"].as_array().unwrap();
    assert_eq!(rs.len(), 3);
    for r in &rs[..2] {
        assert_eq!(verdict(r), "skipped", "{r}");
        assert_eq!(reason(r), muslcheck::TIMED_OUT);
    }
    assert_eq!(reason(&rs[2]), "not an ELF file");
    // The default deadline leaves them alone.
    let (out, code) = run(&["scan", "--format", "json"], &inputs, &t.0);
    assert_eq!(code, Some(1));
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(verdict(&doc["results"][0]), "rebuild");
    assert_eq!(verdict(&doc["results"][1]), "native");
}

#[test]
fn limits_are_skipped_records_with_the_flag_named_and_exit_0() {
    let t = Tmp::new("limits");
    let big = root().join("samples/bin/hello-static-glibc");
    let (out, code) = run(
        &["scan", "--format", "json", "--max-file-size", "100K"],
        &[big, root().join("samples/bin/fcntl64")],
        &t.0,
    );
    assert_eq!(
        code,
        Some(1),
        "the rest of the batch is judged (fcntl64: rebuild)"
    );
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    let r = &doc["results"][0];
    assert_eq!(verdict(r), "skipped");
    assert!(reason(r).contains("--max-file-size"), "{r}");
    assert_eq!(verdict(&doc["results"][1]), "rebuild");
    let (_, code) = run(
        &["scan", "--max-file-size", "lots"],
        &[root().join("samples/bin/fcntl64")],
        &t.0,
    );
    assert_eq!(code, Some(2), "a bad limit is a usage error");
}

#[test]
fn nothing_is_written_but_the_output_file() {
    let t = Tmp::new("writes");
    let work = t.path("work");
    std::fs::create_dir(&work).unwrap();
    // The inputs: every archive kind and a tree; their bytes and mtimes must not change.
    let inputs = t.path("inputs");
    std::fs::create_dir(&inputs).unwrap();
    let mut paths = Vec::new();
    for (kind, bytes, _) in forge::archive_kinds() {
        let p = inputs.join(format!("a.{kind}"));
        std::fs::write(&p, bytes).unwrap();
        paths.push(p);
    }
    let snapshot = |dir: &Path| -> Vec<(String, Vec<u8>, std::time::SystemTime)> {
        let mut v: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| {
                let e = e.unwrap();
                let m = e.metadata().unwrap();
                (
                    e.file_name().to_string_lossy().into_owned(),
                    std::fs::read(e.path()).unwrap(),
                    m.modified().unwrap(),
                )
            })
            .collect();
        v.sort();
        v
    };
    let before = snapshot(&inputs);
    let out = t.path("report.json");
    let o = out.display().to_string();
    let (stdout, code) = run(&["scan", "--format", "json", "-o", &o], &paths, &work);
    assert_eq!(code, Some(1));
    assert!(stdout.is_empty(), "the report went to --output");
    assert!(
        std::fs::read_to_string(&out)
            .unwrap()
            .contains("\"results\"")
    );
    assert_eq!(snapshot(&inputs), before, "inputs untouched");
    assert_eq!(
        std::fs::read_dir(&work).unwrap().count(),
        0,
        "nothing in the cwd"
    );
    let mut top: Vec<String> = std::fs::read_dir(&t.0)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    top.sort();
    assert_eq!(top, ["inputs", "report.json", "work"]);
}

#[test]
fn nothing_from_the_input_is_executed() {
    // Policy: scanning only reads. The one module that starts processes is src/verify/, for
    // `muslcheck verify` on the target host (#10); nothing in the scan pipeline reaches it.
    // Two fixed programs the user set up are run for images (#12), never anything from an input:
    // the engine's own CLI (`docker save` / `podman save`) when its socket does not answer, and
    // the credential helper that the user's registry configuration names.
    let verify = root().join("src/verify");
    let user_tools = [
        root().join("src/input/daemon.rs"),
        root().join("src/input/auth.rs"),
    ];
    for entry in walk(&root().join("src")) {
        let text = std::fs::read_to_string(&entry).unwrap();
        if entry.starts_with(&verify) || user_tools.contains(&entry) {
            continue;
        }
        if entry != root().join("src/verify_command.rs") {
            for starts in ["verify::verify(", "Host::detect", "sandbox::"] {
                assert!(
                    !text.contains(starts),
                    "{} starts processes through {starts}",
                    entry.display()
                );
            }
        }
        for banned in [
            "process::Command",
            "Command::new",
            "os::unix::process",
            "libc::exec",
            "posix_spawn",
            "libloading",
        ] {
            assert!(
                !text.contains(banned),
                "{} mentions {banned}",
                entry.display()
            );
        }
    }
    // And in practice: an executable input that would leave a mark if run leaves none.
    let t = Tmp::new("exec");
    let mark = t.path("ran");
    let script = t.path("tool.sh");
    std::fs::write(&script, format!("#!/bin/sh\ntouch {}\n", mark.display())).unwrap();
    let elf = t.path("tool");
    std::fs::copy(root().join("samples/bin/hello-musl"), &elf).unwrap();
    use std::os::unix::fs::PermissionsExt;
    for p in [&script, &elf] {
        std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let (_, code) = run(&["scan"], &[script, elf], &t.0);
    assert_eq!(code, Some(0));
    assert!(!mark.exists());
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
    out
}

/// Inputs that once broke muslcheck (tests/regressions/README.md): each must come back as the
/// records written here, through the library and through the binary. Files not listed (fuzz
/// crashers, `fuzz-*`) must simply give records and a documented exit status.
#[test]
fn regressions_stay_fixed() {
    // (file, a record's path suffix or "" for the artifact itself, verdict, reason text)
    let known: &[(&str, &str, &str, &str)] = &[
        ("elf-phnum-pn-xnum", "", "error", "PN_XNUM"),
        (
            "deb-without-data.deb",
            "",
            "error",
            "without a data.tar member",
        ),
        ("gzip-4-layers.tar.gz", "!/usr/bin/hello-musl", "native", ""),
        ("rpm-gzip-trailer-cut.rpm", "", "error", "archive"),
        ("tar-longname-20M.tar.gz", "", "error", "tar headers"),
        ("zip-duplicate-names.zip", "", "error", "name repeats"),
    ];
    let dir = root().join("tests/regressions");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_none_or(|x| x != "md"))
        .collect();
    files.sort();
    for (name, ..) in known {
        assert!(files.contains(&dir.join(name)), "{name} is missing");
    }
    let opts = muslcheck::input::Options::default();
    for f in &files {
        let bytes = std::fs::read(f).unwrap();
        let units = muslcheck::input::Units::default();
        let mut items = 0;
        muslcheck::input::visit_bytes(&bytes, "r", &opts, &units, &mut |_| items += 1);
        assert!(items > 0, "{}", f.display());
    }
    let t = Tmp::new("regressions");
    let (out, code) = run(&["scan", "--format", "json"], &files, &t.0);
    assert!(matches!(code, Some(0 | 1 | 3)), "exit {code:?}");
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    let results = doc["results"].as_array().unwrap();
    for f in &files {
        let artifact = f.display().to_string();
        let rs: Vec<&serde_json::Value> = results
            .iter()
            .filter(|r| r["artifact"] == artifact)
            .collect();
        assert!(!rs.is_empty(), "{artifact} has no record");
        let file = f.file_name().unwrap().to_string_lossy();
        if let Some((_, suffix, v, why)) = known.iter().find(|k| k.0 == file) {
            let path = format!("{artifact}{suffix}");
            assert!(
                rs.iter()
                    .any(|r| r["path"] == path && verdict(r) == *v && reason(r).contains(why)),
                "{path}: want {v} ({why}), got {rs:#?}"
            );
        }
    }
}

/// Write the whole suite to $MUSLCHECK_HOSTILE_DIR (for scripts/hostile-suite.sh).
#[test]
#[ignore = "writes the corpus for scripts/hostile-suite.sh"]
fn write_hostile_corpus() {
    let dir = PathBuf::from(std::env::var("MUSLCHECK_HOSTILE_DIR").unwrap());
    std::fs::create_dir_all(&dir).unwrap();
    let escape = dir.join("escape-target-must-not-exist");
    let mut all = forge::elf_truncations();
    all.extend(forge::elf_mutations(&library_verdict));
    all.extend(forge::elf_bit_flips(20));
    all.extend(forge::archive_truncations());
    all.extend(forge::lying_sizes());
    all.extend(forge::bombs(BOMB_MIB));
    all.extend(forge::structure());
    all.extend(forge::traversal(&escape.display().to_string()));
    for c in &all {
        std::fs::write(dir.join(&c.name), &c.bytes).unwrap();
    }
}

/// Seed corpora for the fuzz targets (fuzz/README.md), written to $MUSLCHECK_FUZZ_SEEDS/TARGET.
/// The structured targets' encodings (mode byte, u16-length segments) are fuzz/src/lib.rs's.
#[test]
#[ignore = "writes fuzz seeds for fuzz/seed.sh"]
fn fuzz_seeds() {
    use forge::{Member, file};
    let dir = PathBuf::from(std::env::var("MUSLCHECK_FUZZ_SEEDS").unwrap());
    let put = |target: &str, name: &str, bytes: &[u8]| {
        let d = dir.join(target);
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(d.join(name), bytes).unwrap();
    };
    let segments = |parts: &[&[u8]]| -> Vec<u8> {
        let mut out = Vec::new();
        for p in parts {
            out.extend_from_slice(&u16::try_from(p.len()).unwrap().to_le_bytes());
            out.extend_from_slice(p);
        }
        out
    };
    for s in forge::ELF_SAMPLES {
        put("elf", s, &forge::sample(s));
    }
    let small = ["hello-musl", "plugin-native.so", "fcntl64"];
    let members = || -> Vec<Member> {
        small
            .iter()
            .map(|s| file(&format!("usr/lib/{s}"), forge::sample(s)))
            .chain([forge::link("usr/lib/libx.so.1", "plugin-native.so")])
            .collect()
    };
    let plain = forge::tar(&members(), true);
    put("tar", "plain", &[&[1u8][..], &plain].concat());
    put(
        "tar",
        "nested",
        &[
            &[1u8][..],
            &forge::tar(&[file("in.tar", plain.clone())], true),
        ]
        .concat(),
    );
    for (i, c) in forge::traversal("/tmp/x").into_iter().enumerate() {
        if c.name.ends_with(".tar") {
            put(
                "tar",
                &format!("traversal-{i}"),
                &[&[1u8][..], &c.bytes].concat(),
            );
        }
    }
    for (mode, name) in [(0x80u8, "gz"), (0x81, "xz"), (0x82, "zst"), (0x83, "bz2")] {
        put(
            "compressed",
            &format!("tar-{name}"),
            &[&[mode][..], &plain].concat(),
        );
    }
    for (name, c) in forge::compressors() {
        put(
            "compressed",
            &format!("raw-{name}"),
            &[&[4u8][..], &c(&plain)].concat(),
        );
    }
    let zip_members: Vec<(&str, Vec<u8>)> = small.iter().map(|s| (*s, forge::sample(s))).collect();
    put("zip", "plain", &forge::zip(&zip_members));
    put(
        "zip",
        "nested",
        &forge::zip(&[("a.whl", forge::zip(&zip_members[..1]))]),
    );
    put(
        "zip",
        "bomb",
        &forge::zip_bomb("x.so", &forge::sample("hello-musl"), 4),
    );
    put("deb", "plain", &forge::deb(forge::gz(&plain)));
    let cpio = forge::cpio(&[("./usr/bin/x", forge::sample("hello-musl"))], None);
    put("rpm", "gz", &forge::rpm(&forge::gz(&cpio), 1, 5));
    put("rpm", "xz", &forge::rpm(&forge::xz(&cpio), 2, 9));
    put("rpm", "cpio", &cpio);
    let info = forge::tar(&[file(".PKGINFO", b"pkgname = x\n".to_vec())], false);
    put("apk", "plain", &segments(&[&info, &plain]));
    let layer = forge::tar(&members(), true);
    let manifest = br#"[{"RepoTags":["x:1"],"Layers":["l1.tar","l2.tar"]}]"#;
    let whiteout = forge::tar(&[file("usr/lib/.wh.fcntl64", Vec::new())], true);
    put(
        "image",
        "docker",
        &[&[0u8][..], &segments(&[manifest, &layer, &whiteout])].concat(),
    );
    let index = br#"{"schemaVersion":2,"manifests":[{"digest":"sha256:b1","platform":{"os":"linux","architecture":"amd64"}}]}"#;
    let oci_manifest =
        br#"{"schemaVersion":2,"layers":[{"digest":"sha256:b2"},{"digest":"sha256:b3"}]}"#;
    put(
        "image",
        "oci",
        &[
            &[1u8][..],
            &segments(&[index, oci_manifest, &layer, &whiteout]),
        ]
        .concat(),
    );
}

/// An OCI layout directory is read through its blobs: a blob that is a link out of the layout
/// is not followed unless asked, and one that is a FIFO is refused instead of blocking.
#[test]
fn oci_layout_blobs_that_are_links_or_fifos() {
    use std::os::unix::fs::symlink;
    let t = Tmp::new("oci-links");
    let layout = t.path("layout");
    let blobs = layout.join("blobs/sha256");
    std::fs::create_dir_all(&blobs).unwrap();
    let outside = t.path("outside-layer");
    std::fs::write(
        &outside,
        forge::gz(&forge::tar(
            &[forge::file("usr/bin/x", forge::sample("fcntl64"))],
            true,
        )),
    )
    .unwrap();
    symlink(&outside, blobs.join("layer")).unwrap();
    assert!(
        Command::new("mkfifo")
            .arg(blobs.join("fifo"))
            .status()
            .unwrap()
            .success()
    );
    std::fs::write(
        blobs.join("m1"),
        r#"{"schemaVersion":2,"layers":[{"digest":"sha256:layer"}]}"#,
    )
    .unwrap();
    std::fs::write(
        blobs.join("m2"),
        r#"{"schemaVersion":2,"layers":[{"digest":"sha256:fifo"}]}"#,
    )
    .unwrap();
    std::fs::write(
        layout.join("oci-layout"),
        r#"{"imageLayoutVersion":"1.0.0"}"#,
    )
    .unwrap();
    let index = r#"{"schemaVersion":2,"manifests":[
        {"digest":"sha256:m1","annotations":{"org.opencontainers.image.ref.name":"linked"}},
        {"digest":"sha256:m2","annotations":{"org.opencontainers.image.ref.name":"fifo"}}]}"#;
    std::fs::write(layout.join("index.json"), index).unwrap();

    let reasons = |follow: bool| -> Vec<(String, String)> {
        let mut args = vec!["scan", "--format", "json", "--fail-on", "never"];
        if follow {
            args.push("--follow-symlinks");
        }
        let (out, code) = run(&args, std::slice::from_ref(&layout), &t.0);
        assert_eq!(code, Some(0));
        let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
        doc["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| (verdict(r).to_string(), reason(r).to_string()))
            .collect()
    };
    let plain = reasons(false);
    assert_eq!(plain.len(), 2, "{plain:?}");
    assert!(
        plain[0].0 == "error" && plain[0].1.contains("symbolic link"),
        "{plain:?}"
    );
    assert!(
        plain[1].0 == "error" && plain[1].1.contains("not a regular file"),
        "{plain:?}"
    );
    let followed = reasons(true);
    assert_eq!(followed[0].0, "rebuild", "{followed:?}");
    assert!(followed[1].1.contains("not a regular file"), "{followed:?}");
}

/// Damage the reader reads around is reported, not dropped: a version-needs table moved outside
/// every loaded segment leaves the file judged (its versions unknown) with a `tolerated-damage`
/// warning naming what was skipped; the intact file has none.
#[test]
fn tolerated_damage_is_a_finding() {
    use forge::{DT_VERNEED, Layout, put};
    let db = muslcheck::db::Db::get().unwrap();
    let target = muslcheck::judge::Target::resolve(db, None, None, None).unwrap();
    let ids = |data: &[u8]| -> Vec<(muslcheck::judge::Code, String)> {
        muslcheck::analyse("x", "x", data, db, &target)
            .findings
            .iter()
            .map(|f| (f.id, f.message.clone()))
            .collect()
    };
    let intact = forge::sample("hello-glibc");
    assert!(
        ids(&intact)
            .iter()
            .all(|(c, _)| *c != muslcheck::judge::Code::ToleratedDamage),
        "{:?}",
        ids(&intact)
    );
    let l = Layout::of(&intact);
    let vn = l
        .dyns
        .iter()
        .find(|d| d.tag == DT_VERNEED)
        .expect("DT_VERNEED");
    let mut damaged = intact.clone();
    put(&mut damaged, vn.at + l.word(), l.word(), 0x7fff_0000_0000);
    let found = ids(&damaged);
    assert!(
        found
            .iter()
            .any(|(c, m)| *c == muslcheck::judge::Code::ToleratedDamage
                && m.contains("DT_VERNEED is not in a loaded segment")),
        "{found:?}"
    );
}
