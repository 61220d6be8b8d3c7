//! The human-readable text report: a verdict per file, the reasons grouped, and the fixes.

use std::fmt::Write as _;

use super::GateStatus;
use super::{Record, Report, plural, subject};
use crate::judge::{Category, Finding, Severity, Verdict};
use crate::policy::{SuppressionKind, is_blocking};

/// Rendering choices for the text report.
#[derive(Clone, Copy, Debug, Default)]
pub struct TextOptions {
    /// Use ANSI colours.
    pub color: bool,
    /// Show facts and note-level findings too.
    pub verbose: bool,
    /// Only the summary: artifacts, blockers, what to install, totals and gate (`--summary`).
    pub summary: bool,
}

struct Paint(bool);

impl Paint {
    fn wrap(&self, code: &str, s: &str) -> String {
        if self.0 {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }
    fn verdict(&self, v: Verdict) -> String {
        let code = match v {
            Verdict::Native => "1;32",
            Verdict::Gcompat => "1;33",
            Verdict::Rebuild | Verdict::Error => "1;31",
            Verdict::Skipped => "2",
        };
        self.wrap(code, v.as_str())
    }
    fn severity(&self, s: Severity) -> String {
        let (code, word) = match s {
            Severity::Error => ("31", "error  "),
            Severity::Warning => ("33", "warning"),
            Severity::Note => ("36", "note   "),
        };
        self.wrap(code, word)
    }
}

/// Render the whole report as text.
pub fn render_text(report: &Report, opts: TextOptions) -> String {
    let p = Paint(opts.color);
    let mut out = String::new();
    if !opts.summary {
        for r in &report.results {
            record(&mut out, r, &p, opts);
        }
    }
    let sum = &report.summary;
    // Worth a section only when some artifact holds several files (archives, trees).
    let files = |t: &super::Totals| t.native + t.gcompat + t.rebuild + t.skipped + t.error;
    let several = sum.artifacts.iter().any(|a| files(&a.totals) > 1);
    if (sum.artifacts.len() > 1 && several) || (opts.summary && !sum.artifacts.is_empty()) {
        let _ = writeln!(out, "\n{}", p.wrap("1", "Artifacts:"));
        for a in &sum.artifacts {
            let t = &a.totals;
            let _ = writeln!(
                out,
                "  {:<8} {}  ({} native, {} gcompat, {} rebuild, {} skipped, {} error): {}",
                p.verdict(a.verdict),
                a.artifact,
                t.native,
                t.gcompat,
                t.rebuild,
                t.skipped,
                t.error,
                a.action
            );
        }
    }
    if !sum.blockers.is_empty() {
        let _ = writeln!(out, "\n{}", p.wrap("1", "Top blockers:"));
        for b in &sum.blockers {
            let _ = writeln!(
                out,
                "  {} {} blocks {} in {}",
                b.id.id(),
                b.name,
                plural(b.binaries, "binary"),
                plural(b.artifacts, "artifact"),
            );
        }
    }
    if !sum.packages.is_empty() {
        let _ = writeln!(out, "\n{}", p.wrap("1", "Packages:"));
        for pkg in &sum.packages {
            let _ = writeln!(out, "  {}", pkg.describe());
        }
    }
    if !sum.bundle_or_rebuild.is_empty() {
        let libs: Vec<&str> = sum
            .bundle_or_rebuild
            .iter()
            .map(|u| u.library.as_str())
            .collect();
        let _ = writeln!(
            out,
            "\n{} {}",
            p.wrap("1", "Bundle or rebuild (no Alpine package provides them):"),
            libs.join(" ")
        );
    }
    if !sum.install.is_empty() {
        let _ = writeln!(
            out,
            "\n{} apk add {}",
            p.wrap("1", "To run the rest:"),
            sum.install.join(" ")
        );
    }
    totals_line(&mut out, report);
    if let Some(v) = &report.verify {
        let _ = writeln!(out, "{}", super::verify::summary_line(v));
    }
    gate(&mut out, report, opts.color);
    out
}

/// `N files judged for TARGET: … native, … error`.
pub(super) fn totals_line(out: &mut String, report: &Report) {
    let t = &report.totals;
    let _ = writeln!(
        out,
        "{} judged for {}: {} native, {} gcompat, {} rebuild, {} skipped, {} error",
        plural(report.results.len(), "file"),
        report.target.describe(),
        t.native,
        t.gcompat,
        t.rebuild,
        t.skipped,
        t.error
    );
}

/// The gate's verdict line alone (`gate passed: …`), for standard error; `None` before a policy
/// is applied.
pub fn render_gate_line(report: &Report, color: bool) -> Option<String> {
    let mut out = String::new();
    gate(&mut out, report, color);
    Some(out).filter(|s| !s.is_empty())
}

/// The gate's verdict line, with what was accepted, and (when it fails) why the exit status is
/// what it is.
pub(super) fn gate(out: &mut String, report: &Report, color: bool) {
    let p = &Paint(color);
    let Some(g) = &report.gate else { return };
    let status = match g.status {
        GateStatus::Passed => p.wrap("1;32", "passed"),
        GateStatus::Failed => p.wrap("1;31", "FAILED"),
        GateStatus::Unreadable => p.wrap("1;31", "FAILED (unreadable inputs)"),
        GateStatus::NotJudged => p.wrap("1;31", "FAILED (not judged)"),
    };
    let failing = g.failing + g.unreadable + g.not_judged;
    let _ = write!(
        out,
        "gate {status}: {failing} of {} fail{} --fail-on {}",
        plural(report.results.len(), "file"),
        if failing == 1 { "s" } else { "" },
        g.fail_on.as_str()
    );
    if g.allowed + g.baselined > 0 {
        let _ = write!(
            out,
            " ({} allowed, {} baselined)",
            plural(g.allowed, "finding"),
            g.baselined
        );
    }
    if let Some(b) = &g.baseline {
        let _ = write!(out, "; baseline: {} new, {} stale", b.new, b.stale);
    }
    out.push('\n');
    let mut why = Vec::new();
    if g.failing > 0 {
        let one = g.failing == 1;
        let at = match g.fail_on {
            crate::policy::FailOn::Native => {
                if one {
                    "is judged (--fail-on native fails every judged binary)"
                } else {
                    "are judged (--fail-on native fails every judged binary)"
                }
            }
            crate::policy::FailOn::Gcompat if one => "needs gcompat or a rebuild",
            crate::policy::FailOn::Gcompat => "need gcompat or a rebuild",
            _ if one => "needs a rebuild",
            _ => "need a rebuild",
        };
        why.push(format!(
            "{} {at}: see the fixes above; accept known ones with [[allow]] rules or --baseline",
            plural(g.failing, "file")
        ));
    }
    if g.unreadable > 0 {
        why.push(format!(
            "{} could not be read or parsed",
            plural(g.unreadable, "input")
        ));
    }
    if g.not_judged > 0 {
        why.push(format!(
            "{} not judged: a limit stopped muslcheck (raise it, or accept with \
             --allow-not-judged or an allow rule for id not-judged)",
            plural(g.not_judged, "file")
        ));
    }
    if let Some(first) = why.first() {
        let code = if g.failing > 0 { 1 } else { 3 };
        let _ = writeln!(out, "exit status {code}: {first}");
        for w in why.iter().skip(1) {
            let _ = writeln!(out, "  also: {w}");
        }
    }
}

/// Longest run of same-ID findings printed in full without -v.
const GROUP: usize = 3;

fn line(out: &mut String, f: &Finding, p: &Paint) {
    let accepted = match &f.suppressed {
        Some(s) if s.kind == SuppressionKind::Allow => format!("  [allowed: {}]", s.reason),
        Some(_) => "  [baselined]".to_string(),
        None => String::new(),
    };
    let confidence = f
        .evidence
        .as_ref()
        .map_or(String::new(), |e| format!(" [{}]", e.confidence.as_str()));
    let _ = writeln!(
        out,
        "  {} {:<22} {}{}{}",
        p.severity(f.severity),
        f.id.id(),
        f.message,
        confidence,
        p.wrap("2", &accepted)
    );
}

fn record(out: &mut String, r: &Record, p: &Paint, opts: TextOptions) {
    let mut head = format!("{}: {}", r.path, p.verdict(r.verdict));
    if r.gate_verdict() != r.verdict {
        let _ = write!(head, " (counted as {})", p.verdict(r.gate_verdict()));
    }
    if let Some(e) = &r.elf {
        let _ = write!(
            head,
            "  ({} {}, {})",
            e.arch,
            e.kind.as_str(),
            e.libc.as_str()
        );
    }
    let _ = writeln!(out, "{head}");
    if let Some(o) = &r.verify {
        let word = match o.agreement {
            crate::verify::Agreement::Agree => p.wrap("32", "verify"),
            crate::verify::Agreement::Disagree => p.wrap("1;31", "VERIFY"),
            _ => p.wrap("2", "verify"),
        };
        let _ = writeln!(out, "  {word} {}", super::verify::observed(o));
    }
    // Why a file was skipped or is an error. When the record has findings, its reason is its
    // first finding's message (`crate::analyse`): said below, unless that finding is hidden.
    let said = r
        .findings
        .first()
        .is_some_and(|f| opts.verbose || f.severity != Severity::Note);
    if let Some(reason) = r.reason.as_ref().filter(|_| !said) {
        let _ = writeln!(out, "  {reason}");
    }
    // In an image, the layer (and the build step) that brought a file the fix is about.
    if let Some(i) = r
        .image
        .as_ref()
        .filter(|_| opts.verbose || r.verdict > Verdict::Native)
    {
        let _ = writeln!(out, "  {}", image_line(i));
    }
    if opts.verbose {
        if let Some(e) = &r.elf {
            if let Some(i) = &e.interpreter {
                let _ = writeln!(out, "  interpreter: {i}");
            }
            if !e.needed.is_empty() {
                let _ = writeln!(out, "  needed: {}", e.needed.join(" "));
            }
        }
        if let Some(g) = &r.glibc_floor {
            // The JSON report has the full list; a few names say enough here.
            let mut by = g
                .set_by
                .iter()
                .take(4)
                .cloned()
                .collect::<Vec<_>>()
                .join(", ");
            if g.set_by.len() > 4 {
                let _ = write!(by, " and {} more", g.set_by.len() - 4);
            }
            let _ = writeln!(out, "  glibc floor: {} (set by {by})", g.version);
        }
    }
    let mut fixes: Vec<String> = Vec::new();
    let shown: Vec<&Finding> = r
        .findings
        .iter()
        .filter(|f| {
            // Notes without a fix, and hardening notes (advice, #6), only with -v.
            let quiet = f.fix.is_none() || f.id.category() == Category::Hardening;
            opts.verbose || f.severity != Severity::Note || !quiet
        })
        .collect();
    let mut i = 0;
    while let Some((&f, rest)) = shown
        .get(i..)
        .and_then(|r| r.split_first().map(|(f, _)| (f, r)))
    {
        // Without -v, a run of more than GROUP findings of one ID and severity is one line;
        // errors (what blocks the binary) are always listed in full.
        let run = rest
            .iter()
            .take_while(|g| {
                g.id == f.id
                    && g.severity == f.severity
                    && g.suppressed.is_none() == f.suppressed.is_none()
            })
            .count();
        let group = rest.get(..run).unwrap_or(rest);
        if !opts.verbose && run > GROUP && f.severity != Severity::Error {
            let names: Vec<String> = group.iter().filter_map(|g| subject(g)).collect();
            let _ = writeln!(
                out,
                "  {} {:<22} {} findings: {}, … and {} more (-v lists them)",
                p.severity(f.severity),
                f.id.id(),
                run,
                names
                    .iter()
                    .take(GROUP)
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", "),
                run.saturating_sub(GROUP)
            );
        } else {
            for g in group {
                line(out, g, p);
            }
        }
        for g in group {
            // The fixes that change the verdict: those of findings at the verdict's level, plus
            // the packages to install when the binary can run at all. Hardening advice is not
            // about running at all: its messages say what Alpine does instead.
            let v = r.gate_verdict();
            let install = g.counts() && g.impact == Verdict::Native && v <= Verdict::Gcompat;
            let relevant = (is_blocking(r, g) || install) && g.id.category() != Category::Hardening;
            if let Some(fix) = g.fix.as_ref().filter(|_| relevant) {
                let fix = fix.to_string();
                if !fixes.contains(&fix) {
                    fixes.push(fix);
                }
            }
        }
        i += run;
    }
    for fix in fixes {
        let _ = writeln!(out, "  {} {fix}", p.wrap("1", "fix:"));
    }
}

/// `in image REF@DIGEST, /usr/bin/jq from layer 2 (sha256:0123456789ab): RUN …`.
pub(crate) fn image_line(i: &crate::input::ImageOrigin) -> String {
    let mut s = String::from("in image ");
    s.push_str(if i.reference.is_empty() {
        "(unnamed)"
    } else {
        &i.reference
    });
    if let Some(d) = i.digest.as_ref().or(i.id.as_ref()) {
        let _ = write!(s, "@{d}");
    }
    let _ = write!(s, ", {}", i.path);
    if let Some(l) = &i.layer {
        let _ = write!(s, " from layer {}", l.index);
        if let Some(d) = &l.digest {
            let short: String = d.chars().take(19).collect();
            let _ = write!(s, " ({short})");
        }
        if let Some(step) = &l.created_by {
            let step = step
                .strip_prefix("/bin/sh -c #(nop) ")
                .unwrap_or(step)
                .trim();
            let _ = write!(s, ": {step}");
        }
    }
    s
}
