//! Fail closed (#11): what was not judged never looks like a pass, an interrupted run destroys
//! nothing, and the gate line reaches the terminal whatever the output options.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::util::{muslcheck_in, sample, temp_dir};

fn code(out: &std::process::Output) -> i32 {
    out.status.code().unwrap_or(-1)
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn a_nonexistent_input_is_a_usage_error_before_any_scanning() {
    let dir = temp_dir("fail-closed-missing");
    std::fs::copy(sample("hello-musl"), dir.join("app")).unwrap();
    std::fs::write(dir.join("keep.json"), "old").unwrap();
    std::os::unix::fs::symlink("gone", dir.join("dangling")).unwrap();
    for missing in [
        "does/not/exist",
        "dangling",
        "file:does/not/exist",
        "oci-dir:no-layout",
    ] {
        let out = muslcheck_in(&dir, ["scan", "-o", "keep.json", "app", missing]);
        assert_eq!(code(&out), 2, "{missing}: {}", stderr(&out));
        let err = stderr(&out);
        assert!(
            err.contains(&format!("no such file or directory: {missing}")),
            "{err}"
        );
        assert!(err.contains("nothing was scanned"), "{err}");
        assert!(out.stdout.is_empty());
        assert_eq!(
            std::fs::read_to_string(dir.join("keep.json")).unwrap(),
            "old"
        );
    }
    // A bare name that reads as an image reference says which scheme to write.
    let out = muslcheck_in(&dir, ["scan", "alpine:3.20"]);
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("registry:alpine:3.20"),
        "{}",
        stderr(&out)
    );
}

/// A tree of `n` distinct ELF files (each a sample with different trailing bytes, so none is
/// judged once for all), big enough that a scan is still running when it is interrupted.
fn big_tree(dir: &Path, n: usize) {
    let elf = std::fs::read(sample("hello-glibc")).unwrap();
    for i in 0..n {
        let sub = dir.join(format!("d{}", i % 64));
        std::fs::create_dir_all(&sub).unwrap();
        let mut bytes = elf.clone();
        bytes.extend_from_slice(format!("{i:08}").as_bytes());
        std::fs::write(sub.join(format!("bin{i}")), bytes).unwrap();
    }
}

fn temporaries(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("muslcheck-tmp"))
        .collect()
}

#[test]
fn ctrl_c_keeps_the_previous_reports_and_exits_130() {
    let dir = temp_dir("fail-closed-sigint");
    big_tree(&dir.join("tree"), 6000);
    std::fs::write(dir.join("keep.jsonl"), "previous jsonl report\n").unwrap();
    std::fs::write(dir.join("keep.html"), "previous html report\n").unwrap();
    let mut child = Command::new(crate::util::bin())
        .args([
            "scan",
            "-j",
            "1",
            "--format",
            "jsonl",
            "-o",
            "keep.jsonl",
            "--report",
            "html=keep.html",
            "tree",
        ])
        .current_dir(&dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The temporary report files exist once the scan is under way (and the handler installed).
    // A build that writes reports in place instead shows itself by changing keep.jsonl: stop
    // waiting then too, so that such a build fails on the report it destroyed (docs/testing.md).
    let start = Instant::now();
    let untouched = || {
        std::fs::read_to_string(dir.join("keep.jsonl"))
            .is_ok_and(|s| s == "previous jsonl report\n")
    };
    while temporaries(&dir).len() < 2 && untouched() {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "no temporary report files appeared"
        );
        assert!(child.try_wait().unwrap().is_none(), "scan ended too early");
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        child.try_wait().unwrap().is_none(),
        "the scan finished before it could be interrupted: make the tree bigger"
    );
    let kill = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let sent = Instant::now();
    let out = child.wait_with_output().unwrap();
    assert!(
        sent.elapsed() < Duration::from_secs(10),
        "took {:?} to stop",
        sent.elapsed()
    );
    let err = stderr(&out);
    // The earlier reports first: what the defect destroyed.
    assert_eq!(
        std::fs::read_to_string(dir.join("keep.jsonl")).unwrap(),
        "previous jsonl report\n"
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("keep.html")).unwrap(),
        "previous html report\n"
    );
    assert_eq!(code(&out), 130, "{err}");
    assert!(
        err.contains("muslcheck: interrupted after judging "),
        "{err}"
    );
    assert!(err.contains(" native, "), "partial totals: {err}");
    assert!(
        err.contains("existing report files left unchanged"),
        "{err}"
    );
    assert!(temporaries(&dir).is_empty(), "{:?}", temporaries(&dir));
}

#[test]
fn reports_replace_the_previous_ones_whole() {
    let dir = temp_dir("fail-closed-atomic");
    std::fs::copy(sample("hello-musl"), dir.join("app")).unwrap();
    std::fs::write(dir.join("r.json"), "old").unwrap();
    let out = muslcheck_in(
        &dir,
        [
            "scan",
            "-q",
            "--format",
            "json",
            "-o",
            "r.json",
            "--report",
            "sarif=r.sarif",
            "app",
        ],
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("r.json")).unwrap()).unwrap();
    assert_eq!(json["totals"]["native"], 1);
    assert!(
        std::fs::read_to_string(dir.join("r.sarif"))
            .unwrap()
            .contains("2.1.0")
    );
    assert!(temporaries(&dir).is_empty());

    // A report that cannot be written fails the run and leaves every earlier report whole (an
    // in-place writer had already emptied r.json).
    std::fs::write(dir.join("r.json"), "old").unwrap();
    let out = muslcheck_in(
        &dir,
        [
            "scan",
            "-q",
            "--format",
            "json",
            "-o",
            "r.json",
            "--report",
            "sarif=no-such-dir/r.sarif",
            "app",
        ],
    );
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert_eq!(std::fs::read_to_string(dir.join("r.json")).unwrap(), "old");
    assert!(temporaries(&dir).is_empty());
}

#[test]
fn the_gate_line_and_warnings_reach_stderr_with_quiet_and_output() {
    let dir = temp_dir("fail-closed-stderr");
    std::fs::copy(sample("fcntl64"), dir.join("app")).unwrap();
    std::fs::write(
        dir.join("muslcheck.toml"),
        "[[allow]]\nid = \"missing-symbol\"\nreason = \"vendor fix due\"\nexpires = 2021-06-30\n",
    )
    .unwrap();
    let runs: [&[&str]; 4] = [
        &["scan", "-q", "app"],
        &["scan", "-o", "r.txt", "app"],
        &["scan", "-q", "--format", "json", "-o", "r.json", "app"],
        &["scan", "-q", "--format", "sarif", "app"],
    ];
    for args in runs {
        let out = muslcheck_in(&dir, args);
        let err = stderr(&out);
        assert_eq!(code(&out), 1, "{args:?}: {err}");
        assert!(
            err.contains("allow rule 1 (id=missing-symbol) expired on 2021-06-30"),
            "{args:?}: {err}"
        );
        assert!(
            err.contains("gate FAILED: 1 of 1 file fails --fail-on rebuild"),
            "{args:?}: {err}"
        );
    }
}

fn json(out: &std::process::Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("bad JSON ({e}); stderr: {}", stderr(out)))
}

#[test]
fn a_file_a_limit_kept_from_being_judged_fails_the_gate_closed() {
    let dir = temp_dir("fail-closed-limit");
    std::fs::create_dir_all(dir.join("d")).unwrap();
    std::fs::copy(sample("hello-musl"), dir.join("d/small")).unwrap();
    std::fs::copy(sample("hello-static-glibc"), dir.join("d/big")).unwrap();
    let scan = |extra: &[&str]| {
        let mut args = vec!["scan", "--format", "json", "--max-file-size", "64K"];
        args.extend(extra);
        args.push("d");
        muslcheck_in(&dir, args)
    };
    let out = scan(&[]);
    assert_eq!(code(&out), 3, "{}", stderr(&out));
    let doc = json(&out);
    assert_eq!(doc["gate"]["status"], "not-judged");
    assert_eq!(doc["gate"]["not_judged"], 1);
    let big = doc["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["path"] == "d/big")
        .unwrap()
        .clone();
    assert_eq!(big["verdict"], "skipped");
    assert_eq!(big["fails"], true);
    assert_eq!(big["findings"][0]["id"], "not-judged");
    assert!(
        big["findings"][0]["message"]
            .as_str()
            .unwrap()
            .contains("--max-file-size"),
        "{big}"
    );
    let err = stderr(&out);
    assert!(
        err.contains("gate FAILED (not judged): 1 of 2 files fail"),
        "{err}"
    );
    assert!(err.contains("--allow-not-judged"), "{err}");

    // Under every threshold but never, and a judged failure still decides exit 1.
    assert_eq!(code(&scan(&["--fail-on", "error"])), 3);
    assert_eq!(code(&scan(&["--fail-on", "native"])), 1);
    assert_eq!(code(&scan(&["--fail-on", "never"])), 0, "report only");

    // Accepted explicitly: a flag, or an allow rule by ID (and path).
    let out = scan(&["--allow-not-judged"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let doc = json(&out);
    assert_eq!(doc["gate"]["status"], "passed");
    assert_eq!(doc["gate"]["allowed"], 1);
    std::fs::write(
        dir.join("rule.toml"),
        "[[allow]]\nid = \"not-judged\"\npath = \"d/big\"\nreason = \"static vendor blob, too big\"\n",
    )
    .unwrap();
    assert_eq!(code(&scan(&["--config", "rule.toml"])), 0);
}

#[test]
fn a_timed_out_file_fails_the_gate_closed() {
    let dir = temp_dir("fail-closed-timeout");
    std::fs::copy(sample("hello-static-glibc"), dir.join("big")).unwrap();
    let out = muslcheck_in(
        &dir,
        [
            "scan",
            "--format",
            "json",
            "--timeout",
            "0.000000001",
            "big",
        ],
    );
    assert_eq!(code(&out), 3, "{}", stderr(&out));
    let doc = json(&out);
    assert_eq!(doc["results"][0]["findings"][0]["id"], "not-judged");
    assert_eq!(doc["gate"]["status"], "not-judged");
}

#[test]
fn an_empty_list_on_standard_input_judges_nothing_and_does_not_pass() {
    let dir = temp_dir("fail-closed-empty-list");
    let run = |extra: &[&str]| {
        let mut c = Command::new(crate::util::bin());
        c.arg("scan").args(extra).arg("-").current_dir(&dir);
        c.stdin(Stdio::null()).output().unwrap()
    };
    let out = run(&[]);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("standard input listed no paths"),
        "{}",
        stderr(&out)
    );
    assert_eq!(code(&run(&["--allow-not-judged"])), 0);
}

#[test]
fn every_format_shows_a_file_not_judged_as_failing() {
    let dir = temp_dir("fail-closed-formats");
    std::fs::create_dir_all(dir.join("d")).unwrap();
    std::fs::copy(sample("hello-static-glibc"), dir.join("d/big")).unwrap();
    let run = |format: &str| {
        let out = muslcheck_in(
            &dir,
            [
                "scan",
                "-q",
                "--max-file-size",
                "64K",
                "--format",
                format,
                "d",
            ],
        );
        assert_eq!(code(&out), 3, "{format}");
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let junit = run("junit");
    assert!(junit.contains("errors=\"1\""), "{junit}");
    assert!(
        junit.contains("<error message=\"file is 678600 bytes"),
        "{junit}"
    );
    let md = run("markdown");
    assert!(md.contains("muslcheck failed: files not judged"), "{md}");
    assert!(md.contains("**1 of 1 file fail"), "{md}");
    let sarif = run("sarif");
    assert!(sarif.contains("\"ruleId\": \"not-judged\""), "{sarif}");
    let table = run("table");
    assert!(
        table.contains("raise the limit and scan again: 1 file not judged"),
        "{table}"
    );
}
