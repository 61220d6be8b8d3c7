//! JUnit XML for CI test dashboards (GitLab, Jenkins, Azure, GitHub test-report actions).
//!
//! One `<testsuite>` per top-level artifact and one `<testcase>` per input. A judged binary that
//! fails the policy gets `<failure>` (its counted findings and fixes in the body), a failing
//! unreadable, malformed or not judged input gets `<error>`, a skipped input `<skipped>`. Accepted findings are
//! listed in `<system-out>`. Without an applied policy, `rebuild` fails and `error` errors.

use std::fmt::Write as _;

use super::{Record, Report};
use crate::judge::{Severity, Verdict};
use crate::policy::blocking;
use crate::verify::Agreement;

/// Render the report as JUnit XML.
pub fn render_junit(report: &Report) -> String {
    let mut suites: Vec<(&str, Vec<&Record>)> = Vec::new();
    for r in &report.results {
        match suites.iter_mut().find(|(a, _)| *a == r.artifact) {
            Some((_, list)) => list.push(r),
            None => suites.push((&r.artifact, vec![r])),
        }
    }
    let count = |rs: &[&Record], o: Outcome| rs.iter().filter(|r| outcome(r) == o).count();
    let all: Vec<&Record> = report.results.iter().collect();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"muslcheck\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\">",
        all.len(),
        count(&all, Outcome::Failure),
        count(&all, Outcome::Error),
        count(&all, Outcome::Skipped)
    );
    for (artifact, records) in &suites {
        let _ = writeln!(
            out,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\">",
            esc(artifact),
            records.len(),
            count(records, Outcome::Failure),
            count(records, Outcome::Error),
            count(records, Outcome::Skipped)
        );
        let _ = writeln!(out, "    <properties>");
        let _ = writeln!(
            out,
            "      <property name=\"target\" value=\"{}\"/>",
            esc(&report.target.describe())
        );
        if let Some(v) = &report.verify {
            let _ = writeln!(
                out,
                "      <property name=\"verify\" value=\"{}\"/>",
                esc(&super::verify::summary_line(v))
            );
        }
        if let Some(g) = &report.gate {
            let _ = writeln!(
                out,
                "      <property name=\"fail-on\" value=\"{}\"/>",
                g.fail_on.as_str()
            );
        }
        let _ = writeln!(out, "    </properties>");
        for r in records {
            testcase(&mut out, r, report);
        }
        let _ = writeln!(out, "  </testsuite>");
    }
    out.push_str("</testsuites>\n");
    out
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Pass,
    Failure,
    Error,
    Skipped,
}

fn outcome(r: &Record) -> Outcome {
    // `muslcheck verify`: a test is a prediction checked against the host.
    if let Some(o) = &r.verify {
        return match o.agreement {
            Agreement::Agree => Outcome::Pass,
            Agreement::Disagree => Outcome::Failure,
            Agreement::Unconfirmed | Agreement::NotChecked => Outcome::Skipped,
        };
    }
    let fails = r.fails();
    match r.gate_verdict() {
        // Not judged (a limit stopped muslcheck) and not accepted: it fails closed, as an error.
        Verdict::Skipped if fails => Outcome::Error,
        Verdict::Skipped => Outcome::Skipped,
        Verdict::Error if fails => Outcome::Error,
        Verdict::Error => Outcome::Skipped,
        _ if fails => Outcome::Failure,
        _ => Outcome::Pass,
    }
}

fn testcase(out: &mut String, r: &Record, report: &Report) {
    let _ = write!(
        out,
        "    <testcase classname=\"{}\" name=\"{}\"",
        esc(&r.artifact),
        esc(&r.path)
    );
    let counted: Vec<String> = blocking(r)
        .map(|f| {
            let fix = f
                .fix
                .as_ref()
                .map(|x| format!("\n  fix: {x}"))
                .unwrap_or_default();
            format!(
                "{} {}: {}{fix}",
                severity_word(f.severity),
                f.id.id(),
                f.message
            )
        })
        .collect();
    let accepted: Vec<String> = r
        .findings
        .iter()
        .filter_map(|f| {
            let s = f.suppressed.as_ref()?;
            Some(format!(
                "{} ({}: {}): {}",
                f.id.id(),
                s.kind.as_str(),
                s.reason,
                f.message
            ))
        })
        .collect();
    let threshold = report
        .gate
        .as_ref()
        .map_or("rebuild", |g| g.fail_on.as_str());
    let reason = r.reason.as_deref().unwrap_or("");
    let body = match (outcome(r), &r.verify) {
        (Outcome::Failure | Outcome::Skipped, Some(o)) => {
            let tag = if super::verify::disagrees(o) {
                format!(
                    "<failure message=\"{}\" type=\"disagree\">{}</failure>",
                    esc(&format!("predicted {}: {}", o.predicted.as_str(), o.note)),
                    esc(&super::verify::observed(o))
                )
            } else {
                format!(
                    "<skipped message=\"{}\"/>",
                    esc(&super::verify::observed(o))
                )
            };
            Some(tag)
        }
        (o, _) => match o {
            Outcome::Pass => None,
            Outcome::Skipped => Some(format!(
                "<skipped message=\"{}\"/>",
                esc(if reason.is_empty() {
                    r.gate_verdict().as_str()
                } else {
                    reason
                })
            )),
            Outcome::Error => Some(format!(
                "<error message=\"{}\" type=\"error\">{}</error>",
                esc(reason),
                esc(&counted.join("\n"))
            )),
            Outcome::Failure => {
                let first = counted.first().map_or("", |s| s.as_str());
                let first = first.lines().next().unwrap_or("");
                Some(format!(
                    "<failure message=\"{}\" type=\"{}\">{}</failure>",
                    esc(&format!(
                        "{} (fails --fail-on {threshold}): {first}",
                        r.gate_verdict().as_str()
                    )),
                    r.gate_verdict().as_str(),
                    esc(&counted.join("\n"))
                ))
            }
        },
    };
    let mut system_out = format!("verdict: {}", r.verdict.as_str());
    if r.gate_verdict() != r.verdict {
        let _ = write!(system_out, " (effective: {})", r.gate_verdict().as_str());
    }
    if let Some(sha) = &r.sha256 {
        let _ = write!(system_out, "\nsha256: {sha}");
    }
    if let Some(i) = &r.image {
        let _ = write!(system_out, "\n{}", super::text::image_line(i));
    }
    for a in &accepted {
        let _ = write!(system_out, "\naccepted: {a}");
    }
    if let Some(o) = &r.verify {
        let _ = write!(system_out, "\nverify {}", super::verify::observed(o));
    }
    out.push_str(">\n");
    if let Some(b) = body {
        let _ = writeln!(out, "      {b}");
    }
    let _ = writeln!(out, "      <system-out>{}</system-out>", esc(&system_out));
    out.push_str("    </testcase>\n");
}

fn severity_word(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Note => "note",
    }
}

/// Escape text for XML attributes and content. Characters XML 1.0 cannot carry at all (most
/// control characters) become U+FFFD.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::esc;

    #[test]
    fn escapes_markup_and_forbidden_characters() {
        assert_eq!(
            esc("a<b>&\"'\u{1}\n"),
            "a&lt;b&gt;&amp;&quot;&apos;\u{FFFD}\n"
        );
    }
}
