//! The symbol database: what musl, gcompat and glibc export, and the loader's name lists.
//!
//! The data is the plain text under `symbol-db/` (see its README for provenance), embedded into
//! the binary with `include_str!` so the tool runs offline with no setup. It is parsed once, on
//! first use, into hash tables. This module does no I/O and knows nothing of ELF files.

mod advice;
mod apkindex;
pub mod lookup;
mod parse;
mod stub;

use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

use crate::inspect::Arch;
pub use advice::{DlopenPattern, GnuSemantics, Shim};
pub use apkindex::{ApkIndex, IndexedPackage, paragraphs as apk_paragraphs};
pub use parse::ParseError;
pub use stub::{StubBuild, StubNeighbours};

/// A musl release the database knows, e.g. 1.2.5.
pub type MuslVersion = semver::Version;

/// Which library of the gcompat package provides a symbol.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GcompatLib {
    /// libgcompat.so.0 itself (preloaded by gcompat's loader).
    Gcompat,
    /// libucontext.so.1, a dependency of libgcompat.
    Ucontext,
    /// libobstack.so.1 (musl-obstack), a dependency of libgcompat.
    Obstack,
}

impl GcompatLib {
    /// The library's file name.
    pub fn soname(self) -> &'static str {
        match self {
            GcompatLib::Gcompat => "libgcompat.so.0",
            GcompatLib::Ucontext => "libucontext.so.1",
            GcompatLib::Obstack => "libobstack.so.1",
        }
    }
}

/// How much an advisory entry of the database matters (gcompat stubs, GNU semantics).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    /// Misbehaves in ways a program notices (`warning` in the files).
    Warning,
    /// Worth knowing (`info` in gcompat/stubs.txt, `note` in runtime/gnu-semantics.txt).
    Note,
}

impl Level {
    /// `warning` or `note`.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Warning => "warning",
            Level::Note => "note",
        }
    }
}

/// A gcompat symbol that loads but misbehaves.
#[derive(Clone, Debug)]
pub struct Stub {
    /// How much it matters.
    pub level: Level,
    /// What goes wrong, with the gcompat source file.
    pub effect: &'static str,
}

/// One glibc definition of a name.
#[derive(Clone, Debug)]
pub struct GlibcSym {
    /// Library (soname) that defines it, e.g. `libc.so.6`.
    pub library: &'static str,
    /// Version node, e.g. `GLIBC_2.28`.
    pub version: &'static str,
    /// `FUNC`, `OBJECT`, `IFUNC` or `TLS`.
    pub sym_type: &'static str,
    /// True for the `@@` default version, false for a compat-only `@` one.
    pub default: bool,
}

/// An Alpine release and what it ships.
#[derive(Clone, Debug)]
pub struct Release {
    /// `3.20`, `edge`.
    pub name: &'static str,
    /// musl version.
    pub musl: MuslVersion,
    /// gcompat version.
    pub gcompat: &'static str,
    /// `verified` or `unverified`.
    pub status: &'static str,
}

/// The Alpine package that provides a soname (curated).
#[derive(Clone, Debug)]
pub struct Package {
    /// Package name; `None` when Alpine has no package for it.
    pub name: Option<&'static str>,
    /// True when the entry was checked against an aports APKBUILD.
    pub verified: bool,
    /// The APKBUILD it was checked against (`aports main/zlib/APKBUILD@00b6d3e (...)`).
    pub source: Option<&'static str>,
}

/// The whole database, parsed.
#[derive(Debug, Default)]
pub struct Db {
    musl: Vec<(MuslVersion, Arch, HashSet<&'static str>)>,
    gcompat: HashMap<Arch, HashMap<&'static str, GcompatLib>>,
    stubs: HashMap<&'static str, Stub>,
    glibc: HashMap<Arch, HashMap<&'static str, Vec<GlibcSym>>>,
    reserved_prefixes: Vec<&'static str>,
    gcompat_sonames: Vec<(&'static str, Option<Arch>)>,
    glibc_loaders: Vec<(Arch, &'static str)>,
    musl_loaders: Vec<(Arch, &'static str)>,
    glibc_only_sonames: HashSet<&'static str>,
    lfs64: HashMap<&'static str, &'static str>,
    releases: Vec<Release>,
    packages: HashMap<&'static str, Package>,
    unavailable: HashSet<(&'static str, &'static str)>,
    shims: HashMap<&'static str, Shim>,
    gnu_semantics: HashMap<&'static str, GnuSemantics>,
    dlopen_patterns: Vec<DlopenPattern>,
    stub_builds: Vec<StubBuild>,
    stub_neighbours: Vec<StubNeighbours>,
}

/// The gcompat version the database describes.
pub const GCOMPAT_VERSION: &str = "1.1.0";
/// The glibc version the database describes.
pub const GLIBC_VERSION: &str = "2.41";

impl Db {
    /// The embedded database, parsed on first use.
    ///
    /// The embedded files are checked by the test suite, so a parse failure here is a build
    /// defect, not an input problem; it is reported rather than panicking.
    pub fn get() -> Result<&'static Db, &'static ParseError> {
        static DB: OnceLock<Result<Db, ParseError>> = OnceLock::new();
        DB.get_or_init(parse::embedded).as_ref()
    }

    /// musl versions the database has export lists for, oldest first.
    pub fn musl_versions(&self) -> Vec<MuslVersion> {
        let mut v: Vec<_> = self.musl.iter().map(|(v, _, _)| v.clone()).collect();
        v.sort();
        v.dedup();
        v
    }

    /// The oldest musl version (in the database) whose libc exports `name` on `arch`.
    pub fn musl_since(&self, arch: Arch, name: &str) -> Option<&MuslVersion> {
        self.musl
            .iter()
            .filter(|(_, a, set)| *a == arch && set.contains(name))
            .map(|(v, _, _)| v)
            .min()
    }

    /// True when `library`'s `name` (a versioned import) is visible to musl nowhere on Alpine.
    pub fn unavailable(&self, library: &str, name: &str) -> bool {
        self.unavailable.contains(&(library, name))
    }

    /// musl's exports for a version and architecture.
    pub fn musl_exports(
        &self,
        version: &MuslVersion,
        arch: Arch,
    ) -> Option<&HashSet<&'static str>> {
        self.musl
            .iter()
            .find(|(v, a, _)| v == version && *a == arch)
            .map(|(_, _, s)| s)
    }

    /// Which gcompat library (if any) exports `name` on `arch`.
    pub fn gcompat_provider(&self, arch: Arch, name: &str) -> Option<GcompatLib> {
        self.gcompat.get(&arch)?.get(name).copied()
    }

    /// The gcompat stub entry for `name`, if gcompat's version misbehaves.
    pub fn stub(&self, name: &str) -> Option<&Stub> {
        self.stubs.get(name)
    }

    /// glibc's definitions of `name` on `arch` (default version first).
    pub fn glibc(&self, arch: Arch, name: &str) -> &[GlibcSym] {
        self.glibc
            .get(&arch)
            .and_then(|m| m.get(name))
            .map_or(&[], Vec::as_slice)
    }

    /// True if musl's loader treats a DT_NEEDED name as itself (ldso/dynlink.c `load_library`).
    pub fn is_musl_itself(&self, soname: &str) -> bool {
        self.reserved_prefixes.iter().any(|p| soname.starts_with(p))
    }

    /// True if only gcompat's package satisfies this DT_NEEDED name.
    pub fn is_gcompat_soname(&self, arch: Arch, soname: &str) -> bool {
        soname == GcompatLib::Gcompat.soname()
            || self
                .gcompat_sonames
                .iter()
                .any(|(s, a)| *s == soname && a.is_none_or(|a| a == arch))
    }

    /// True for sonames glibc ships that nothing on Alpine provides.
    pub fn is_glibc_only_soname(&self, soname: &str) -> bool {
        self.glibc_only_sonames.contains(soname)
    }

    /// True if `path` is a PT_INTERP that gcompat's loader answers on Alpine.
    pub fn is_glibc_loader(&self, arch: Arch, path: &str) -> bool {
        self.glibc_loaders
            .iter()
            .any(|(a, p)| *a == arch && *p == path)
    }

    /// glibc's loader path on `arch` (the first one the database lists).
    pub fn glibc_loader(&self, arch: Arch) -> Option<&'static str> {
        self.glibc_loaders
            .iter()
            .find(|(a, _)| *a == arch)
            .map(|(_, p)| *p)
    }

    /// Every symbol name some table knows (musl, gcompat, glibc), sorted.
    pub fn symbol_names(&self) -> Vec<&'static str> {
        let musl = self.musl.iter().flat_map(|(_, _, s)| s.iter().copied());
        let gcompat = self.gcompat.values().flat_map(|m| m.keys().copied());
        let glibc = self.glibc.values().flat_map(|m| m.keys().copied());
        let mut names: Vec<&'static str> = musl.chain(gcompat).chain(glibc).collect();
        names.sort_unstable();
        names.dedup();
        names
    }

    /// musl's loader path on `arch`.
    pub fn musl_loader(&self, arch: Arch) -> Option<&'static str> {
        self.musl_loaders
            .iter()
            .find(|(a, _)| *a == arch)
            .map(|(_, p)| *p)
    }

    /// The musl function an LFS64 name is remapped to by musl ≥ 1.2.4's loader.
    pub fn lfs64_base(&self, name: &str) -> Option<&'static str> {
        self.lfs64.get(name).copied()
    }

    /// A short digest of every embedded file (names and contents): the database's version, as
    /// far as anything derived from it is concerned (the results cache keys on it, merge checks it).
    pub fn fingerprint() -> &'static str {
        use sha2::{Digest, Sha256};
        static FP: OnceLock<String> = OnceLock::new();
        FP.get_or_init(|| {
            let mut h = Sha256::new();
            for (name, text) in parse::FILES {
                h.update(name.as_bytes());
                h.update([0]);
                h.update(text.as_bytes());
                h.update([0]);
            }
            let d: [u8; 32] = h.finalize().into();
            d.iter().take(8).map(|b| format!("{b:02x}")).collect()
        })
    }

    /// Alpine releases, in file order.
    pub fn releases(&self) -> &[Release] {
        &self.releases
    }

    /// The known builds of gcompat's loader stub for `arch` (#10).
    pub fn stub_builds(&self, arch: Arch) -> impl Iterator<Item = &StubBuild> {
        self.stub_builds.iter().filter(move |b| b.arch == arch)
    }

    /// What the kernel may map directly below the loader stub on `arch` (#10).
    pub fn stub_neighbours(&self, arch: Arch) -> Option<&StubNeighbours> {
        self.stub_neighbours.iter().find(|n| n.arch == arch)
    }

    /// The Alpine package providing `soname`, if curated.
    pub fn package(&self, soname: &str) -> Option<&Package> {
        self.packages.get(soname)
    }

    /// Whether the embedded table names an Alpine package called `name`, and how sure it is.
    pub fn package_name_known(&self, name: &str) -> Option<crate::judge::PackageConfidence> {
        let mut found = None;
        for p in self.packages.values().filter(|p| p.name == Some(name)) {
            if p.verified {
                return Some(crate::judge::PackageConfidence::VerifiedTable);
            }
            found = Some(crate::judge::PackageConfidence::UnverifiedTable);
        }
        found
    }

    /// The Alpine package (and soname) whose library exports `symbol`, for shim advice (#6).
    pub fn shim(&self, symbol: &str) -> Option<Shim> {
        self.shims.get(symbol).copied()
    }

    /// How glibc's `name` differs from musl's same-named function, if curated (#6).
    pub fn gnu_semantics(&self, name: &str) -> Option<&GnuSemantics> {
        self.gnu_semantics.get(name)
    }

    /// Why Alpine cannot provide a library a binary may dlopen, if it cannot (#6).
    ///
    /// Combines the curated patterns (`libnss_*`, NVIDIA's drivers) with the glibc-only sonames and
    /// the sonames Alpine does not package.
    pub fn dlopen_unavailable(&self, name: &str) -> Option<&'static str> {
        if let Some(p) = self.dlopen_patterns.iter().find(|p| p.matches(name)) {
            return Some(p.why);
        }
        if self.is_glibc_only_soname(name) {
            return Some("a glibc library with no musl or Alpine counterpart");
        }
        match self.packages.get(name) {
            Some(Package { name: None, .. }) => Some("Alpine does not package it"),
            _ => None,
        }
    }
}
