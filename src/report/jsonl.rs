//! JSON Lines: one JSON object per line, so a consumer can process records as they come.
//!
//! Line 1 is `{"type":"header", schema, schema_version, tool, target}`, then one
//! `{"type":"record", ...}` per input (the fields of a `results[]` record of the JSON report),
//! then `{"type":"summary", totals, summary, gate?, verify?}`. Documented in docs/json.md.
//!
//! A record line also carries `finding_parts`: each finding's symbol and fix as data (the
//! record's `symbol` and `fix` are their rendered text), so that `muslcheck merge` rebuilds the
//! findings exactly, without parsing text.

use serde::{Deserialize, Serialize};

use crate::judge::{Finding, Fix, ShimFix, Symbol};

use super::{Gate, Record, Report, SCHEMA, SCHEMA_VERSION, Tool, Totals, summary::BatchSummary};
use crate::judge::Target;
use crate::shard::Part;

#[derive(Serialize)]
struct Header<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    schema: &'static str,
    schema_version: u32,
    tool: Tool,
    target: &'a Target,
    /// Fingerprint of the symbol database the records were judged with.
    symbol_db: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    shard: Option<&'a Part>,
}

#[derive(Serialize)]
struct RecordLine<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(flatten)]
    record: &'a Record,
    finding_parts: Vec<FindingParts>,
}

/// A finding's symbol and fix as data, in a JSONL record line.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FindingParts {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    symbol: Option<SymbolParts>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    fix: Option<FixParts>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct SymbolParts {
    name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    version: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct FixParts {
    install: Vec<String>,
    step: Option<String>,
    alternatives: Vec<String>,
    shim: Option<(Vec<String>, Vec<String>)>,
    within: Vec<String>,
}

impl FindingParts {
    /// The parts of `f`.
    pub fn of(f: &Finding) -> Self {
        FindingParts {
            symbol: f.symbol.as_ref().map(|s| SymbolParts {
                name: s.name.clone(),
                version: s.version.clone(),
            }),
            fix: f.fix.as_ref().map(|x| FixParts {
                install: x.install.clone(),
                step: x.step.clone(),
                alternatives: x.alternatives.clone(),
                shim: x
                    .shim
                    .as_ref()
                    .map(|s| (s.packages.clone(), s.sonames.clone())),
                within: x.within.clone(),
            }),
        }
    }

    /// Put the parts back into a finding read from a record line. False if they do not belong
    /// to it (a symbol or fix on one side only).
    pub fn restore(self, f: &mut Finding) -> bool {
        if self.symbol.is_some() != f.symbol.is_some() || self.fix.is_some() != f.fix.is_some() {
            return false;
        }
        f.symbol = self.symbol.map(|s| Symbol::new(s.name, s.version));
        f.fix = self.fix.map(|x| Fix {
            install: x.install,
            step: x.step,
            alternatives: x.alternatives,
            shim: x
                .shim
                .map(|(packages, sonames)| ShimFix { packages, sonames }),
            within: x.within,
        });
        true
    }
}

#[derive(Serialize)]
struct SummaryLine<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    totals: &'a Totals,
    summary: &'a BatchSummary,
    #[serde(skip_serializing_if = "Option::is_none")]
    gate: Option<&'a Gate>,
    #[serde(skip_serializing_if = "Option::is_none")]
    verify: Option<&'a crate::verify::Summary>,
}

fn line<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_else(|e| {
        serde_json::json!({"type": "error", "message": e.to_string()}).to_string()
    })
}

/// The first line: what the records are judged against (and, for a shard, which inputs it
/// took). No trailing newline.
pub fn render_jsonl_header(target: &Target, shard: Option<&Part>) -> String {
    line(&Header {
        kind: "header",
        schema: SCHEMA,
        schema_version: SCHEMA_VERSION,
        tool: Tool::default(),
        target,
        symbol_db: crate::db::Db::fingerprint(),
        shard,
    })
}

/// One record as one line (no trailing newline).
pub fn render_jsonl_record(record: &Record) -> String {
    line(&RecordLine {
        kind: "record",
        record,
        finding_parts: record.findings.iter().map(FindingParts::of).collect(),
    })
}

/// The last line: totals, batch summary and gate. No trailing newline.
pub fn render_jsonl_summary(report: &Report) -> String {
    line(&SummaryLine {
        kind: "summary",
        totals: &report.totals,
        summary: &report.summary,
        gate: report.gate.as_ref(),
        verify: report.verify.as_ref(),
    })
}

/// The whole report as JSON Lines, each line ending in a newline.
pub fn render_jsonl(report: &Report) -> String {
    let mut out = render_jsonl_header(&report.target, report.shard.as_ref());
    out.push('\n');
    for r in &report.results {
        out.push_str(&render_jsonl_record(r));
        out.push('\n');
    }
    out.push_str(&render_jsonl_summary(report));
    out.push('\n');
    out
}
