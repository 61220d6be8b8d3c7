//! Report formats against their contracts: the committed JSON Schema, the OASIS SARIF 2.1.0
//! schema, JUnit XML parsed by an XML parser, Markdown and self-contained HTML.

use std::collections::HashSet;
use std::path::Path;

use serde_json::Value;

use crate::util::{copy_samples, json_of, muslcheck, muslcheck_in, root, temp_dir};

fn load(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

pub fn validator(schema: &Value, draft: jsonschema::Draft) -> jsonschema::Validator {
    jsonschema::options()
        .with_draft(draft)
        .should_validate_formats(true)
        .build(schema)
        .unwrap_or_else(|e| panic!("schema does not compile: {e}"))
}

pub fn assert_valid(v: &jsonschema::Validator, doc: &Value, what: &str) {
    let errors: Vec<String> = v
        .iter_errors(doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .take(10)
        .collect();
    assert!(
        errors.is_empty(),
        "{what} does not match its schema:\n{}",
        errors.join("\n")
    );
}

pub fn report_schema() -> Value {
    load(&root().join("docs/schema/report.schema.json"))
}

/// A schema whose root is one of the report schema's `$defs`.
pub fn def_schema(name: &str) -> Value {
    let mut s = report_schema();
    s["$ref"] = Value::String(format!("#/$defs/{name}"));
    if let Some(o) = s.as_object_mut() {
        for k in ["type", "required", "properties"] {
            o.remove(k);
        }
    }
    s
}

/// Keys of `value` that the schema node does not list: the schema stays open for forward
/// compatibility, so completeness is checked here.
pub fn undocumented(root: &Value, node: &Value, value: &Value, at: &str, out: &mut Vec<String>) {
    let node = match node.get("$ref").and_then(Value::as_str) {
        Some(r) => {
            let name = r.trim_start_matches("#/$defs/");
            &root["$defs"][name]
        }
        None => node,
    };
    match value {
        Value::Object(map) => {
            let mut props = node["properties"].as_object().cloned().unwrap_or_default();
            for part in node["allOf"].as_array().into_iter().flatten() {
                let part = match part.get("$ref").and_then(Value::as_str) {
                    Some(r) => &root["$defs"][r.trim_start_matches("#/$defs/")],
                    None => part,
                };
                if let Some(p) = part["properties"].as_object() {
                    props.extend(p.clone());
                }
            }
            for (k, v) in map {
                match props.get(k) {
                    None => out.push(format!("{at}/{k}")),
                    Some(sub) => undocumented(root, sub, v, &format!("{at}/{k}"), out),
                }
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                undocumented(root, &node["items"], v, &format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
}

/// JSON reports of the samples under several policies: plain, allow rules (one expired),
/// baseline, plain musl, an old target.
fn json_reports() -> Vec<(String, Value)> {
    let dir = temp_dir("formats-json");
    let bins: Vec<String> = std::fs::read_dir(root().join("samples/bin"))
        .expect("samples")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    let names: Vec<&str> = bins.iter().map(String::as_str).collect();
    copy_samples(&dir, "bin", &names);
    std::fs::write(
        dir.join("muslcheck.toml"),
        r#"
[[allow]]
path = "bin/fcntl64"
symbol = "fcntl64"
reason = "tracked in PLAT-1"
expires = 2999-01-01

[[allow]]
id = "glibc-private"
reason = "expired exception"
expires = 2020-01-01
"#,
    )
    .expect("config");
    let run = |args: &[&str]| {
        let mut all = vec!["scan", "--format", "json"];
        all.extend_from_slice(args);
        all.push("bin");
        json_of(&muslcheck_in(&dir, &all))
    };
    let _ = muslcheck_in(
        &dir,
        [
            "scan",
            "--no-config",
            "--write-baseline",
            "base.json",
            "bin/fcntl64",
        ],
    );
    vec![
        ("plain".into(), run(&["--no-config"])),
        ("allow rules".into(), run(&[])),
        ("baseline".into(), run(&["--baseline", "base.json"])),
        (
            "no gcompat".into(),
            run(&["--no-config", "--gcompat", "none"]),
        ),
        (
            "alpine 3.17".into(),
            run(&["--no-config", "--target", "alpine:3.17"]),
        ),
        (
            "bundled libraries".into(),
            json_of(&muslcheck(["scan", "--format", "json", "samples/vendor"])),
        ),
    ]
}

#[test]
fn json_reports_match_the_committed_schema_and_document_every_field() {
    let schema = report_schema();
    let v = validator(&schema, jsonschema::Draft::Draft202012);
    let reports = json_reports();
    for (what, doc) in &reports {
        assert_valid(&v, doc, what);
        let mut missing = Vec::new();
        undocumented(&schema, &schema, doc, "", &mut missing);
        missing.sort();
        missing.dedup_by(|a, b| {
            let strip = |s: &str| {
                s.chars()
                    .filter(|c| !c.is_ascii_digit())
                    .collect::<String>()
            };
            strip(a) == strip(b)
        });
        assert!(
            missing.is_empty(),
            "{what}: fields not in the schema: {missing:?}"
        );
    }
    // The policy and closure runs exercise the optional parts, so the schema checked them.
    assert!(
        reports[5].1.to_string().contains("\"found\""),
        "closure entries"
    );
    let allow = &reports[1].1;
    assert!(allow.to_string().contains("\"suppressed\""));
    assert_eq!(allow["gate"]["allow_rules"][1]["expired"], true);
    assert!(reports[2].1["gate"]["baseline"].is_object());
    // The schema rejects what it should.
    let mut bad = reports[0].1.clone();
    bad["results"][0]["verdict"] = Value::String("maybe".into());
    assert!(!v.is_valid(&bad));
}

#[test]
fn jsonl_has_header_records_and_summary_matching_the_schema() {
    let out = muslcheck(["scan", "--format", "jsonl", "samples/bin"]);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    let doc = json_of(&muslcheck(["scan", "--format", "json", "samples/bin"]));
    let results = doc["results"].as_array().cloned().unwrap_or_default();
    assert_eq!(lines.len(), results.len() + 2);
    let header = validator(&def_schema("jsonl_header"), jsonschema::Draft::Draft202012);
    let record = validator(&def_schema("jsonl_record"), jsonschema::Draft::Draft202012);
    let summary = validator(&def_schema("jsonl_summary"), jsonschema::Draft::Draft202012);
    assert_valid(&header, &lines[0], "header line");
    assert_eq!(lines[0]["target"], doc["target"]);
    // A directory's records stream as each becomes final (#11): any order within the input.
    let mut streamed: Vec<Value> = lines[1..=results.len()].to_vec();
    streamed.sort_by_key(|l| l["path"].as_str().unwrap_or_default().to_string());
    let mut results = results.clone();
    results.sort_by_key(|r| r["path"].as_str().unwrap_or_default().to_string());
    for (line, r) in streamed.iter().zip(&results) {
        assert_valid(&record, line, "record line");
        let mut expected = r.clone();
        expected["type"] = Value::String("record".into());
        // #13: a record line also carries its findings' parts as data, one per finding.
        let mut line = line.clone();
        let parts = line
            .as_object_mut()
            .unwrap()
            .remove("finding_parts")
            .unwrap();
        assert_eq!(
            parts.as_array().unwrap().len(),
            r["findings"].as_array().unwrap().len()
        );
        assert_eq!(line, expected);
    }
    let last = &lines[results.len() + 1];
    assert_valid(&summary, last, "summary line");
    assert_eq!(last["totals"], doc["totals"]);
    assert_eq!(last["gate"], doc["gate"]);
    let mut wrong = lines[1].clone();
    wrong["type"] = Value::String("header".into());
    assert!(!record.is_valid(&wrong));
}

/// The vendored OASIS schema, verbatim but for one known defect: the `language` pattern
/// `^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$` has an unbalanced `]`, a literal in ECMAScript's
/// legacy syntax that Rust regex engines reject. The escaped form means the same.
///
/// This copy keeps the log's root object under `definitions/Root` and puts no constraint on the
/// document itself, so validating against the document would accept anything: the validator is
/// pointed at `#/definitions/Root` (a draft-07 `$ref` at the root).
pub fn sarif_schema() -> Value {
    let path = root().join("tests/schemas/sarif-schema-2.1.0.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let defect = r#""^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$""#;
    assert_eq!(
        text.matches(defect).count(),
        2,
        "the vendored schema changed"
    );
    let fixed = text.replace(defect, r#""^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}\\]?$""#);
    let mut schema: Value =
        serde_json::from_str(&fixed).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert!(schema["definitions"]["Root"]["properties"]["runs"].is_object());
    schema["$ref"] = Value::String("#/definitions/Root".into());
    schema
}

#[test]
fn sarif_is_valid_2_1_0_with_a_rule_per_finding_id() {
    let dir = temp_dir("formats-sarif");
    copy_samples(
        &dir,
        "bin",
        &[
            "fcntl64",
            "fortify",
            "not-elf.txt",
            "truncated-elf",
            "hello-cxx",
        ],
    );
    std::fs::write(
        dir.join("muslcheck.toml"),
        "[[allow]]\nid = \"gcompat-symbol\"\nreason = \"gcompat is installed\"\n",
    )
    .expect("config");
    // An input that exists but cannot be read as a file (a FIFO): a nonexistent one is a usage
    // error (#11).
    let fifo = std::process::Command::new("mkfifo")
        .arg(dir.join("bin/missing"))
        .status()
        .expect("mkfifo");
    assert!(fifo.success());
    let out = muslcheck_in(&dir, ["scan", "--format", "sarif", "bin", "bin/missing"]);
    assert_eq!(out.status.code(), Some(1));
    let sarif = json_of(&out);
    let schema = sarif_schema();
    let sarif_validator = validator(&schema, jsonschema::Draft::Draft7);
    assert_valid(&sarif_validator, &sarif, "SARIF log");
    let mut broken = sarif.clone();
    broken["runs"][0]["results"][0]["level"] = Value::String("fatal".into());
    assert!(
        !sarif_validator.is_valid(&broken),
        "the schema is really checked"
    );
    assert!(!sarif_validator.is_valid(&serde_json::json!({"version": "2.1.0"})));
    assert_eq!(sarif["version"], "2.1.0");
    let run = &sarif["runs"][0];
    let rules = run["tool"]["driver"]["rules"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let ids: Vec<&str> = muslcheck::judge::Code::ALL.iter().map(|c| c.id()).collect();
    let rule_ids: Vec<&str> = rules.iter().filter_map(|r| r["id"].as_str()).collect();
    assert_eq!(rule_ids, ids, "one rule per Code, in order");
    for (r, c) in rules.iter().zip(muslcheck::judge::Code::ALL) {
        assert_eq!(r["shortDescription"]["text"], c.summary());
        assert!(
            r["help"]["text"]
                .as_str()
                .is_some_and(|h| h.contains(c.explanation()))
        );
    }
    let doc = json_of(&muslcheck_in(
        &dir,
        ["scan", "--format", "json", "bin", "bin/missing"],
    ));
    let records = doc["results"].as_array().cloned().unwrap_or_default();
    let expected: usize = records
        .iter()
        .flat_map(|r| r["findings"].as_array().cloned().unwrap_or_default())
        .filter(|f| f["id"] != "not-elf")
        .count();
    let results = run["results"].as_array().cloned().unwrap_or_default();
    assert_eq!(
        results.len(),
        expected,
        "one result per finding but not-elf"
    );
    let artifacts = run["artifacts"].as_array().cloned().unwrap_or_default();
    assert_eq!(artifacts.len(), records.len(), "every input is an artifact");
    let mut prints = HashSet::new();
    for res in &results {
        let rule = &rules[res["ruleIndex"].as_u64().unwrap_or(999) as usize];
        assert_eq!(rule["id"], res["ruleId"]);
        let loc = &res["locations"][0]["physicalLocation"]["artifactLocation"];
        let uri = loc["uri"].as_str().unwrap_or_default();
        assert!(uri.starts_with("bin/"), "{uri}");
        let art = &artifacts[loc["index"].as_u64().unwrap_or(999) as usize];
        assert_eq!(art["location"]["uri"], uri);
        let fp = res["partialFingerprints"]["muslcheckFinding/v1"]
            .as_str()
            .unwrap_or_default();
        assert_eq!(fp.len(), 64);
        assert!(prints.insert(fp.to_string()), "fingerprints are distinct");
        if res["ruleId"] == "gcompat-symbol" {
            assert_eq!(res["suppressions"][0]["status"], "accepted");
            assert!(
                res["suppressions"][0]["justification"]
                    .as_str()
                    .unwrap_or_default()
                    .contains("gcompat is installed")
            );
        } else {
            assert!(res.get("suppressions").is_none());
        }
    }
    assert!(
        results
            .iter()
            .any(|r| r["ruleId"] == "malformed-elf" && r["level"] == "error")
    );
    let fcntl = artifacts
        .iter()
        .find(|a| a["location"]["uri"] == "bin/fcntl64");
    let sha = &records
        .iter()
        .find(|r| r["path"] == "bin/fcntl64")
        .map(|r| r["sha256"].clone());
    assert_eq!(fcntl.map(|a| a["hashes"]["sha-256"].clone()), sha.clone());
    let notes = run["invocations"][0]["toolExecutionNotifications"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(
        notes.len(),
        1,
        "the unreadable input is reported: {notes:?}"
    );
    assert_eq!(
        notes[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "bin/missing"
    );
}

#[test]
fn junit_has_one_testcase_per_input_failed_over_the_policy() {
    let dir = temp_dir("formats-junit");
    copy_samples(
        &dir,
        "bin",
        &["fcntl64", "hello-glibc", "truncated-elf", "res-init"],
    );
    // Files that are not ELF are reported when named, not when found in a tree.
    copy_samples(&dir, "docs", &["not-elf.txt"]);
    std::fs::write(
        dir.join("muslcheck.toml"),
        "[[allow]]\npath = \"bin/res-init\"\nid = \"missing-symbol\"\nreason = \"accepted <&> for now\"\n",
    )
    .expect("config");
    let out = muslcheck_in(
        &dir,
        ["scan", "--format", "junit", "bin", "docs/not-elf.txt"],
    );
    assert_eq!(out.status.code(), Some(1));
    let xml = String::from_utf8(out.stdout).expect("UTF-8");
    let doc = roxmltree::Document::parse(&xml).unwrap_or_else(|e| panic!("{e}\n{xml}"));
    let suites = doc.root_element();
    assert_eq!(suites.tag_name().name(), "testsuites");
    let cases: Vec<_> = doc
        .descendants()
        .filter(|n| n.has_tag_name("testcase"))
        .collect();
    assert_eq!(cases.len(), 5);
    let case = |name: &str| {
        cases
            .iter()
            .find(|c| c.attribute("name") == Some(name))
            .unwrap_or_else(|| panic!("no testcase {name}"))
    };
    let child = |name: &str, tag: &str| case(name).children().find(|n| n.has_tag_name(tag));
    let failure = child("bin/fcntl64", "failure").expect("fcntl64 fails");
    assert!(
        failure
            .attribute("message")
            .unwrap_or_default()
            .contains("rebuild")
    );
    assert!(
        failure
            .text()
            .unwrap_or_default()
            .contains("fix: rebuild against musl")
    );
    assert!(
        child("bin/hello-glibc", "failure").is_none(),
        "gcompat passes --fail-on rebuild"
    );
    assert!(child("docs/not-elf.txt", "skipped").is_some());
    assert!(child("bin/truncated-elf", "error").is_some());
    assert!(child("bin/res-init", "failure").is_none(), "allowed");
    let out_text = child("bin/res-init", "system-out")
        .and_then(|n| n.text())
        .unwrap_or_default();
    assert!(out_text.contains("accepted <&> for now"), "{out_text}");
    assert_eq!(suites.attribute("tests"), Some("5"));
    assert_eq!(suites.attribute("failures"), Some("1"));
    assert_eq!(suites.attribute("errors"), Some("1"));
    assert_eq!(suites.attribute("skipped"), Some("1"));
    // --fail-on gcompat fails hello-glibc too.
    let out = muslcheck_in(
        &dir,
        ["scan", "--format", "junit", "--fail-on", "gcompat", "bin"],
    );
    let xml = String::from_utf8(out.stdout).expect("UTF-8");
    let doc = roxmltree::Document::parse(&xml).expect("XML");
    assert_eq!(doc.root_element().attribute("failures"), Some("3"));
}

#[test]
fn markdown_summary_leads_with_the_gate() {
    let out = muslcheck(["scan", "--format", "markdown", "samples/bin"]);
    let md = String::from_utf8(out.stdout).expect("UTF-8");
    let doc = json_of(&muslcheck(["scan", "--format", "json", "samples/bin"]));
    let n = doc["results"].as_array().map_or(0, Vec::len);
    let failing = doc["gate"]["failing"].as_u64().unwrap_or(0)
        + doc["gate"]["unreadable"].as_u64().unwrap_or(0);
    assert!(md.starts_with("## ❌ muslcheck failed"), "{md}");
    assert!(
        md.contains(&format!(
            "**{failing} of {n} files fail `--fail-on rebuild`**"
        )),
        "{md}"
    );
    for v in ["native", "gcompat", "rebuild", "skipped", "error"] {
        assert!(
            md.contains(&format!("| {v} | {} |", doc["totals"][v])),
            "{v}: {md}"
        );
    }
    assert!(md.contains(&format!("### Failing ({failing})")), "{md}");
    assert!(md.contains("| `samples/bin/fcntl64` | rebuild | `missing-symbol` `fcntl64@GLIBC_2.28` | rebuild against musl |"), "{md}");
    assert!(
        md.contains("| `_dl_argv` (symbol) | `glibc-private` | 2 | 1 |"),
        "{md}"
    );
    assert!(
        md.contains(&format!("<details><summary>All {n} files</summary>")),
        "{md}"
    );
    let ok = muslcheck(["scan", "--format", "markdown", "samples/bin/hello-musl"]);
    let md = String::from_utf8(ok.stdout).expect("UTF-8");
    assert!(md.starts_with("## ✅ muslcheck passed"), "{md}");
    assert!(!md.contains("### Failing"));
}

#[test]
fn html_is_one_self_contained_file_with_the_report_embedded() {
    let out = muslcheck(["scan", "--format", "html", "samples/bin"]);
    let html = String::from_utf8(out.stdout).expect("UTF-8");
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains("Content-Security-Policy\" content=\"default-src 'none'"));
    for external in [
        "<link",
        " src=",
        " href=",
        "url(",
        "@import",
        "fetch(",
        "XMLHttpRequest",
        "<iframe",
        "<img",
    ] {
        assert!(
            !html.contains(external),
            "HTML refers to something outside: {external}"
        );
    }
    let start = html
        .find("id=\"muslcheck-data\">")
        .map(|i| i + "id=\"muslcheck-data\">".len());
    let data = start.and_then(|s| html[s..].find("</script>").map(|e| &html[s..s + e]));
    let data: Value = serde_json::from_str(data.expect("embedded data")).expect("embedded JSON");
    let doc = json_of(&muslcheck(["scan", "--format", "json", "samples/bin"]));
    assert_eq!(data, doc, "the page embeds exactly the JSON report");
}

#[test]
fn sarif_locates_archive_members_after_a_bang() {
    let dir = temp_dir("formats-sarif-archive");
    let mut builder = tar::Builder::new(Vec::new());
    let data = std::fs::read(crate::util::sample("fcntl64")).expect("sample");
    let mut header = tar::Header::new_gnu();
    header.set_size(data.len() as u64);
    header.set_mode(0o755);
    header.set_cksum();
    builder
        .append_data(&mut header, "usr/bin/my tool", data.as_slice())
        .expect("append");
    let tarball = builder.into_inner().expect("tar");
    std::fs::write(dir.join("app.tar"), tarball).expect("write tar");
    let out = muslcheck_in(&dir, ["scan", "--format", "sarif", "app.tar"]);
    let sarif = json_of(&out);
    let schema = sarif_schema();
    assert_valid(
        &validator(&schema, jsonschema::Draft::Draft7),
        &sarif,
        "SARIF log",
    );
    let run = &sarif["runs"][0];
    let result = run["results"]
        .as_array()
        .and_then(|rs| rs.iter().find(|r| r["ruleId"] == "missing-symbol"))
        .cloned()
        .expect("missing-symbol result");
    let uri = &result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"];
    assert_eq!(uri, "app.tar!/usr/bin/my%20tool");
    assert_eq!(run["artifacts"][0]["properties"]["artifact"], "app.tar");
}
