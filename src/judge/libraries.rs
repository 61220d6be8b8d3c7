//! Where a needed library comes from on the target, and the findings that say so (#11).
//!
//! A DT_NEEDED name that musl and gcompat do not answer must be found in the scanned unit
//! (closure) or installed from an Alpine package. Package knowledge comes, best first, from
//! the Alpine indexes of the target ([`Target::apkindex`]), then from apk's installed database
//! in the scanned unit ([`Target::installed`]), then from the embedded table
//! `symbol-db/alpine/soname-packages.txt`. A name that neither knows cannot be promised: it
//! fails closed as `unavailable-library` (docs/packages.md). Names with a '/' are paths to
//! musl's loader, never package names (`needed-path`).

use serde::Serialize;

use super::{Code, Finding, Fix, Severity, Target, Verdict};
use crate::db::Db;
use crate::inspect::owners::{Ecosystem, Owner};

/// How sure muslcheck is of what it says about a library's package.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, serde::Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum PackageConfidence {
    /// An Alpine package index of the target says so.
    Apkindex,
    /// apk's installed database in the scanned image or tree says so: a real Alpine package.
    InstalledDb,
    /// The embedded table says so, checked against an aports APKBUILD.
    VerifiedTable,
    /// The embedded table says so, not checked.
    UnverifiedTable,
    /// Nobody knows the name.
    Unknown,
}

/// What the target offers for one soname.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Availability {
    /// The Alpine package that provides it, if one does.
    pub package: Option<String>,
    /// Who said so.
    pub confidence: PackageConfidence,
}

/// Look up the package providing `soname` on the target.
pub fn availability(soname: &str, db: &Db, target: &Target) -> Availability {
    if let Some(index) = &target.apkindex {
        return Availability {
            package: index.provider(soname).map(|p| p.name.clone()),
            confidence: PackageConfidence::Apkindex,
        };
    }
    if let Some(p) = target.installed.as_ref().and_then(|i| i.provider(soname)) {
        return Availability {
            package: Some(p.name.clone()),
            confidence: PackageConfidence::InstalledDb,
        };
    }
    match db.package(soname) {
        Some(p) => Availability {
            package: p.name.map(str::to_string),
            confidence: if p.verified {
                PackageConfidence::VerifiedTable
            } else {
                PackageConfidence::UnverifiedTable
            },
        },
        None => Availability {
            package: None,
            confidence: PackageConfidence::Unknown,
        },
    }
}

/// True for DT_NEEDED names the package lookup is for: not musl itself, not gcompat's, not a
/// glibc-only library (those have findings of their own), not a path.
pub fn is_packaged_kind(name: &str, db: &Db) -> bool {
    !name.contains('/') && !super::closure::is_system(db, name) && !db.is_glibc_only_soname(name)
}

/// The finding for a library found neither in the unit nor by musl/gcompat: a package to
/// install, or a library that cannot be had. `needed_by` names the requester when it is not
/// the file itself.
pub fn package_finding(lib: &str, needed_by: Option<&str>, db: &Db, target: &Target) -> Finding {
    let a = availability(lib, db, target);
    let by = needed_by
        .map(|r| format!(" (needed by {r})"))
        .unwrap_or_default();
    let mut f = match &a.package {
        Some(pkg) => {
            let hedge = match a.confidence {
                PackageConfidence::Apkindex => " (from the package index)",
                PackageConfidence::InstalledDb => " (from the apk database in the scanned files)",
                PackageConfidence::VerifiedTable => "",
                _ => " (curated, unverified)",
            };
            Finding::new(
                Code::NeedsPackage,
                Verdict::Native,
                format!("needs {lib}{by}: Alpine package {pkg}{hedge}"),
            )
            .fix(Fix::install(pkg.clone()))
        }
        None => {
            let why = match a.confidence {
                PackageConfidence::Apkindex => "the Alpine package index given does not provide it",
                PackageConfidence::InstalledDb
                | PackageConfidence::VerifiedTable
                | PackageConfidence::UnverifiedTable => "Alpine does not package it",
                PackageConfidence::Unknown => {
                    "no Alpine package is known to provide it (not in a package index or muslcheck's table), so it cannot be promised"
                }
            };
            Finding::new(
                Code::UnavailableLibrary,
                Verdict::Rebuild,
                format!(
                    "needs {lib}{by}, which is not in the scanned files and {why}: musl's loader stops with 'Error loading shared library {lib}'"
                ),
            )
            .fix(format!(
                "bundle a musl build of {lib} on the file's RUNPATH and scan the bundle with it, or rebuild without it"
            ))
        }
    };
    f = f.library(lib);
    f.package = a.package;
    f.confidence = Some(a.confidence);
    f
}

/// The finding for a DT_NEEDED name with a '/' (musl's load_library opens it as a path).
///
/// `intended` is the unit path the name was meant to reach (`$ORIGIN` as the file's
/// directory), when the scan holds it; `by_name` is true when, once the name is replaced by its
/// last component, musl's search already finds that library (no RUNPATH needed).
pub fn needed_path_finding(lib: &str, intended: Option<&str>, by_name: bool) -> Finding {
    let has_origin = lib.contains("$ORIGIN") || lib.contains("${ORIGIN}");
    let base = lib.rsplit('/').next().unwrap_or(lib);
    if lib.starts_with('/') {
        return Finding::new(
            Code::NeededPath,
            Verdict::Rebuild,
            format!("needs the absolute path {lib}, which the scanned files do not hold: the loader stops unless it is installed at exactly that path"),
        )
        .library(lib)
        .fix(format!("patchelf --replace-needed '{lib}' {base} FILE, and install or bundle {base} on the loader's path"));
    }
    if !has_origin {
        return Finding::new(
            Code::NeededPath,
            Verdict::Native,
            format!("needs {lib}, a path relative to the working directory (musl and glibc alike): it loads only when the program is started from the right directory"),
        )
        .library(lib)
        .severity(Severity::Warning)
        .fix(format!("patchelf --replace-needed '{lib}' {base} FILE, with a RUNPATH that reaches it"));
    }
    let dir = lib.rsplit_once('/').map_or("$ORIGIN", |(d, _)| d);
    let mut fix = format!("patchelf --replace-needed '{lib}' {base} FILE");
    if !by_name {
        fix.push_str(&format!(" && patchelf --set-rpath '{dir}' FILE"));
    }
    let meant = match intended {
        Some(p) => format!(" (it means {p}, judged in the closure)"),
        None => String::new(),
    };
    Finding::new(
        Code::NeededPath,
        Verdict::Rebuild,
        format!(
            "needs {lib}{meant}: musl opens a needed name with '/' as a path relative to the working directory and expands $ORIGIN only in RPATH/RUNPATH, so the loader stops with 'Error loading shared library {lib}'"
        ),
    )
    .library(lib)
    .fix(fix)
}

/// The finding for a library found beside the file but off the loader's search path.
pub fn off_path_finding(lib: &str, found: &str, origin_dir: &str, lib_dir: &str) -> Finding {
    let rel = relative(origin_dir, lib_dir);
    Finding::new(
        Code::LibraryOffPath,
        Verdict::Native,
        format!(
            "needs {lib}, bundled at {found} but on no RUNPATH: musl finds it only with LD_LIBRARY_PATH (as a vendor launcher may set)"
        ),
    )
    .library(lib)
    .fix(format!(
        "keep the launcher's LD_LIBRARY_PATH, or patchelf --set-rpath '$ORIGIN{rel}' FILE"
    ))
}

/// For a file another distribution's package installed, the Alpine package of the same name,
/// if the target's index (or the embedded table's package names) has one.
pub fn alpine_replacement(owner: &Owner, db: &Db, target: &Target) -> Option<Finding> {
    // Distribution packages only: apk's own are Alpine's already; a wheel's or npm package's
    // name is not an Alpine package name.
    let distro = match owner.ecosystem {
        Ecosystem::Deb => "Debian's",
        Ecosystem::Rpm => "the rpm package",
        Ecosystem::Apk | Ecosystem::Wheel | Ecosystem::Npm => return None,
    };
    let name = owner.name.as_str();
    let (version, confidence) = match &target.apkindex {
        Some(index) => (
            index.package(name)?.to_string(),
            PackageConfidence::Apkindex,
        ),
        None => (String::new(), db.package_name_known(name)?),
    };
    let theirs = match &owner.version {
        Some(v) => format!("{name} {v}"),
        None => name.to_string(),
    };
    let ours = if version.is_empty() {
        format!("Alpine's {name} package")
    } else {
        format!("Alpine's {name} package ({version})")
    };
    let mut f = Finding::new(
        Code::AlpinePackage,
        Verdict::Native,
        format!("installed by {distro} {theirs}: replace it with {ours}"),
    )
    .fix(Fix::step(format!(
        "apk add {name} and use Alpine's build instead of carrying this one over"
    )));
    f.package = Some(name.to_string());
    f.confidence = Some(confidence);
    Some(f)
}

/// `/../x.libs` style path from directory `from` to directory `to` (both absolute), "" if equal.
fn relative(from: &str, to: &str) -> String {
    let f: Vec<&str> = from.split('/').filter(|s| !s.is_empty()).collect();
    let t: Vec<&str> = to.split('/').filter(|s| !s.is_empty()).collect();
    let common = f.iter().zip(&t).take_while(|(a, b)| a == b).count();
    let mut out = String::new();
    for _ in common..f.len() {
        out.push_str("/..");
    }
    for part in t.iter().skip(common) {
        out.push('/');
        out.push_str(part);
    }
    out
}

/// Finding IDs about where needed libraries come from: the closure replaces the file-alone
/// versions of these once it knows what the unit holds.
pub fn is_library_source(code: Code) -> bool {
    matches!(
        code,
        Code::NeedsPackage | Code::UnavailableLibrary | Code::NeededPath | Code::LibraryOffPath
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_dirs() {
        assert_eq!(relative("/site/pkg", "/site/pkg.libs"), "/../pkg.libs");
        assert_eq!(relative("/a/b", "/a/b"), "");
        assert_eq!(relative("/", "/lib"), "/lib");
    }

    #[test]
    fn unknown_names_fail_closed_and_an_index_overrides_the_table() {
        let db = Db::get().unwrap();
        let mut t = Target::resolve(db, None, None, None).unwrap();
        let f = package_finding("libnobody-knows.so.7", None, db, &t);
        assert_eq!(
            (f.id, f.impact),
            (Code::UnavailableLibrary, Verdict::Rebuild)
        );
        assert_eq!(f.confidence, Some(PackageConfidence::Unknown));
        let f = package_finding("libz.so.1", None, db, &t);
        assert_eq!(f.package.as_deref(), Some("zlib"));
        assert_eq!(f.confidence, Some(PackageConfidence::VerifiedTable));
        let mut idx = crate::db::ApkIndex::default();
        idx.add("test", "P:zlib-ng-compat\nV:2\np:so:libz.so.1=1\n");
        t.set_apkindex(Some(std::sync::Arc::new(idx)));
        let f = package_finding("libz.so.1", None, db, &t);
        assert_eq!(f.package.as_deref(), Some("zlib-ng-compat"));
        assert_eq!(f.confidence, Some(PackageConfidence::Apkindex));
        let f = package_finding("libselinux.so.1", None, db, &t);
        assert_eq!(f.id, Code::UnavailableLibrary);
        assert_eq!(f.confidence, Some(PackageConfidence::Apkindex));
    }

    #[test]
    fn distribution_owners_get_alpines_package_and_others_do_not() {
        let db = Db::get().unwrap();
        let mut t = Target::resolve(db, None, None, None).unwrap();
        let mut idx = crate::db::ApkIndex::default();
        idx.add("test", "P:jq\nV:1.7.1-r0\n");
        t.set_apkindex(Some(std::sync::Arc::new(idx)));
        let owner = |ecosystem| Owner {
            ecosystem,
            name: "jq".to_string(),
            version: Some("1.6-5.fc39".to_string()),
        };
        let f = alpine_replacement(&owner(Ecosystem::Rpm), db, &t).unwrap();
        assert_eq!(
            f.message,
            "installed by the rpm package jq 1.6-5.fc39: replace it with Alpine's jq package (1.7.1-r0)"
        );
        assert_eq!(f.package.as_deref(), Some("jq"));
        let f = alpine_replacement(&owner(Ecosystem::Deb), db, &t).unwrap();
        assert!(
            f.message.starts_with("installed by Debian's jq"),
            "{}",
            f.message
        );
        for other in [Ecosystem::Apk, Ecosystem::Wheel, Ecosystem::Npm] {
            assert!(alpine_replacement(&owner(other), db, &t).is_none());
        }
    }

    #[test]
    fn an_installed_db_comes_after_the_index_and_before_the_table() {
        let db = Db::get().unwrap();
        let mut t = Target::resolve(db, None, None, None).unwrap();
        let mut installed = crate::db::ApkIndex::default();
        installed.add(
            "/lib/apk/db/installed",
            "P:libexample\nV:7.1-r0\np:so:libexample.so.7=7.1\n\nP:zlib-ng\nV:2\np:so:libz.so.1=1\n",
        );
        t.installed = Some(std::sync::Arc::new(installed));
        let f = package_finding("libexample.so.7", None, db, &t);
        assert_eq!(f.id, Code::NeedsPackage);
        assert_eq!(f.package.as_deref(), Some("libexample"));
        assert_eq!(f.confidence, Some(PackageConfidence::InstalledDb));
        // Where the table is sure too, the image's own packages say what it has.
        let f = package_finding("libz.so.1", None, db, &t);
        assert_eq!(f.package.as_deref(), Some("zlib-ng"));
        // Names the db lacks fall through to the table, then fail closed.
        let f = package_finding("libselinux.so.1", None, db, &t);
        assert_eq!(f.confidence, Some(PackageConfidence::VerifiedTable));
        let f = package_finding("libnobody-knows.so.7", None, db, &t);
        assert_eq!(f.id, Code::UnavailableLibrary);
        // The target's index, when given, decides alone.
        let mut idx = crate::db::ApkIndex::default();
        idx.add("test", "P:zlib\nV:1\np:so:libz.so.1=1\n");
        t.set_apkindex(Some(std::sync::Arc::new(idx)));
        let f = package_finding("libexample.so.7", None, db, &t);
        assert_eq!(f.id, Code::UnavailableLibrary);
        assert_eq!(f.confidence, Some(PackageConfidence::Apkindex));
    }
}
