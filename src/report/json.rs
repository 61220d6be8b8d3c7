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
