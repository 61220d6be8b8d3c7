//! Command-line behaviour: exit statuses, text output, explain, directory scans.

use crate::util::{muslcheck, root, sample};

fn code(args: &[&str]) -> i32 {
    muslcheck(args).status.code().unwrap_or(-1)
}

#[test]
fn exit_status_follows_fail_on() {
    let rebuild = sample("fcntl64");
    let gcompat = sample("hello-glibc");
    let native = sample("hello-musl");
    let r = rebuild.to_str().unwrap();
    let g = gcompat.to_str().unwrap();
    let n = native.to_str().unwrap();
    assert_eq!(code(&["scan", n]), 0);
    assert_eq!(code(&["scan", g]), 0, "default --fail-on rebuild");
    assert_eq!(code(&["scan", r]), 1);
    assert_eq!(code(&["scan", "--fail-on", "gcompat", g]), 1);
    assert_eq!(code(&["scan", "--fail-on", "native", n]), 1);
    assert_eq!(code(&["scan", "--fail-on", "never", r]), 0);
    assert_eq!(code(&["scan", "--fail-on", "error", r]), 0);
}

#[test]
fn unreadable_inputs_exit_3_unless_a_verdict_fails() {
    let t = sample("truncated-elf");
    let t = t.to_str().unwrap();
    assert_eq!(code(&["scan", t]), 3);
    assert_eq!(code(&["scan", "does/not/exist"]), 2, "a usage error (#11)");
    assert_eq!(code(&["scan", "--fail-on", "never", t]), 0);
    let r = sample("fcntl64");
    assert_eq!(code(&["scan", t, r.to_str().unwrap()]), 1);
}

#[test]
fn usage_errors_exit_2() {
    assert_eq!(
        code(&["scan", "--target", "alpine:9.99", "samples/bin/hello-musl"]),
        2
    );
    assert_eq!(
        code(&["scan", "--musl", "1.1.24", "samples/bin/hello-musl"]),
        2
    );
    assert_eq!(code(&["scan", "--bogus"]), 2);
    assert_eq!(code(&["explain", "no-such-id"]), 2);
}

#[test]
fn text_report_gives_verdict_reason_and_fix() {
    let out = muslcheck(["scan", "samples/bin/fcntl64", "samples/bin/hello-musl"]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("samples/bin/fcntl64: rebuild"), "{text}");
    assert!(text.contains("missing-symbol"), "{text}");
    assert!(text.contains("fcntl64@GLIBC_2.28"), "{text}");
    assert!(text.contains("fix:"), "{text}");
    assert!(text.contains("samples/bin/hello-musl: native"), "{text}");
    assert!(!text.contains('\x1b'), "NO_COLOR / not a TTY: no escapes");
    let colored = muslcheck(["scan", "--color", "always", "samples/bin/hello-musl"]);
    assert!(String::from_utf8_lossy(&colored.stdout).contains('\x1b'));
}

#[test]
fn directory_scan_reports_every_elf_file_in_order() {
    let dir = root().join("samples/bin");
    let (doc, _) = crate::util::scan_json(&[], &[&dir]);
    let results = doc["results"].as_array().unwrap();
    let mut elves: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| std::fs::read(p).unwrap().starts_with(b"\x7fELF"))
        .map(|p| p.display().to_string())
        .collect();
    elves.sort();
    let paths: Vec<String> = results
        .iter()
        .map(|r| r["path"].as_str().unwrap().to_string())
        .collect();
    // Non-ELF files inside a tree are not reported (scanelf -R does the same); ELF ones all are.
    assert_eq!(paths, elves);
    for r in results {
        assert_eq!(r["artifact"], dir.display().to_string());
    }
}

#[test]
fn named_non_elf_file_and_empty_directory_are_reported() {
    let tmp = crate::util::temp_dir("cli-empty");
    std::fs::create_dir_all(tmp.join("sub")).unwrap();
    std::fs::write(tmp.join("sub/readme"), "hello").unwrap();
    let (doc, _) = crate::util::scan_json(&[], &[&tmp, &root().join("samples/bin/not-elf.txt")]);
    let results = doc["results"].as_array().unwrap();
    assert_eq!(results.len(), 2, "{results:?}");
    assert_eq!(results[0]["verdict"], "skipped");
    assert!(results[0]["reason"].as_str().unwrap().contains("no ELF"));
    assert_eq!(results[1]["findings"][0]["id"], "not-elf");
    let _ = std::fs::remove_dir_all(&tmp);
}

#[test]
fn explain_every_id() {
    let list = String::from_utf8(muslcheck(["explain"]).stdout).unwrap();
    for line in list.lines() {
        let id = line.split_whitespace().next().unwrap();
        let out = muslcheck(["explain", id]);
        assert!(out.status.success(), "{id}");
        assert!(String::from_utf8(out.stdout).unwrap().starts_with(id));
    }
    assert!(list.lines().count() >= 12);
}

#[test]
fn db_extract_reads_musl_itself() {
    let out = muslcheck(["db", "extract", "/lib/ld-musl-x86_64.so.1"]);
    if !std::path::Path::new("/lib/ld-musl-x86_64.so.1").exists() {
        eprintln!("musl not installed; .ci/run installs it");
        return;
    }
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.lines().any(|l| l == "malloc FUNC"),
        "{}",
        &text[..text.len().min(300)]
    );
    assert!(text.lines().any(|l| l == "stdout OBJECT"));
    assert!(text.lines().count() > 1500);
}

#[test]
fn no_progress_output_when_stderr_is_not_a_terminal() {
    let out = muslcheck(["scan", "samples/bin", "samples/vendor"]);
    // Only the gate line and why it fails (#11: they always reach standard error), no progress.
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.starts_with("gate FAILED: "), "{err}");
    assert!(
        err.lines()
            .skip(1)
            .all(|l| l.starts_with("exit status 1: ") || l.starts_with("  also: ")),
        "{err}"
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("Artifacts:"), "{text}");
    assert!(
        text.contains("samples/vendor  (1 native, 0 gcompat, 2 rebuild"),
        "{text}"
    );
}

#[test]
fn long_runs_of_one_warning_are_one_line_unless_verbose() {
    let dir = crate::util::temp_dir("cli-group");
    let src = dir.join("f.c");
    std::fs::write(
        &src,
        "#include <stdio.h>\n#include <string.h>\nint main(int c, char **v) { char b[8]; snprintf(b, c, \"%s\", v[0]);\n\
         sprintf(b, \"%d\", c); printf(\"%s\\n\", b); fprintf(stderr, \"%d\\n\", c); memcpy(b, v[0], c); puts(b); return 0; }\n",
    )
    .unwrap();
    let exe = dir.join("f");
    let ok = std::process::Command::new("gcc")
        .args(["-O2", "-D_FORTIFY_SOURCE=2", "-o"])
        .arg(&exe)
        .arg(&src)
        .status()
        .expect("gcc");
    assert!(ok.success());
    let exe = exe.to_str().unwrap();
    let short = String::from_utf8(muslcheck(["scan", exe]).stdout).unwrap();
    let long = String::from_utf8(muslcheck(["scan", "-v", exe]).stdout).unwrap();
    let count = |t: &str| t.lines().filter(|l| l.contains("gcompat-symbol")).count();
    assert_eq!(count(&short), 1, "{short}");
    // printf with a constant string becomes puts: four fortified calls remain.
    assert!(
        short.contains("4 findings: __fprintf_chk@GLIBC_2.3.4"),
        "{short}"
    );
    assert_eq!(count(&long), 4, "{long}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// #11: shell completion offers the known targets, man pages carry the version, and a mistyped
/// finding ID gets a suggestion.
#[test]
fn completion_man_pages_and_explain_help_the_user() {
    let bash = String::from_utf8(muslcheck(["completions", "bash"]).stdout).unwrap();
    let at = bash.find("--target)").expect("a --target case");
    let case = &bash[at..at + bash[at..].find(";;").unwrap()];
    assert!(
        case.contains("alpine:3.17") && case.contains("alpine:edge"),
        "{case}"
    );
    let version = env!("CARGO_PKG_VERSION");
    for page in [None, Some("scan"), Some("explain")] {
        let mut args = vec!["man"];
        args.extend(page);
        let roff = String::from_utf8(muslcheck(&args).stdout).unwrap();
        let th = roff
            .lines()
            .find(|l| l.starts_with(".TH"))
            .unwrap_or_default();
        assert!(th.contains(&format!(" {version}\"")), "{page:?}: {th}");
    }
    let out = muslcheck(["explain", "missing-symbl"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("did you mean 'missing-symbol'?"), "{err}");
}

/// Code, docs and the symbol database cite upstream sources or the repository's own docs/, never
/// a file users do not have (a reference outside the repository).
#[test]
fn the_repository_cites_nothing_outside_itself() {
    // Spelled in pieces, so that this file does not match itself.
    let outside = [
        concat!("facts", " §"),
        concat!("shared", "/reference"),
        concat!("/work", "/"),
        concat!("../", "shared"),
    ];
    let root = crate::util::root();
    let mut files = Vec::new();
    let mut dirs: Vec<std::path::PathBuf> = [
        "src",
        "tests",
        "docs",
        "symbol-db",
        "samples",
        "scripts",
        "bench",
        "fuzz",
    ]
    .iter()
    .map(|d| root.join(d))
    .collect();
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            let path = entry.path();
            let name = entry.file_name();
            // bench/out holds benchmark output (ignored by git), with this machine's paths.
            if path.is_dir()
                && name != "target"
                && name != "corpus"
                && name != "bin"
                && name != "out"
            {
                dirs.push(path);
            } else if path.is_file() {
                files.push(path);
            }
        }
    }
    for top in std::fs::read_dir(&root).unwrap().flatten() {
        if top.path().extension().is_some_and(|e| e == "md") {
            files.push(top.path());
        }
    }
    let mut cited = Vec::new();
    for f in &files {
        let Ok(text) = std::fs::read_to_string(f) else {
            continue;
        };
        for (n, line) in text.lines().enumerate() {
            if outside.iter().any(|o| line.contains(o)) {
                cited.push(format!("{}:{}: {line}", f.display(), n + 1));
            }
        }
    }
    assert!(files.len() > 100, "{} files read", files.len());
    assert!(cited.is_empty(), "{}", cited.join("\n"));
}
