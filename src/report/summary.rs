//! Batch roll-ups: per-artifact worst verdicts, the symbols and libraries that block the most
//! binaries, and what to install.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::action::{self, Action};
use super::{Record, Totals};
use crate::inspect::owners::Owner;
use crate::judge::{Code, Fix, PackageConfidence, Verdict};
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
    /// Alpine packages to install for everything that can run (`gcompat`, `libstdc++`, ...):
    /// only packages the target's index (or the embedded table) provides.
    pub install: Vec<String>,
    /// Needed libraries no Alpine package is known to provide: bundle them (built for musl) or
    /// rebuild without them. Most binaries first.
    pub bundle_or_rebuild: Vec<Unavailable>,
    /// One roll-up per package that installed scanned files (wheel, npm, Debian, Alpine), as
    /// auditwheel reports a wheel: does it run, and how many of its files need work.
    pub packages: Vec<PackageRollup>,
}

/// A package's files, judged together.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct PackageRollup {
    /// Who owns the files.
    #[serde(flatten)]
    pub owner: Owner,
    /// Its worst verdict: `native` means every ELF file of it runs on stock musl.
    pub verdict: Verdict,
    /// Counts per verdict of its ELF files.
    pub totals: Totals,
}

impl PackageRollup {
    /// One line: "wheel numpy 2.1.0 runs on musl? no: 3 of 9 files need a rebuild".
    pub fn describe(&self) -> String {
        let o = &self.owner;
        let name = match &o.version {
            Some(v) => format!("{} {} {v}", o.ecosystem.describe(), o.name),
            None => format!("{} {}", o.ecosystem.describe(), o.name),
        };
        let t = &self.totals;
        let files = t.native + t.gcompat + t.rebuild + t.error;
        let answer = match self.verdict {
            Verdict::Native => format!("yes: all {files} ELF files run on stock musl"),
            Verdict::Gcompat => format!("with gcompat: {} of {files} ELF files need it", t.gcompat),
            Verdict::Rebuild => format!("no: {} of {files} ELF files need a rebuild", t.rebuild),
            Verdict::Error => format!(
                "unknown: {} of {files} ELF files could not be read",
                t.error
            ),
            Verdict::Skipped => "not judged".to_string(),
        };
        format!("{name} runs on musl? {answer}")
    }
}
/// A needed library that `apk add` cannot provide.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Unavailable {
    /// The DT_NEEDED name.
    pub library: String,
    /// How sure the package knowledge is.
    pub confidence: PackageConfidence,
    /// Number of binaries that need it.
    pub binaries: usize,
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
        let mut unavailable: BTreeMap<(&str, PackageConfidence), BTreeSet<&str>> = BTreeMap::new();
        for r in records {
            let rebuild = r.gate_verdict() == Verdict::Rebuild;
            for f in &r.findings {
                if f.id == Code::UnavailableLibrary {
                    if let (Some(l), Some(c)) = (&f.library, f.confidence) {
                        unavailable.entry((l, c)).or_default().insert(&r.path);
                    }
                }
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
        let mut bundle_or_rebuild: Vec<Unavailable> = unavailable
            .into_iter()
            .map(|((library, confidence), bins)| Unavailable {
                library: library.to_string(),
                confidence,
                binaries: bins.len(),
            })
            .collect();
        bundle_or_rebuild
            .sort_by(|a, b| b.binaries.cmp(&a.binaries).then(a.library.cmp(&b.library)));
        let mut owned: BTreeMap<&Owner, Vec<Record>> = BTreeMap::new();
        for r in records.iter().filter(|r| r.elf.is_some()) {
            if let Some(o) = &r.owner {
                owned.entry(o).or_default().push(r.clone());
            }
        }
        let packages = owned
            .into_iter()
            .map(|(owner, rs)| PackageRollup {
                owner: owner.clone(),
                verdict: rs
                    .iter()
                    .map(|r| r.verdict)
                    .max()
                    .unwrap_or(Verdict::Skipped),
                totals: Totals::of(&rs),
            })
            .collect();
        BatchSummary {
            artifacts,
            blockers,
            install: install_of(records.iter()),
            bundle_or_rebuild,
            packages,
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
