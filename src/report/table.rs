//! `--format table`: one line per artifact (verdict counts, worst blocker, action), for scans
//! too large to read file by file; then the totals and the gate line of the text report.

use std::fmt::Write as _;

use super::text::{gate, totals_line};
use super::{Report, plural};

/// Render the per-artifact table.
pub fn render_table(report: &Report) -> String {
    let header = [
        "VERDICT",
        "NATIVE",
        "GCOMPAT",
        "REBUILD",
        "OTHER",
        "ARTIFACT",
        "WORST BLOCKER",
        "ACTION",
    ];
    let rows: Vec<[String; 8]> = report
        .summary
        .artifacts
        .iter()
        .map(|a| {
            let t = &a.totals;
            let blocker = a.blocker.as_ref().map_or_else(
                || "-".to_string(),
                |b| match &b.name {
                    Some(n) => format!("{} {n}", b.id.id()),
                    None => b.id.id().to_string(),
                },
            );
            [
                a.verdict.as_str().to_string(),
                t.native.to_string(),
                t.gcompat.to_string(),
                t.rebuild.to_string(),
                (t.skipped + t.error).to_string(),
                a.artifact.clone(),
                blocker,
                a.action.to_string(),
            ]
        })
        .collect();
    let mut width = header.map(str::len);
    for row in &rows {
        for (w, cell) in width.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let numeric = |i: usize| (1..=4).contains(&i);
    let mut line = |cells: &mut dyn Iterator<Item = &str>| {
        let mut l = String::new();
        for (i, (cell, w)) in cells.zip(width).enumerate() {
            let pad = w.saturating_sub(cell.chars().count());
            if numeric(i) {
                let _ = write!(l, "{}{cell}  ", " ".repeat(pad));
            } else if i + 1 == width.len() {
                l.push_str(cell);
            } else {
                let _ = write!(l, "{cell}{}  ", " ".repeat(pad));
            }
        }
        let _ = writeln!(out, "{}", l.trim_end());
    };
    line(&mut header.iter().copied());
    for row in &rows {
        line(&mut row.iter().map(String::as_str));
    }
    let _ = writeln!(
        out,
        "{} in {}",
        plural(report.results.len(), "file"),
        plural(report.summary.artifacts.len(), "artifact")
    );
    totals_line(&mut out, report);
    gate(&mut out, report, false);
    out
}
