//! Wording shared by the renderers for `muslcheck verify` (#10): one line per observation, one
//! for the batch.

use crate::verify::{Agreement, Observation, Summary};

/// `agree: loads; run exited 0` and, when the run wrote to stderr, its first line.
pub(crate) fn observed(o: &Observation) -> String {
    let mut s = format!("{}: {}", o.agreement.as_str(), o.note);
    if let Some(line) = o.run.as_ref().and_then(|r| r.stderr.as_deref()) {
        s.push_str(&format!(" (stderr: {line})"));
    }
    s
}

/// True when the observation contradicts the prediction.
pub(crate) fn disagrees(o: &Observation) -> bool {
    o.agreement == Agreement::Disagree
}

/// `verify on x86_64 musl 1.2.3 (/lib/ld-musl-x86_64.so.1, gcompat …): 20 checked, 19 agree …`
pub(crate) fn summary_line(s: &Summary) -> String {
    let h = &s.host;
    let gcompat = match &h.gcompat_preload {
        Some(p) => format!("gcompat {}", p.display()),
        None => "no gcompat".to_string(),
    };
    let rate = s
        .agreement_rate
        .map(|r| format!(" ({:.1}% agreement)", r * 100.0))
        .unwrap_or_default();
    let runs = match (&s.run_args, &h.network_isolation) {
        (None, _) => "list mode only".to_string(),
        (Some(a), Some(n)) => format!("ran with '{}', network cut off by {n}", a.join(" ")),
        (Some(a), None) => format!("ran with '{}' WITH network access", a.join(" ")),
    };
    format!(
        "verify on {} musl {} ({}, {gcompat}; {runs}): {} checked, {} agree, {} disagree{rate}; \
         {} unconfirmed, {} not checked; missing symbols as predicted in {} of {}",
        h.arch.name(),
        h.musl,
        h.loader.display(),
        s.checked,
        s.agree,
        s.disagree,
        s.unconfirmed,
        s.not_checked,
        s.symbols_agree,
        s.symbols_checked
    )
}
