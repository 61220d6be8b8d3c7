//! Stage 3½, policy: every gate decision. The one place that decides
//!
//! - whether a finding counts: [`Policy::suppression`] (allow rules, then the baseline);
//! - a file's verdict without accepted findings: [`effective_verdict`] (through
//!   [`crate::judge::verdict_of`]);
//! - which findings block a file: [`is_blocking`] (every renderer and the summary use it);
//! - whether a file fails the run: [`FailOn::fails`], applied by [`apply_records`];
//! - the run's status, and so the exit status: [`Gate::of`].
//!
//! A [`Policy`] holds the `--fail-on` threshold, the `[[allow]]` rules of `muslcheck.toml` and an
//! optional [`Baseline`]. Like the judge it is pure: configuration and baseline arrive as text,
//! today's date as a value; reading files is the caller's job. Renderers only read what it wrote
//! into the report.

mod allow;
mod baseline;
mod config;
mod date;
mod gate;
mod suppression;

use serde::{Deserialize, Serialize};

pub use allow::AllowRule;
pub use baseline::{BASELINE_SCHEMA, Baseline, BaselineEntry, BaselineError};
pub use config::{Config, ConfigError};
pub use date::Date;
pub use gate::{
    AllowRuleUse, BaselineUse, Gate, GateStatus, RecordGate, Standing, apply_record, apply_records,
    is_not_judged,
};
pub use suppression::{Suppression, SuppressionKind};

use crate::judge::{Code, Finding, Verdict, verdict_of};
use crate::report::Record;

/// Which verdict fails the run (`--fail-on`, `fail-on` in `muslcheck.toml`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FailOn {
    /// Every judged ELF file fails (native or worse), and unreadable inputs.
    Native,
    /// gcompat or worse, and unreadable inputs.
    Gcompat,
    /// rebuild, and unreadable inputs (the default: a gate for systems that install gcompat).
    #[default]
    Rebuild,
    /// Only unreadable or malformed inputs.
    Error,
    /// Nothing fails the run, not even files that were not judged: a report-only mode, said
    /// explicitly.
    Never,
}

impl FailOn {
    /// Lower-case name, as on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            FailOn::Native => "native",
            FailOn::Gcompat => "gcompat",
            FailOn::Rebuild => "rebuild",
            FailOn::Error => "error",
            FailOn::Never => "never",
        }
    }

    /// Does a record with this (effective) verdict fail the run?
    ///
    /// `skipped` never fails; `error` fails under every threshold but `never`.
    pub fn fails(self, verdict: Verdict) -> bool {
        let threshold = match self {
            FailOn::Never => return false,
            FailOn::Error => return verdict == Verdict::Error,
            FailOn::Native => Verdict::Native,
            FailOn::Gcompat => Verdict::Gcompat,
            FailOn::Rebuild => Verdict::Rebuild,
        };
        verdict != Verdict::Skipped && verdict >= threshold
    }
}

/// The gate's rules for one run.
#[derive(Clone, Debug)]
pub struct Policy {
    /// The failing threshold.
    pub fail_on: FailOn,
    /// Allow rules, in file order.
    pub allow: Vec<AllowRule>,
    /// Known findings that do not fail the run.
    pub baseline: Option<Baseline>,
    /// The date expiry is judged against.
    pub today: Date,
    /// `--allow-not-judged`: files a limit kept from being judged do not fail the run.
    pub allow_not_judged: bool,
}

impl Policy {
    /// A policy with a threshold and nothing allowed.
    pub fn new(fail_on: FailOn, today: Date) -> Self {
        Policy {
            fail_on,
            allow: Vec::new(),
            baseline: None,
            today,
            allow_not_judged: false,
        }
    }

    /// Why `finding` of the input at `path` (content hash `sha256`) does not count, if it does
    /// not. Active allow rules are asked first (in file order), then the baseline. Expired rules
    /// never apply.
    pub fn suppression(
        &self,
        path: &str,
        sha256: Option<&str>,
        finding: &Finding,
    ) -> Option<Suppression> {
        if let Some(rule) = self
            .allow
            .iter()
            .find(|r| !r.is_expired(self.today) && r.matches(path, finding))
        {
            return Some(Suppression {
                kind: SuppressionKind::Allow,
                reason: rule.reason.clone(),
                rule: Some(rule.number),
                expires: rule.expires.map(|d| d.to_string()),
            });
        }
        if self.allow_not_judged && finding.id == Code::NotJudged {
            return Some(Suppression {
                kind: SuppressionKind::Allow,
                reason: "accepted with --allow-not-judged".into(),
                rule: None,
                expires: None,
            });
        }
        let baseline = self.baseline.as_ref()?;
        let sha256 = sha256?;
        baseline
            .contains(path, sha256, finding)
            .then(|| Suppression {
                kind: SuppressionKind::Baseline,
                reason: match &baseline.source {
                    Some(file) => format!("known in baseline {file}"),
                    None => "known in the baseline".into(),
                },
                rule: None,
                expires: None,
            })
    }

    /// The allow rules that have expired by `today`.
    pub fn expired_rules(&self) -> impl Iterator<Item = &AllowRule> {
        self.allow.iter().filter(|r| r.is_expired(self.today))
    }
}

/// The verdict a file gets when accepted findings do not count.
///
/// `verdict` is the judge's verdict for the file alone. A judged file gets [`verdict_of`] the
/// findings that still count, where a `bundled-library` finding requires what `bundled` says of
/// that library (its effective verdict), or nothing when `bundled` returns `None` (the file
/// alone). An error whose error-level findings are all accepted becomes `skipped` (accepted as
/// not judgeable); skipped stays skipped.
pub fn effective_verdict(
    verdict: Verdict,
    findings: &[Finding],
    bundled: &dyn Fn(&Finding) -> Option<Verdict>,
) -> Verdict {
    match verdict {
        Verdict::Skipped => Verdict::Skipped,
        Verdict::Error => {
            let mut errors = findings.iter().filter(|f| f.impact == Verdict::Error);
            let all_accepted = errors.clone().count() > 0 && errors.all(|f| !f.counts());
            if all_accepted {
                Verdict::Skipped
            } else {
                Verdict::Error
            }
        }
        _ => verdict_of(findings.iter().filter(|f| f.counts()).filter_map(|f| {
            if f.id == Code::BundledLibrary {
                bundled(f)
            } else {
                Some(f.impact)
            }
        })),
    }
}

/// Does `finding` block `record`: it counts (not accepted) and requires exactly the verdict the
/// gate counts for the record. What the text, Markdown and JUnit reports list as the reason a
/// file is where it is, and what the summary ranks as blockers.
pub fn is_blocking(record: &Record, finding: &Finding) -> bool {
    finding.counts() && finding.impact == record.gate_verdict()
}

/// The findings that block `record` ([`is_blocking`]), worst first.
pub fn blocking(record: &Record) -> impl Iterator<Item = &Finding> {
    record.findings.iter().filter(|f| is_blocking(record, f))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> Date {
        Date::new(2026, 6, 1).unwrap_or_else(|| Date::from_unix_days(0))
    }

    #[test]
    fn fail_on_thresholds() {
        use Verdict::*;
        let table = [
            (FailOn::Native, [false, true, true, true, true]),
            (FailOn::Gcompat, [false, false, true, true, true]),
            (FailOn::Rebuild, [false, false, false, true, true]),
            (FailOn::Error, [false, false, false, false, true]),
            (FailOn::Never, [false, false, false, false, false]),
        ];
        for (fail_on, expect) in table {
            for (v, e) in [Skipped, Native, Gcompat, Rebuild, Error]
                .into_iter()
                .zip(expect)
            {
                assert_eq!(fail_on.fails(v), e, "{fail_on:?} {v:?}");
            }
        }
    }

    fn finding(id: Code, impact: Verdict, symbol: &str) -> Finding {
        Finding::new(id, impact, "m").symbol(crate::judge::sym(symbol))
    }

    fn suppress(mut f: Finding) -> Finding {
        f.suppressed = Some(Suppression {
            kind: SuppressionKind::Allow,
            reason: "r".into(),
            rule: Some(1),
            expires: None,
        });
        f
    }

    #[test]
    fn effective_verdict_ignores_suppressed_findings() {
        let missing = finding(Code::MissingSymbol, Verdict::Rebuild, "fcntl64@GLIBC_2.28");
        let loader = finding(Code::GlibcLoader, Verdict::Gcompat, "x");
        let note = finding(Code::NeedsPackage, Verdict::Native, "y");
        let all = [missing.clone(), loader.clone(), note.clone()];
        assert_eq!(
            effective_verdict(Verdict::Rebuild, &all, &|_| None),
            Verdict::Rebuild
        );
        let one = [suppress(missing.clone()), loader.clone(), note.clone()];
        assert_eq!(
            effective_verdict(Verdict::Rebuild, &one, &|_| None),
            Verdict::Gcompat
        );
        let two = [suppress(missing), suppress(loader), note];
        assert_eq!(
            effective_verdict(Verdict::Rebuild, &two, &|_| None),
            Verdict::Native
        );
    }

    #[test]
    fn accepted_errors_become_skipped_and_skipped_stays() {
        let bad = finding(Code::MalformedElf, Verdict::Error, "");
        assert_eq!(
            effective_verdict(Verdict::Error, std::slice::from_ref(&bad), &|_| None),
            Verdict::Error
        );
        assert_eq!(
            effective_verdict(Verdict::Error, &[suppress(bad)], &|_| None),
            Verdict::Skipped
        );
        let not_elf = finding(Code::NotElf, Verdict::Skipped, "");
        assert_eq!(
            effective_verdict(Verdict::Skipped, &[suppress(not_elf)], &|_| None),
            Verdict::Skipped
        );
    }

    #[test]
    fn allow_rules_come_before_the_baseline_and_expired_rules_never_apply() {
        let f = finding(Code::MissingSymbol, Verdict::Rebuild, "fcntl64@GLIBC_2.28");
        let cfg = Config::parse(
            r#"
[[allow]]
symbol = "fcntl64"
reason = "old"
expires = 2020-01-01

[[allow]]
id = "missing-symbol"
path = "vendor/**"
reason = "vendor tool, replaced in Q3"
"#,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let mut p = Policy::new(FailOn::Rebuild, today());
        p.allow = cfg.allow;
        let s = p.suppression("vendor/bin/tool", Some("ab"), &f);
        let s = s.unwrap_or_else(|| panic!("rule 2 applies"));
        assert_eq!((s.kind, s.rule), (SuppressionKind::Allow, Some(2)));
        assert_eq!(s.reason, "vendor tool, replaced in Q3");
        assert!(p.suppression("other/tool", Some("ab"), &f).is_none());
        assert_eq!(p.expired_rules().map(|r| r.number).collect::<Vec<_>>(), [1]);

        let mut b = Baseline::new("alpine:3.22");
        b.insert("other/tool", "ab", &f);
        p.baseline = Some(b);
        let s = p.suppression("other/tool", Some("ab"), &f);
        assert_eq!(s.map(|s| s.kind), Some(SuppressionKind::Baseline));
        assert!(
            p.suppression("other/tool", Some("cd"), &f).is_none(),
            "new hash"
        );
        assert!(p.suppression("other/tool", None, &f).is_none());
    }
}
