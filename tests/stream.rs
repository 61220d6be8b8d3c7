//! A directory streams (#11, #13): listed first, its JSONL records are written file by file as
//! each closure is final, and they are exactly the JSON report's records; progress on a
//! terminal has totals and an ETA, and never reaches a report or a non-terminal.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use serde_json::Value;

use crate::util::{Tmp, command, sample};

fn patchelf(args: &[&str], file: &Path) {
    let out = Command::new("patchelf")
        .args(args)
        .arg(file)
        .output()
        .expect("patchelf");
    assert!(
        out.status.success(),
        "patchelf {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A copy of sample `from` at `dir/at`, needing `needed`, with RUNPATH `runpath`.
fn elf(dir: &Path, at: &str, from: &str, needed: &[&str], runpath: Option<&str>) {
    let p = dir.join(at);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::copy(sample(from), &p).unwrap();
    for n in needed {
        patchelf(&["--add-needed", n], &p);
    }
    if let Some(r) = runpath {
        patchelf(&["--set-rpath", r], &p);
    }
}

/// An install tree whose closures need the whole machinery: an rpath chain (a library found
/// through its requester's `$ORIGIN` rpath), a versioned link, a cycle of two libraries, one
/// of which needs a rebuild, a missing library, and a sibling off the search path.
fn tree(dir: &Path) {
    elf(
        dir,
        "opt/app/bin/app",
        "hello-musl",
        &["libA.so.1", "libmissing.so.9"],
        Some("$ORIGIN/../lib"),
    );
    elf(
        dir,
        "opt/app/lib/libA.so.1.0",
        "plugin-native.so",
        &["libB.so"],
        Some("$ORIGIN/../deep"),
    );
    std::os::unix::fs::symlink("libA.so.1.0", dir.join("opt/app/lib/libA.so.1")).unwrap();
    // libB and libC need each other; libC needs a rebuild (ifunc resolver), found only through
    // libA's RUNPATH, so app's closure reaches both through the chain.
    elf(
        dir,
        "opt/app/deep/libB.so",
        "liblfs64.so",
        &["libC.so"],
        None,
    );
    elf(
        dir,
        "opt/app/deep/libC.so",
        "libifunc.so",
        &["libB.so"],
        None,
    );
    // A plugin next to a library it needs, without an rpath to it.
    elf(
        dir,
        "opt/plug/plugin.so",
        "plugin-native.so",
        &["libside.so"],
        None,
    );
    elf(dir, "opt/plug/libside.so", "fcntl64", &[], None);
    // The system directories of the unit's root.
    elf(dir, "usr/bin/tool", "hello-musl", &["libz.so.1"], None);
    elf(dir, "usr/lib/libz.so.1", "liblfs64.so", &[], None);
    // A package database: owners are part of every record, streamed or not.
    std::fs::create_dir_all(dir.join("var/lib/dpkg/info")).unwrap();
    std::fs::write(
        dir.join("var/lib/dpkg/status"),
        "Package: tool\nStatus: install ok installed\nArchitecture: amd64\nVersion: 1.2-3\n\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("var/lib/dpkg/info/tool.list"),
        "/usr\n/usr/bin\n/usr/bin/tool\n",
    )
    .unwrap();
    for i in 0..30 {
        std::fs::write(dir.join(format!("usr/lib/data-{i:02}.txt")), "not ELF\n").unwrap();
        std::fs::copy(sample("hello-glibc"), dir.join(format!("usr/bin/g{i:02}"))).unwrap();
    }
}

fn lines(out: &std::process::Output) -> Vec<Value> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

fn by_path(records: impl IntoIterator<Item = Value>) -> BTreeMap<String, Value> {
    records
        .into_iter()
        .map(|r| (r["path"].as_str().unwrap_or_default().to_string(), r))
        .collect()
}

#[test]
fn jsonl_streams_exactly_the_json_reports_records_for_chains_cycles_and_missing_libraries() {
    let t = Tmp::new("stream-equal");
    let root = t.path("root");
    tree(&root);
    let root_s = root.display().to_string();
    let single = sample("hello-musl").display().to_string();
    let run = |format: &str, jobs: &str| {
        let out = command()
            .args(["scan", "--no-cache", "--fail-on", "never", "-j", jobs])
            .args(["--format", format, &root_s, &single])
            .output()
            .expect("run");
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        out
    };
    let json: Value = serde_json::from_slice(&run("json", "2").stdout).expect("JSON");
    let results = json["results"].as_array().cloned().unwrap_or_default();
    let report = by_path(results.clone());

    // The fixture means what it says: the chain, the cycle, the missing library, the sibling.
    let app = &report[&format!("{root_s}/opt/app/bin/app")];
    assert_eq!(app["verdict"], "rebuild", "{app:#}");
    let closure: BTreeMap<&str, Option<&str>> = app["closure"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["library"].as_str().unwrap(), c["found"].as_str()))
        .collect();
    let b = format!("{root_s}/opt/app/deep/libB.so");
    let c = format!("{root_s}/opt/app/deep/libC.so");
    assert_eq!(
        closure.get("libB.so"),
        Some(&Some(b.as_str())),
        "{closure:?}"
    );
    assert_eq!(
        closure.get("libC.so"),
        Some(&Some(c.as_str())),
        "{closure:?}"
    );
    assert_eq!(closure.get("libmissing.so.9"), Some(&None), "{closure:?}");
    assert_eq!(
        report[&b]["verdict"], "rebuild",
        "the cycle carries libC's rebuild to libB"
    );
    let tool = &report[&format!("{root_s}/usr/bin/tool")];
    assert!(tool["owner"].is_object(), "{tool:#}");
    let plugin = &report[&format!("{root_s}/opt/plug/plugin.so")];
    assert!(
        plugin["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["id"] == "library-off-path"),
        "{plugin:#}"
    );

    for jobs in ["1", "2", "4"] {
        let streamed = lines(&run("jsonl", jobs));
        assert_eq!(
            streamed.first().map(|h| &h["type"]),
            Some(&Value::from("header"))
        );
        assert_eq!(
            streamed.last().map(|s| &s["type"]),
            Some(&Value::from("summary"))
        );
        let records: Vec<Value> = streamed
            .iter()
            .filter(|l| l["type"] == "record")
            .map(|l| {
                let mut r = l.clone();
                let o = r.as_object_mut().unwrap();
                o.remove("type");
                o.remove("finding_parts");
                r
            })
            .collect();
        assert_eq!(
            records.len(),
            results.len(),
            "-j {jobs}: one line per record"
        );
        // Inputs in order: the tree's records (any order among them), then the file's.
        assert_eq!(
            records.last().unwrap()["path"],
            Value::from(single.as_str())
        );
        let got = by_path(records);
        assert_eq!(got.len(), report.len(), "-j {jobs}: no path twice");
        for (path, r) in &report {
            assert_eq!(got.get(path), Some(r), "-j {jobs}: {path}");
        }
    }
}

/// The drawn frames of a progress transcript: (done, total) of each, in order.
fn frames(transcript: &str) -> Vec<(u64, u64)> {
    let re = regex::Regex::new(r"(\d+)/(\d+) files, ETA \d").unwrap();
    re.captures_iter(transcript)
        .map(|c| (c[1].parse().unwrap(), c[2].parse().unwrap()))
        .collect()
}

/// Drop terminal control sequences, keep what is left on each line.
fn plain(transcript: &str) -> String {
    let re = regex::Regex::new(r"\x1b\[[0-9;?]*[A-Za-z]").unwrap();
    re.replace_all(transcript, "").into_owned()
}

#[test]
fn progress_on_a_terminal_shows_totals_and_an_eta_and_stays_off_reports() {
    let t = Tmp::new("stream-progress");
    let root = t.path("tree");
    std::fs::create_dir_all(&root).unwrap();
    for i in 0..40 {
        std::fs::copy(sample("hello-musl"), root.join(format!("h{i:02}"))).unwrap();
    }
    for i in 0..60 {
        std::fs::write(root.join(format!("t{i:02}.txt")), "x\n").unwrap();
    }
    let report = t.path("report.json");
    // stdout to a file, stderr on a pseudo-terminal (util-linux `script`).
    let cmd = format!(
        "{} scan --no-cache --format json --fail-on never {} > {}",
        env!("CARGO_BIN_EXE_muslcheck"),
        root.display(),
        report.display()
    );
    let out = Command::new("script")
        .args(["-qfec", &cmd, "/dev/null"])
        .env("NO_COLOR", "1")
        .env("XDG_CACHE_HOME", t.path("cache"))
        .output()
        .expect("script (util-linux)");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let transcript = String::from_utf8_lossy(&out.stdout).into_owned();
    let drawn = frames(&transcript);
    // 100 listed files and the directory itself: the totals are known from the first frame.
    assert!(!drawn.is_empty(), "no progress drawn: {transcript:?}");
    // Before the listing, the directory is one item; once listed, its files count.
    let totals: Vec<u64> = drawn.iter().map(|&(_, total)| total).collect();
    assert!(totals.iter().all(|&t| t == 1 || t == 101), "{drawn:?}");
    assert!(totals.windows(2).all(|w| w[0] <= w[1]), "{drawn:?}");
    assert!(
        drawn.iter().all(|&(done, total)| done <= total),
        "{drawn:?}"
    );
    assert_eq!(
        drawn.last(),
        Some(&(101, 101)),
        "the final frame is complete"
    );
    assert!(transcript.contains("40 ELF"), "{transcript:?}");
    // The display is cleared at the end: the terminal's last line is the gate line alone.
    let text = plain(&transcript);
    let last = text
        .split(['\r', '\n'])
        .rfind(|l| !l.trim().is_empty())
        .unwrap_or_default();
    assert_eq!(last, "gate passed: 0 of 40 files fail --fail-on never");
    // The report has none of it.
    let doc: Value = serde_json::from_slice(&std::fs::read(&report).unwrap()).expect("JSON");
    assert_eq!(doc["results"].as_array().map(Vec::len), Some(40));

    // Standard error that is no terminal gets no progress; standard output never does.
    let piped = command()
        .args([
            "scan",
            "--no-cache",
            "--format",
            "json",
            "--fail-on",
            "never",
        ])
        .arg(&root)
        .output()
        .expect("run");
    let err = String::from_utf8_lossy(&piped.stderr);
    assert!(frames(&err).is_empty() && !err.contains('\x1b'), "{err:?}");
    assert_eq!(
        err.trim(),
        "gate passed: 0 of 40 files fail --fail-on never"
    );
    serde_json::from_slice::<Value>(&piped.stdout).expect("stdout is the report alone");
}
