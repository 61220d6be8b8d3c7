//! SARIF 2.1.0 for code-scanning dashboards (GitHub code scanning, Azure DevOps, …).
//!
//! One rule per finding ID, generated from `Code::ALL` (summary, explanation as help text). One
//! result per finding, located at the input (archive members after `!`), with a partial
//! fingerprint from the file's SHA-256, the ID and the symbol or library, so an alert follows the
//! exact binary. Accepted findings carry a `suppressions` entry (allow rule: its reason), and with
//! a baseline every result has a `baselineState`. `not-elf` notes are not results (a source tree
//! would drown in them): those inputs appear only in `artifacts`. Unreadable inputs, which have
//! no finding, are tool execution notifications; expired allow rules are configuration
//! notifications.

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::{Record, Report};
use crate::judge::{Code, Finding, Severity};
use crate::policy::SuppressionKind;

/// The OASIS schema location of SARIF 2.1.0 (errata 01).
const SARIF_SCHEMA: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";

/// The rule of `muslcheck verify` disagreements (not a finding: an observation on the host).
const VERIFY_RULE: &str = "verify-disagreement";

/// Render the report as a SARIF 2.1.0 log (pretty JSON and a newline).
pub fn render_sarif(report: &Report) -> String {
    let artifacts: Vec<Value> = report.results.iter().map(artifact).collect();
    let baseline_used = report.gate.as_ref().is_some_and(|g| g.baseline.is_some());
    let mut results = Vec::new();
    for (index, r) in report.results.iter().enumerate() {
        for f in r.findings.iter().filter(|f| f.id != Code::NotElf) {
            results.push(result(r, index, f, baseline_used));
        }
        if let Some(o) = r.verify.as_ref().filter(|o| super::verify::disagrees(o)) {
            results.push(json!({
                "ruleId": VERIFY_RULE,
                "ruleIndex": Code::ALL.len(),
                "level": "error",
                "message": {"text": format!("{}: {}", r.path, super::verify::observed(o))},
                "locations": [location(r, index)],
                "properties": {"verdict": r.verdict, "verify": o},
            }));
        }
    }
    let mut rules: Vec<Value> = Code::ALL.iter().map(|c| rule(*c)).collect();
    if report.verify.is_some() {
        rules.push(json!({
            "id": VERIFY_RULE,
            "name": "VerifyDisagreement",
            "shortDescription": {"text": "musl's loader or a run on the host contradicts the verdict"},
            "fullDescription": {"text": "muslcheck verify: the file was checked with the host's musl loader (list mode) and, with --run, started once; the outcome does not match the predicted verdict (docs/verify.md)."},
            "defaultConfiguration": {"level": "error"},
            "properties": {"tags": ["musl", "alpine", "portability"]},
        }));
    }
    let unreadable: Vec<Value> = report
        .results
        .iter()
        .enumerate()
        .filter(|(_, r)| r.findings.is_empty() && r.verdict == crate::judge::Verdict::Error)
        .map(|(i, r)| {
            json!({
                "level": "error",
                "descriptor": {"id": "unreadable-input"},
                "message": {"text": format!("{}: {}", r.path, r.reason.as_deref().unwrap_or("cannot read"))},
                "locations": [location(r, i)],
            })
        })
        .collect();
    let expired: Vec<Value> = report
        .gate
        .iter()
        .flat_map(|g| g.expired_rules())
        .map(|rule| {
            json!({
                "level": "warning",
                "descriptor": {"id": "expired-allow"},
                "message": {"text": format!(
                    "allow rule {} (line {}, {}) expired on {}; it no longer applies: {}",
                    rule.rule,
                    rule.line,
                    rule.matches,
                    rule.expires.map(|d| d.to_string()).unwrap_or_default(),
                    rule.reason
                )},
            })
        })
        .collect();
    let mut invocation = json!({"executionSuccessful": true});
    if !unreadable.is_empty() {
        set(
            &mut invocation,
            "toolExecutionNotifications",
            Value::Array(unreadable),
        );
    }
    if !expired.is_empty() {
        set(
            &mut invocation,
            "toolConfigurationNotifications",
            Value::Array(expired),
        );
    }
    let mut properties = json!({
        "target": report.target,
        "totals": report.totals,
    });
    if let Some(v) = &report.verify {
        set(&mut properties, "verify", json!(v));
    }
    if let Some(g) = &report.gate {
        set(
            &mut properties,
            "gate",
            json!({
                "failOn": g.fail_on,
                "status": g.status,
                "failing": g.failing,
                "unreadable": g.unreadable,
            }),
        );
    }
    let log = json!({
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "muslcheck",
                "version": env!("CARGO_PKG_VERSION"),
                "semanticVersion": env!("CARGO_PKG_VERSION"),
                "rules": rules,
            }},
            "invocations": [invocation],
            "artifacts": artifacts,
            "results": results,
            "properties": properties,
        }],
    });
    let mut s = serde_json::to_string_pretty(&log).unwrap_or_default();
    s.push('\n');
    s
}

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Note => "note",
    }
}

/// `missing-symbol` → `MissingSymbol` (SARIF rule names are identifiers, not IDs).
fn pascal_case(id: &str) -> String {
    id.split('-')
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect()
}

fn rule(c: Code) -> Value {
    let help = format!(
        "{}\n\n{}\n\n`muslcheck explain {}` shows this text.",
        c.summary(),
        c.explanation(),
        c.id()
    );
    json!({
        "id": c.id(),
        "name": pascal_case(c.id()),
        "shortDescription": {"text": c.summary()},
        "fullDescription": {"text": c.explanation()},
        "help": {"text": help, "markdown": help},
        "defaultConfiguration": {"level": level(c.severity())},
        "properties": {"tags": ["musl", "alpine", "portability"]},
    })
}

/// Set `key` of a JSON object (checked access: `value[key] = …` panics on a non-object).
fn set(object: &mut Value, key: &str, value: Value) {
    if let Some(o) = object.as_object_mut() {
        o.insert(key.to_string(), value);
    }
}

fn artifact(r: &Record) -> Value {
    let mut a = json!({"location": {"uri": uri(&r.path)}});
    if let Some(size) = r.size {
        set(&mut a, "length", json!(size));
    }
    if let Some(sha) = &r.sha256 {
        set(&mut a, "hashes", json!({"sha-256": sha}));
    }
    let mut properties = json!({"verdict": r.verdict, "artifact": r.artifact});
    if let Some(i) = &r.image {
        set(&mut properties, "image", json!(i));
    }
    if let Some(g) = r.gate {
        set(
            &mut properties,
            "effectiveVerdict",
            json!(g.effective_verdict),
        );
        set(&mut properties, "fails", json!(g.fails));
    }
    if let Some(o) = &r.verify {
        set(&mut properties, "verify", json!(o));
    }
    set(&mut a, "properties", properties);
    a
}

fn location(r: &Record, index: usize) -> Value {
    json!({"physicalLocation": {"artifactLocation": {"uri": uri(&r.path), "index": index}}})
}

fn result(r: &Record, index: usize, f: &Finding, baseline_used: bool) -> Value {
    let subject = super::subject(f).unwrap_or_default();
    let identity = r.sha256.as_deref().unwrap_or(&r.path);
    let fingerprint = Sha256::digest(format!("{identity}\0{}\0{subject}", f.id.id()).as_bytes());
    let fingerprint: String = fingerprint.iter().map(|b| format!("{b:02x}")).collect();
    let text = match &f.fix {
        Some(fix) => format!("{}: {}. Fix: {fix}", r.path, f.message),
        None => format!("{}: {}", r.path, f.message),
    };
    let rule_index = Code::ALL.iter().position(|c| *c == f.id).unwrap_or(0);
    let mut v = json!({
        "ruleId": f.id.id(),
        "ruleIndex": rule_index,
        "level": level(f.severity),
        "message": {"text": text},
        "locations": [location(r, index)],
        "partialFingerprints": {"muslcheckFinding/v1": fingerprint},
        "properties": {
            "verdict": r.verdict,
            "requires": f.impact,
        },
    });
    if let (Some(i), Some(props)) = (&r.image, v.get_mut("properties")) {
        set(props, "image", json!(i));
    }
    let symbol = f.symbol.as_ref().map(ToString::to_string);
    let fix = f.fix.as_ref().map(ToString::to_string);
    for (key, value) in [("symbol", &symbol), ("library", &f.library), ("fix", &fix)] {
        if let (Some(value), Some(props)) = (value, v.get_mut("properties")) {
            set(props, key, json!(value));
        }
    }
    if let (Some(e), Some(props)) = (&f.evidence, v.get_mut("properties")) {
        set(props, "evidence", json!(e));
    }
    if let Some(s) = &f.suppressed {
        let justification = match (s.kind, s.rule) {
            (SuppressionKind::Allow, Some(n)) => format!("allow rule {n}: {}", s.reason),
            _ => s.reason.clone(),
        };
        set(
            &mut v,
            "suppressions",
            json!([{
                "kind": "external",
                "status": "accepted",
                "justification": justification,
            }]),
        );
    }
    if baseline_used {
        let known = f
            .suppressed
            .as_ref()
            .is_some_and(|s| s.kind == SuppressionKind::Baseline);
        set(
            &mut v,
            "baselineState",
            json!(if known { "unchanged" } else { "new" }),
        );
    }
    v
}

/// A URI reference for a report path: relative paths stay relative (to the directory the scan
/// ran in, usually the repository root), absolute ones become `file://` URIs. Bytes outside the
/// unreserved set (and `/`, `!`, `@`, `+`, `,`, `=`) are percent-encoded.
pub(crate) fn uri(path: &str) -> String {
    let mut p = path;
    while let Some(rest) = p.strip_prefix("./") {
        p = rest;
    }
    let mut out = String::with_capacity(p.len() + 8);
    if p.starts_with('/') {
        out.push_str("file://");
    }
    for b in p.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/!@+,=".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_are_encoded_and_relative_unless_absolute() {
        assert_eq!(uri("./samples/bin/a b"), "samples/bin/a%20b");
        assert_eq!(uri("/opt/x:y#1"), "file:///opt/x%3Ay%231");
        assert_eq!(uri("app.tar.gz!/usr/bin/é"), "app.tar.gz!/usr/bin/%C3%A9");
        assert_eq!(pascal_case("missing-symbol"), "MissingSymbol");
    }
}
