//! Markdown for a CI step summary (`$GITHUB_STEP_SUMMARY`) or a pull-request comment.
//!
//! Leads with the gate's outcome, then the counts, the failing files with their reasons and
//! fixes, top blockers, what to install, accepted findings and expired allow rules, and the full
//! list folded in `<details>`. Long lists are capped to stay under comment size limits.

use std::fmt::Write as _;

use super::{GateStatus, Record, Report, subject};
use crate::judge::Verdict;
use crate::policy::blocking;

/// Rows of the failing-files table.
const MAX_FAILING: usize = 50;
/// Rows of the folded all-files table.
const MAX_ALL: usize = 300;
/// GitHub refuses a comment (and truncates a step summary) longer than 65,536 characters; the
/// report is cut at a line below it, leaving room for the note that says so.
pub const GITHUB_LIMIT: usize = 65_536;

const VERDICTS: [Verdict; 5] = [
    Verdict::Native,
    Verdict::Gcompat,
    Verdict::Rebuild,
    Verdict::Skipped,
    Verdict::Error,
];

/// Render the report as GitHub-flavoured Markdown.
pub fn render_markdown(report: &Report) -> String {
    let mut out = String::new();
    headline(&mut out, report);
    verification(&mut out, report);
    counts(&mut out, report);
    failing(&mut out, report);
    blockers(&mut out, report);
    accepted(&mut out, report);
    all_files(&mut out, report);
    fit(out, GITHUB_LIMIT)
}

/// Cut `out` at a line boundary so that it, with the note saying it was cut, stays within
/// `limit` bytes (so within as many characters); close a `<details>` left open.
fn fit(mut out: String, limit: usize) -> String {
    if out.len() <= limit {
        return out;
    }
    let full = out.len();
    let note = format!(
        "\n\n> ✂️ **Truncated**: this report was {full} characters, over GitHub's limit of \
         {GITHUB_LIMIT} for a comment. The full report is in the run's other reports (e.g. \
         `--report html=muslcheck.html` or `--report json=muslcheck.json`, kept as a build \
         artifact).\n"
    );
    let room = limit.saturating_sub(note.len() + "\n</details>\n".len());
    let mut cut = room.min(out.len());
    while !out.is_char_boundary(cut) {
        cut -= 1;
    }
    cut = out.get(..cut).and_then(|s| s.rfind('\n')).unwrap_or(0);
    out.truncate(cut);
    if out.matches("<details>").count() > out.matches("</details>").count() {
        out.push_str("\n</details>\n");
    }
    out.push_str(&note);
    out
}

fn headline(out: &mut String, report: &Report) {
    let target = cell(&report.target.describe());
    let n = report.results.len();
    match &report.gate {
        Some(g) => {
            let (icon, word) = match g.status {
                GateStatus::Passed => ("✅", "passed"),
                GateStatus::Failed => ("❌", "failed"),
                GateStatus::Unreadable => ("⚠️", "failed: unreadable inputs"),
                GateStatus::NotJudged => ("⚠️", "failed: files not judged"),
            };
            let _ = writeln!(out, "## {icon} muslcheck {word}\n");
            let _ = writeln!(
                out,
                "**{} of {} fail `--fail-on {}`**{} for {target}.\n",
                g.failing + g.unreadable + g.not_judged,
                super::plural(n, "file"),
                g.fail_on.as_str(),
                match (g.unreadable, g.not_judged) {
                    (0, 0) => String::new(),
                    (u, 0) => format!(" ({u} of them unreadable)"),
                    (0, j) => format!(" ({j} of them not judged: a limit stopped muslcheck)"),
                    (u, j) => format!(" ({u} of them unreadable, {j} not judged)"),
                }
            );
        }
        None => {
            let _ = writeln!(
                out,
                "## muslcheck report\n\n{} judged for {target}.\n",
                super::plural(n, "file")
            );
        }
    }
}

/// `muslcheck verify`: the agreement line and the files whose observation contradicts the
/// prediction.
fn verification(out: &mut String, report: &Report) {
    let Some(v) = &report.verify else { return };
    let icon = if v.disagree > 0 { "❌" } else { "✅" };
    let _ = writeln!(
        out,
        "### {icon} verify: {} of {} checked files agree\n\n{}\n",
        v.agree,
        v.checked,
        cell(&super::verify::summary_line(v))
    );
    let bad: Vec<&Record> = report
        .results
        .iter()
        .filter(|r| r.verify.as_ref().is_some_and(super::verify::disagrees))
        .collect();
    if bad.is_empty() {
        return;
    }
    let _ = writeln!(out, "| file | predicted | observed |\n|---|---|---|");
    for r in bad.iter().take(MAX_FAILING) {
        if let Some(o) = &r.verify {
            let _ = writeln!(
                out,
                "| {} | {} | {} |",
                code(&r.path),
                o.predicted.as_str(),
                cell(&super::verify::observed(o))
            );
        }
    }
    let _ = writeln!(out, "{}\n", more(bad.len(), MAX_FAILING));
}

fn counts(out: &mut String, report: &Report) {
    let effective = report
        .gate
        .as_ref()
        .filter(|g| g.allowed + g.baselined > 0)
        .map(|g| &g.effective);
    match effective {
        Some(_) => {
            let _ = writeln!(
                out,
                "| verdict | files | counted by the gate |\n|---|---:|---:|"
            );
        }
        None => {
            let _ = writeln!(out, "| verdict | files |\n|---|---:|");
        }
    }
    for v in VERDICTS {
        let _ = write!(out, "| {} | {} |", v.as_str(), report.totals.get(v));
        if let Some(e) = effective {
            let _ = write!(out, " {} |", e.get(v));
        }
        out.push('\n');
    }
    out.push('\n');
}

fn failing(out: &mut String, report: &Report) {
    let failing: Vec<&Record> = report.results.iter().filter(|r| r.fails()).collect();
    if failing.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "### Failing ({})\n\n| file | verdict | why | fix |\n|---|---|---|---|",
        failing.len()
    );
    for r in failing.iter().take(MAX_FAILING) {
        let counted: Vec<_> = blocking(r).collect();
        let why = if counted.is_empty() {
            cell(r.reason.as_deref().unwrap_or(""))
        } else {
            counted
                .iter()
                .take(5)
                .map(|f| match subject(f) {
                    Some(subject) => format!("`{}` {}", f.id.id(), code(&subject)),
                    None => format!("`{}` {}", f.id.id(), cell(&f.message)),
                })
                .collect::<Vec<_>>()
                .join("<br>")
                + &more(counted.len(), 5)
        };
        let mut fixes: Vec<String> = counted
            .iter()
            .filter_map(|f| f.fix.as_ref().map(ToString::to_string))
            .collect();
        fixes.dedup();
        // In an image, the layer that brought the file names the build step to change.
        let why = match &r.image {
            Some(i) => format!("{why}<br>{}", cell(&super::text::image_line(i))),
            None => why,
        };
        let _ = writeln!(
            out,
            "| {} | {} | {why} | {} |",
            code(&r.path),
            r.gate_verdict().as_str(),
            fixes
                .iter()
                .map(|f| cell(f))
                .collect::<Vec<_>>()
                .join("<br>")
        );
    }
    if failing.len() > MAX_FAILING {
        let _ = writeln!(out, "\n… and {} more.", failing.len() - MAX_FAILING);
    }
    out.push('\n');
}

fn blockers(out: &mut String, report: &Report) {
    let s = &report.summary;
    if !s.blockers.is_empty() {
        let _ = writeln!(
            out,
            "### Top blockers\n\n| blocker | ID | binaries | artifacts |\n|---|---|---:|---:|"
        );
        for b in &s.blockers {
            let _ = writeln!(
                out,
                "| {} ({}) | `{}` | {} | {} |",
                code(&b.name),
                b.kind,
                b.id.id(),
                b.binaries,
                b.artifacts
            );
        }
        out.push('\n');
    }
    if !s.install.is_empty() {
        let _ = writeln!(
            out,
            "To run the rest: `apk add {}`\n",
            s.install.join(" ").replace('`', "")
        );
    }
}

fn accepted(out: &mut String, report: &Report) {
    let Some(g) = &report.gate else { return };
    if g.allowed + g.baselined == 0 && g.allow_rules.is_empty() && g.baseline.is_none() {
        return;
    }
    let _ = writeln!(
        out,
        "### Accepted findings\n\n{} allowed by rules, {} known in the baseline. They stay in the \
         report and do not fail the run.\n",
        g.allowed, g.baselined
    );
    if let Some(b) = &g.baseline {
        let _ = writeln!(
            out,
            "Baseline {}: {} entries, {} new findings, {} stale entries.\n",
            code(b.file.as_deref().unwrap_or("")),
            b.entries,
            b.new,
            b.stale
        );
    }
    if !g.allow_rules.is_empty() {
        let _ = writeln!(
            out,
            "| rule | matches | reason | expires | findings |\n|---:|---|---|---|---:|"
        );
        for r in &g.allow_rules {
            let expires = match (r.expires, r.expired) {
                (Some(d), true) => format!("⚠️ **expired {d}**"),
                (Some(d), false) => d.to_string(),
                (None, _) => "never".into(),
            };
            let _ = writeln!(
                out,
                "| {} (line {}) | {} | {} | {expires} | {} |",
                r.rule,
                r.line,
                code(&r.matches),
                cell(&r.reason),
                r.findings
            );
        }
        out.push('\n');
    }
    for r in g.expired_rules() {
        let _ = writeln!(
            out,
            "> ⚠️ Allow rule {} (line {}) expired on {} and no longer applies: {}\n",
            r.rule,
            r.line,
            r.expires.map(|d| d.to_string()).unwrap_or_default(),
            cell(&r.reason)
        );
    }
}

fn all_files(out: &mut String, report: &Report) {
    let n = report.results.len();
    let all = match n {
        1 => "The file".to_string(),
        n => format!("All {n} files"),
    };
    let _ = writeln!(
        out,
        "<details><summary>{all}</summary>\n\n| file | verdict | findings |\n|---|---|---|"
    );
    for r in report.results.iter().take(MAX_ALL) {
        let mut verdict = r.verdict.as_str().to_string();
        if r.gate_verdict() != r.verdict {
            let _ = write!(verdict, " (counted: {})", r.gate_verdict().as_str());
        }
        let ids: Vec<String> = r
            .findings
            .iter()
            .map(|f| {
                let mark = if f.suppressed.is_some() {
                    " (accepted)"
                } else {
                    ""
                };
                format!("`{}`{mark}", f.id.id())
            })
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        let _ = writeln!(out, "| {} | {verdict} | {} |", code(&r.path), ids.join(" "));
    }
    if n > MAX_ALL {
        let _ = writeln!(out, "\n… and {} more (see the JSON report).", n - MAX_ALL);
    }
    out.push_str("\n</details>\n");
}

fn more(n: usize, shown: usize) -> String {
    if n > shown {
        format!("<br>… {} more", n - shown)
    } else {
        String::new()
    }
}

/// Text for a table cell: no line breaks, no table or HTML syntax.
fn cell(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '|' => out.push_str("\\|"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\\' | '*' | '_' | '[' | ']' | '`' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' => out.push(' '),
            c if c.is_control() => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// A code span for a table cell (paths, symbols); falls back to escaped text when the value
/// contains a backtick.
fn code(s: &str) -> String {
    if s.is_empty() {
        return String::new();
    }
    if s.contains('`') || s.chars().any(char::is_control) {
        return cell(s);
    }
    format!("`{}`", s.replace('|', "\\|"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_reports_are_cut_below_githubs_limit_with_a_pointer() {
        let row = format!("| `{}` | rebuild | `missing-symbol` |\n", "p".repeat(400));
        let mut long =
            String::from("## ❌ muslcheck failed\n\n<details><summary>All</summary>\n\n");
        long.push_str("| file | verdict | findings |\n|---|---|---|\n");
        for _ in 0..300 {
            long.push_str(&row);
        }
        long.push_str("\n</details>\n");
        assert!(long.len() > GITHUB_LIMIT);
        let cut = fit(long.clone(), GITHUB_LIMIT);
        assert!(cut.chars().count() <= GITHUB_LIMIT, "{}", cut.len());
        assert!(
            cut.len() > GITHUB_LIMIT - 2 * row.len(),
            "cut no more than needed"
        );
        assert!(cut.contains("**Truncated**"));
        assert!(cut.contains(&format!("this report was {} characters", long.len())));
        assert!(cut.contains("--report html="));
        assert_eq!(
            cut.matches("<details>").count(),
            cut.matches("</details>").count()
        );
        // Whole rows only: every table line before the note is complete.
        let body = cut.split("\n</details>").next().unwrap_or_default();
        assert!(body.lines().last().is_some_and(|l| l.ends_with('|')));
        let short = "## ok\n".to_string();
        assert_eq!(fit(short.clone(), GITHUB_LIMIT), short);
    }

    #[test]
    fn cells_cannot_break_tables() {
        assert_eq!(cell("a|b\nc<d>*"), "a\\|b c&lt;d&gt;\\*");
        assert_eq!(code("lib|x.so"), "`lib\\|x.so`");
        assert_eq!(code("a`b"), "a\\`b");
    }
}
