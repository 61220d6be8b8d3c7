//! The CI gate: findings marked as accepted, the verdict without them, which records fail, and
//! the run's status (and so the exit status). Computed once, here, into the report; every
//! format reads it.

use std::collections::HashMap;

use serde::Serialize;

use super::{Baseline, Date, FailOn, Policy, SuppressionKind, effective_verdict};
use crate::judge::{Code, Verdict};
use crate::report::{Record, Report, Totals};

/// A record's standing under the policy (flattened into the record in JSON).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct RecordGate {
    /// The verdict when accepted (allowed or baselined) findings do not count.
    pub effective_verdict: Verdict,
    /// True when this record fails the run under `--fail-on`.
    pub fails: bool,
}

/// The run's outcome, which the exit status reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum GateStatus {
    /// Nothing at or above the threshold (exit 0).
    Passed,
    /// A judged binary is at or above the threshold (exit 1).
    Failed,
    /// Only unreadable or malformed inputs fail (exit 3).
    Unreadable,
    /// Nothing judged fails, but a limit kept files from being judged (`not-judged`, exit 3).
    #[serde(rename = "not-judged")]
    NotJudged,
}

/// An allow rule and what it did in this run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AllowRuleUse {
    /// 1-based number of the rule among the `[[allow]]` tables.
    pub rule: usize,
    /// Line of the rule in the configuration file.
    pub line: usize,
    /// What it matches (`path=vendor/** id=missing-symbol`).
    pub matches: String,
    /// Its reason.
    pub reason: String,
    /// Its last day, if it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires: Option<Date>,
    /// True when it has expired and no longer applies.
    pub expired: bool,
    /// Number of findings it accepted in this run.
    pub findings: usize,
}

/// How the run compares with the baseline.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BaselineUse {
    /// The baseline file, as named on the command line or in the configuration.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// Entries in the baseline.
    pub entries: usize,
    /// Findings of this run that the baseline accepted.
    pub known: usize,
    /// Findings of this run that could fail the run and are not in the baseline.
    pub new: usize,
    /// Baseline entries no finding of this run matched (fixed, removed or changed binaries).
    pub stale: usize,
}

/// The gate's summary of the run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Gate {
    /// The threshold.
    pub fail_on: FailOn,
    /// Passed, failed, or only unreadable inputs failed.
    pub status: GateStatus,
    /// Judged records that fail (effective verdict at or above the threshold).
    pub failing: usize,
    /// Unreadable or malformed records that fail.
    pub unreadable: usize,
    /// Records a limit kept from being judged, not accepted (fail under every `--fail-on` but
    /// `never`).
    pub not_judged: usize,
    /// Findings accepted by allow rules.
    pub allowed: usize,
    /// Findings accepted by the baseline.
    pub baselined: usize,
    /// Record counts per effective verdict.
    pub effective: Totals,
    /// Every allow rule, with its use in this run.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub allow_rules: Vec<AllowRuleUse>,
    /// Baseline comparison, when a baseline was used.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub baseline: Option<BaselineUse>,
}

impl Gate {
    /// The allow rules that have expired.
    pub fn expired_rules(&self) -> impl Iterator<Item = &AllowRuleUse> {
        self.allow_rules.iter().filter(|r| r.expired)
    }
}

/// Mark a record's accepted findings and compute its standing, from its own findings and the
/// verdicts its `bundled-library` findings carry. [`apply_records`] and
/// [`Report::apply_policy`] also look through to the bundled libraries' own standing.
pub fn apply_record(record: &mut Record, policy: &Policy) {
    apply_records(std::slice::from_mut(record), policy);
}

/// Apply a policy to the records of one or more whole inputs (every bundled library of a
/// record is among them): mark accepted findings and compute each record's standing.
pub fn apply_records(records: &mut [Record], policy: &Policy) {
    Standing::default().apply(records, policy);
}

/// The policy applied to an input's records as they come (`--format jsonl` streams a tree's
/// records file by file): remembers each record's own standing, so that a later record sees
/// the bundled libraries handed out before it (a library's closure is final no later than its
/// dependents', so they are always among them or in the same batch).
#[derive(Default)]
pub struct Standing {
    own: HashMap<String, Verdict>,
}

impl Standing {
    /// Mark accepted findings and compute the standing of `records`, which may be bundled
    /// libraries of each other or of the records applied before.
    pub fn apply(&mut self, records: &mut [Record], policy: &Policy) {
        for r in records.iter_mut() {
            mark(r, policy);
        }
        for r in records.iter() {
            let own = effective_verdict(r.own_verdict, &r.findings, &|_| None);
            self.own.insert(r.path.clone(), own);
        }
        let lookup = |p: &str| self.own.get(p).copied();
        for r in records.iter_mut() {
            let effective = effective_of(r, &lookup);
            // What was not judged fails closed, like what could not be read.
            let fails = policy.fail_on.fails(effective)
                || (is_not_judged(r) && policy.fail_on.fails(Verdict::Error));
            r.gate = Some(RecordGate {
                effective_verdict: effective,
                fails,
            });
        }
    }
}

/// True when a limit kept the record from being judged and nothing accepted that.
pub fn is_not_judged(record: &Record) -> bool {
    record
        .findings
        .iter()
        .any(|f| f.id == Code::NotJudged && f.counts())
}

fn mark(record: &mut Record, policy: &Policy) {
    for f in &mut record.findings {
        f.suppressed = policy.suppression(&record.path, record.sha256.as_deref(), f);
    }
}

/// The effective verdict: the file's own, raised by the bundled libraries its closure blames
/// (`bundled-library` findings). A blamed library's own effective verdict is used when `bundled`
/// knows it, so allowing a library's finding clears its dependents; allowing the
/// `bundled-library` finding itself drops that library's contribution.
fn effective_of(record: &Record, bundled: &dyn Fn(&str) -> Option<Verdict>) -> Verdict {
    let library_verdict = |f: &crate::judge::Finding| {
        let found = f
            .library
            .as_deref()
            .and_then(|l| record.closure.iter().find(|c| c.library == l))
            .and_then(|c| c.found.as_deref());
        Some(found.and_then(bundled).unwrap_or(f.impact))
    };
    let v = effective_verdict(record.own_verdict, &record.findings, &library_verdict);
    let blamed = record.findings.iter().any(|f| f.id == Code::BundledLibrary);
    if v.is_judged() && record.verdict > record.own_verdict && !blamed {
        // Raised by something other than a blamed library: keep it.
        return v.max(record.verdict);
    }
    v
}

/// True for findings that can fail a run (and so belong in a baseline).
fn counts(f: &crate::judge::Finding) -> bool {
    f.impact > Verdict::Native && f.impact != Verdict::Skipped
}

impl Report {
    /// Apply a policy: mark accepted findings, compute every record's standing, the summary's
    /// blockers (accepted findings block nothing) and the gate.
    pub fn apply_policy(&mut self, policy: &Policy) {
        apply_records(&mut self.results, policy);
        self.summary = crate::report::summary::BatchSummary::of(&self.results);
        self.gate = Some(Gate::of(&self.results, policy));
    }

    /// A baseline of this report's findings that can fail a run and that no allow rule accepts
    /// (an allowed finding must not outlive its rule's expiry by hiding in the baseline).
    pub fn baseline(&self) -> Baseline {
        let mut b = Baseline::new(&self.target.describe());
        for r in &self.results {
            let Some(sha) = r.sha256.as_deref() else {
                continue;
            };
            for f in &r.findings {
                let allowed = f
                    .suppressed
                    .as_ref()
                    .is_some_and(|s| s.kind == SuppressionKind::Allow);
                if counts(f) && !allowed {
                    b.insert(&r.path, sha, f);
                }
            }
        }
        b
    }
}

impl Gate {
    /// Summarise records whose standing is computed (see [`apply_record`]).
    pub fn of(records: &[Record], policy: &Policy) -> Gate {
        let effective_of = |r: &Record| r.gate.map_or(r.verdict, |g| g.effective_verdict);
        let fails = |r: &Record| r.gate.is_some_and(|g| g.fails);
        let failing = records
            .iter()
            .filter(|r| fails(r) && effective_of(r).is_judged())
            .count();
        let unreadable = records
            .iter()
            .filter(|r| fails(r) && effective_of(r) == Verdict::Error)
            .count();
        let not_judged = records
            .iter()
            .filter(|r| fails(r) && is_not_judged(r) && !effective_of(r).is_judged())
            .count();
        let status = if failing > 0 {
            GateStatus::Failed
        } else if unreadable > 0 {
            GateStatus::Unreadable
        } else if not_judged > 0 {
            GateStatus::NotJudged
        } else {
            GateStatus::Passed
        };
        let suppressions = || {
            records
                .iter()
                .flat_map(|r| &r.findings)
                .filter_map(|f| f.suppressed.as_ref())
        };
        let allowed = suppressions()
            .filter(|s| s.kind == SuppressionKind::Allow)
            .count();
        let baselined = suppressions()
            .filter(|s| s.kind == SuppressionKind::Baseline)
            .count();
        let allow_rules = policy
            .allow
            .iter()
            .map(|rule| AllowRuleUse {
                rule: rule.number,
                line: rule.line,
                matches: rule.describe(),
                reason: rule.reason.clone(),
                expires: rule.expires,
                expired: rule.is_expired(policy.today),
                findings: suppressions()
                    .filter(|s| s.kind == SuppressionKind::Allow && s.rule == Some(rule.number))
                    .count(),
            })
            .collect();
        let baseline = policy.baseline.as_ref().map(|b| {
            let stale = b.stale(
                records
                    .iter()
                    .filter_map(|r| Some((r, r.sha256.as_deref()?)))
                    .flat_map(|(r, sha)| r.findings.iter().map(move |f| (r.path.as_str(), sha, f))),
            );
            let new = records
                .iter()
                .flat_map(|r| &r.findings)
                .filter(|f| counts(f) && f.suppressed.is_none())
                .count();
            BaselineUse {
                file: b.source.clone(),
                entries: b.len(),
                known: baselined,
                new,
                stale,
            }
        });
        let mut effective = Totals::default();
        for r in records {
            *effective.slot(effective_of(r)) += 1;
        }
        Gate {
            fail_on: policy.fail_on,
            status,
            failing,
            unreadable,
            not_judged,
            allowed,
            baselined,
            effective,
            allow_rules,
            baseline,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::judge::sym;
    use crate::judge::{Code, Finding, Target};
    use crate::policy::Config;
    use crate::report::ClosureEntry;

    fn record(path: &str, own: Verdict, verdict: Verdict, findings: Vec<Finding>) -> Record {
        Record {
            path: path.into(),
            artifact: "app.tar".into(),
            image: None,
            sha256: Some(format!("{:064x}", path.len())),
            size: Some(1),
            verdict,
            own_verdict: own,
            reason: None,
            owner: None,
            closure: Vec::new(),
            elf: None,
            glibc_floor: None,
            findings,
            gate: None,
            verify: None,
        }
    }

    fn report() -> Report {
        let lib = record(
            "app.tar!/lib/libx.so",
            Verdict::Rebuild,
            Verdict::Rebuild,
            vec![
                Finding::new(Code::MissingSymbol, Verdict::Rebuild, "m")
                    .symbol(sym("foo@GLIBC_2.38")),
            ],
        );
        let blame = Finding::new(Code::BundledLibrary, Verdict::Rebuild, "bundled libx.so")
            .library("libx.so");
        let mut app = record(
            "app.tar!/bin/app",
            Verdict::Native,
            Verdict::Rebuild,
            vec![blame],
        );
        app.closure.push(ClosureEntry {
            library: "libx.so".into(),
            found: Some("app.tar!/lib/libx.so".into()),
            verdict: Some(Verdict::Rebuild),
            intended: None,
        });
        let target = Target {
            name: "alpine:3.22".into(),
            musl: crate::db::MuslVersion::new(1, 2, 5),
            gcompat: None,
            apkindex: None,
            installed: None,
            index_source: None,
        };
        Report::new(target, vec![lib, app])
    }

    fn policy(config: &str) -> Policy {
        let mut p = Policy::new(FailOn::Rebuild, Date::from_unix_days(20_000));
        p.allow = Config::parse(config).map(|c| c.allow).unwrap_or_default();
        p
    }

    #[test]
    fn allowing_a_bundled_library_clears_its_dependents() {
        let mut r = report();
        r.apply_policy(&policy(""));
        let fails: Vec<bool> = r.results.iter().map(Record::fails).collect();
        assert_eq!(fails, [true, true]);
        assert_eq!(r.gate.as_ref().map(|g| g.status), Some(GateStatus::Failed));

        let mut r = report();
        r.apply_policy(&policy("[[allow]]\nsymbol = \"foo\"\nreason = \"r\"\n"));
        let effective: Vec<Verdict> = r.results.iter().map(Record::gate_verdict).collect();
        assert_eq!(effective, [Verdict::Native, Verdict::Native]);
        let g = r.gate.as_ref().unwrap_or_else(|| panic!("gate"));
        assert_eq!((g.status, g.allowed, g.failing), (GateStatus::Passed, 1, 0));
        assert_eq!(g.effective.native, 2);
        assert_eq!(r.totals.rebuild, 2, "real verdicts are kept");

        // Alone, a record sees only the verdict its bundled-library finding carries.
        let mut app = report().results.remove(1);
        apply_record(
            &mut app,
            &policy("[[allow]]\nsymbol = \"foo\"\nreason = \"r\"\n"),
        );
        assert_eq!(app.gate_verdict(), Verdict::Rebuild);

        // Allowing the bundled-library finding itself clears the dependent only.
        let mut r = report();
        r.apply_policy(&policy(
            "[[allow]]\nid = \"bundled-library\"\nreason = \"r\"\n",
        ));
        let effective: Vec<Verdict> = r.results.iter().map(Record::gate_verdict).collect();
        assert_eq!(effective, [Verdict::Rebuild, Verdict::Native]);
    }

    #[test]
    fn baseline_counts_known_new_and_stale() {
        let mut r = report();
        let mut b = r.baseline();
        assert_eq!(
            b.len(),
            2,
            "the library's finding and the dependent's blame"
        );
        let gone = Finding::new(Code::DtRelr, Verdict::Rebuild, "m");
        b.insert("old/binary", "00", &gone);
        let mut p = policy("");
        p.baseline = Some(b);
        r.apply_policy(&p);
        let g = r.gate.as_ref().unwrap_or_else(|| panic!("gate"));
        let use_ = g
            .baseline
            .as_ref()
            .unwrap_or_else(|| panic!("baseline use"));
        assert_eq!(
            (use_.entries, use_.known, use_.new, use_.stale),
            (3, 2, 0, 1)
        );
        assert_eq!(g.status, GateStatus::Passed);
    }
}
