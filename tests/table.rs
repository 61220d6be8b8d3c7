//! `--format table`, `--summary` and the wording of counts (#11).

use crate::util::{copy_samples, muslcheck, muslcheck_in, temp_dir};

fn stdout(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn table_has_one_line_per_artifact_with_counts_blocker_and_action() {
    let out = muslcheck([
        "scan",
        "--format",
        "table",
        "samples/bin/fcntl64",
        "samples/bin/hello-glibc",
        "samples/bin/hello-musl",
        "samples/vendor",
        "samples/bin/truncated-elf",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert!(
        lines[0].starts_with("VERDICT  NATIVE  GCOMPAT  REBUILD"),
        "{text}"
    );
    let row = |artifact: &str| {
        lines
            .iter()
            .find(|l| l.split_whitespace().nth(5) == Some(artifact))
            .unwrap_or_else(|| panic!("no row for {artifact}: {text}"))
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    };
    assert_eq!(
        row("samples/bin/fcntl64"),
        "rebuild 0 0 1 0 samples/bin/fcntl64 missing-symbol fcntl64 rebuild against musl"
    );
    assert_eq!(
        row("samples/bin/hello-glibc"),
        "gcompat 0 1 0 0 samples/bin/hello-glibc glibc-loader /lib64/ld-linux-x86-64.so.2 apk add gcompat"
    );
    assert_eq!(
        row("samples/bin/hello-musl"),
        "native 1 0 0 0 samples/bin/hello-musl - nothing to do: runs on stock musl"
    );
    assert!(
        row("samples/vendor").starts_with("rebuild 1 0 2 0 samples/vendor "),
        "{text}"
    );
    assert_eq!(
        row("samples/bin/truncated-elf"),
        "error 0 0 0 1 samples/bin/truncated-elf - check the input: 1 file could not be read"
    );
    // 1 header + 5 artifacts, then "N files in 5 artifacts", totals, gate, why it exits 1.
    assert_eq!(lines[6], "7 files in 5 artifacts", "{text}");
    assert!(
        lines[8].starts_with("gate FAILED: 4 of 7 files fail"),
        "{text}"
    );
    assert!(
        lines[9].starts_with("exit status 1: 3 files need a rebuild"),
        "{text}"
    );
}

#[test]
fn summary_leaves_out_the_files_and_keeps_the_roll_ups() {
    let full = stdout(&muslcheck(["scan", "samples/bin"]));
    let out = muslcheck(["scan", "--summary", "samples/bin"]);
    let short = stdout(&out);
    assert!(full.contains("samples/bin/fcntl64: rebuild"));
    assert!(!short.contains("samples/bin/fcntl64: rebuild"), "{short}");
    assert!(!short.contains("fix:"), "{short}");
    assert!(
        short.contains("Artifacts:\n  error    samples/bin  ("),
        "{short}"
    );
    assert!(short.contains("Top blockers:"), "{short}");
    assert!(
        short.contains("To run the rest: apk add gcompat"),
        "{short}"
    );
    assert!(short.lines().count() < 20, "{short}");
    let last = |t: &str| {
        t.lines()
            .rev()
            .take(2)
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    assert_eq!(last(&short), last(&full));
}

#[test]
fn one_is_singular() {
    let dir = temp_dir("table-plural");
    copy_samples(&dir, "d", &["hello-musl"]);
    let text = stdout(&muslcheck_in(&dir, ["scan", "d/hello-musl"]));
    assert!(text.contains("\n1 file judged for "), "{text}");
    assert!(!text.contains("1 files"), "{text}");
    let table = stdout(&muslcheck_in(
        &dir,
        ["scan", "--format", "table", "d/hello-musl"],
    ));
    assert!(table.contains("1 file in 1 artifact\n"), "{table}");
    let md = stdout(&muslcheck_in(
        &dir,
        ["scan", "--format", "markdown", "d/hello-musl"],
    ));
    assert!(md.contains("0 of 1 file fail"), "{md}");
    assert!(!md.contains("1 files"), "{md}");
}

#[test]
fn markdown_stays_within_githubs_comment_limit() {
    let dir = temp_dir("table-markdown-limit");
    let elf = std::fs::read(crate::util::sample("fcntl64")).unwrap();
    let deep = dir.join("t").join("d".repeat(120)).join("e".repeat(120));
    std::fs::create_dir_all(&deep).unwrap();
    for i in 0..400 {
        let mut b = elf.clone();
        b.extend_from_slice(format!("{i:06}").as_bytes());
        std::fs::write(deep.join(format!("tool-with-a-long-name-{i:04}")), b).unwrap();
    }
    let out = muslcheck_in(&dir, ["scan", "--format", "markdown", "t"]);
    let md = stdout(&out);
    assert!(
        md.chars().count() <= 65_536,
        "{} characters",
        md.chars().count()
    );
    assert!(md.contains("**Truncated**"), "{}", &md[md.len() - 400..]);
    assert!(md.contains("## ❌ muslcheck failed"));
}
