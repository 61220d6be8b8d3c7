//! One line per artifact that says what to do: the first thing a migration plan needs.
//!
//! Derived from the artifact's worst verdict, its records' fixes and the kind of artifact:
//! a manylinux wheel has a musllinux sibling on PyPI for most projects, an npm package built for
//! glibc (`…-linux-x64-gnu`, sharp's `…-linux-x64`) has a musl sibling under a predictable name,
//! everything else that cannot load needs a rebuild. Renderers format it with `Display`.

use std::fmt;

use serde::Serialize;

use super::Record;
use crate::judge::{Code, Verdict};

/// An npm package built for glibc and its musl sibling.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct NpmSwap {
    /// The glibc package as named in the path (`@img/sharp-linux-x64`).
    pub package: String,
    /// The musl sibling (`@img/sharp-linuxmusl-x64`).
    pub musl: String,
}

/// What to do about one artifact.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Action {
    /// Every binary runs on stock musl as it is.
    Nothing,
    /// Everything runs once these Alpine packages are installed.
    ApkAdd {
        /// The packages (`gcompat`, `libstdc++`, …).
        packages: Vec<String>,
    },
    /// A manylinux wheel: install the project's musllinux wheel instead.
    MusllinuxWheel {
        /// The project, from the wheel's file name.
        project: String,
    },
    /// npm packages built for glibc: install their musl siblings instead.
    MuslNpmPackage {
        /// Each glibc package with its musl sibling, in path order.
        packages: Vec<NpmSwap>,
        /// Binaries that need a rebuild outside those packages.
        rebuild_others: usize,
    },
    /// Rebuild against musl (the fix of the worst blocker says what fails).
    Rebuild,
    /// Some files could not be read or parsed: look at the input first.
    CheckInput {
        /// How many files.
        files: usize,
    },
    /// A limit kept files from being judged (`not-judged`): raise it and scan again.
    NotJudged {
        /// How many files.
        files: usize,
    },
    /// No ELF file was found: nothing to do.
    NoBinaries,
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Action::Nothing => f.write_str("nothing to do: runs on stock musl"),
            Action::ApkAdd { packages } => write!(f, "apk add {}", packages.join(" ")),
            Action::MusllinuxWheel { project } => {
                write!(
                    f,
                    "use the musllinux wheel of {project} (or build it from source)"
                )
            }
            Action::MuslNpmPackage {
                packages,
                rebuild_others,
            } => {
                let names: Vec<&str> = packages.iter().map(|p| p.musl.as_str()).collect();
                write!(
                    f,
                    "use the -musl npm package{} {}",
                    if names.len() == 1 { "" } else { "s" },
                    names.join(", ")
                )?;
                match rebuild_others {
                    0 => Ok(()),
                    1 => f.write_str("; rebuild 1 other binary"),
                    n => write!(f, "; rebuild {n} other binaries"),
                }
            }
            Action::Rebuild => f.write_str("rebuild against musl"),
            Action::CheckInput { files } => write!(
                f,
                "check the input: {files} {} could not be read",
                if *files == 1 { "file" } else { "files" }
            ),
            Action::NotJudged { files } => write!(
                f,
                "raise the limit and scan again: {files} {} not judged",
                if *files == 1 { "file" } else { "files" }
            ),
            Action::NoBinaries => f.write_str("nothing to judge: no ELF files"),
        }
    }
}

/// The action for the records of one artifact; `install` lists the packages its runnable records
/// need. In order: a binary that needs a rebuild, an unreadable file, a file not judged, then what
/// the runnable binaries need.
pub fn of(artifact: &str, records: &[&Record], install: Vec<String>) -> Action {
    let count = |pred: &dyn Fn(&Record) -> bool| records.iter().filter(|r| pred(r)).count();
    if count(&|r| r.verdict == Verdict::Rebuild) > 0 {
        return rebuild(artifact, records);
    }
    let unreadable = count(&|r| r.verdict == Verdict::Error);
    if unreadable > 0 {
        return Action::CheckInput { files: unreadable };
    }
    // Before "nothing to do": what was not judged may need anything.
    let not_judged = count(&|r| r.findings.iter().any(|f| f.id == Code::NotJudged));
    if not_judged > 0 {
        return Action::NotJudged { files: not_judged };
    }
    let runs = count(&|r| (Verdict::Native..=Verdict::Gcompat).contains(&r.verdict));
    match (runs, install.is_empty()) {
        (0, _) => Action::NoBinaries,
        (_, true) => Action::Nothing,
        (_, false) => Action::ApkAdd { packages: install },
    }
}

/// What to do about an artifact with binaries that need a rebuild: the musllinux wheel, the
/// `-musl` npm packages, or the rebuild.
fn rebuild(artifact: &str, records: &[&Record]) -> Action {
    if let Some(project) = manylinux_wheel(artifact) {
        return Action::MusllinuxWheel { project };
    }
    let mut packages: Vec<NpmSwap> = Vec::new();
    let mut rebuild_others = 0;
    for r in records.iter().filter(|r| r.verdict == Verdict::Rebuild) {
        match npm_sibling(&r.path) {
            Some((package, musl)) => {
                if !packages.iter().any(|p| p.package == package) {
                    packages.push(NpmSwap { package, musl });
                }
            }
            None => rebuild_others += 1,
        }
    }
    if packages.is_empty() {
        Action::Rebuild
    } else {
        Action::MuslNpmPackage {
            packages,
            rebuild_others,
        }
    }
}

/// The project of a manylinux (or plain `linux_`) wheel, from its file name
/// (`numpy-2.1.0-cp312-cp312-manylinux_2_17_x86_64.whl` → `numpy`).
fn manylinux_wheel(artifact: &str) -> Option<String> {
    let base = artifact.rsplit('/').next().unwrap_or(artifact);
    let stem = base.strip_suffix(".whl")?;
    let platform = stem.rsplit('-').next()?;
    let glibc = platform.contains("manylinux") || platform.starts_with("linux_");
    if !glibc || platform.contains("musllinux") {
        return None;
    }
    stem.split('-').next().map(str::to_string)
}

/// The npm package a path lies in (`…/node_modules/@img/sharp-linux-x64/lib/x.node` →
/// `@img/sharp-linux-x64`), and its musl sibling when the name follows one of the conventions:
/// napi-rs's `-linux-ARCH-gnu` → `-linux-ARCH-musl` (swc, next, rollup, lightningcss…), sharp's
/// `sharp-linux-ARCH` / `sharp-libvips-linux-ARCH` → `…-linuxmusl-ARCH`.
fn npm_sibling(path: &str) -> Option<(String, String)> {
    let (_, rest) = path.rsplit_once("node_modules/")?;
    let mut parts = rest.split('/');
    let first = parts.next()?;
    let package = if first.starts_with('@') {
        format!("{first}/{}", parts.next()?)
    } else {
        first.to_string()
    };
    let name = package.rsplit('/').next().unwrap_or(&package);
    let musl_name = if let Some(base) = name.strip_suffix("-gnu") {
        format!("{base}-musl")
    } else if name.starts_with("sharp-") && name.contains("-linux-") {
        name.replacen("-linux-", "-linuxmusl-", 1)
    } else {
        return None;
    };
    let musl = match package.rsplit_once('/') {
        Some((scope, _)) => format!("{scope}/{musl_name}"),
        None => musl_name,
    };
    Some((package, musl))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wheels_by_platform_tag() {
        let w = |a| manylinux_wheel(a);
        assert_eq!(
            w("dl/numpy-2.1.0-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl"),
            Some("numpy".into())
        );
        assert_eq!(w("pkg-1.0-py3-none-linux_x86_64.whl"), Some("pkg".into()));
        assert_eq!(w("numpy-2.1.0-cp312-cp312-musllinux_1_2_x86_64.whl"), None);
        assert_eq!(w("pure-1.0-py3-none-any.whl"), None);
        assert_eq!(w("app.tar"), None);
    }

    #[test]
    fn npm_siblings_follow_the_naming_conventions() {
        let s = |p| npm_sibling(p).map(|(_, m)| m);
        assert_eq!(
            s("app/node_modules/@img/sharp-linux-x64/lib/sharp-linux-x64.node"),
            Some("@img/sharp-linuxmusl-x64".into())
        );
        assert_eq!(
            s("t.tgz!/node_modules/@img/sharp-libvips-linux-x64/lib/libvips-cpp.so.42"),
            Some("@img/sharp-libvips-linuxmusl-x64".into())
        );
        assert_eq!(
            s("x/node_modules/@swc/core-linux-x64-gnu/swc.linux-x64-gnu.node"),
            Some("@swc/core-linux-x64-musl".into())
        );
        assert_eq!(
            s("node_modules/lightningcss-linux-arm64-gnu/l.node"),
            Some("lightningcss-linux-arm64-musl".into())
        );
        assert_eq!(s("node_modules/esbuild/bin/esbuild"), None);
        assert_eq!(s("usr/bin/ls"), None);
    }

    #[test]
    fn what_was_not_judged_comes_before_nothing_to_do() {
        let db = crate::db::Db::get().unwrap_or_else(|e| panic!("{e}"));
        let target =
            crate::judge::Target::resolve(db, None, None, None).unwrap_or_else(|e| panic!("{e}"));
        let bytes = std::fs::read(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/bin/hello-musl"),
        )
        .unwrap_or_default();
        let native = crate::analyse("d/ok", "d", &bytes, db, &target);
        assert_eq!(native.verdict, Verdict::Native);
        let big = crate::not_judged("d/big", "d", "larger than --max-file-size");
        let text = crate::not_elf("d/README", "d");
        assert_eq!(
            of("d", &[&native, &big], vec![]),
            Action::NotJudged { files: 1 }
        );
        assert_eq!(of("d", &[&native, &text], vec![]), Action::Nothing);
        assert_eq!(of("d", &[&text], vec![]), Action::NoBinaries);
        assert_eq!(
            of("d", &[&native], vec!["gcompat".into()]),
            Action::ApkAdd {
                packages: vec!["gcompat".into()]
            }
        );
    }

    #[test]
    fn actions_read_as_one_line() {
        let swap = |p: &str, m: &str| NpmSwap {
            package: p.into(),
            musl: m.into(),
        };
        assert_eq!(
            Action::MuslNpmPackage {
                packages: vec![swap("@img/sharp-linux-x64", "@img/sharp-linuxmusl-x64")],
                rebuild_others: 0
            }
            .to_string(),
            "use the -musl npm package @img/sharp-linuxmusl-x64"
        );
        assert_eq!(
            Action::MuslNpmPackage {
                packages: vec![
                    swap("a-linux-x64-gnu", "a-linux-x64-musl"),
                    swap("b-linux-x64-gnu", "b-linux-x64-musl")
                ],
                rebuild_others: 2
            }
            .to_string(),
            "use the -musl npm packages a-linux-x64-musl, b-linux-x64-musl; rebuild 2 other binaries"
        );
        assert_eq!(
            Action::ApkAdd {
                packages: vec!["gcompat".into(), "libstdc++".into()]
            }
            .to_string(),
            "apk add gcompat libstdc++"
        );
        assert_eq!(
            Action::CheckInput { files: 1 }.to_string(),
            "check the input: 1 file could not be read"
        );
        assert_eq!(
            Action::MusllinuxWheel {
                project: "numpy".into()
            }
            .to_string(),
            "use the musllinux wheel of numpy (or build it from source)"
        );
    }
}
