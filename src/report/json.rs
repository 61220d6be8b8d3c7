//! The JSON report: one document `{"schema", "schema_version", "tool", "target", "results", "totals"}`.
//!
//! The format is documented in docs/json.md. Paths and names that are not valid UTF-8 are
//! converted lossily (U+FFFD); that choice is documented there.

use super::Report;

/// Schema identifier written into every document.
pub const SCHEMA: &str = "https://muslcheck.dev/schema/report-v1.json";
/// Schema version: bumped when a field changes meaning or disappears.
pub const SCHEMA_VERSION: u32 = 1;

/// Render the report as pretty-printed JSON followed by a newline.
pub fn render_json(report: &Report) -> String {
    let mut s =
        serde_json::to_string_pretty(report).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"));
    s.push('\n');
    s
}

/// The first line of `--format jsonl`: what follows and what it was judged against.
pub fn render_jsonl_header(target: &crate::judge::Target) -> String {
    serde_json::json!({
        "schema": SCHEMA,
        "schema_version": SCHEMA_VERSION,
        "tool": super::Tool::default(),
        "target": target,
    })
    .to_string()
}

/// One record as one line of `--format jsonl`.
pub fn render_jsonl_record(record: &super::Record) -> String {
    serde_json::to_string(record).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
}
