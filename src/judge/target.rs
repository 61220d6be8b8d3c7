//! What the binaries are judged for: an Alpine release, or an explicit musl (+ gcompat) pair.

use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::db::{ApkIndex, Db, GCOMPAT_VERSION, MuslVersion};

/// A target system: musl version and whether gcompat is installed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Target {
    /// `alpine:3.22`, `alpine:edge`, or `musl` for an explicit version.
    pub name: String,
    /// musl version whose exports and loader rules apply.
    #[serde(serialize_with = "ser_version", deserialize_with = "de_version")]
    pub musl: MuslVersion,
    /// gcompat version, or None for plain musl.
    pub gcompat: Option<String>,
    /// The Alpine package indexes of the target (`--apkindex`, or apk's cache on an Alpine
    /// host); None: the embedded soname table is the only package knowledge. Set with
    /// [`Target::set_apkindex`], which also describes it in `index_source`.
    #[serde(skip)]
    pub apkindex: Option<Arc<ApkIndex>>,
    /// apk's installed database of the scanned unit (`lib/apk/db/installed` in an Alpine image
    /// or tree): real Alpine packages, consulted after `apkindex` and before the embedded table.
    /// Set per unit by the scan, never by the user.
    #[serde(skip)]
    pub installed: Option<Arc<ApkIndex>>,
    /// Where the package indexes came from and how many packages they list, as reports state
    /// it (`apkindex` in JSON). A merged report has only this: shards carry the description of
    /// the index they were judged with, not the index (#13).
    #[serde(rename = "apkindex", default, skip_serializing_if = "Option::is_none")]
    pub index_source: Option<IndexSource>,
}

/// What a report says of the package indexes a target was judged with.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndexSource {
    /// Where the indexes came from (files, apk's cache), in the order they were read.
    pub sources: Vec<String>,
    /// How many packages they list.
    pub packages: usize,
}

impl Target {
    /// Everything of the target a file's own judgement depends on, as one digest: the results
    /// cache keeps judgements per target under it (#13). The package indexes count by content,
    /// not by where they came from.
    pub fn fingerprint(&self) -> [u8; 32] {
        use sha2::{Digest, Sha256};
        let mut h = Sha256::new();
        let gcompat = self.gcompat.as_deref().unwrap_or("none");
        for part in [self.name.as_str(), &self.musl.to_string(), gcompat] {
            h.update((part.len() as u64).to_le_bytes());
            h.update(part);
        }
        for index in [&self.apkindex, &self.installed] {
            match index {
                Some(i) => h.update(i.fingerprint()),
                None => h.update([0u8; 32]),
            }
        }
        h.finalize().into()
    }

    /// Judge with these package indexes (or none), and say so in reports.
    pub fn set_apkindex(&mut self, index: Option<Arc<ApkIndex>>) {
        self.index_source = index.as_ref().map(|i| IndexSource {
            sources: i.sources.clone(),
            packages: i.len(),
        });
        self.apkindex = index;
    }
}

fn ser_version<S: serde::Serializer>(v: &MuslVersion, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&v.to_string())
}

fn de_version<'de, D: serde::Deserializer<'de>>(d: D) -> Result<MuslVersion, D::Error> {
    let s = String::deserialize(d)?;
    MuslVersion::parse(&s).map_err(serde::de::Error::custom)
}

/// A target that cannot be built from the user's words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetError(pub String);

impl fmt::Display for TargetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for TargetError {}

/// The musl version the default target uses (issue #2: Alpine with musl 1.2.5 and gcompat 1.1.0).
pub const DEFAULT_MUSL: &str = "1.2.5";

impl Target {
    /// Resolve `--target`, `--musl` and `--gcompat` into a target.
    ///
    /// `target` is `alpine:3.20`, `3.20`, `edge` or `alpine:edge`; when absent, the newest stable
    /// release shipping musl 1.2.5 is used. `musl` overrides the release's musl; `gcompat` is a
    /// version or `none`.
    pub fn resolve(
        db: &Db,
        target: Option<&str>,
        musl: Option<&str>,
        gcompat: Option<&str>,
    ) -> Result<Target, TargetError> {
        let default_musl =
            MuslVersion::parse(DEFAULT_MUSL).map_err(|e| TargetError(e.to_string()))?;
        let mut t = match target {
            Some(spec) => {
                let rel = spec.strip_prefix("alpine:").unwrap_or(spec);
                let r = db
                    .releases()
                    .iter()
                    .find(|r| r.name == rel)
                    .ok_or_else(|| {
                        let known: Vec<_> = db
                            .releases()
                            .iter()
                            .map(|r| format!("alpine:{}", r.name))
                            .collect();
                        TargetError(format!(
                            "unknown target '{spec}'; known targets: {}",
                            known.join(", ")
                        ))
                    })?;
                Target {
                    name: format!("alpine:{}", r.name),
                    musl: r.musl.clone(),
                    gcompat: Some(r.gcompat.to_string()),
                    apkindex: None,
                    installed: None,
                    index_source: None,
                }
            }
            None => {
                let newest = db
                    .releases()
                    .iter()
                    .filter(|r| r.name != "edge" && r.musl == default_musl)
                    .max_by_key(|r| release_key(r.name));
                Target {
                    name: newest.map_or_else(|| "alpine".into(), |r| format!("alpine:{}", r.name)),
                    musl: default_musl,
                    gcompat: Some(GCOMPAT_VERSION.into()),
                    apkindex: None,
                    installed: None,
                    index_source: None,
                }
            }
        };
        if let Some(m) = musl {
            let v = MuslVersion::parse(m)
                .map_err(|_| TargetError(format!("'{m}' is not a musl version like 1.2.5")))?;
            if !db.musl_versions().contains(&v) {
                let known: Vec<_> = db.musl_versions().iter().map(ToString::to_string).collect();
                return Err(TargetError(format!(
                    "no export list for musl {m}; known: {}",
                    known.join(", ")
                )));
            }
            if v != t.musl {
                t.name = format!("musl:{v}");
            }
            t.musl = v;
        }
        match gcompat {
            None => {}
            Some("none") => t.gcompat = None,
            Some(v) if v == GCOMPAT_VERSION => t.gcompat = Some(v.into()),
            Some(v) => {
                return Err(TargetError(format!(
                    "no export list for gcompat {v}; known: {GCOMPAT_VERSION}, or 'none'"
                )));
            }
        }
        Ok(t)
    }

    /// True from musl 1.2.4 on: DT_RELR support and LFS64 remapping in the loader.
    pub fn musl_at_least(&self, major: u64, minor: u64, patch: u64) -> bool {
        self.musl >= MuslVersion::new(major, minor, patch)
    }

    /// Human description, e.g. `alpine:3.22 (musl 1.2.5, gcompat 1.1.0)`.
    pub fn describe(&self) -> String {
        match &self.gcompat {
            Some(g) => format!("{} (musl {}, gcompat {g})", self.name, self.musl),
            None => format!("{} (musl {}, no gcompat)", self.name, self.musl),
        }
    }
}

/// Sort key for release names like 3.9 < 3.10 < 3.22.
fn release_key(name: &str) -> (u32, u32) {
    let mut it = name.split('.').map(|p| p.parse::<u32>().unwrap_or(0));
    (it.next().unwrap_or(0), it.next().unwrap_or(0))
}
