//! Baselines: the findings a team has already seen, so that CI fails only on new ones.
//!
//! An entry records (path, SHA-256 of the file, finding ID, symbol, library). It matches on
//! content first: the same bytes with the same finding are known wherever they are now (an
//! archive renamed from app-1.0.tgz to app-1.1.tgz, a relative path given as an absolute one).
//! Path is second: an entry without a hash (written by hand) matches by path, after
//! `--strip-prefix`. A vendor binary that changes gets a new hash, so all its findings are
//! judged afresh, even ones that look the same. The file is JSON (`muslcheck-baseline`, version 1), sorted, so that it diffs well in
//! review:
//!
//! ```json
//! {"schema": "muslcheck-baseline", "version": 1, "tool": "muslcheck 0.1.0",
//!  "target": "alpine:3.22 (musl 1.2.5, gcompat 1.1.0)",
//!  "entries": [{"path": "vendor/tool", "sha256": "…", "id": "missing-symbol",
//!               "symbol": "fcntl64@GLIBC_2.28"}]}
//! ```

use std::collections::{BTreeSet, HashSet};
use std::fmt;

use serde::{Deserialize, Serialize};

use super::allow::strip_dot_slash;
use crate::judge::Finding;

/// The `schema` value of a baseline file.
pub const BASELINE_SCHEMA: &str = "muslcheck-baseline";
const VERSION: u32 = 1;

/// One known finding.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BaselineEntry {
    /// Report path of the input (a leading `./` removed).
    pub path: String,
    /// SHA-256 of the input's bytes; empty: match by path (a hand-written entry).
    #[serde(default)]
    pub sha256: String,
    /// Finding ID.
    pub id: String,
    /// The finding's symbol, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub symbol: Option<String>,
    /// The finding's library, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub library: Option<String>,
}

impl BaselineEntry {
    /// The key of `finding` in the input at `path` with hash `sha256`.
    pub fn of(path: &str, sha256: &str, finding: &Finding) -> Self {
        BaselineEntry {
            path: strip_dot_slash(path).to_string(),
            sha256: sha256.to_string(),
            id: finding.id.id().to_string(),
            symbol: finding.symbol.as_ref().map(ToString::to_string),
            library: finding.library.clone(),
        }
    }

    /// What content matching compares: everything but the path.
    fn content_key(&self) -> Key {
        (
            self.sha256.clone(),
            self.id.clone(),
            self.symbol.clone(),
            self.library.clone(),
        )
    }

    /// What path matching compares: everything but the hash.
    fn path_key(&self) -> Key {
        (
            self.path.clone(),
            self.id.clone(),
            self.symbol.clone(),
            self.library.clone(),
        )
    }
}

/// (hash or path, ID, symbol, library).
type Key = (String, String, Option<String>, Option<String>);

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct BaselineFile {
    schema: String,
    version: u32,
    #[serde(default)]
    tool: String,
    #[serde(default)]
    target: String,
    entries: Vec<BaselineEntry>,
}

/// A set of known findings.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Baseline {
    /// What the baseline was judged for (`Target::describe`), to warn on a mismatch.
    pub target: String,
    /// Where it was read from, for messages (set by the caller).
    pub source: Option<String>,
    entries: BTreeSet<BaselineEntry>,
    /// Prefixes removed from report paths before they are recorded or matched.
    strip: Vec<String>,
}

/// A baseline file that cannot be used.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BaselineError(pub String);

impl fmt::Display for BaselineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for BaselineError {}

impl Baseline {
    /// An empty baseline for a target.
    pub fn new(target: &str) -> Self {
        Baseline {
            target: target.to_string(),
            source: None,
            entries: BTreeSet::new(),
            strip: Vec::new(),
        }
    }

    /// Remove `prefix` from paths (`--strip-prefix`): from the entries held, and from every path
    /// recorded or matched later, so that a baseline written in one checkout matches another.
    pub fn strip_prefix(&mut self, prefix: &str) {
        self.strip.push(prefix.to_string());
        let entries = std::mem::take(&mut self.entries);
        self.entries = entries
            .into_iter()
            .map(|mut e| {
                e.path = self.local(&e.path);
                e
            })
            .collect();
    }

    /// A report path as the baseline records it.
    fn local(&self, path: &str) -> String {
        let mut p = strip_dot_slash(path);
        for prefix in &self.strip {
            if let Some(rest) = p.strip_prefix(prefix.as_str()) {
                p = strip_dot_slash(rest.trim_start_matches('/'));
            }
        }
        p.to_string()
    }

    fn entry(&self, path: &str, sha256: &str, finding: &Finding) -> BaselineEntry {
        BaselineEntry::of(&self.local(path), sha256, finding)
    }

    /// Record a finding.
    pub fn insert(&mut self, path: &str, sha256: &str, finding: &Finding) {
        let e = self.entry(path, sha256, finding);
        self.entries.insert(e);
    }

    /// Is this finding known? By content (hash, ID, symbol, library) wherever the file now is;
    /// or, for entries without a hash, by path.
    pub fn contains(&self, path: &str, sha256: &str, finding: &Finding) -> bool {
        let e = self.entry(path, sha256, finding);
        let (content, by_path) = (e.content_key(), e.path_key());
        self.entries.iter().any(|k| {
            if k.sha256.is_empty() {
                k.path_key() == by_path
            } else {
                k.content_key() == content
            }
        })
    }

    /// How many entries no finding of `found` (path, hash, finding) matches: fixed, removed or
    /// changed binaries.
    pub fn stale<'a>(
        &self,
        found: impl IntoIterator<Item = (&'a str, &'a str, &'a Finding)>,
    ) -> usize {
        let mut content: HashSet<Key> = HashSet::new();
        let mut paths: HashSet<Key> = HashSet::new();
        for (path, sha, f) in found {
            let e = self.entry(path, sha, f);
            content.insert(e.content_key());
            paths.insert(e.path_key());
        }
        self.entries
            .iter()
            .filter(|k| {
                if k.sha256.is_empty() {
                    !paths.contains(&k.path_key())
                } else {
                    !content.contains(&k.content_key())
                }
            })
            .count()
    }

    /// The entries, sorted.
    pub fn entries(&self) -> impl ExactSizeIterator<Item = &BaselineEntry> {
        self.entries.iter()
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when no finding is known.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Parse a baseline file's text.
    pub fn parse(text: &str) -> Result<Baseline, BaselineError> {
        let file: BaselineFile = serde_json::from_str(text)
            .map_err(|e| BaselineError(format!("not a muslcheck baseline: {e}")))?;
        if file.schema != BASELINE_SCHEMA {
            return Err(BaselineError(format!(
                "not a muslcheck baseline (schema is '{}', expected '{BASELINE_SCHEMA}')",
                file.schema
            )));
        }
        if file.version != VERSION {
            return Err(BaselineError(format!(
                "baseline version {} is not supported (this muslcheck reads version {VERSION}); \
                 write a new one with --write-baseline",
                file.version
            )));
        }
        Ok(Baseline {
            target: file.target,
            source: None,
            entries: file.entries.into_iter().collect(),
            strip: Vec::new(),
        })
    }

    /// The baseline file's text: pretty JSON, entries sorted, ending in a newline.
    pub fn render(&self) -> String {
        let file = BaselineFile {
            schema: BASELINE_SCHEMA.into(),
            version: VERSION,
            tool: format!("muslcheck {}", env!("CARGO_PKG_VERSION")),
            target: self.target.clone(),
            entries: self.entries.iter().cloned().collect(),
        };
        let mut s = serde_json::to_string_pretty(&file).unwrap_or_default();
        s.push('\n');
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::judge::{Code, Verdict};

    #[test]
    fn round_trip_keeps_every_key_part() {
        let f = Finding::new(Code::MissingSymbol, Verdict::Rebuild, "m")
            .symbol(crate::judge::sym("fcntl64@GLIBC_2.28"));
        let g = Finding::new(Code::MissingLibrary, Verdict::Rebuild, "m").library("libanl.so.1");
        let mut b = Baseline::new("alpine:3.22 (musl 1.2.5, gcompat 1.1.0)");
        b.insert("./vendor/tool", "aa", &f);
        b.insert("vendor/tool", "aa", &g);
        b.insert("vendor/tool", "aa", &g);
        let back = Baseline::parse(&b.render()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(back, b);
        assert_eq!(back.len(), 2);
        assert!(back.contains("vendor/tool", "aa", &f));
        assert!(back.contains("./vendor/tool", "aa", &g));
        assert!(
            !back.contains("vendor/tool", "bb", &f),
            "hash is part of the key"
        );
        assert!(
            back.contains("elsewhere/tool-1.1", "aa", &f),
            "the same content is known wherever it is"
        );
        let other = f.clone().symbol(crate::judge::sym("fcntl64@GLIBC_2.2.5"));
        assert!(
            !back.contains("vendor/tool", "aa", &other),
            "symbol is part of the key"
        );
        let stub = Finding::new(Code::GcompatSymbol, Verdict::Gcompat, "m")
            .symbol(crate::judge::sym("fcntl64@GLIBC_2.28"));
        assert!(
            !back.contains("vendor/tool", "aa", &stub),
            "id is part of the key"
        );
    }

    #[test]
    fn entries_without_a_hash_match_by_path_after_the_prefix() {
        let f = Finding::new(Code::MissingSymbol, Verdict::Rebuild, "m")
            .symbol(crate::judge::sym("fcntl64@GLIBC_2.28"));
        let text = r#"{"schema":"muslcheck-baseline","version":1,"entries":[
            {"path":"/builds/ci/vendor/tool","id":"missing-symbol","symbol":"fcntl64@GLIBC_2.28"}]}"#;
        let mut b = Baseline::parse(text).unwrap_or_else(|e| panic!("{e}"));
        assert!(!b.contains("vendor/tool", "ff", &f));
        b.strip_prefix("/builds/ci");
        assert!(b.contains("vendor/tool", "ff", &f), "{b:?}");
        assert!(b.contains("/builds/ci/vendor/tool", "ee", &f));
        assert!(!b.contains("vendor/other", "ff", &f));
        assert_eq!(b.stale([("vendor/tool", "00", &f)]), 0);
        assert_eq!(b.stale([("vendor/other", "00", &f)]), 1);
    }

    #[test]
    fn bad_files_are_explained() {
        let e = |t: &str| Baseline::parse(t).err().map(|e| e.0).unwrap_or_default();
        assert!(e("{").contains("not a muslcheck baseline"));
        assert!(e(r#"{"schema":"x","version":1,"entries":[]}"#).contains("schema is 'x'"));
        assert!(
            e(r#"{"schema":"muslcheck-baseline","version":9,"entries":[]}"#)
                .contains("--write-baseline")
        );
        assert!(
            e(r#"{"schema":"muslcheck-baseline","version":1,"entries":[{"path":"a"}]}"#)
                .contains("missing field")
        );
        assert!(
            Baseline::parse(r#"{"schema":"muslcheck-baseline","version":1,"entries":[]}"#).is_ok()
        );
    }
}
