//! Golden (snapshot) tests of the human-readable reports: the text and Markdown reports of the
//! committed samples are compared with tests/golden/*. A change in wording, order or verdicts
//! shows up as a diff to review; `UPDATE_GOLDEN=1 cargo test --test integration golden`
//! rewrites the files, and the diff is reviewed with the change.

use crate::util::{muslcheck, root, temp_path};

/// Compare `actual` with tests/golden/`name`, or rewrite it under UPDATE_GOLDEN=1.
fn golden(name: &str, actual: &str) {
    let path = root().join("tests/golden").join(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some_and(|v| v == "1") {
        std::fs::write(&path, actual).expect("write golden file");
        return;
    }
    let want = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; run with UPDATE_GOLDEN=1 to create it",
            path.display()
        )
    });
    if want == actual {
        return;
    }
    let new = temp_path(&format!("{name}.new"));
    std::fs::write(&new, actual).expect("write the new output");
    let line = want
        .lines()
        .zip(actual.lines())
        .position(|(a, b)| a != b)
        .unwrap_or_else(|| want.lines().count().min(actual.lines().count()));
    panic!(
        "{name} differs from the golden file at line {}:\n  golden: {:?}\n  now:    {:?}\n\
         new output in {}; `diff {} {}` shows all, UPDATE_GOLDEN=1 accepts it",
        line + 1,
        want.lines().nth(line).unwrap_or("<end>"),
        actual.lines().nth(line).unwrap_or("<end>"),
        new.display(),
        path.display(),
        new.display()
    );
}

/// Standard output of a scan from the repository root (the exit status is the gate's business).
fn report(args: &[&str]) -> String {
    let out = muslcheck(args);
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8")
}

#[test]
fn golden_text_report() {
    let args = [
        "scan",
        "--no-config",
        "--color",
        "never",
        "samples/bin",
        "samples/vendor",
    ];
    golden("scan.txt", &report(&args));
}

#[test]
fn golden_text_report_verbose_plain_musl_1_2_3() {
    let args = [
        "scan",
        "--no-config",
        "--color",
        "never",
        "-v",
        "--musl",
        "1.2.3",
        "--gcompat",
        "none",
        "samples/bin",
    ];
    golden("scan-v-musl-1.2.3.txt", &report(&args));
}

#[test]
fn golden_markdown_report() {
    let args = [
        "scan",
        "--no-config",
        "--format",
        "markdown",
        "samples/bin",
        "samples/vendor",
    ];
    golden("scan.md", &report(&args));
}

#[test]
fn golden_markdown_report_with_allow_rules() {
    let args = [
        "scan",
        "--config",
        "tests/golden/allow.toml",
        "--format",
        "markdown",
        "samples/bin",
        "samples/vendor",
    ];
    golden("scan-allow.md", &report(&args));
}
