//! Parsing of the embedded `symbol-db/` text files into [`Db`](super::Db) tables.
//!
//! Every file: UTF-8 lines, `#` starts a comment line, blank lines ignored, fields separated by
//! white space (stubs.txt: by tabs). A malformed line is a build defect, caught by the tests.

use std::collections::{HashMap, HashSet};
use std::fmt;

use super::{Db, GcompatLib, GlibcSym, Package, Release, Stub};
use crate::inspect::Arch;

/// A line of an embedded database file that does not parse.
#[derive(Debug, Clone)]
pub struct ParseError {
    /// Database file, relative to `symbol-db/`.
    pub file: &'static str,
    /// 1-based line number.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "symbol-db/{}:{}: {}", self.file, self.line, self.message)
    }
}

impl std::error::Error for ParseError {}

macro_rules! db_file {
    ($path:literal) => {
        ($path, include_str!(concat!("../../symbol-db/", $path)))
    };
}

/// Every embedded file, by path relative to `symbol-db/`.
pub(crate) const FILES: &[(&str, &str)] = &[
    db_file!("musl/musl-1.2.3-x86_64.txt"),
    db_file!("musl/musl-1.2.4-x86_64.txt"),
    db_file!("musl/musl-1.2.5-x86_64.txt"),
    db_file!("musl/musl-1.2.6-x86_64.txt"),
    db_file!("musl/musl-1.2.3-aarch64.txt"),
    db_file!("musl/musl-1.2.4-aarch64.txt"),
    db_file!("musl/musl-1.2.5-aarch64.txt"),
    db_file!("musl/musl-1.2.6-aarch64.txt"),
    db_file!("gcompat/gcompat-1.1.0-x86_64.txt"),
    db_file!("gcompat/libucontext-1.3.2-x86_64.txt"),
    db_file!("gcompat/musl-obstack-1.2.3-x86_64.txt"),
    db_file!("gcompat/gcompat-1.1.0-aarch64.txt"),
    db_file!("gcompat/libucontext-1.3.2-aarch64.txt"),
    db_file!("gcompat/musl-obstack-1.2.3-aarch64.txt"),
    db_file!("gcompat/stubs.txt"),
    db_file!("gcompat/loader-stub.txt"),
    db_file!("glibc/glibc-2.41-x86_64.txt"),
    db_file!("glibc/glibc-2.41-aarch64.txt"),
    db_file!("loader/musl-reserved-prefixes.txt"),
    db_file!("loader/gcompat-sonames.txt"),
    db_file!("loader/glibc-loaders.txt"),
    db_file!("loader/musl-loaders.txt"),
    db_file!("loader/glibc-only-sonames.txt"),
    db_file!("loader/lfs64.txt"),
    db_file!("alpine/releases.txt"),
    db_file!("alpine/soname-packages.txt"),
    db_file!("alpine/unavailable-symbols.txt"),
    db_file!("alpine/shims.txt"),
    db_file!("runtime/gnu-semantics.txt"),
    db_file!("runtime/dlopen-libraries.txt"),
];

/// The data lines of a file: (1-based line number, trimmed text).
fn lines(text: &'static str) -> impl Iterator<Item = (usize, &'static str)> {
    text.lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim_end()))
        .filter(|(_, l)| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
}

struct Ctx {
    file: &'static str,
}

impl Ctx {
    fn err(&self, line: usize, message: impl Into<String>) -> ParseError {
        ParseError {
            file: self.file,
            line,
            message: message.into(),
        }
    }

    /// Split a line into exactly `n` whitespace-separated fields (a trailing `# comment` is dropped).
    fn fields<const N: usize>(
        &self,
        line: usize,
        text: &'static str,
    ) -> Result<[&'static str; N], ParseError> {
        let text = text.split(" #").next().unwrap_or(text);
        let parts: Vec<&'static str> = text.split_whitespace().collect();
        parts
            .try_into()
            .map_err(|p: Vec<_>| self.err(line, format!("expected {N} fields, found {}", p.len())))
    }
}

fn arch(s: &str) -> Option<Arch> {
    match s {
        "x86_64" => Some(Arch::X86_64),
        "aarch64" => Some(Arch::Aarch64),
        _ => None,
    }
}

/// `name TYPE` export lists.
fn exports(file: &'static str, text: &'static str) -> Result<Vec<&'static str>, ParseError> {
    let ctx = Ctx { file };
    lines(text)
        .map(|(n, l)| {
            let [name, ty] = ctx.fields::<2>(n, l)?;
            match ty {
                "FUNC" | "OBJECT" => Ok(name),
                _ => Err(ctx.err(n, format!("unknown symbol type {ty}"))),
            }
        })
        .collect()
}

/// (version, arch) from a name like `musl/musl-1.2.5-x86_64.txt`.
fn version_arch(file: &str) -> Option<(&str, Arch)> {
    let stem = file.rsplit('/').next()?.strip_suffix(".txt")?;
    let (rest, a) = stem.rsplit_once('-')?;
    let (_, v) = rest.rsplit_once('-')?;
    Some((v, arch(a)?))
}

pub(crate) fn embedded() -> Result<Db, ParseError> {
    let mut db = Db::default();
    for &(file, text) in FILES {
        let ctx = Ctx { file };
        let bad_name = || ctx.err(0, "file name does not say version and architecture");
        match file.split('/').next().unwrap_or_default() {
            "musl" => {
                let (v, a) = version_arch(file).ok_or_else(bad_name)?;
                let v = semver::Version::parse(v).map_err(|e| ctx.err(0, e.to_string()))?;
                db.musl
                    .push((v, a, exports(file, text)?.into_iter().collect()));
            }
            "gcompat" if file.ends_with("stubs.txt") => {
                for (n, l) in lines(text) {
                    let mut parts = l.splitn(3, '\t');
                    let (Some(name), Some(sev), Some(effect)) =
                        (parts.next(), parts.next(), parts.next())
                    else {
                        return Err(ctx.err(n, "expected name<TAB>severity<TAB>effect"));
                    };
                    let level = match sev {
                        "warning" => super::Level::Warning,
                        "info" => super::Level::Note,
                        _ => return Err(ctx.err(n, format!("unknown severity {sev}"))),
                    };
                    db.stubs.insert(
                        name.trim(),
                        Stub {
                            level,
                            effect: effect.trim(),
                        },
                    );
                }
            }
            "gcompat" if file.ends_with("loader-stub.txt") => {
                (db.stub_builds, db.stub_neighbours) = super::stub::parse(file, text)?;
            }
            "gcompat" => {
                let (_, a) = version_arch(file).ok_or_else(bad_name)?;
                let lib = if file.contains("libucontext") {
                    GcompatLib::Ucontext
                } else if file.contains("obstack") {
                    GcompatLib::Obstack
                } else {
                    GcompatLib::Gcompat
                };
                let table = db.gcompat.entry(a).or_default();
                for name in exports(file, text)? {
                    // Lookup order under gcompat: libgcompat first, then its dependencies.
                    table.entry(name).or_insert(lib);
                }
            }
            "glibc" => {
                let (_, a) = version_arch(file).ok_or_else(bad_name)?;
                let table = db.glibc.entry(a).or_default();
                for (n, l) in lines(text) {
                    let [library, name, version, sym_type, kind] = ctx.fields::<5>(n, l)?;
                    let default = match kind {
                        "default" => true,
                        "compat" => false,
                        _ => {
                            return Err(
                                ctx.err(n, format!("expected default|compat, found {kind}"))
                            );
                        }
                    };
                    let list: &mut Vec<GlibcSym> = table.entry(name).or_default();
                    list.push(GlibcSym {
                        library,
                        version,
                        sym_type,
                        default,
                    });
                    list.sort_by_key(|s| !s.default);
                }
            }
            _ => loader_or_alpine(&mut db, file, text)?,
        }
    }
    Ok(db)
}

fn loader_or_alpine(db: &mut Db, file: &'static str, text: &'static str) -> Result<(), ParseError> {
    let ctx = Ctx { file };
    let arch_of =
        |n: usize, s: &str| arch(s).ok_or_else(|| ctx.err(n, format!("unknown architecture {s}")));
    match file {
        "loader/musl-reserved-prefixes.txt" => {
            for (n, l) in lines(text) {
                let [p] = ctx.fields::<1>(n, l)?;
                db.reserved_prefixes.push(p);
            }
        }
        "loader/gcompat-sonames.txt" => {
            for (n, l) in lines(text) {
                let [s, a] = ctx.fields::<2>(n, l)?;
                let a = if a == "any" {
                    None
                } else {
                    Some(arch_of(n, a)?)
                };
                db.gcompat_sonames.push((s, a));
            }
        }
        "loader/glibc-loaders.txt" | "loader/musl-loaders.txt" => {
            for (n, l) in lines(text) {
                let [a, p] = ctx.fields::<2>(n, l)?;
                let entry = (arch_of(n, a)?, p);
                if file.contains("glibc") {
                    db.glibc_loaders.push(entry);
                } else {
                    db.musl_loaders.push(entry);
                }
            }
        }
        "loader/glibc-only-sonames.txt" => {
            let set: HashSet<_> = lines(text)
                .map(|(n, l)| ctx.fields::<1>(n, l).map(|[s]| s))
                .collect::<Result<_, _>>()?;
            db.glibc_only_sonames = set;
        }
        "loader/lfs64.txt" => {
            let map: HashMap<_, _> = lines(text)
                .map(|(n, l)| ctx.fields::<2>(n, l).map(|[a, b]| (a, b)))
                .collect::<Result<_, _>>()?;
            db.lfs64 = map;
        }
        "alpine/releases.txt" => {
            for (n, l) in lines(text) {
                let [name, musl, gcompat, status] = ctx.fields::<4>(n, l)?;
                let musl = semver::Version::parse(musl).map_err(|e| ctx.err(n, e.to_string()))?;
                db.releases.push(Release {
                    name,
                    musl,
                    gcompat,
                    status,
                });
            }
        }
        "alpine/soname-packages.txt" => {
            for (n, l) in lines(text) {
                // Only an entry that names the APKBUILD it was checked against is verified.
                let source = l.split_once(" # verified: ").map(|(_, s)| s.trim());
                let [soname, pkg] = ctx.fields::<2>(n, l)?;
                let name = (pkg != "-").then_some(pkg);
                db.packages.insert(
                    soname,
                    Package {
                        name,
                        verified: source.is_some(),
                        source,
                    },
                );
            }
        }
        "alpine/unavailable-symbols.txt" => {
            for (n, l) in lines(text) {
                let [library, name] = ctx.fields::<2>(n, l)?;
                db.unavailable.insert((library, name));
            }
        }
        "alpine/shims.txt" => db.shims = super::advice::shims(file, text)?.into_iter().collect(),
        "runtime/gnu-semantics.txt" => {
            db.gnu_semantics = super::advice::gnu_semantics(file, text)?
                .into_iter()
                .collect();
        }
        "runtime/dlopen-libraries.txt" => {
            db.dlopen_patterns = super::advice::dlopen_patterns(file, text)?;
        }
        _ => return Err(ctx.err(0, "unknown database file")),
    }
    Ok(())
}
