//! The CI gate: exit statuses, muslcheck.toml (allow rules, expiry, overrides), baselines.

use std::path::Path;

use crate::util::{copy_samples, json_of, muslcheck, muslcheck_in, sample, temp_dir};

fn code(out: &std::process::Output) -> i32 {
    out.status.code().unwrap_or(-1)
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).expect("write test file");
}

/// The record of `path` in a JSON report.
fn record<'a>(doc: &'a serde_json::Value, path: &str) -> &'a serde_json::Value {
    doc["results"]
        .as_array()
        .and_then(|a| a.iter().find(|r| r["path"] == path))
        .unwrap_or_else(|| panic!("no record {path} in {doc}"))
}

fn finding<'a>(r: &'a serde_json::Value, id: &str) -> &'a serde_json::Value {
    r["findings"]
        .as_array()
        .and_then(|a| a.iter().find(|f| f["id"] == id))
        .unwrap_or_else(|| panic!("no finding {id} in {r}"))
}

#[test]
fn every_exit_status_path() {
    let s = |n: &str| sample(n).to_string_lossy().into_owned();
    let (rebuild, gcompat, native, broken) = (
        s("fcntl64"),
        s("hello-glibc"),
        s("hello-musl"),
        s("truncated-elf"),
    );
    let dir = temp_dir("gate-exit");
    let run = |args: &[&str]| code(&muslcheck_in(&dir, args));
    // 0: nothing at or above the threshold.
    assert_eq!(run(&["scan", &native, &gcompat]), 0);
    assert_eq!(run(&["scan", "--fail-on", "never", &rebuild, &broken]), 0);
    assert_eq!(run(&["scan", "--fail-on", "error", &rebuild]), 0);
    // 1: a judged binary at or above the threshold, whatever else failed.
    assert_eq!(run(&["scan", &rebuild]), 1);
    assert_eq!(run(&["scan", "--fail-on", "gcompat", &gcompat]), 1);
    assert_eq!(run(&["scan", "--fail-on", "native", &native]), 1);
    assert_eq!(run(&["scan", &broken, &rebuild]), 1);
    // 3: only unreadable or malformed inputs fail (counted under --fail-on error too).
    assert_eq!(run(&["scan", &broken]), 3);
    assert_eq!(run(&["scan", "--fail-on", "error", &broken]), 3);
    // 2 since #11: a nonexistent input is a usage error, before any scanning.
    assert_eq!(run(&["scan", "--fail-on", "gcompat", "missing-file"]), 2);
    // 2: usage and fatal errors.
    assert_eq!(run(&["scan", "--fail-on", "sometimes", &native]), 2);
    assert_eq!(run(&["scan", "--report", "pdf=x.pdf", &native]), 2);
    assert_eq!(run(&["scan", "--config", "no-such.toml", &native]), 2);
    assert_eq!(run(&["scan", "--baseline", "no-such.json", &native]), 2);
    let out = muslcheck_in(&dir, ["scan", "-o", "no/such/dir/r.txt", &native]);
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("cannot write report no/such/dir/r.txt"),
        "{}",
        stderr(&out)
    );
    write(&dir, "bad.json", "{\"schema\": \"other\"}");
    let out = muslcheck_in(&dir, ["scan", "--baseline", "bad.json", &native]);
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("bad.json: not a muslcheck baseline"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn unknown_config_keys_are_errors_naming_key_and_line() {
    let dir = temp_dir("gate-unknown-key");
    copy_samples(&dir, "vendor", &["hello-musl"]);
    write(
        &dir,
        "muslcheck.toml",
        "target = \"alpine:3.22\"\nfial-on = \"native\"\n",
    );
    let out = muslcheck_in(&dir, ["scan", "vendor"]);
    assert_eq!(code(&out), 2);
    let err = stderr(&out);
    assert!(err.contains("muslcheck.toml:2:1:"), "{err}");
    assert!(err.contains("fial-on"), "{err}");
    assert!(err.starts_with("muslcheck: error: "), "{err}");
    // --no-config ignores the file; --config FILE reads another one.
    assert_eq!(
        code(&muslcheck_in(&dir, ["scan", "--no-config", "vendor"])),
        0
    );
    write(&dir, "strict.toml", "fail-on = \"native\"\n");
    let out = muslcheck_in(&dir, ["scan", "--config", "strict.toml", "vendor"]);
    assert_eq!(code(&out), 1);
    // An allow rule without a reason names its line.
    write(
        &dir,
        "muslcheck.toml",
        "\n[[allow]]\nid = \"missing-symbol\"\n",
    );
    let out = muslcheck_in(&dir, ["scan", "vendor"]);
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("muslcheck.toml:2:"),
        "{}",
        stderr(&out)
    );
    assert!(stderr(&out).contains("reason"), "{}", stderr(&out));
}

#[test]
fn config_sets_target_and_threshold_and_flags_override_it() {
    let dir = temp_dir("gate-override");
    copy_samples(&dir, "vendor", &["hello-glibc"]);
    write(
        &dir,
        "muslcheck.toml",
        "target = \"alpine:3.17\"\nfail-on = \"gcompat\"\n",
    );
    let out = muslcheck_in(&dir, ["scan", "--format", "json", "vendor"]);
    assert_eq!(code(&out), 1, "fail-on gcompat from the file");
    let doc = json_of(&out);
    assert_eq!(doc["target"]["name"], "alpine:3.17");
    assert_eq!(doc["gate"]["fail_on"], "gcompat");
    let out = muslcheck_in(
        &dir,
        [
            "scan",
            "--format",
            "json",
            "--target",
            "alpine:3.22",
            "--fail-on",
            "rebuild",
            "vendor",
        ],
    );
    assert_eq!(code(&out), 0, "flags override the file");
    let doc = json_of(&out);
    assert_eq!(doc["target"]["name"], "alpine:3.22");
    assert_eq!(doc["gate"]["fail_on"], "rebuild");
    // gcompat = "none" in the file: the glibc loader needs a rebuild.
    write(&dir, "muslcheck.toml", "gcompat = \"none\"\n");
    assert_eq!(code(&muslcheck_in(&dir, ["scan", "vendor"])), 1);
    write(&dir, "muslcheck.toml", "target = \"alpine:9.9\"\n");
    let out = muslcheck_in(&dir, ["scan", "vendor"]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("alpine:9.9"), "{}", stderr(&out));
    assert!(stderr(&out).contains("muslcheck.toml"), "{}", stderr(&out));
}

const ALLOW_FCNTL: &str = r#"
[[allow]]
path = "vendor/**"
id = "missing-symbol"
symbol = "fcntl64"
reason = "vendor tool, replaced by the musl build in PLAT-42"
"#;

#[test]
fn allowed_findings_stay_visible_and_do_not_count() {
    let dir = temp_dir("gate-allow");
    copy_samples(&dir, "vendor", &["fcntl64", "res-init"]);
    let out = muslcheck_in(&dir, ["scan", "vendor/fcntl64"]);
    assert_eq!(code(&out), 1, "fails without the rule");
    write(&dir, "muslcheck.toml", ALLOW_FCNTL);
    let out = muslcheck_in(&dir, ["scan", "--format", "json", "vendor/fcntl64"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let doc = json_of(&out);
    let r = record(&doc, "vendor/fcntl64");
    assert_eq!(r["verdict"], "rebuild", "the real verdict is kept");
    assert_eq!(r["effective_verdict"], "gcompat");
    assert_eq!(r["fails"], false);
    let s = &finding(r, "missing-symbol")["suppressed"];
    assert_eq!(s["kind"], "allow");
    assert_eq!(s["rule"], 1);
    assert_eq!(
        s["reason"],
        "vendor tool, replaced by the musl build in PLAT-42"
    );
    assert!(finding(r, "glibc-loader").get("suppressed").is_none());
    assert_eq!(doc["gate"]["allowed"], 1);
    assert_eq!(doc["gate"]["allow_rules"][0]["findings"], 1);
    assert_eq!(doc["gate"]["status"], "passed");
    // The effective verdict still meets a stricter threshold.
    let out = muslcheck_in(&dir, ["scan", "--fail-on", "gcompat", "vendor/fcntl64"]);
    assert_eq!(code(&out), 1);
    // Other binaries and other symbols are not covered.
    assert_eq!(code(&muslcheck_in(&dir, ["scan", "vendor"])), 1, "res-init");
    // Text shows the allowance.
    let out = muslcheck_in(&dir, ["scan", "vendor/fcntl64"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("vendor/fcntl64: rebuild (counted as gcompat)"),
        "{text}"
    );
    assert!(text.contains("[allowed: vendor tool"), "{text}");
    assert!(text.contains("gate passed: 0 of 1 file fail"), "{text}");
}

#[test]
fn expired_allow_rules_stop_applying_and_say_so() {
    let dir = temp_dir("gate-expired");
    copy_samples(&dir, "vendor", &["fcntl64"]);
    write(
        &dir,
        "muslcheck.toml",
        &format!("{ALLOW_FCNTL}expires = 2020-01-31\n"),
    );
    let out = muslcheck_in(&dir, ["scan", "--format", "json", "vendor"]);
    assert_eq!(code(&out), 1, "an expired rule no longer allows");
    let err = stderr(&out);
    assert!(
        err.contains("muslcheck: warning: muslcheck.toml:2: allow rule 1"),
        "{err}"
    );
    assert!(err.contains("expired on 2020-01-31"), "{err}");
    let quiet = muslcheck_in(&dir, ["scan", "--quiet", "vendor"]);
    assert_eq!(code(&quiet), 1);
    // #11: --quiet no longer hides why the gate fails.
    assert!(
        stderr(&quiet).contains("expired on 2020-01-31"),
        "--quiet: {}",
        stderr(&quiet)
    );
    assert!(String::from_utf8_lossy(&quiet.stdout).contains("gate FAILED"));
    let doc = json_of(&out);
    let rule = &doc["gate"]["allow_rules"][0];
    assert_eq!(rule["expired"], true);
    assert_eq!(rule["expires"], "2020-01-31");
    assert_eq!(rule["findings"], 0);
    let r = record(&doc, "vendor/fcntl64");
    assert!(finding(r, "missing-symbol").get("suppressed").is_none());
    let md = muslcheck_in(&dir, ["scan", "--format", "markdown", "vendor"]);
    let md = String::from_utf8_lossy(&md.stdout);
    assert!(md.contains("expired on 2020-01-31"), "{md}");
    // A rule that expires in the future applies, and says until when.
    write(
        &dir,
        "muslcheck.toml",
        &format!("{ALLOW_FCNTL}expires = 2999-12-31\n"),
    );
    let out = muslcheck_in(&dir, ["scan", "--format", "json", "vendor"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(!stderr(&out).contains("expired"));
    let doc = json_of(&out);
    let s = &finding(record(&doc, "vendor/fcntl64"), "missing-symbol")["suppressed"];
    assert_eq!(s["expires"], "2999-12-31");
}

fn baseline_entries(path: &Path) -> Vec<serde_json::Value> {
    let text = std::fs::read_to_string(path).expect("baseline written");
    let doc: serde_json::Value = serde_json::from_str(&text).expect("baseline is JSON");
    assert_eq!(doc["schema"], "muslcheck-baseline");
    doc["entries"].as_array().cloned().unwrap_or_default()
}

#[test]
fn baseline_round_trip_fails_only_on_new_findings() {
    let dir = temp_dir("gate-baseline");
    copy_samples(&dir, "vendor", &["fcntl64", "hello-musl", "hello-glibc"]);
    std::fs::copy(sample("glibc-private"), dir.join("vendor/tool")).expect("copy");
    assert_eq!(code(&muslcheck_in(&dir, ["scan", "vendor"])), 1);
    let keys = |doc: &serde_json::Value| -> Vec<(String, String)> {
        let r = record(doc, "vendor/tool");
        let mut k: Vec<_> = r["findings"]
            .as_array()
            .map(|fs| {
                fs.iter()
                    .map(|f| {
                        (
                            f["id"].to_string(),
                            f["symbol"].to_string() + &f["library"].to_string(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        k.sort();
        k
    };
    let before = keys(&json_of(&muslcheck_in(
        &dir,
        ["scan", "--format", "json", "vendor"],
    )));

    let out = muslcheck_in(&dir, ["scan", "--write-baseline", "base.json", "vendor"]);
    assert_eq!(code(&out), 0, "the run that writes a baseline accepts it");
    assert!(
        stderr(&out).contains("to baseline base.json"),
        "{}",
        stderr(&out)
    );
    let entries = baseline_entries(&dir.join("base.json"));
    let sha = record(
        &json_of(&muslcheck_in(&dir, ["scan", "--format", "json", "vendor"])),
        "vendor/fcntl64",
    )["sha256"]
        .clone();
    assert!(entries.iter().any(|e| e["path"] == "vendor/fcntl64"
        && e["id"] == "missing-symbol"
        && e["symbol"] == "fcntl64@GLIBC_2.28"
        && e["sha256"] == sha));
    assert!(
        entries.iter().all(|e| e["path"] != "vendor/hello-musl"),
        "native files have nothing to record: {entries:?}"
    );

    let out = muslcheck_in(
        &dir,
        [
            "scan",
            "--format",
            "json",
            "--baseline",
            "base.json",
            "vendor",
        ],
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let doc = json_of(&out);
    let s = &finding(record(&doc, "vendor/fcntl64"), "missing-symbol")["suppressed"];
    assert_eq!(s["kind"], "baseline");
    let b = &doc["gate"]["baseline"];
    assert_eq!(b["new"], 0);
    assert_eq!(b["stale"], 0);
    assert_eq!(b["entries"].as_u64(), Some(entries.len() as u64));
    assert_eq!(b["known"], b["entries"]);

    // A new binary fails; the known one stays accepted.
    copy_samples(&dir, "vendor", &["res-init"]);
    let out = muslcheck_in(
        &dir,
        [
            "scan",
            "--format",
            "json",
            "--baseline",
            "base.json",
            "vendor",
        ],
    );
    assert_eq!(code(&out), 1);
    let doc = json_of(&out);
    assert_eq!(record(&doc, "vendor/res-init")["fails"], true);
    assert_eq!(record(&doc, "vendor/fcntl64")["fails"], false);

    // The same name with new content (a vendor update) is judged afresh, even though its
    // findings look the same.
    std::fs::remove_file(dir.join("vendor/res-init")).expect("remove");
    std::fs::copy(sample("glibc-private-copy"), dir.join("vendor/tool")).expect("replace");
    let out = muslcheck_in(
        &dir,
        [
            "scan",
            "--format",
            "json",
            "--baseline",
            "base.json",
            "vendor",
        ],
    );
    assert_eq!(code(&out), 1, "changed binary");
    let doc = json_of(&out);
    assert_eq!(keys(&doc), before, "same finding keys, new hash");
    let r = record(&doc, "vendor/tool");
    assert!(r["findings"].as_array().is_some_and(|fs| {
        fs.iter()
            .filter(|f| f["requires"] == "rebuild")
            .all(|f| f.get("suppressed").is_none())
    }));
    assert!(
        doc["gate"]["baseline"]["stale"].as_u64() > Some(0),
        "old entries are stale"
    );

    // SARIF marks baseline state.
    let out = muslcheck_in(
        &dir,
        [
            "scan",
            "--format",
            "sarif",
            "--baseline",
            "base.json",
            "vendor",
        ],
    );
    let sarif = json_of(&out);
    let states: Vec<_> = sarif["runs"][0]["results"]
        .as_array()
        .map(|rs| rs.iter().map(|r| r["baselineState"].clone()).collect())
        .unwrap_or_default();
    assert!(states.contains(&serde_json::json!("new")), "{states:?}");
    assert!(
        states.contains(&serde_json::json!("unchanged")),
        "{states:?}"
    );
}

#[test]
fn baseline_named_in_config_and_allowed_findings_stay_out_of_it() {
    let dir = temp_dir("gate-baseline-config");
    copy_samples(&dir, "vendor", &["fcntl64", "res-init"]);
    write(
        &dir,
        "muslcheck.toml",
        &format!("baseline = \"ci/base.json\"\n{ALLOW_FCNTL}"),
    );
    let out = muslcheck_in(&dir, ["scan", "vendor"]);
    assert_eq!(code(&out), 2, "the configured baseline does not exist yet");
    assert!(
        stderr(&out).contains("--write-baseline"),
        "{}",
        stderr(&out)
    );
    std::fs::create_dir_all(dir.join("ci")).expect("mkdir");
    let out = muslcheck_in(&dir, ["scan", "--write-baseline", "ci/base.json", "vendor"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let entries = baseline_entries(&dir.join("ci/base.json"));
    assert!(
        entries
            .iter()
            .all(|e| !(e["path"] == "vendor/fcntl64" && e["id"] == "missing-symbol")),
        "an allowed finding must not outlive its rule in the baseline: {entries:?}"
    );
    assert!(entries.iter().any(|e| e["path"] == "vendor/res-init"));
    let out = muslcheck_in(&dir, ["scan", "--format", "json", "vendor"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(json_of(&out)["gate"]["baseline"]["file"], "ci/base.json");
}

#[test]
fn several_reports_from_one_scan() {
    let dir = temp_dir("gate-reports");
    copy_samples(&dir, "vendor", &["fcntl64", "hello-musl"]);
    let out = muslcheck_in(
        &dir,
        [
            "scan",
            "--report",
            "sarif=out.sarif",
            "--report",
            "junit=junit.xml",
            "--report",
            "markdown=summary.md",
            "--report",
            "html=report.html",
            "--report",
            "json=report.json",
            "vendor",
        ],
    );
    assert_eq!(code(&out), 1, "the gate is unchanged by extra reports");
    assert!(String::from_utf8_lossy(&out.stdout).contains("vendor/fcntl64: rebuild"));
    let read = |n: &str| std::fs::read_to_string(dir.join(n)).unwrap_or_default();
    assert!(read("out.sarif").contains("\"version\": \"2.1.0\""));
    assert!(read("junit.xml").starts_with("<?xml"));
    assert!(read("summary.md").contains("muslcheck failed"));
    assert!(read("report.html").starts_with("<!DOCTYPE html>"));
    assert!(read("report.json").contains("\"gate\""));
}

#[test]
fn error_messages_are_prefixed_and_actionable() {
    let out = muslcheck(["explain", "nope"]);
    assert_eq!(code(&out), 2);
    assert_eq!(
        stderr(&out).trim(),
        "muslcheck: error: unknown finding ID 'nope'; `muslcheck explain` lists them"
    );
    let out = muslcheck(["scan", "--target", "alpine:1.0", "samples/bin/hello-musl"]);
    assert!(
        stderr(&out).contains("known targets: alpine:3.17"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn the_documented_policy_files_parse() {
    let mut seen = 0;
    for doc in ["docs/ci.md", "README.md"] {
        let text = std::fs::read_to_string(crate::util::root().join(doc)).expect("doc");
        for block in text.split("```toml\n").skip(1) {
            let example = block.split("```").next().unwrap_or_default();
            let config = muslcheck::policy::Config::parse(example)
                .unwrap_or_else(|e| panic!("{doc}: {e}\n{example}"));
            assert!(!config.allow.is_empty(), "{doc}");
            seen += 1;
        }
    }
    assert_eq!(seen, 2, "one example in each document");
}

#[test]
fn allowing_a_bundled_library_clears_the_binaries_that_load_it() {
    let dir = temp_dir("gate-bundled");
    let config = dir.join("allow.toml");
    write(
        &dir,
        "allow.toml",
        "[[allow]]\npath = \"samples/vendor/lib/*\"\nsymbol = \"fcntl64\"\nreason = \"patched build coming\"\n",
    );
    let config = config.to_string_lossy().into_owned();
    assert_eq!(code(&muslcheck(["scan", "samples/vendor"])), 1);
    let out = muslcheck([
        "scan",
        "--format",
        "json",
        "--config",
        &config,
        "samples/vendor",
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let doc = json_of(&out);
    let tool = record(&doc, "samples/vendor/bin/tool");
    assert_eq!(tool["verdict"], "rebuild");
    assert_eq!(
        tool["effective_verdict"], "gcompat",
        "its library is accepted"
    );
    // jsonl streams the same standing, computed per input with its bundled libraries.
    let out = muslcheck([
        "scan",
        "--format",
        "jsonl",
        "--config",
        &config,
        "samples/vendor",
    ]);
    assert_eq!(code(&out), 0);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let line = text
        .lines()
        .find(|l| l.contains("\"path\":\"samples/vendor/bin/tool\""))
        .expect("tool line");
    let line: serde_json::Value = serde_json::from_str(line).expect("JSON line");
    assert_eq!(line["effective_verdict"], "gcompat");
    assert_eq!(line["fails"], false);
}

#[test]
fn baselines_match_the_same_bytes_wherever_they_are() {
    // Issue 11: app-1.0.tgz renamed to app-1.1.tgz with the same bytes, or a relative path given
    // as an absolute one, was new to the baseline.
    let dir = temp_dir("gate-baseline-content");
    let data = std::fs::read(sample("fcntl64")).expect("sample");
    let mut b = tar::Builder::new(Vec::new());
    let mut h = tar::Header::new_gnu();
    h.set_size(data.len() as u64);
    h.set_mode(0o755);
    b.append_data(&mut h, "bin/app", data.as_slice())
        .expect("tar");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut gz, &b.into_inner().expect("tar")).expect("gzip");
    std::fs::write(dir.join("app-1.0.tgz"), gz.finish().expect("gzip")).expect("write");
    let out = muslcheck_in(
        &dir,
        ["scan", "--write-baseline", "base.json", "app-1.0.tgz"],
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(code(&muslcheck_in(&dir, ["scan", "app-1.0.tgz"])), 1);

    std::fs::rename(dir.join("app-1.0.tgz"), dir.join("app-1.1.tgz")).expect("rename");
    let out = muslcheck_in(&dir, ["scan", "--baseline", "base.json", "app-1.1.tgz"]);
    assert_eq!(
        code(&out),
        0,
        "renamed, same bytes: known\n{}",
        stderr(&out)
    );
    let abs = dir.join("app-1.1.tgz").display().to_string();
    let out = muslcheck_in(&dir, ["scan", "--baseline", "base.json", &abs]);
    assert_eq!(
        code(&out),
        0,
        "absolute path, same bytes: known\n{}",
        stderr(&out)
    );

    // --strip-prefix writes portable paths: the absolute scan records them relative.
    let prefix = format!("{}/", dir.display());
    let out = muslcheck_in(
        &dir,
        [
            "scan",
            "--write-baseline",
            "abs.json",
            "--strip-prefix",
            &prefix,
            &abs,
        ],
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let entries = baseline_entries(&dir.join("abs.json"));
    assert!(
        entries.iter().all(|e| e["path"] == "app-1.1.tgz!/bin/app"),
        "{entries:?}"
    );

    // Other bytes under the old name are still judged afresh.
    std::fs::copy(sample("glibc-private"), dir.join("app-1.1.tgz")).expect("replace");
    let out = muslcheck_in(&dir, ["scan", "--baseline", "base.json", "app-1.1.tgz"]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
}

#[test]
fn a_directory_holding_archives_is_gated_as_one_input_in_jsonl_as_in_json() {
    use crate::forge::{file, tar};
    // vendor/bin/tool loads vendor/lib/libbundled.so.1; an archive sorts between them, so its
    // members' records (another artifact) come between the tool's and the library's.
    let dir = temp_dir("gate-jsonl-input");
    let vendor = dir.join("vendor");
    for sub in ["bin", "lib"] {
        std::fs::create_dir_all(vendor.join(sub)).expect("mkdir");
    }
    let from = crate::util::root().join("samples/vendor");
    for f in ["bin/tool", "lib/libbundled.so.1.0", "lib/libok.so"] {
        std::fs::copy(from.join(f), vendor.join(f)).expect("copy");
    }
    std::os::unix::fs::symlink("libbundled.so.1.0", vendor.join("lib/libbundled.so.1"))
        .expect("symlink");
    let member = file(
        "usr/bin/app",
        std::fs::read(sample("hello-musl")).expect("sample"),
    );
    std::fs::write(vendor.join("k.tar"), tar(&[member], true)).expect("write tar");
    write(
        &dir,
        "muslcheck.toml",
        "[[allow]]\npath = \"vendor/lib/*\"\nsymbol = \"fcntl64\"\nreason = \"patched build coming\"\n",
    );
    let standing = |format: &str| -> Vec<(String, String, bool)> {
        let out = muslcheck_in(&dir, ["scan", "--format", format, "vendor"]);
        assert_eq!(code(&out), 0, "{format}: {}", stderr(&out));
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let records: Vec<serde_json::Value> = if format == "json" {
            let doc: serde_json::Value = serde_json::from_str(&text).expect("JSON");
            doc["results"].as_array().cloned().unwrap_or_default()
        } else {
            text.lines()
                .map(|l| serde_json::from_str::<serde_json::Value>(l).expect("JSON line"))
                .filter(|l| l["type"] == "record")
                .collect()
        };
        records
            .iter()
            .map(|r| {
                (
                    r["path"].as_str().unwrap_or_default().to_string(),
                    r["effective_verdict"]
                        .as_str()
                        .unwrap_or_default()
                        .to_string(),
                    r["fails"].as_bool().unwrap_or(true),
                )
            })
            .collect()
    };
    let json = standing("json");
    let tool = json
        .iter()
        .find(|r| r.0 == "vendor/bin/tool")
        .expect("tool");
    assert_eq!((tool.1.as_str(), tool.2), ("gcompat", false), "{json:?}");
    assert!(
        json.iter().any(|r| r.0 == "vendor/k.tar!/usr/bin/app"),
        "{json:?}"
    );
    // A directory's records stream as each becomes final (#11): compared as sets.
    let sorted = |mut v: Vec<(String, String, bool)>| {
        v.sort();
        v
    };
    assert_eq!(sorted(standing("jsonl")), sorted(json));
}
