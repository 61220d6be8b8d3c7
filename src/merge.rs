//! `muslcheck merge` (#13): the JSONL reports of `scan --shard K/N` runs → the records of one run
//! over everything, in its order, ready for the policy and any report format.
//!
//! Refused (fail closed): a file that is not a muslcheck JSONL report, one without its summary
//! line (a shard that died), shards judged for different targets, by different muslcheck
//! versions, with different symbol databases or different package indexes (`--apkindex`, whose
//! description the merged report keeps), and a set of shards with one missing or twice.
//! Each shard's records are checked against its own summary totals. The gate is not taken from
//! the shards: the records' gate fields and suppressions are dropped, and the caller applies the
//! policy again to the whole, as one run would.

use std::fmt;

use serde_json::Value;

use crate::judge::Target;
use crate::report::{FindingParts, Record, SCHEMA_VERSION, Totals};
use crate::shard::Part;

/// Why shards cannot be merged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MergeError(pub String);

impl fmt::Display for MergeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for MergeError {}

/// One run's worth of records.
#[derive(Debug)]
pub struct Merged {
    /// The target every shard judged for.
    pub target: Target,
    /// The records, in the order one run over all inputs gives.
    pub records: Vec<Record>,
}

/// What one file holds.
struct Shard {
    name: String,
    /// Header fields that must agree between shards.
    agree: Vec<(&'static str, Value)>,
    /// The target, without its package index description (compared on its own, in `agree`).
    target: Value,
    /// The package index description (`target.apkindex`), null without one.
    index: Value,
    part: Option<Part>,
    records: Vec<Record>,
}

fn err(file: &str, msg: impl fmt::Display) -> MergeError {
    MergeError(format!("{file}: {msg}"))
}

fn read(name: &str, text: &str) -> Result<Shard, MergeError> {
    let mut lines = text.lines().filter(|l| !l.trim().is_empty()).enumerate();
    let (_, first) = lines.next().ok_or_else(|| err(name, "empty file"))?;
    let header: Value =
        serde_json::from_str(first).map_err(|e| err(name, format!("line 1 is not JSON ({e})")))?;
    let field = |p: &str| header.pointer(p).cloned().unwrap_or(Value::Null);
    if field("/type") != "header" {
        return Err(err(
            name,
            "not a muslcheck JSONL report (`scan --format jsonl`): no header line",
        ));
    }
    if field("/schema_version") != SCHEMA_VERSION {
        return Err(err(
            name,
            format!(
                "report schema version {} cannot be merged by this muslcheck (version {SCHEMA_VERSION})",
                field("/schema_version")
            ),
        ));
    }
    let part = match header.get("shard") {
        None | Some(Value::Null) => None,
        Some(v) => Some(
            serde_json::from_value::<Part>(v.clone())
                .map_err(|e| err(name, format!("bad shard in header ({e})")))?,
        ),
    };
    let mut records = Vec::new();
    let mut totals = None;
    for (i, l) in lines {
        if totals.is_some() {
            return Err(err(name, format!("line {}: after the summary line", i + 1)));
        }
        let mut v: Value = serde_json::from_str(l)
            .map_err(|e| err(name, format!("line {} is not JSON ({e})", i + 1)))?;
        let Some(obj) = v.as_object_mut() else {
            return Err(err(name, format!("line {} is not an object", i + 1)));
        };
        match obj.remove("type").as_ref().and_then(Value::as_str) {
            Some("record") => {
                // The gate is applied again to the whole: one shard's standing is not the run's.
                obj.remove("effective_verdict");
                obj.remove("fails");
                let parts = obj.remove("finding_parts").unwrap_or_default();
                let parts: Vec<FindingParts> = serde_json::from_value(parts)
                    .map_err(|e| err(name, format!("line {}: bad finding_parts ({e})", i + 1)))?;
                let mut r: Record = serde_json::from_value(v)
                    .map_err(|e| err(name, format!("line {}: bad record ({e})", i + 1)))?;
                r.gate = None;
                if parts.len() != r.findings.len() {
                    return Err(err(
                        name,
                        format!("line {}: finding_parts do not match the findings", i + 1),
                    ));
                }
                for (f, p) in r.findings.iter_mut().zip(parts) {
                    f.suppressed = None;
                    if !p.restore(f) {
                        return Err(err(
                            name,
                            format!("line {}: finding_parts do not match the findings", i + 1),
                        ));
                    }
                }
                records.push(r);
            }
            Some("summary") => {
                let t: Totals = serde_json::from_value(obj.remove("totals").unwrap_or_default())
                    .map_err(|e| err(name, format!("line {}: bad totals ({e})", i + 1)))?;
                totals = Some(t);
            }
            other => {
                return Err(err(
                    name,
                    format!("line {}: unexpected line type {other:?}", i + 1),
                ));
            }
        }
    }
    let Some(totals) = totals else {
        return Err(err(
            name,
            "no summary line: the shard did not finish (its report is incomplete)",
        ));
    };
    if totals != Totals::of(&records) {
        return Err(err(
            name,
            "the records do not add up to the summary's totals (the file was changed or cut)",
        ));
    }
    // The package index is compared on its own, for a message that names it.
    let mut target = field("/target");
    let index = target
        .as_object_mut()
        .and_then(|t| t.remove("apkindex"))
        .unwrap_or(Value::Null);
    let agree = vec![
        ("muslcheck version", field("/tool/version")),
        ("symbol database", field("/symbol_db")),
        ("package index (--apkindex)", index.clone()),
    ];
    Ok(Shard {
        name: name.to_string(),
        agree,
        target,
        index,
        part,
        records,
    })
}

/// Merge shard reports given as (file name, contents).
pub fn merge(files: &[(String, String)]) -> Result<Merged, MergeError> {
    let shards = files
        .iter()
        .map(|(n, t)| read(n, t))
        .collect::<Result<Vec<_>, _>>()?;
    let Some(first) = shards.first() else {
        return Err(MergeError("no reports to merge".into()));
    };
    for s in &shards {
        if s.target != first.target {
            return Err(MergeError(format!(
                "{} judged for {}, {} for {}: shards of one run judge for one target",
                first.name, first.target, s.name, s.target
            )));
        }
        for ((what, a), (_, b)) in first.agree.iter().zip(&s.agree) {
            if a != b {
                return Err(MergeError(format!(
                    "{} was made with {what} {a}, {} with {b}: refusing to mix them",
                    first.name, s.name
                )));
            }
        }
    }
    let mut target: Target = serde_json::from_value(first.target.clone())
        .map_err(|e| err(&first.name, format!("bad target in header ({e})")))?;
    // What the shards' package knowledge came from stays in the merged report.
    if !first.index.is_null() {
        target.index_source = Some(
            serde_json::from_value(first.index.clone())
                .map_err(|e| err(&first.name, format!("bad apkindex in header ({e})")))?,
        );
    }
    let records = if shards.iter().all(|s| s.part.is_none()) {
        shards.into_iter().flat_map(|s| s.records).collect()
    } else {
        in_run_order(shards)?
    };
    Ok(Merged { target, records })
}

/// Check that the shards are exactly 0..N of one split, then order the records by input.
fn in_run_order(shards: Vec<Shard>) -> Result<Vec<Record>, MergeError> {
    let count = shards
        .iter()
        .find_map(|s| s.part.as_ref().map(|p| p.shard.count))
        .unwrap_or(1);
    let mut seen = vec![None::<String>; count as usize];
    for s in &shards {
        let Some(p) = &s.part else {
            return Err(MergeError(format!(
                "{} is not a shard (no --shard), the others are",
                s.name
            )));
        };
        if p.shard.count != count {
            return Err(MergeError(format!(
                "{} is shard {} but others are of {count}",
                s.name, p.shard
            )));
        }
        match seen.get_mut(p.shard.index as usize) {
            Some(Some(other)) => {
                return Err(MergeError(format!(
                    "{} and {} are both shard {}",
                    other, s.name, p.shard
                )));
            }
            Some(slot) => *slot = Some(s.name.clone()),
            None => return Err(MergeError(format!("{}: bad shard {}", s.name, p.shard))),
        }
    }
    let missing: Vec<String> = seen
        .iter()
        .enumerate()
        .filter(|(_, s)| s.is_none())
        .map(|(i, _)| format!("{i}/{count}"))
        .collect();
    if !missing.is_empty() {
        return Err(MergeError(format!(
            "shard {} missing: a merge of part of the shards would look like a run over everything",
            missing.join(", ")
        )));
    }
    let mut blocks: Vec<(usize, Vec<Record>)> = Vec::new();
    for s in shards {
        let inputs = s.part.map(|p| p.inputs).unwrap_or_default();
        blocks.extend(split_by_input(&inputs, s.records));
    }
    blocks.sort_by_key(|(i, _)| *i);
    for (_, b) in &mut blocks {
        // A directory's records are streamed as they become final: back to the walk's order
        // (a stable sort keeps an archive's members in the archive's order).
        b.sort_by(|x, y| walk_order(&x.path).cmp(walk_order(&y.path)));
    }
    Ok(blocks.into_iter().flat_map(|(_, r)| r).collect())
}

/// A record's place in a directory walk: the path's components (up to the first archive
/// member), compared in byte order as the walk sorts each directory's entries.
fn walk_order(path: &str) -> impl Iterator<Item = &str> + Clone {
    let file = path.split('!').next().unwrap_or(path);
    file.split('/').filter(|c| !c.is_empty())
}

/// True when a record's path is inside the input `name`: the input itself, a file under it or
/// a member of it.
fn belongs(path: &str, name: &str) -> bool {
    match path.strip_prefix(name) {
        Some(rest) => rest.is_empty() || name.ends_with('/') || rest.starts_with(['/', '!']),
        None => false,
    }
}

/// A shard's records, cut at its inputs: every input gives at least one record, in input order,
/// and each record's path starts with its input's name.
fn split_by_input(inputs: &[(usize, String)], records: Vec<Record>) -> Vec<(usize, Vec<Record>)> {
    let mut blocks: Vec<(usize, Vec<Record>)> = Vec::new();
    let mut next = inputs.iter();
    for r in records {
        let stay = blocks
            .last()
            .is_some_and(|(i, _)| inputs.iter().any(|(j, n)| j == i && belongs(&r.path, n)));
        if !stay {
            if let Some((i, _)) = next.next() {
                blocks.push((*i, Vec::new()));
            }
        }
        match blocks.last_mut() {
            Some((_, b)) => b.push(r),
            None => blocks.push((usize::MAX, vec![r])),
        }
    }
    blocks
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(path: &str) -> Record {
        crate::skipped(path, path, "x")
    }

    #[test]
    fn records_are_cut_at_their_inputs() {
        let inputs = vec![
            (3, "a".to_string()),
            (7, "b".to_string()),
            (9, "ab".to_string()),
        ];
        let recs = vec![
            rec("a/x"),
            rec("a!/y"),
            rec("b"),
            rec("ab!/z"),
            rec("ab!/w"),
        ];
        let got: Vec<(usize, Vec<String>)> = split_by_input(&inputs, recs)
            .into_iter()
            .map(|(i, r)| (i, r.into_iter().map(|r| r.path).collect()))
            .collect();
        assert_eq!(
            got,
            vec![
                (3, vec!["a/x".into(), "a!/y".into()]),
                (7, vec!["b".into()]),
                (9, vec!["ab!/z".into(), "ab!/w".into()]),
            ]
        );
    }
}
