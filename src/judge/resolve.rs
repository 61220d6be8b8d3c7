//! Symbol resolution on a target: who provides a name ([`provider`]), and how one import fares
//! in a glibc-built program ([`import_alone`]). The judge uses [`provider`] for every import;
//! `muslcheck db symbol` answers from both, so it cannot disagree with the judge.

use std::collections::HashSet;

use super::{Category, Finding, Target, Verdict, judge};
use crate::db::{Db, GcompatLib};
use crate::inspect::{Arch, Facts, Import, Kind, Libc, SymType};

/// Where musl's loader finds a name on the target.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Provider {
    /// musl's libc.so exports it.
    Musl,
    /// musl ≥ 1.2.4's loader remaps the LFS64 name to this musl function.
    Lfs64(&'static str),
    /// A gcompat library exports it (the target has gcompat).
    Gcompat(GcompatLib),
    /// Nothing on the target exports it.
    Nobody,
}

/// Who provides `name` on `target` for `arch`, `musl` being the target's musl exports: musl's
/// lookup by name (versions ignored), then the LFS64 remapping of musl ≥ 1.2.4 (ldso/dynlink.c
/// `get_lfs64`), then gcompat.
pub fn provider(
    db: &Db,
    target: &Target,
    arch: Arch,
    musl: &HashSet<&'static str>,
    name: &str,
) -> Provider {
    if musl.contains(name) {
        return Provider::Musl;
    }
    if target.musl_at_least(1, 2, 4) {
        if let Some(base) = db.lfs64_base(name) {
            if musl.contains(base) {
                return Provider::Lfs64(base);
            }
        }
    }
    if target.gcompat.is_some() {
        if let Some(lib) = db.gcompat_provider(arch, name) {
            return Provider::Gcompat(lib);
        }
    }
    Provider::Nobody
}

/// How one import fares alone.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportAlone {
    /// Who provides the name.
    pub provider: Provider,
    /// The judge's loading finding about the import, if it has one.
    pub finding: Option<Finding>,
    /// The verdict the import forces on its own.
    pub requires: Verdict,
}

/// Judge a glibc-built program (glibc's PT_INTERP, DT_NEEDED libc.so.6) whose only import is a
/// non-weak reference to `name`, asking `version` of glibc's library for it, or, without one,
/// the version a glibc link asks (the default `@@` definition, or for a compat-only name the
/// version older links asked), and read what the judge says of that import. `None` when the database has no musl export list for the target and `arch`.
pub fn import_alone(
    db: &Db,
    target: &Target,
    arch: Arch,
    name: &str,
    version: Option<&str>,
) -> Option<ImportAlone> {
    let musl = db.musl_exports(&target.musl, arch)?;
    let glibc = db.glibc(arch, name);
    let definition = match version {
        Some(v) => glibc.iter().find(|g| g.version == v),
        // A compat-only name (no `@@` definition) was last linked against its `@` version.
        None => glibc.iter().find(|g| g.default).or(glibc.first()),
    };
    let libc = "libc.so.6";
    let mut facts = Facts::empty(arch, Kind::Pie);
    facts.libc = Libc::Glibc;
    facts.interpreter = db.glibc_loader(arch).map(str::to_string);
    facts.needed = vec![libc.to_string()];
    facts.imports.push(Import {
        name: name.to_string(),
        weak: false,
        sym_type: SymType::Func,
        version: version
            .map(str::to_string)
            .or_else(|| definition.map(|g| g.version.to_string())),
        library: Some(definition.map_or(libc, |g| g.library).to_string()),
        referenced: true,
    });
    let finding = judge(&facts, db, target).findings.into_iter().find(|f| {
        f.id.category() == Category::Loading && f.symbol.as_ref().is_some_and(|s| s.name == name)
    });
    Some(ImportAlone {
        provider: provider(db, target, arch, musl, name),
        requires: finding.as_ref().map_or(Verdict::Native, |f| f.impact),
        finding,
    })
}
