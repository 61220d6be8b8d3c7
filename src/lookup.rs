//! `muslcheck db symbol|info|targets`: the embedded database, explained.

use std::fmt::Write as _;
use std::io::Write;

use anyhow::Result;
use serde::Serialize;

use muslcheck::db::Db;
use muslcheck::db::lookup::{ARCHES, SymbolFacts, files};
use muslcheck::inspect::Arch;
use muslcheck::judge::resolve::{ImportAlone, Provider, import_alone};
use muslcheck::judge::{Code, Target, Verdict};

/// How the loader resolves a name on one target and architecture: the judge's
/// [`Provider`], named for the answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
enum Resolution {
    /// musl's libc.so exports it.
    Musl,
    /// musl ≥ 1.2.4's loader remaps the LFS64 name.
    Lfs64Remap,
    /// gcompat (or its dependencies) exports it.
    Gcompat,
    /// Nothing on the target exports it.
    Missing,
}

impl Resolution {
    fn of(p: Provider) -> Self {
        match p {
            Provider::Musl => Resolution::Musl,
            Provider::Lfs64(_) => Resolution::Lfs64Remap,
            Provider::Gcompat(_) => Resolution::Gcompat,
            Provider::Nobody => Resolution::Missing,
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            Resolution::Musl => "musl",
            Resolution::Lfs64Remap => "loader remap",
            Resolution::Gcompat => "gcompat",
            Resolution::Missing => "missing",
        }
    }
}

#[derive(Serialize)]
struct OnTarget {
    target: String,
    arch: String,
    resolves: Resolution,
    #[serde(skip_serializing_if = "Option::is_none")]
    finding: Option<&'static str>,
    requires: Verdict,
}

#[derive(Serialize)]
struct SymbolAnswer<'a> {
    #[serde(flatten)]
    facts: &'a SymbolFacts,
    default_target: String,
    targets: Vec<OnTarget>,
    advice: String,
}

fn targets_of(db: &Db) -> Result<Vec<Target>> {
    db.releases()
        .iter()
        .map(|r| Ok(Target::resolve(db, Some(r.name), None, None)?))
        .collect()
}

/// The judge's answer for a non-weak import of the queried symbol on `target`
/// ([`import_alone`]).
fn on_target(db: &Db, facts: &SymbolFacts, target: &Target, arch: Arch) -> Option<ImportAlone> {
    import_alone(db, target, arch, &facts.name, facts.version.as_deref())
}

/// `db symbol NAME`.
pub fn symbol(db: &Db, query: &str, json: bool, out: &mut dyn Write) -> Result<()> {
    let facts = db.symbol_facts(query);
    let default = Target::resolve(db, None, None, None)?;
    let mut targets = Vec::new();
    for t in targets_of(db)? {
        for arch in ARCHES {
            let Some(a) = on_target(db, &facts, &t, arch) else {
                continue;
            };
            targets.push(OnTarget {
                target: t.name.clone(),
                arch: arch.name(),
                resolves: Resolution::of(a.provider),
                finding: a.finding.map(|f| f.id.id()),
                requires: a.requires,
            });
        }
    }
    let advice = advice(db, &facts, &default);
    if json {
        let answer = SymbolAnswer {
            facts: &facts,
            default_target: default.describe(),
            targets,
            advice,
        };
        writeln!(out, "{}", serde_json::to_string_pretty(&answer)?)?;
        return Ok(());
    }
    let mut s = String::new();
    let _ = write!(s, "{}", facts.name);
    if let Some(v) = &facts.version {
        let _ = write!(
            s,
            " (asked about @{v}: musl binds by name and ignores versions)"
        );
    }
    s.push_str("\n\n");
    if facts.is_unknown() {
        let v = db.versions();
        let _ = writeln!(
            s,
            "Not in any table: glibc {}, musl {}, gcompat {} know no '{}'.\n\
             A binary importing it (non-weak) fails to load everywhere: it comes from a library \
             outside glibc; check `muslcheck scan` on the library that should provide it.",
            v.glibc,
            v.musl.join(" "),
            v.gcompat,
            facts.name
        );
        out.write_all(s.as_bytes())?;
        return Ok(());
    }
    let versions = db.versions();
    s.push_str("musl libc.so exports it in:\n");
    for a in &facts.arches {
        let list = if a.musl.is_empty() {
            format!("no version ({} checked)", versions.musl.join(" "))
        } else {
            a.musl.join(" ")
        };
        let _ = writeln!(s, "  {:<8} {list}", a.arch);
    }
    if let Some(base) = facts.lfs64_remap {
        let _ = writeln!(
            s,
            "LFS64: musl >= 1.2.4 no longer exports it; its loader remaps {} to {base} at load \
             time (dlsym(\"{}\") fails).",
            facts.name, facts.name
        );
    }
    let _ = writeln!(s, "gcompat {}:", versions.gcompat);
    for a in &facts.arches {
        let _ = writeln!(s, "  {:<8} {}", a.arch, a.gcompat.unwrap_or("not provided"));
    }
    if let Some(st) = &facts.gcompat_stub {
        let _ = writeln!(s, "  stub ({}): {}", st.severity, st.effect);
    }
    if let Some(shim) = &facts.shim {
        let _ = writeln!(
            s,
            "Alpine shim: package {} provides it in {}",
            shim.package, shim.soname
        );
    }
    if let Some(g) = &facts.gnu_semantics {
        let fixed = if g.gcompat_fixes {
            " (gcompat's GNU version applies once libgcompat is loaded)"
        } else {
            ""
        };
        let _ = writeln!(
            s,
            "Behaviour ({}): glibc and musl differ: {}{fixed}",
            g.severity, g.effect
        );
    }
    let _ = writeln!(s, "glibc {}:", versions.glibc);
    for a in &facts.arches {
        if a.glibc.is_empty() {
            let _ = writeln!(s, "  {:<8} not defined", a.arch);
        }
        for g in &a.glibc {
            let at = if g.default { "@@" } else { "@" };
            let _ = writeln!(
                s,
                "  {:<8} {} {}{at}{} {}{}",
                a.arch,
                g.library,
                facts.name,
                g.version,
                g.sym_type,
                if g.default { "" } else { " (compat only)" }
            );
        }
    }
    s.push_str("\nOn each Alpine release (a non-weak import):\n");
    for pair in targets.chunks(facts.arches.len().max(1)) {
        let Some(first) = pair.first() else { continue };
        let cell = |o: &OnTarget| match o.finding {
            Some(f) => format!("{}, {f}", o.resolves.as_str()),
            None => o.resolves.as_str().to_string(),
        };
        let same = pair.iter().all(|o| cell(o) == cell(first));
        let detail = if same {
            cell(first)
        } else {
            pair.iter()
                .map(|o| format!("{}: {}", o.arch, cell(o)))
                .collect::<Vec<_>>()
                .join("; ")
        };
        let mark = if first.target == default.name {
            "  (default)"
        } else {
            ""
        };
        let _ = writeln!(
            s,
            "  {:<14} {:<8} {detail}{mark}",
            first.target,
            first.requires.as_str()
        );
    }
    let _ = writeln!(s, "\nWhat to do:\n  {advice}");
    out.write_all(s.as_bytes())?;
    Ok(())
}

fn advice(db: &Db, f: &SymbolFacts, default: &Target) -> String {
    let on = default.describe();
    let Some(a) = on_target(db, f, default, Arch::X86_64) else {
        return String::new();
    };
    let private = a
        .finding
        .as_ref()
        .is_some_and(|f| f.id == Code::GlibcPrivate);
    let gcompat = default.gcompat.is_some();
    match Resolution::of(a.provider) {
        Resolution::Musl => format!("Nothing: musl provides {} on {on}.", f.name),
        Resolution::Lfs64Remap => format!(
            "Nothing for loading on {on}: the loader remaps {} to {}. Code that looks it up with \
             dlsym() must use {} instead. (`muslcheck explain lfs64-remap`)",
            f.name,
            f.lfs64_remap.unwrap_or(""),
            f.lfs64_remap.unwrap_or("")
        ),
        Resolution::Gcompat => {
            let stub = f
                .gcompat_stub
                .as_ref()
                .map(|s| format!(" Caution: gcompat's version is a stub: {}.", s.effect))
                .unwrap_or_default();
            format!(
                "`apk add gcompat`. Programs with glibc's loader path get libgcompat preloaded; a \
                 shared library needs `patchelf --add-needed libgcompat.so.0 LIB` or \
                 LD_PRELOAD=/lib/libgcompat.so.0.{stub} (`muslcheck explain gcompat-symbol`)"
            )
        }
        Resolution::Missing if private => format!(
            "Rebuild against musl: {} is a GLIBC_PRIVATE internal that nothing on Alpine \
             provides. (`muslcheck explain glibc-private`)",
            f.name
        ),
        Resolution::Missing => {
            let shim = f
                .shim
                .as_ref()
                .map(|sh| {
                    format!(
                        " Without rebuilding: `apk add {} && patchelf --add-needed {} FILE`.",
                        sh.package, sh.soname
                    )
                })
                .unwrap_or_default();
            format!(
                "Rebuild against musl: neither musl nor {} provides {}, so a binary that imports \
                 it (non-weak) stops with 'symbol not found' on {on}. A weak import does not \
                 block loading.{shim} (`muslcheck explain missing-symbol`)",
                if gcompat {
                    "gcompat"
                } else {
                    "the target (no gcompat)"
                },
                f.name
            )
        }
    }
}

#[derive(Serialize)]
struct TargetRow {
    target: String,
    musl: String,
    gcompat: String,
    status: &'static str,
    default: bool,
}

/// `db targets`.
pub fn targets(db: &Db, json: bool, out: &mut dyn Write) -> Result<()> {
    let default = Target::resolve(db, None, None, None)?;
    let rows: Vec<TargetRow> = db
        .releases()
        .iter()
        .map(|r| TargetRow {
            target: format!("alpine:{}", r.name),
            musl: r.musl.to_string(),
            gcompat: r.gcompat.to_string(),
            status: r.status,
            default: format!("alpine:{}", r.name) == default.name,
        })
        .collect();
    if json {
        writeln!(out, "{}", serde_json::to_string_pretty(&rows)?)?;
        return Ok(());
    }
    writeln!(out, "{:<14} {:<7} {:<8} data", "target", "musl", "gcompat")?;
    for r in &rows {
        writeln!(
            out,
            "{:<14} {:<7} {:<8} {}{}",
            r.target,
            r.musl,
            r.gcompat,
            r.status,
            if r.default { "  (default)" } else { "" }
        )?;
    }
    writeln!(
        out,
        "\nverified: both versions were found in a cited source; unverified: inferred from \
         neighbouring releases (symbol-db/alpine/releases.txt). Other targets: --musl VERSION, \
         --gcompat none."
    )?;
    Ok(())
}

#[derive(Serialize)]
struct Info {
    tool: String,
    versions: muslcheck::db::lookup::Versions,
    default_target: String,
    files: Vec<muslcheck::db::lookup::DbFile>,
}

/// `db info`.
pub fn info(db: &Db, json: bool, out: &mut dyn Write) -> Result<()> {
    let v = db.versions();
    let default = Target::resolve(db, None, None, None)?;
    let files = files();
    if json {
        let info = Info {
            tool: format!("muslcheck {}", env!("CARGO_PKG_VERSION")),
            versions: v,
            default_target: default.describe(),
            files,
        };
        writeln!(out, "{}", serde_json::to_string_pretty(&info)?)?;
        return Ok(());
    }
    let releases = db.releases();
    let verified = releases.iter().filter(|r| r.status == "verified").count();
    writeln!(
        out,
        "muslcheck {} symbol database (embedded at build time from symbol-db/)\n",
        env!("CARGO_PKG_VERSION")
    )?;
    writeln!(out, "  musl      {}   (x86_64, aarch64)", v.musl.join(" "))?;
    writeln!(
        out,
        "  gcompat   {} with {}",
        v.gcompat,
        v.gcompat_deps.join(", ")
    )?;
    writeln!(
        out,
        "  glibc     {} (with libxcrypt's libcrypt.so.1)",
        v.glibc
    )?;
    writeln!(
        out,
        "  Alpine    {} releases, {verified} verified ({} ... {})",
        releases.len(),
        releases.first().map_or("", |r| r.name),
        releases.last().map_or("", |r| r.name)
    )?;
    writeln!(out, "  default   {}\n", default.describe())?;
    writeln!(
        out,
        "Files and provenance (from each file's header; symbol-db/README.md in the source tree \
         documents them in full):"
    )?;
    for f in &files {
        writeln!(out, "  {} ({} entries)", f.path, f.entries)?;
        for l in f.provenance() {
            writeln!(out, "      {l}")?;
        }
    }
    Ok(())
}
