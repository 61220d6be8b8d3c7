//! Baselines: the findings a team has already seen, so that CI fails only on new ones.
//!
//! An entry is keyed by (path, SHA-256 of the file, finding ID, symbol, library). A vendor binary
//! that changes gets a new hash, so all its findings are judged afresh, even ones that look the
//! same. The file is JSON (`muslcheck-baseline`, version 1), sorted, so that it diffs well in
//! review:
//!
//! ```json
//! {"schema": "muslcheck-baseline", "version": 1, "tool": "muslcheck 0.1.0",
//!  "target": "alpine:3.22 (musl 1.2.5, gcompat 1.1.0)",
//!  "entries": [{"path": "vendor/tool", "sha256": "…", "id": "missing-symbol",
//!               "symbol": "fcntl64@GLIBC_2.28"}]}
//! ```

use std::collections::BTreeSet;
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
    /// SHA-256 of the input's bytes.
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
}

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
        }
    }

    /// Record a finding.
    pub fn insert(&mut self, path: &str, sha256: &str, finding: &Finding) {
        self.entries
            .insert(BaselineEntry::of(path, sha256, finding));
    }

    /// Is this finding known?
    pub fn contains(&self, path: &str, sha256: &str, finding: &Finding) -> bool {
        self.entries
            .contains(&BaselineEntry::of(path, sha256, finding))
    }

    /// Is this entry known?
    pub fn contains_entry(&self, entry: &BaselineEntry) -> bool {
        self.entries.contains(entry)
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
            !back.contains("vendor/tool2", "aa", &f),
            "path is part of the key"
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
