//! Stage 3, judge: facts + symbol database + target → verdict and findings.
//!
//! This follows musl's dynamic linker (ldso/dynlink.c) as docs/loader.md describes it: symbols
//! resolve by name with versions ignored, weak undefined references never block, every
//! relocation is processed before the program starts, IRELATIVE is fatal and IFUNC definitions
//! are invisible. No I/O, no printing.

mod argv;
pub mod closure;
mod codes;
mod evidence;
mod finding;
mod floor;
mod hardening;
pub mod libraries;
pub mod relocations;
pub mod resolve;
mod runtime;
mod stub;
mod target;
mod verdict;

use std::collections::HashSet;

use serde::Serialize;

pub use codes::{Category, Code, Severity};
pub use evidence::{Confidence, Detail, Evidence, InitArgs, StubTls};
#[cfg(test)]
pub(crate) use finding::sym;
pub use finding::{Finding, Fix, ShimFix, Symbol};
pub use floor::GlibcFloor;
pub use libraries::PackageConfidence;
pub use target::{DEFAULT_MUSL, IndexSource, Target, TargetError};
pub use verdict::{Verdict, verdict_of};

use crate::db::{Db, GcompatLib};
use crate::inspect::{Arch, Facts, Import, Kind, SymType, is_glibc_library};
use resolve::Provider;

/// The verdict for one file and the findings behind it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Judgement {
    /// The verdict.
    pub verdict: Verdict,
    /// The reasons, worst first.
    pub findings: Vec<Finding>,
    /// The oldest glibc that can run the file, for glibc-built files (#6).
    pub glibc_floor: Option<GlibcFloor>,
}

fn is_glibc_version(v: &str) -> bool {
    v.starts_with("GLIBC_") || v.starts_with("XCRYPT_")
}

/// Judge one file's facts for a target.
pub fn judge(facts: &Facts, db: &Db, target: &Target) -> Judgement {
    let arch = facts.arch;
    let glibc_floor = floor::glibc_floor(facts);
    if facts.kind == Kind::NotLoadable {
        let f = Finding::new(
            Code::NotLoadable,
            Verdict::Skipped,
            "not a loadable ELF file (object file or core dump)",
        );
        return Judgement {
            verdict: Verdict::Skipped,
            findings: vec![f],
            glibc_floor,
        };
    }
    if let Some(f) = runtime::time64(facts) {
        return Judgement {
            verdict: Verdict::Rebuild,
            findings: vec![f],
            glibc_floor,
        };
    }
    if let Arch::Other(_) = arch {
        let f = Finding::new(
            Code::UnsupportedArch,
            Verdict::Skipped,
            format!(
                "{}-bit {} binary: only x86_64 and aarch64 are judged",
                facts.bits,
                arch.name()
            ),
        );
        return Judgement {
            verdict: Verdict::Skipped,
            findings: vec![f],
            glibc_floor,
        };
    }
    // Static programs (static-pie included) relocate themselves; no loader and no libc is involved.
    // Only the advisory checks apply.
    if facts.kind.is_static() {
        let mut findings = Vec::new();
        let rt = runtime::Runtime {
            facts,
            db,
            target,
            arch,
            musl: None,
            gcompat_in_process: false,
        };
        rt.findings(&mut findings);
        hardening::findings(facts, &mut findings);
        tolerated_damage(facts, &mut findings);
        sort(&mut findings);
        return Judgement {
            verdict: verdict_of(findings.iter().map(|f| f.impact)),
            findings,
            glibc_floor,
        };
    }
    let Some(musl) = db.musl_exports(&target.musl, arch) else {
        let f = Finding::new(
            Code::UnsupportedArch,
            Verdict::Skipped,
            format!("no musl {} export list for {}", target.musl, arch.name()),
        );
        return Judgement {
            verdict: Verdict::Skipped,
            findings: vec![f],
            glibc_floor,
        };
    };
    let ctx = Ctx {
        facts,
        db,
        target,
        arch,
        musl,
    };
    let mut findings = Vec::new();
    ctx.loader(&mut findings);
    ctx.libraries(&mut findings);
    ctx.relocations(&mut findings);
    ctx.imports(&mut findings);
    if ctx.is_glibc_program() {
        // Whether the way around the stub must bring libgcompat along.
        let needs_gcompat = findings
            .iter()
            .any(|f| f.impact >= Verdict::Gcompat && f.id != Code::GlibcLoader);
        findings.extend(stub::loader_crash(
            facts,
            db,
            ctx.musl_loader(),
            needs_gcompat,
        ));
    }

    if verdict_of(findings.iter().map(|f| f.impact)) == Verdict::Gcompat {
        ctx.overriding_stubs(&mut findings);
    }
    runtime::shim_advice(db, &mut findings);
    // Advisory findings (runtime, hardening) require nothing beyond native.
    runtime::Runtime {
        facts,
        db,
        target,
        arch,
        musl: Some(musl),
        gcompat_in_process: ctx.gcompat() && ctx.is_glibc_program(),
    }
    .findings(&mut findings);
    findings.extend(argv::init_args(facts));
    hardening::findings(facts, &mut findings);
    tolerated_damage(facts, &mut findings);
    sort(&mut findings);
    Judgement {
        verdict: verdict_of(findings.iter().map(|f| f.impact)),
        findings,
        glibc_floor,
    }
}

/// What the reader read around (`Facts::tolerated`): one `tolerated-damage` warning per problem,
/// so that a verdict resting on partial facts says so.
fn tolerated_damage(facts: &Facts, out: &mut Vec<Finding>) {
    for what in &facts.tolerated {
        out.push(
            Finding::new(
                Code::ToleratedDamage,
                Verdict::Native,
                format!("read around damage: {what}"),
            )
            .fix(Fix::step("fetch or rebuild the file, then re-check")),
        );
    }
}

/// The path of musl's loader for `arch`, as patchelf fixes name it.
pub fn musl_loader(db: &Db, arch: Arch) -> &'static str {
    db.musl_loader(arch).unwrap_or("/lib/ld-musl-<arch>.so.1")
}

/// Worst first, then by ID and subject; identical findings once.
fn sort(findings: &mut Vec<Finding>) {
    findings.sort_by(|a, b| {
        (b.impact, b.severity, a.id, &a.symbol, &a.library)
            .cmp(&(a.impact, a.severity, b.id, &b.symbol, &b.library))
    });
    findings.dedup();
}

struct Ctx<'a> {
    facts: &'a Facts,
    db: &'a Db,
    target: &'a Target,
    arch: Arch,
    musl: &'a HashSet<&'static str>,
}

impl Ctx<'_> {
    fn gcompat(&self) -> bool {
        self.target.gcompat.is_some()
    }

    fn musl_loader(&self) -> &'static str {
        musl_loader(self.db, self.arch)
    }

    /// How a file that needs gcompat's symbols gets them.
    fn gcompat_fix(&self) -> Fix {
        if self.is_glibc_program() {
            Fix::install("gcompat")
        } else {
            Fix::install("gcompat")
                .then(
                    "`patchelf --add-needed libgcompat.so.0 FILE` (no loader involved: a library \
                     or musl program does not get libgcompat preloaded)",
                )
                .or("run the process with LD_PRELOAD=/lib/libgcompat.so.0")
        }
    }

    fn is_glibc_program(&self) -> bool {
        self.facts.kind.has_loader()
            && self
                .facts
                .interpreter
                .as_deref()
                .is_some_and(|i| self.db.is_glibc_loader(self.arch, i))
    }

    fn loader(&self, out: &mut Vec<Finding>) {
        if !self.facts.kind.has_loader() {
            return;
        }
        let Some(interp) = self.facts.interpreter.as_deref() else {
            return;
        };
        if Some(interp) == self.db.musl_loader(self.arch) {
            return;
        }
        let set_interp = format!("patchelf --set-interpreter {} FILE", self.musl_loader());
        if self.db.is_glibc_loader(self.arch, interp) {
            let (impact, fix) = if self.gcompat() {
                (Verdict::Gcompat, Fix::install("gcompat"))
            } else {
                (
                    Verdict::Rebuild,
                    Fix::step(set_interp).or("install gcompat"),
                )
            };
            out.push(
                Finding::new(
                    Code::GlibcLoader,
                    impact,
                    format!("PT_INTERP is glibc's loader {interp}"),
                )
                .library(interp)
                .fix(fix),
            );
        } else {
            out.push(
                Finding::new(
                    Code::UnknownLoader,
                    Verdict::Rebuild,
                    format!("PT_INTERP {interp} exists neither in musl nor in gcompat"),
                )
                .library(interp)
                .fix(set_interp),
            );
        }
    }

    fn libraries(&self, out: &mut Vec<Finding>) {
        for lib in &self.facts.needed {
            if self.db.is_musl_itself(lib) {
                continue;
            }
            if self.db.is_gcompat_soname(self.arch, lib) {
                out.push(if self.gcompat() {
                    Finding::new(Code::GcompatLibrary, Verdict::Gcompat, format!("needs {lib}, which only gcompat provides"))
                        .library(lib)
                        .fix(Fix::install("gcompat"))
                } else {
                    Finding::new(Code::MissingLibrary, Verdict::Rebuild, format!("needs {lib}, which only gcompat provides, and the target has no gcompat"))
                        .library(lib)
                        .fix(Fix::step("install gcompat").or("rebuild against musl"))
                });
            } else if self.db.is_glibc_only_soname(lib) {
                out.push(
                    Finding::new(
                        Code::MissingLibrary,
                        Verdict::Rebuild,
                        format!("needs {lib}, a glibc library with no musl or Alpine counterpart"),
                    )
                    .library(lib)
                    .fix("rebuild against musl without this library"),
                );
            } else if lib.contains('/') {
                // Alone, nothing says where the path leads; the closure judges what it meant.
                out.push(libraries::needed_path_finding(lib, None, false));
            } else {
                out.push(libraries::package_finding(lib, None, self.db, self.target));
            }
        }
    }

    fn relocations(&self, out: &mut Vec<Finding>) {
        relocations::unsupported(self.facts, out);
        if self.facts.relr && !self.target.musl_at_least(1, 2, 4) {
            out.push(
                Finding::new(Code::DtRelr, Verdict::Rebuild, format!("uses DT_RELR, which musl {} ignores: pointers stay unrelocated and the program crashes", self.target.musl))
                    .fix("target musl ≥ 1.2.4 (Alpine 3.18+), or relink without -z pack-relative-relocs"),
            );
        }
        for e in &self.facts.exports {
            if e.sym_type == SymType::Ifunc && !e.hidden {
                let used_here = self.facts.self_referenced.contains(&e.name);
                let msg = if used_here {
                    format!(
                        "exports IFUNC {} and refers to it itself: musl cannot see IFUNC definitions, so loading fails",
                        e.name
                    )
                } else {
                    format!(
                        "exports IFUNC {}: musl cannot see IFUNC definitions, so every user fails with 'symbol not found'",
                        e.name
                    )
                };
                out.push(
                    Finding::new(Code::IfuncExport, Verdict::Rebuild, msg)
                        .symbol(Symbol::plain(e.name.clone()))
                        .fix("rebuild without IFUNC"),
                );
            }
        }
    }

    fn provider(&self, name: &str) -> Provider {
        resolve::provider(self.db, self.target, self.arch, self.musl, name)
    }

    /// DT_NEEDED libraries that could provide an unversioned symbol we do not know.
    fn has_other_libraries(&self) -> bool {
        self.facts
            .needed
            .iter()
            .any(|l| !self.db.is_musl_itself(l) && !self.db.is_gcompat_soname(self.arch, l))
    }

    fn imports(&self, out: &mut Vec<Finding>) {
        for imp in &self.facts.imports {
            // musl leaves unresolved weak references at 0, and looks up only what relocations name.
            if imp.weak || !imp.referenced {
                continue;
            }
            // The Verneed entry says whose version it is (libgcc_s versions __register_frame
            // GLIBC_2.0 on i386); the spelling decides only when no library is named.
            let glibc_versioned = match imp.library.as_deref() {
                Some(lib) => is_glibc_library(lib),
                None => imp.version.as_deref().is_some_and(is_glibc_version),
            };
            if imp.version.is_some() && !glibc_versioned {
                if imp
                    .library
                    .as_deref()
                    .is_some_and(|l| self.db.unavailable(l, &imp.name))
                {
                    out.push(self.unavailable(imp));
                }
                continue; // versioned from another library (libstdc++, zlib, ...): that library's job
            }
            match self.provider(&imp.name) {
                Provider::Musl => {
                    if imp.version.as_deref() == Some("GLIBC_PRIVATE") {
                        out.push(self.private(imp).severity(Severity::Warning));
                    }
                }
                Provider::Lfs64(base) => out.push(
                    Finding::new(Code::Lfs64Remap, Verdict::Native, format!("{} resolves to musl's {base} by the loader's LFS64 remapping (dlsym of it would fail)", imp.display()))
                        .symbol(Symbol::from(imp)),
                ),
                Provider::Gcompat(lib) => out.push(self.gcompat_symbol(imp, lib)),
                Provider::Nobody => {
                    // A name some musl release exports is libc's, whoever else the file links:
                    // a musl-built file (never versioned) using an interface newer than the target.
                    if let Some(since) = self.db.musl_since(self.arch, &imp.name) {
                        out.push(self.newer_musl(imp, since));
                        continue;
                    }
                    let known_glibc = !self.db.glibc(self.arch, &imp.name).is_empty();
                    if !glibc_versioned && (self.has_other_libraries() || (!known_glibc && !self.facts.kind.has_loader())) {
                        // Unversioned and possibly defined by another library or the host program.
                        continue;
                    }
                    out.push(if imp.version.as_deref() == Some("GLIBC_PRIVATE") {
                        self.private(imp)
                    } else {
                        self.missing(imp)
                    });
                }
            }
        }
    }

    fn newer_musl(&self, imp: &Import, since: &crate::db::MuslVersion) -> Finding {
        let mut f = self.missing(imp);
        f.message = format!(
            "{} first appears in musl {since}; the target has musl {}: the loader stops with 'symbol not found'",
            imp.display(),
            self.target.musl
        );
        f.fix = Some(
            Fix::step(format!("target musl ≥ {since}"))
                .or(format!("rebuild against musl {}", self.target.musl)),
        );
        f
    }

    fn unavailable(&self, imp: &Import) -> Finding {
        let lib = imp.library.as_deref().unwrap_or("its library");
        let mut f = Finding::new(
            Code::MissingSymbol,
            Verdict::Rebuild,
            format!(
                "{} from {lib}: no library on Alpine makes it visible to musl (glibc-world builds define it only as a hidden compat version, which musl's lookup skips)",
                imp.display()
            ),
        )
        .symbol(Symbol::from(imp))
        .library(lib)
        .fix(format!("rebuild against musl, or bundle a {lib} that exports it"));
        f.severity = Severity::Error;
        f
    }

    fn private(&self, imp: &Import) -> Finding {
        let resolved = self.musl.contains(imp.name.as_str());
        let (impact, msg) = if resolved {
            (
                Verdict::Native,
                format!(
                    "{} is a glibc-internal interface; musl's same-named symbol binds by name, with no guarantee of the same meaning",
                    imp.display()
                ),
            )
        } else {
            (
                Verdict::Rebuild,
                format!(
                    "{} is a glibc-internal interface that neither musl nor gcompat provides",
                    imp.display()
                ),
            )
        };
        let mut f = Finding::new(Code::GlibcPrivate, impact, msg)
            .symbol(Symbol::from(imp))
            .fix("rebuild against musl");
        if let Some(l) = &imp.library {
            f = f.library(l.clone());
        }
        f
    }

    fn gcompat_symbol(&self, imp: &Import, lib: GcompatLib) -> Finding {
        let mut f = match self.db.stub(&imp.name) {
            Some(stub) => Finding::new(
                Code::GcompatStub,
                Verdict::Gcompat,
                format!(
                    "{} comes from {}, where it is a stub: {}",
                    imp.display(),
                    lib.soname(),
                    stub.effect
                ),
            )
            .severity(stub_severity(stub)),
            None => Finding::new(
                Code::GcompatSymbol,
                Verdict::Gcompat,
                format!(
                    "{} is not in musl {}; {} provides it",
                    imp.display(),
                    self.target.musl,
                    lib.soname()
                ),
            ),
        };
        f = f.symbol(Symbol::from(imp)).fix(self.gcompat_fix());
        if let Some(l) = &imp.library {
            f = f.library(l.clone());
        }
        f
    }

    fn missing(&self, imp: &Import) -> Finding {
        let mut why = format!("{} is in neither musl {}", imp.display(), self.target.musl);
        match (
            &self.target.gcompat,
            self.db.gcompat_provider(self.arch, &imp.name),
        ) {
            (Some(g), _) => why.push_str(&format!(" nor gcompat {g}")),
            (None, Some(lib)) => why.push_str(&format!(
                " nor the target (gcompat's {} would provide it)",
                lib.soname()
            )),
            (None, None) => why.push_str(" nor gcompat"),
        }
        why.push_str(": the loader stops with 'symbol not found'");
        let fix = if self.target.gcompat.is_none()
            && self.db.gcompat_provider(self.arch, &imp.name).is_some()
        {
            "install gcompat, or rebuild against musl".to_string()
        } else {
            "rebuild against musl".to_string()
        };
        let mut f = Finding::new(Code::MissingSymbol, Verdict::Rebuild, why)
            .symbol(Symbol::from(imp))
            .fix(fix);
        if let Some(l) = &imp.library {
            f = f.library(l.clone());
        }
        f
    }

    /// With gcompat in the process, libgcompat comes before musl in lookup order and overrides
    /// musl's definitions of the same name; report the overrides that misbehave.
    fn overriding_stubs(&self, out: &mut Vec<Finding>) {
        if !self.gcompat() {
            return;
        }
        for imp in &self.facts.imports {
            if imp.weak || !imp.referenced || !self.musl.contains(imp.name.as_str()) {
                continue;
            }
            if let (Some(stub), Some(lib)) = (
                self.db.stub(&imp.name),
                self.db.gcompat_provider(self.arch, &imp.name),
            ) {
                if lib == GcompatLib::Gcompat {
                    out.push(
                        Finding::new(Code::GcompatStub, Verdict::Native, format!("{}: with gcompat loaded, libgcompat's version overrides musl's: {}", imp.display(), stub.effect))
                            .symbol(Symbol::from(imp))
                            .severity(stub_severity(stub)),
                    );
                }
            }
        }
    }
}

/// How much a gcompat stub matters, as the database grades it.
fn stub_severity(stub: &crate::db::Stub) -> Severity {
    match stub.level {
        crate::db::Level::Note => Severity::Note,
        crate::db::Level::Warning => Severity::Warning,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inspect::{SymType, inspect};

    /// A real musl program's facts, with extra imports grafted on.
    fn musl_program_with(imports: &[(&str, Option<&str>, Option<&str>)], needed: &[&str]) -> Facts {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/samples/bin/hello-musl");
        let mut f = inspect(&std::fs::read(path).unwrap()).unwrap();
        for (name, version, library) in imports {
            f.imports.push(Import {
                name: name.to_string(),
                weak: false,
                sym_type: SymType::Func,
                version: version.map(str::to_string),
                library: library.map(str::to_string),
                referenced: true,
            });
        }
        f.needed.extend(needed.iter().map(|s| s.to_string()));
        f
    }

    fn ids_for(f: &Facts, musl: &str) -> (Verdict, Vec<(Code, Option<String>)>) {
        let db = Db::get().unwrap();
        let t = Target::resolve(db, None, Some(musl), None).unwrap();
        let j = judge(f, db, &t);
        (
            j.verdict,
            j.findings
                .iter()
                .map(|f| (f.id, f.symbol.as_ref().map(ToString::to_string)))
                .collect(),
        )
    }

    #[test]
    fn musl_interfaces_newer_than_the_target_are_missing_even_with_other_libraries() {
        // docs/validation.md: libvips-cpp (musl build) imports statx unversioned and links
        // libstdc++; statx appeared in musl 1.2.5.
        let f = musl_program_with(&[("statx", None, None)], &["libstdc++.so.6"]);
        let (v, ids) = ids_for(&f, "1.2.3");
        assert_eq!(v, Verdict::Rebuild);
        assert!(
            ids.contains(&(Code::MissingSymbol, Some("statx".into()))),
            "{ids:?}"
        );
        let (v, ids) = ids_for(&f, "1.2.5");
        assert_eq!(v, Verdict::Native, "{ids:?}");
    }

    #[test]
    fn unknown_unversioned_names_are_left_to_other_libraries() {
        let f = musl_program_with(
            &[("fts_open", None, None), ("deflate", None, None)],
            &["libfts.so.0", "libz.so.1"],
        );
        let (v, ids) = ids_for(&f, "1.2.5");
        assert_eq!(v, Verdict::Native);
        assert!(
            ids.iter().all(|(c, _)| *c != Code::MissingSymbol),
            "{ids:?}"
        );
    }

    #[test]
    fn hidden_libgcc_compat_symbols_are_missing() {
        let f = musl_program_with(
            &[("__cpu_model", Some("GCC_4.8.0"), Some("libgcc_s.so.1"))],
            &["libgcc_s.so.1"],
        );
        let (v, ids) = ids_for(&f, "1.2.5");
        assert_eq!(v, Verdict::Rebuild);
        assert!(
            ids.contains(&(Code::MissingSymbol, Some("__cpu_model@GCC_4.8.0".into()))),
            "{ids:?}"
        );
        // Other versioned libgcc_s symbols are libgcc_s's business.
        let f = musl_program_with(
            &[("_Unwind_Resume", Some("GCC_3.0"), Some("libgcc_s.so.1"))],
            &["libgcc_s.so.1"],
        );
        assert_eq!(ids_for(&f, "1.2.5").0, Verdict::Native);
    }

    #[test]
    fn weak_and_unreferenced_imports_never_block() {
        let mut f = musl_program_with(&[("fcntl64", Some("GLIBC_2.28"), Some("libc.so.6"))], &[]);
        f.imports.last_mut().unwrap().weak = true;
        assert_eq!(ids_for(&f, "1.2.5").0, Verdict::Native);
        let mut f = musl_program_with(&[("fcntl64", Some("GLIBC_2.28"), Some("libc.so.6"))], &[]);
        f.imports.last_mut().unwrap().referenced = false;
        assert_eq!(ids_for(&f, "1.2.5").0, Verdict::Native);
        let f = musl_program_with(&[("fcntl64", Some("GLIBC_2.28"), Some("libc.so.6"))], &[]);
        assert_eq!(ids_for(&f, "1.2.5").0, Verdict::Rebuild);
    }
}
