//! Batch roll-ups: per-artifact worst verdicts, the symbols and libraries that block the most
//! binaries, and what to install.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::action::{self, Action};
use super::{Record, Totals};
use crate::judge::{Code, Fix, Verdict};
use crate::policy::{blocking, is_blocking};

/// One top-level input's roll-up.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct ArtifactRollup {
    /// The top-level input.
    pub artifact: String,
    /// Its worst verdict (errors count as worst).
    pub verdict: Verdict,
    /// Counts per verdict of the records inside it.
    pub totals: Totals,
    /// What holds its worst binary back: the first finding at that binary's verdict.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub blocker: Option<WorstFinding>,
    /// What to do about it, in one line.
    pub action: Action,
}

/// The finding that decides an artifact's verdict.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct WorstFinding {
    /// The finding ID.
    pub id: Code,
    /// The symbol (without version) or library it is about, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The file it was found in.
    pub path: String,
    /// Its fix, if it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
}

/// A symbol or library that stops binaries from running.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Blocker {
    /// `symbol` or `library`.
    pub kind: &'static str,
    /// The symbol (without version) or library name.
    pub name: String,
    /// The finding ID.
    pub id: Code,
    /// Number of binaries it blocks.
    pub binaries: usize,
    /// Number of artifacts those binaries come from.
    pub artifacts: usize,
    /// The fix of the first such finding (`rebuild against musl`, `apk add …`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
}

/// Roll-ups across the batch.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct BatchSummary {
    /// One roll-up per top-level input, in input order.
    pub artifacts: Vec<ArtifactRollup>,
    /// What blocks binaries from running even with gcompat: the blocking findings
    /// ([`is_blocking`]) of records counted as rebuild, most binaries first.
    pub blockers: Vec<Blocker>,
    /// Alpine packages to install for everything that can run (`gcompat`, `libstdc++`, ...).
    pub install: Vec<String>,
}

/// The binaries and artifacts one blocker stops, and its first fix.
type Blocked<'a> = (BTreeSet<&'a str>, BTreeSet<&'a str>, Option<&'a Fix>);

/// How many blockers to keep.
const TOP_BLOCKERS: usize = 20;

impl BatchSummary {
    /// Compute the roll-ups of a set of records.
    pub fn of(records: &[Record]) -> Self {
        let mut order: Vec<&str> = Vec::new();
        let mut per: BTreeMap<&str, Vec<&Record>> = BTreeMap::new();
        for r in records {
            if !per.contains_key(r.artifact.as_str()) {
                order.push(&r.artifact);
            }
            per.entry(&r.artifact).or_default().push(r);
        }
        let artifacts = order
            .iter()
            .filter_map(|a| {
                let rs = per.get(a)?;
                let verdict = rs
                    .iter()
                    .map(|r| r.verdict)
                    .max()
                    .unwrap_or(Verdict::Skipped);
                let mut totals = Totals::default();
                for r in rs {
                    *totals.slot(r.verdict) += 1;
                }
                Some(ArtifactRollup {
                    artifact: a.to_string(),
                    verdict,
                    totals,
                    blocker: worst_finding(rs),
                    action: action::of(a, rs, install_of(rs.iter().copied())),
                })
            })
            .collect();

        // (kind, name, id) → (binaries, artifacts) it blocks
        let mut blocks: BTreeMap<(&'static str, String, Code), Blocked> = BTreeMap::new();
        for r in records {
            let rebuild = r.gate_verdict() == Verdict::Rebuild;
            for f in &r.findings {
                if rebuild && is_blocking(r, f) {
                    let (kind, name) = match (&f.symbol, &f.library) {
                        (Some(s), _) => ("symbol", s.name.clone()),
                        (None, Some(l)) => ("library", l.clone()),
                        (None, None) => continue,
                    };
                    let e = blocks.entry((kind, name, f.id)).or_default();
                    e.0.insert(&r.path);
                    e.1.insert(&r.artifact);
                    e.2 = e.2.or(f.fix.as_ref());
                }
            }
        }
        let mut blockers: Vec<Blocker> = blocks
            .into_iter()
            .map(|((kind, name, id), (bins, arts, fix))| Blocker {
                kind,
                name,
                id,
                binaries: bins.len(),
                artifacts: arts.len(),
                fix: fix.map(Fix::to_string),
            })
            .collect();
        blockers.sort_by(|a, b| b.binaries.cmp(&a.binaries).then(a.name.cmp(&b.name)));
        blockers.truncate(TOP_BLOCKERS);
        BatchSummary {
            artifacts,
            blockers,
            install: install_of(records.iter()),
        }
    }
}

/// The Alpine packages that the records which can run at all need (from their fixes).
fn install_of<'a>(records: impl Iterator<Item = &'a Record>) -> Vec<String> {
    let mut install = BTreeSet::new();
    for r in records.filter(|r| (Verdict::Native..=Verdict::Gcompat).contains(&r.verdict)) {
        for f in r.findings.iter().filter(|f| f.impact <= r.verdict) {
            if let Some(fix) = &f.fix {
                install.extend(fix.install.iter().cloned());
            }
        }
    }
    install.into_iter().collect()
}

/// The first blocking finding of the artifact's first worst judged binary (by the verdict that
/// counts for the gate).
fn worst_finding(records: &[&Record]) -> Option<WorstFinding> {
    let verdict = records
        .iter()
        .map(|r| r.gate_verdict())
        .filter(|v| (Verdict::Gcompat..=Verdict::Rebuild).contains(v))
        .max()?;
    let worst = records.iter().find(|r| r.gate_verdict() == verdict)?;
    let f = blocking(worst).next()?;
    Some(WorstFinding {
        id: f.id,
        name: match (&f.symbol, &f.library) {
            (Some(s), _) => Some(s.name.clone()),
            (None, l) => l.clone(),
        },
        path: worst.path.clone(),
        fix: f.fix.as_ref().map(Fix::to_string),
    })
}
