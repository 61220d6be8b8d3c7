//! The JSON report: one document `{"schema", "schema_version", "tool", "target", "results", "totals"}`.
//!
//! The format is documented in docs/json.md. Paths and names that are not valid UTF-8 are
//! converted lossily (U+FFFD); that choice is documented there.

use super::Report;

/// Schema identifier written into every document.
pub const SCHEMA: &str = "https://muslcheck.dev/schema/report-v1.json";
/// Schema version: bumped when a field changes meaning or disappears.
pub const SCHEMA_VERSION: u32 = 1;

/// Render the report as pretty-printed JSON followed by a newline. Records are rendered on
/// every core (a report of /usr is 17 MB of JSON: rendering it on one core was a tenth of a
/// warm run, #13) and put in place of an empty `results` array; the text is exactly what
/// `serde_json::to_string_pretty` of the whole report gives (tested).
pub fn render_json(report: &Report) -> String {
    use rayon::prelude::*;
    let failed = |e: serde_json::Error| format!("{{\"error\":\"{e}\"}}\n");
    // Every field but the results (a struct literal: a new field cannot be forgotten here).
    let shell = Report {
        schema: report.schema,
        schema_version: report.schema_version,
        tool: report.tool.clone(),
        target: report.target.clone(),
        results: Vec::new(),
        totals: report.totals.clone(),
        summary: report.summary.clone(),
        gate: report.gate.clone(),
        shard: report.shard.clone(),
        verify: report.verify.clone(),
    };
    let mut shell = match serde_json::to_string_pretty(&shell) {
        Ok(s) => s,
        Err(e) => return failed(e),
    };
    shell.push('\n');
    if report.results.is_empty() {
        return shell;
    }
    let records: Result<Vec<String>, _> = report
        .results
        .par_iter()
        .map(|r| serde_json::to_string_pretty(r).map(|s| s.replace('\n', "\n    ")))
        .collect();
    let records = match records {
        Ok(r) => r,
        Err(e) => return failed(e),
    };
    // The key at the top level, as the pretty printer writes it (a string value cannot hold
    // this: its quotes would be escaped).
    const EMPTY: &str = "\n  \"results\": [],\n";
    let Some(at) = shell.find(EMPTY) else {
        return failed(serde::ser::Error::custom("no results in the report"));
    };
    let size = records.iter().map(|r| r.len() + 6).sum::<usize>();
    let mut out = String::with_capacity(shell.len() + size);
    out.push_str(&shell[..at]);
    out.push_str("\n  \"results\": [\n    ");
    out.push_str(&records.join(",\n    "));
    out.push_str("\n  ],\n");
    out.push_str(&shell[at + EMPTY.len()..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_rendered_apart_give_the_text_of_the_whole_report() {
        let db = crate::db::Db::get().unwrap();
        let target = crate::judge::Target::resolve(db, None, None, None).unwrap();
        let mut notes = crate::not_elf("a \"results\": [] b", "x");
        notes.reason = Some("line\nbreak".into());
        let records = vec![
            crate::skipped("one", "one", "nothing inside"),
            notes,
            crate::unreadable("three", "three", "gone"),
        ];
        let report = Report::new(target.clone(), records);
        let mut whole = serde_json::to_string_pretty(&report).unwrap();
        whole.push('\n');
        assert_eq!(render_json(&report), whole);
        let empty = Report::new(target, Vec::new());
        let mut whole = serde_json::to_string_pretty(&empty).unwrap();
        whole.push('\n');
        assert_eq!(render_json(&empty), whole);
    }
}
