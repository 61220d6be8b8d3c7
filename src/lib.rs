//! muslcheck: will this prebuilt binary run on Alpine Linux (musl)?
//!
//! Data flows one way:
//!
//! ```text
//! input (files, trees, archives → named bytes) → inspect (ELF facts) → judge (facts + db +
//! target → verdict + findings; closure per unit) → policy (allow rules, baseline, --fail-on)
//! → report (text, JSON, JSONL, SARIF, JUnit, Markdown, HTML)
//! ```
//!
//! Each stage is a module; a module uses the types of earlier stages, never of later ones.
//! [`scan`] drives the stages in parallel for a batch.
#![deny(missing_docs)]

pub mod cache;
pub mod db;
pub mod input;
pub mod inspect;
pub mod judge;
pub mod merge;
pub mod policy;
pub mod report;
pub mod scan;
pub mod shard;
pub mod verify;

use sha2::{Digest, Sha256};

use crate::db::Db;
use crate::inspect::InspectError;
use crate::judge::{Code, Finding, Target, Verdict};
use crate::report::{ElfSummary, Record};

/// Analyse one input's bytes alone (no unit, so no bundled libraries): inspect, judge, conclude,
/// and wrap the result in a record.
pub fn analyse(name: &str, artifact: &str, data: &[u8], db: &Db, target: &Target) -> Record {
    let digest = Sha256::digest(data).into();
    let (mut record, node) = analyse_hashed_until(name, artifact, data, digest, db, target, None);
    if let Some(node) = node {
        conclude(&mut record, &[], node.musl_loader);
    }
    record
}

/// Conclude a judged record with its closure ([`judge::closure::conclude`]).
pub fn conclude(record: &mut Record, reached: &[judge::closure::Reached<'_>], musl_loader: &str) {
    if !record.own_verdict.is_judged() {
        return;
    }
    let c = judge::closure::conclude(&mut record.findings, reached, musl_loader);
    record.verdict = c.verdict;
    record.closure = c.closure;
    // Its own verdict counts its libraries as the unit provides them, without what a bundled
    // library contributes (that stays in `bundled-library` findings).
    record.own_verdict = judge::verdict_of(
        record
            .findings
            .iter()
            .filter(|f| f.id != judge::Code::BundledLibrary)
            .map(|f| f.impact),
    );
}

/// [`analyse`] for bytes whose SHA-256 the caller already computed, also returning what closure
/// resolution needs (for ELF files), and giving up at `deadline` (`--timeout`): the file then
/// gets a `skipped` record saying so, and the worker is free for the rest of the batch. The
/// record is not concluded yet: the caller resolves its closure and calls [`conclude`].
pub fn analyse_hashed_until(
    name: &str,
    artifact: &str,
    data: &[u8],
    digest: [u8; 32],
    db: &Db,
    target: &Target,
    deadline: Option<std::time::Instant>,
) -> (Record, Option<judge::closure::Node>) {
    let inspected = inspect::inspect_until(data, deadline);
    judge_inspected(
        name,
        artifact,
        data.len() as u64,
        digest,
        inspected,
        db,
        target,
    )
}

/// Judge what inspection found (fresh, or from the results cache: facts do not depend on the
/// target) and wrap it in a record; also returns what closure resolution needs.
pub fn judge_inspected(
    name: &str,
    artifact: &str,
    size: u64,
    digest: [u8; 32],
    inspected: Result<inspect::Facts, InspectError>,
    db: &Db,
    target: &Target,
) -> (Record, Option<judge::closure::Node>) {
    let sha256 = Some(hex(&digest));
    let mut record = Record {
        path: name.to_string(),
        artifact: artifact.to_string(),
        image: None,
        sha256,
        size: Some(size),
        verdict: Verdict::Skipped,
        own_verdict: Verdict::Skipped,
        reason: None,
        owner: None,
        closure: Vec::new(),
        elf: None,
        glibc_floor: None,
        findings: Vec::new(),
        gate: None,
        verify: None,
    };
    let mut node = None;
    match inspected {
        Err(InspectError::NotElf) => {
            record.reason = Some("not an ELF file".into());
            record.findings.push(Finding::new(
                Code::NotElf,
                Verdict::Skipped,
                "not an ELF file",
            ));
        }
        Err(InspectError::TimedOut) => {
            record.reason = Some(TIMED_OUT.into());
            record
                .findings
                .push(Finding::new(Code::NotJudged, Verdict::Skipped, TIMED_OUT));
        }
        Err(e @ InspectError::Malformed(_)) => {
            record.verdict = Verdict::Error;
            record.own_verdict = Verdict::Error;
            record.reason = Some(e.to_string());
            record.findings.push(Finding::new(
                Code::MalformedElf,
                Verdict::Error,
                e.to_string(),
            ));
        }
        Ok(facts) => {
            let j = judge::judge(&facts, db, target);
            record.verdict = j.verdict;
            record.own_verdict = j.verdict;
            record.elf = Some(ElfSummary::from_facts(&facts));
            record.findings = j.findings;
            record.glibc_floor = j.glibc_floor;
            if j.verdict == Verdict::Skipped {
                record.reason = record.findings.first().map(|f| f.message.clone());
            }
            node = Some(judge::closure::Node {
                path: String::new(),
                needed: facts.needed,
                rpath: facts.rpath,
                runpath: facts.runpath,
                musl_loader: judge::musl_loader(db, facts.arch),
            });
        }
    }
    (record, node)
}

/// Why a file whose inspection passed its deadline is `skipped`.
pub const TIMED_OUT: &str = "time limit reached while reading this file (--timeout)";

/// The `skipped` record of a file that is not ELF.
pub fn not_elf(name: &str, artifact: &str) -> Record {
    let mut r = skipped(name, artifact, "not an ELF file");
    r.findings.push(Finding::new(
        Code::NotElf,
        Verdict::Skipped,
        "not an ELF file",
    ));
    r
}

/// The `skipped` record of a file a limit kept from being judged (`not-judged`: the gate fails
/// closed on it).
pub fn not_judged(name: &str, artifact: &str, reason: &str) -> Record {
    let mut r = skipped(name, artifact, reason);
    r.findings
        .push(Finding::new(Code::NotJudged, Verdict::Skipped, reason));
    r
}

/// A `skipped` record for an input that is not judged (not ELF, limit hit, nothing inside).
pub fn skipped(name: &str, artifact: &str, reason: &str) -> Record {
    let mut r = unreadable(name, artifact, reason);
    r.verdict = Verdict::Skipped;
    r.own_verdict = Verdict::Skipped;
    r.reason = Some(reason.to_string());
    r
}

/// A record for an input whose bytes could not be read at all.
pub fn unreadable(name: &str, artifact: &str, why: &str) -> Record {
    Record {
        path: name.to_string(),
        artifact: artifact.to_string(),
        image: None,
        sha256: None,
        size: None,
        verdict: Verdict::Error,
        own_verdict: Verdict::Error,
        reason: Some(format!("cannot read: {why}")),
        owner: None,
        closure: Vec::new(),
        elf: None,
        glibc_floor: None,
        findings: Vec::new(),
        gate: None,
        verify: None,
    }
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// Lines for `muslcheck db extract`: the defined dynamic exports of an ELF file.
///
/// Plain mode prints `name TYPE` (FUNC and OBJECT only), the format of `symbol-db/musl/`.
/// glibc mode prints `library name version TYPE default|compat`, the format of
/// `symbol-db/glibc/`, with the file's DT_SONAME as library. Version-definition marker
/// symbols (a symbol named like its own version) are dropped.
pub fn extract_exports(data: &[u8], glibc: bool) -> Result<Vec<String>, InspectError> {
    use inspect::SymType;
    let facts = inspect::inspect(data)?;
    let lib = facts.soname.clone().unwrap_or_default();
    let mut lines: Vec<String> = facts
        .exports
        .iter()
        .filter(|e| e.version.as_deref() != Some(e.name.as_str()))
        .filter_map(|e| {
            let ty = match e.sym_type {
                SymType::Func => "FUNC",
                SymType::Object => "OBJECT",
                SymType::Ifunc if glibc => "IFUNC",
                SymType::Tls if glibc => "TLS",
                _ => return None,
            };
            Some(if glibc {
                let kind = if e.hidden { "compat" } else { "default" };
                format!(
                    "{lib} {} {} {ty} {kind}",
                    e.name,
                    e.version.as_deref().unwrap_or("-")
                )
            } else {
                format!("{} {ty}", e.name)
            })
        })
        .collect();
    lines.sort();
    lines.dedup();
    Ok(lines)
}
