//! Stage 4, report: the serialisable report model and its renderers.
//!
//! One [`Report`] drives every format; a renderer is a pure function of it. Renderers know no
//! ELF and no database, and decide nothing: verdicts come from the judge, effective verdicts,
//! what blocks and what fails from the policy ([`crate::policy`]), already in the report.

mod action;
mod html;
mod json;
mod jsonl;
mod junit;
mod markdown;
mod sarif;
pub mod summary;
mod table;
mod text;
mod verify;

use serde::{Deserialize, Serialize};

use crate::inspect::{Arch, Kind, Libc};
use crate::judge::{Finding, GlibcFloor, Target, Verdict};

pub use crate::judge::closure::ClosureEntry;
pub use crate::policy::{Gate, GateStatus, RecordGate};
pub use action::Action;
pub use html::render_html;
pub use json::{SCHEMA, SCHEMA_VERSION, render_json};
pub use jsonl::{
    FindingParts, render_jsonl, render_jsonl_header, render_jsonl_record, render_jsonl_summary,
};
pub use junit::render_junit;
pub use markdown::render_markdown;
pub use sarif::render_sarif;
pub use table::render_table;
pub use text::{TextOptions, render_gate_line, render_text};

/// A constant name read back from a report (`muslcheck merge`): one of `names`, else `unknown`.
pub(crate) fn known(s: &str, names: &[&'static str]) -> &'static str {
    names.iter().copied().find(|n| *n == s).unwrap_or("unknown")
}

/// The short facts shown next to a verdict.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ElfSummary {
    /// Architecture.
    pub arch: String,
    /// Executable, PIE, shared library, static…
    pub kind: Kind,
    /// libc flavour from evidence.
    pub libc: Libc,
    /// PT_INTERP.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interpreter: Option<String>,
    /// DT_SONAME.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub soname: Option<String>,
    /// DT_NEEDED.
    pub needed: Vec<String>,
}

impl ElfSummary {
    /// Build from facts.
    pub fn from_facts(f: &crate::inspect::Facts) -> Self {
        ElfSummary {
            arch: match f.arch {
                Arch::Other(_) => format!("{} ({}-bit)", f.arch.name(), f.bits),
                a => a.name(),
            },
            kind: f.kind,
            libc: f.libc,
            interpreter: f.interpreter.clone(),
            soname: f.soname.clone(),
            needed: f.needed.clone(),
        }
    }
}

/// One input's result. Every input gets exactly one record.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Record {
    /// The input as given (archive members: `artifact!/member`).
    pub path: String,
    /// The top-level input it came from.
    pub artifact: String,
    /// For a file in a container image: the image, the path inside it, and its layer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image: Option<crate::input::ImageOrigin>,
    /// SHA-256 of the file's bytes, when they could be read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    /// Size in bytes, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
    /// Verdict accounting for everything known (equal to `own_verdict` until closures exist).
    pub verdict: Verdict,
    /// Verdict of the file's own findings: its symbols, loader and relocations, and its needed
    /// libraries as the scanned unit resolves them, but not what a bundled library it loads
    /// contributes (that is `verdict`, through `bundled-library` findings).
    pub own_verdict: Verdict,
    /// Why the file was skipped or could not be judged.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The package that installed the file, when the scanned tree, archive or image records it
    /// (dpkg, apk, a wheel's RECORD, npm's package.json).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner: Option<crate::inspect::owners::Owner>,
    /// Libraries this file needs that were resolved inside the same scanned unit (closure).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub closure: Vec<ClosureEntry>,
    /// Short ELF facts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub elf: Option<ElfSummary>,
    /// The oldest glibc that can run the file and the imports that set it (glibc-built files, #6).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub glibc_floor: Option<GlibcFloor>,
    /// Findings, worst first.
    pub findings: Vec<Finding>,
    /// Standing under the policy (`effective_verdict`, `fails`), once a policy is applied.
    #[serde(flatten)]
    pub gate: Option<RecordGate>,
    /// What the host's loader and a run said (`muslcheck verify`, #10).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verify: Option<crate::verify::Observation>,
}

impl Record {
    /// The verdict that counts for the gate: the effective verdict once a policy is applied.
    pub fn gate_verdict(&self) -> Verdict {
        self.gate.map_or(self.verdict, |g| g.effective_verdict)
    }

    /// True when this record fails the gate: as the applied policy decided, or, before a
    /// policy is applied, under the default `--fail-on`.
    pub fn fails(&self) -> bool {
        self.gate.map_or_else(
            || crate::policy::FailOn::default().fails(self.verdict),
            |g| g.fails,
        )
    }
}

/// What a finding is about, as reports name it: `name@VERSION`, or the library.
pub(crate) fn subject(f: &Finding) -> Option<String> {
    match (&f.symbol, &f.library) {
        (Some(s), _) => Some(s.to_string()),
        (None, Some(l)) => Some(l.clone()),
        (None, None) => None,
    }
}

/// Count of records per verdict.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Totals {
    /// Records judged native.
    pub native: usize,
    /// Records needing gcompat.
    pub gcompat: usize,
    /// Records needing a rebuild.
    pub rebuild: usize,
    /// Records skipped (not ELF, other architecture).
    pub skipped: usize,
    /// Records that could not be read or parsed.
    pub error: usize,
}

impl Totals {
    /// Count the verdicts of `records`.
    pub fn of(records: &[Record]) -> Self {
        let mut t = Totals::default();
        for r in records {
            *t.slot(r.verdict) += 1;
        }
        t
    }

    /// The counter of one verdict.
    pub fn slot(&mut self, v: Verdict) -> &mut usize {
        match v {
            Verdict::Native => &mut self.native,
            Verdict::Gcompat => &mut self.gcompat,
            Verdict::Rebuild => &mut self.rebuild,
            Verdict::Skipped => &mut self.skipped,
            Verdict::Error => &mut self.error,
        }
    }

    /// The count of one verdict.
    pub fn get(&self, v: Verdict) -> usize {
        match v {
            Verdict::Native => self.native,
            Verdict::Gcompat => self.gcompat,
            Verdict::Rebuild => self.rebuild,
            Verdict::Skipped => self.skipped,
            Verdict::Error => self.error,
        }
    }
}

/// Name and version of the tool, for machine-readable reports.
#[derive(Clone, Debug, Serialize)]
pub struct Tool {
    /// `muslcheck`.
    pub name: &'static str,
    /// Crate version.
    pub version: &'static str,
}

impl Default for Tool {
    fn default() -> Self {
        Tool {
            name: "muslcheck",
            version: env!("CARGO_PKG_VERSION"),
        }
    }
}

/// The whole run.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    /// Schema URI of this document.
    pub schema: &'static str,
    /// Schema version (bumped on breaking changes).
    pub schema_version: u32,
    /// The tool.
    pub tool: Tool,
    /// What was judged against.
    pub target: Target,
    /// One record per input, in input order.
    pub results: Vec<Record>,
    /// Totals per verdict.
    pub totals: Totals,
    /// Roll-ups across the batch.
    pub summary: summary::BatchSummary,
    /// The CI gate's outcome, once a policy is applied ([`Report::apply_policy`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gate: Option<Gate>,
    /// For `scan --shard`: which share of the inputs this report covers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shard: Option<crate::shard::Part>,
    /// Agreement with the host's loader (`muslcheck verify`, #10).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verify: Option<crate::verify::Summary>,
}

impl Report {
    /// Assemble a report.
    pub fn new(target: Target, results: Vec<Record>) -> Self {
        let totals = Totals::of(&results);
        let summary = summary::BatchSummary::of(&results);
        Report {
            schema: SCHEMA,
            schema_version: SCHEMA_VERSION,
            tool: Tool::default(),
            target,
            results,
            totals,
            summary,
            gate: None,
            shard: None,
            verify: None,
        }
    }
}

/// `1 file`, `2 files`; `1 binary`, `2 binaries`.
pub fn plural(n: usize, word: &str) -> String {
    match (n, word.strip_suffix('y')) {
        (1, _) => format!("1 {word}"),
        (_, Some(stem)) if !stem.ends_with(['a', 'e', 'o', 'u']) => format!("{n} {stem}ies"),
        _ => format!("{n} {word}s"),
    }
}
