//! Look-ups for `muslcheck db`: everything the database knows about one symbol, and where each
//! embedded table comes from (its header comments).

use serde::Serialize;

use super::{Db, GCOMPAT_VERSION, parse::FILES};
use crate::inspect::Arch;

/// The architectures the database covers.
pub const ARCHES: [Arch; 2] = [Arch::X86_64, Arch::Aarch64];

/// What one architecture's tables say about a symbol.
#[derive(Clone, Debug, Serialize)]
pub struct ArchFacts {
    /// `x86_64` or `aarch64`.
    pub arch: String,
    /// musl versions whose libc.so exports the name, oldest first.
    pub musl: Vec<String>,
    /// The gcompat library that exports it (`libgcompat.so.0`, `libucontext.so.1`, ...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gcompat: Option<&'static str>,
    /// glibc's definitions: library, version node, type, default or compat.
    pub glibc: Vec<GlibcDefinition>,
}

/// One glibc definition of a name.
#[derive(Clone, Debug, Serialize)]
pub struct GlibcDefinition {
    /// The DSO's soname (`libc.so.6`).
    pub library: &'static str,
    /// Version node (`GLIBC_2.28`).
    pub version: &'static str,
    /// FUNC, OBJECT, IFUNC or TLS.
    #[serde(rename = "type")]
    pub sym_type: &'static str,
    /// True for the default (`@@`) version new links bind to.
    pub default: bool,
}

/// A gcompat symbol that loads but misbehaves.
#[derive(Clone, Debug, Serialize)]
pub struct StubFacts {
    /// `warning` or `info`.
    pub severity: &'static str,
    /// What goes wrong, with gcompat's source file.
    pub effect: &'static str,
}

/// An Alpine package that provides a symbol musl lacks.
#[derive(Clone, Debug, Serialize)]
pub struct ShimFacts {
    /// Alpine package (`libbsd`).
    pub package: &'static str,
    /// Library to add as DT_NEEDED (`libbsd.so.0`).
    pub soname: &'static str,
}

/// A function whose glibc behaviour differs from musl's.
#[derive(Clone, Debug, Serialize)]
pub struct GnuSemanticsFacts {
    /// `warning` or `note`.
    pub severity: &'static str,
    /// True when libgcompat's GNU version overrides musl's once loaded.
    pub gcompat_fixes: bool,
    /// What differs.
    pub effect: &'static str,
}

/// Everything known about a symbol name.
#[derive(Clone, Debug, Serialize)]
pub struct SymbolFacts {
    /// The name without `@VERSION`.
    pub name: String,
    /// The version asked about, if the query had one (musl ignores versions).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// For LFS64 names: the musl function musl ≥ 1.2.4's loader remaps it to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lfs64_remap: Option<&'static str>,
    /// gcompat's stub note, when its implementation differs from glibc's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gcompat_stub: Option<StubFacts>,
    /// An Alpine package whose library exports the name (a shim instead of rebuilding).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shim: Option<ShimFacts>,
    /// How glibc's behaviour of the function differs from musl's, when curated.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gnu_semantics: Option<GnuSemanticsFacts>,
    /// Per architecture.
    pub arches: Vec<ArchFacts>,
}

impl SymbolFacts {
    /// True when no table mentions the name at all.
    pub fn is_unknown(&self) -> bool {
        self.lfs64_remap.is_none()
            && self.shim.is_none()
            && self
                .arches
                .iter()
                .all(|a| a.musl.is_empty() && a.gcompat.is_none() && a.glibc.is_empty())
    }
}

impl Db {
    /// What the database knows about `query` (`name` or `name@VERSION`).
    pub fn symbol_facts(&self, query: &str) -> SymbolFacts {
        let (name, version) = match query.split_once('@') {
            Some((n, v)) => (n, Some(v.trim_start_matches('@').to_string())),
            None => (query, None),
        };
        let arches = ARCHES
            .iter()
            .map(|&arch| ArchFacts {
                arch: arch.name(),
                musl: self
                    .musl_versions()
                    .iter()
                    .filter(|v| self.musl_exports(v, arch).is_some_and(|s| s.contains(name)))
                    .map(ToString::to_string)
                    .collect(),
                gcompat: self.gcompat_provider(arch, name).map(|l| l.soname()),
                glibc: self
                    .glibc(arch, name)
                    .iter()
                    .map(|g| GlibcDefinition {
                        library: g.library,
                        version: g.version,
                        sym_type: g.sym_type,
                        default: g.default,
                    })
                    .collect(),
            })
            .collect();
        SymbolFacts {
            name: name.to_string(),
            version,
            lfs64_remap: self.lfs64_base(name),
            gcompat_stub: self.stub(name).map(|s| StubFacts {
                // The word of gcompat/stubs.txt.
                severity: match s.level {
                    super::Level::Warning => "warning",
                    super::Level::Note => "info",
                },
                effect: s.effect,
            }),
            shim: self.shim(name).map(|s| ShimFacts {
                package: s.package,
                soname: s.soname,
            }),
            gnu_semantics: self.gnu_semantics(name).map(|g| GnuSemanticsFacts {
                severity: g.level.as_str(),
                gcompat_fixes: g.gcompat_fixes,
                effect: g.effect,
            }),
            arches,
        }
    }
}

/// One embedded database file and its provenance notes.
#[derive(Clone, Debug, Serialize)]
pub struct DbFile {
    /// Path relative to `symbol-db/`.
    pub path: &'static str,
    /// Data lines (entries).
    pub entries: usize,
    /// The leading comment block, without the `# ` markers: format, source, date.
    pub header: Vec<&'static str>,
}

impl DbFile {
    /// The provenance lines of the header: from the first line naming a source, compile step or
    /// check, with their continuation lines, plus the date.
    pub fn provenance(&self) -> Vec<&'static str> {
        let starts = ["Source", "Compiled", "Check", "Date", "Curated"];
        let mut out = Vec::new();
        let mut inside = false;
        for l in &self.header {
            let key = starts.iter().any(|s| l.starts_with(s));
            if key {
                inside = true;
            } else if !l.starts_with(' ') {
                inside = false;
            }
            if inside {
                out.push(*l);
            }
        }
        out
    }
}

/// Every embedded database file, in load order.
pub fn files() -> Vec<DbFile> {
    FILES
        .iter()
        .map(|&(path, text)| {
            let header = text
                .lines()
                .map_while(|l| l.strip_prefix('#'))
                .map(|l| l.strip_prefix(' ').unwrap_or(l))
                .collect();
            let entries = text
                .lines()
                .filter(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
                .count();
            DbFile {
                path,
                entries,
                header,
            }
        })
        .collect()
}

/// Versions of the upstream projects the database describes.
#[derive(Clone, Debug, Serialize)]
pub struct Versions {
    /// musl versions with export lists.
    pub musl: Vec<String>,
    /// gcompat.
    pub gcompat: &'static str,
    /// gcompat's dependencies, `name version` (libucontext, musl-obstack).
    pub gcompat_deps: Vec<String>,
    /// glibc.
    pub glibc: &'static str,
}

impl Db {
    /// The versions of musl, gcompat (and its dependencies) and glibc in the database.
    pub fn versions(&self) -> Versions {
        let mut deps: Vec<String> = FILES
            .iter()
            .filter_map(|(p, _)| p.strip_prefix("gcompat/"))
            .filter(|p| {
                !p.starts_with("gcompat-") && !p.starts_with("stubs") && !p.starts_with("loader-")
            })
            .filter_map(|p| {
                let stem = p.strip_suffix(".txt")?;
                let (rest, _arch) = stem.rsplit_once('-')?;
                let (name, version) = rest.rsplit_once('-')?;
                Some(format!("{name} {version}"))
            })
            .collect();
        deps.sort();
        deps.dedup();
        Versions {
            musl: self
                .musl_versions()
                .iter()
                .map(ToString::to_string)
                .collect(),
            gcompat: GCOMPAT_VERSION,
            gcompat_deps: deps,
            glibc: super::GLIBC_VERSION,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn db() -> &'static Db {
        Db::get().unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn fcntl64_is_glibc_only_and_printf_chk_is_gcompat() {
        let f = db().symbol_facts("fcntl64@GLIBC_2.28");
        assert_eq!(f.name, "fcntl64");
        assert_eq!(f.version.as_deref(), Some("GLIBC_2.28"));
        for a in &f.arches {
            assert!(a.musl.is_empty() && a.gcompat.is_none(), "{a:?}");
            assert!(
                a.glibc
                    .iter()
                    .any(|g| g.version == "GLIBC_2.28" && g.library == "libc.so.6")
            );
        }
        let p = db().symbol_facts("__printf_chk");
        assert!(
            p.arches
                .iter()
                .all(|a| a.gcompat == Some("libgcompat.so.0"))
        );
        let a = db().symbol_facts("arc4random");
        assert_eq!(a.shim.map(|s| s.package), Some("libbsd"));
        let m = db().symbol_facts("malloc");
        assert!(
            m.arches
                .iter()
                .all(|a| a.musl.len() == db().musl_versions().len())
        );
        assert!(db().symbol_facts("no_such_symbol_xyz").is_unknown());
    }

    #[test]
    fn lfs64_names_are_exported_only_by_musl_1_2_3() {
        let f = db().symbol_facts("fopen64");
        assert_eq!(f.lfs64_remap, Some("fopen"));
        for a in &f.arches {
            assert_eq!(a.musl, ["1.2.3"], "{a:?}");
        }
    }

    #[test]
    fn every_file_has_provenance() {
        let files = files();
        assert_eq!(files.len(), FILES.len());
        for f in &files {
            assert!(f.entries > 0, "{}", f.path);
            assert!(!f.header.is_empty(), "{} has no header", f.path);
        }
        let v = db().versions();
        assert!(v.gcompat_deps.iter().any(|d| d.starts_with("libucontext ")));
        assert!(v.musl.contains(&"1.2.5".to_string()));
    }
}
