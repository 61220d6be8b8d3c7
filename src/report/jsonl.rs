//! JSON Lines: one JSON object per line, so a consumer can process records as they come.
//!
//! Line 1 is `{"type":"header", schema, schema_version, tool, target}`, then one
//! `{"type":"record", ...}` per input (the fields of a `results[]` record of the JSON report),
//! then `{"type":"summary", totals, summary, gate?, verify?}`. Documented in docs/json.md.

use serde::Serialize;

use super::{Gate, Record, Report, SCHEMA, SCHEMA_VERSION, Tool, Totals, summary::BatchSummary};
use crate::judge::Target;

#[derive(Serialize)]
struct Header<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    schema: &'static str,
    schema_version: u32,
    tool: Tool,
    target: &'a Target,
}

#[derive(Serialize)]
struct RecordLine<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(flatten)]
    record: &'a Record,
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

/// The first line: what the records are judged against. No trailing newline.
pub fn render_jsonl_header(target: &Target) -> String {
    line(&Header {
        kind: "header",
        schema: SCHEMA,
        schema_version: SCHEMA_VERSION,
        tool: Tool::default(),
        target,
    })
}

/// One record as one line (no trailing newline).
pub fn render_jsonl_record(record: &Record) -> String {
    line(&RecordLine {
        kind: "record",
        record,
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
    let mut out = render_jsonl_header(&report.target);
    out.push('\n');
    for r in &report.results {
        out.push_str(&render_jsonl_record(r));
        out.push('\n');
    }
    out.push_str(&render_jsonl_summary(report));
    out.push('\n');
    out
}
