//! Which package installed a file: the package managers' own records inside a scanned tree,
//! archive or image (#11).
//!
//! - Debian: `var/lib/dpkg/status` (paragraphs `Package:`/`Version:`) and
//!   `var/lib/dpkg/info/PKG[:ARCH].list` (one installed path per line).
//! - Alpine: `lib/apk/db/installed` (paragraphs `P:`/`V:`, `F:` directory then `R:` file lines).
//! - rpm: `var/lib/rpm/rpmdb.sqlite` or `usr/lib/sysimage/rpm/rpmdb.sqlite` (headers, see
//!   [`super::rpmdb`]); the Berkeley DB and ndb formats are noted as not read.
//! - Python wheels: `NAME-VERSION.dist-info/RECORD` (`path,hash,size`, relative to the directory
//!   holding the dist-info).
//! - npm: `package.json` (`name`, `version`) owns everything below its directory.
//!
//! Pure: the input stage hands the files' bytes over as [`crate::input::Item::Meta`].

use std::collections::HashMap;

use serde::Serialize;

/// The package manager that installed a file.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Ecosystem {
    /// dpkg (Debian, Ubuntu).
    Deb,
    /// apk (Alpine).
    Apk,
    /// rpm (Fedora, RHEL, SUSE).
    Rpm,
    /// A Python wheel.
    Wheel,
    /// An npm package.
    Npm,
}

impl Ecosystem {
    /// How users name it (`Debian's jq`, `the wheel numpy`).
    pub fn describe(self) -> &'static str {
        match self {
            Ecosystem::Deb => "Debian package",
            Ecosystem::Apk => "Alpine package",
            Ecosystem::Rpm => "rpm package",
            Ecosystem::Wheel => "wheel",
            Ecosystem::Npm => "npm package",
        }
    }
}

/// The package that owns a file.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, serde::Deserialize)]
pub struct Owner {
    /// Who installed it.
    pub ecosystem: Ecosystem,
    /// Package name.
    pub name: String,
    /// Package version, when recorded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
}

/// Largest metadata file read (a Debian status file with thousands of packages is a few MiB).
pub const MAX_METADATA_BYTES: u64 = 64 << 20;

/// Where rpm keeps its database: /var/lib/rpm, or /usr/lib/sysimage/rpm (Fedora ≥ 36, openSUSE).
const RPM_DIRS: [&str; 2] = ["/var/lib/rpm/", "/usr/lib/sysimage/rpm/"];

fn is_rpm_file(path: &str, names: &[&str]) -> bool {
    // Asked of every file of a tree: no allocation.
    names.iter().any(|n| {
        path.strip_suffix(n)
            .is_some_and(|dir| RPM_DIRS.iter().any(|d| dir.ends_with(d)))
    })
}

/// rpm's Berkeley DB (`Packages`, rpm < 4.16) and ndb (`Packages.db`, SUSE) databases: seen, noted,
/// not read.
fn is_unread_rpmdb(path: &str) -> bool {
    is_rpm_file(path, &["Packages", "Packages.db"])
}

/// How many bytes of metadata file `path` to read: none of a database only noted.
pub fn metadata_limit(path: &str) -> u64 {
    if is_unread_rpmdb(path) {
        0
    } else {
        MAX_METADATA_BYTES
    }
}

/// True for a unit path whose contents say who owns other files.
pub fn is_metadata(path: &str) -> bool {
    is_rpm_file(path, &["rpmdb.sqlite", "Packages", "Packages.db"])
        || path.ends_with("/var/lib/dpkg/status")
        || (path.contains("/var/lib/dpkg/info/") && path.ends_with(".list"))
        || path.ends_with("/lib/apk/db/installed")
        || path.ends_with(".dist-info/RECORD")
        || path.ends_with("/package.json")
}

/// Owners of the files of one unit, built from its metadata files.
#[derive(Debug, Default)]
pub struct Owners {
    /// Exact path → owner (dpkg lists, apk db, wheel RECORDs).
    files: HashMap<String, Owner>,
    /// npm package directory → owner.
    npm_dirs: HashMap<String, Owner>,
    /// dpkg package → version, from the status file.
    deb_versions: HashMap<String, String>,
    /// apk's installed database read as package knowledge: the Alpine packages the unit has
    /// and the sonames they provide (judge::libraries consults it like an index).
    installed: crate::db::ApkIndex,
    /// Package databases seen but not read, and why: their owners stay unnamed.
    unread: Vec<String>,
}

fn dirname(p: &str) -> &str {
    match p.rsplit_once('/') {
        Some(("", _)) | None => "/",
        Some((d, _)) => d,
    }
}

impl Owners {
    /// Read one metadata file (`path` is its unit path).
    pub fn add(&mut self, path: &str, data: &[u8]) {
        if is_unread_rpmdb(path) {
            self.unread.push(format!(
                "{path} is an rpm database in a format muslcheck does not read (Berkeley DB or ndb; rpm ≥ 4.16 writes rpmdb.sqlite)"
            ));
            return;
        }
        if path.ends_with("rpmdb.sqlite") {
            return self.rpm_sqlite(path, data);
        }
        let text = String::from_utf8_lossy(data);
        if path.ends_with("/var/lib/dpkg/status") {
            self.dpkg_status(&text);
        } else if path.ends_with(".list") {
            let file = path.rsplit('/').next().unwrap_or_default();
            let stem = file.strip_suffix(".list").unwrap_or(file);
            let name = stem.split(':').next().unwrap_or(stem);
            for line in text.lines().filter(|l| l.starts_with('/')) {
                self.files.entry(line.to_string()).or_insert(Owner {
                    ecosystem: Ecosystem::Deb,
                    name: name.to_string(),
                    version: None,
                });
            }
        } else if path.ends_with("/lib/apk/db/installed") {
            self.apk_installed(&text);
            self.installed.add(path, &text);
        } else if path.ends_with(".dist-info/RECORD") {
            self.wheel_record(path, &text);
        } else if path.ends_with("/package.json") {
            self.npm_package(path, &text);
        }
    }

    fn dpkg_status(&mut self, text: &str) {
        for para in text.split("\n\n") {
            let field = |k: &str| {
                para.lines()
                    .find_map(|l| l.strip_prefix(k))
                    .map(|v| v.trim().to_string())
            };
            if let (Some(p), Some(v)) = (field("Package:"), field("Version:")) {
                self.deb_versions.insert(p, v);
            }
        }
    }

    fn apk_installed(&mut self, text: &str) {
        for para in crate::db::apk_paragraphs(text) {
            let Some(name) = para.name else { continue };
            let owner = Owner {
                ecosystem: Ecosystem::Apk,
                name: name.to_string(),
                version: (!para.version.is_empty()).then(|| para.version.to_string()),
            };
            for (dir, file) in para.files {
                let p = crate::input::normalize(&format!("/{dir}/{file}"));
                self.files.entry(p).or_insert_with(|| owner.clone());
            }
        }
    }

    fn rpm_sqlite(&mut self, path: &str, data: &[u8]) {
        let (packages, malformed) = match super::rpmdb::read_sqlite(data) {
            Ok(x) => x,
            Err(e) => {
                self.unread.push(format!("{path} could not be read: {e}"));
                return;
            }
        };
        if malformed > 0 {
            self.unread.push(format!(
                "{path}: {malformed} package header(s) could not be read"
            ));
        }
        for p in packages {
            let owner = Owner {
                ecosystem: Ecosystem::Rpm,
                name: p.name,
                version: (!p.version.is_empty()).then_some(p.version),
            };
            for f in p.files {
                self.files
                    .entry(crate::input::normalize(&f))
                    .or_insert_with(|| owner.clone());
            }
        }
    }

    /// Package databases that were seen and not read (or not wholly), with the reason.
    pub fn unread(&self) -> &[String] {
        &self.unread
    }

    fn wheel_record(&mut self, path: &str, text: &str) {
        let dist_info = dirname(path);
        let base = dirname(dist_info);
        let dir_name = dist_info.rsplit('/').next().unwrap_or_default();
        let stem = dir_name.strip_suffix(".dist-info").unwrap_or(dir_name);
        // NAME-VERSION (wheel names have their dashes escaped as underscores).
        let (name, version) = match stem.split_once('-') {
            Some((n, v)) => (n.to_string(), Some(v.to_string())),
            None => (stem.to_string(), None),
        };
        let owner = Owner {
            ecosystem: Ecosystem::Wheel,
            name,
            version,
        };
        for line in text.lines() {
            let file = line.split(',').next().unwrap_or_default();
            if file.is_empty() {
                continue;
            }
            let p = crate::input::normalize(&format!("{base}/{file}"));
            self.files.entry(p).or_insert_with(|| owner.clone());
        }
    }

    fn npm_package(&mut self, path: &str, text: &str) {
        let Ok(json) = serde_json::from_str::<serde_json::Value>(text) else {
            return;
        };
        let Some(name) = json.get("name").and_then(|n| n.as_str()) else {
            return;
        };
        self.npm_dirs.insert(
            dirname(path).to_string(),
            Owner {
                ecosystem: Ecosystem::Npm,
                name: name.to_string(),
                version: json
                    .get("version")
                    .and_then(|v| v.as_str())
                    .map(str::to_string),
            },
        );
    }

    /// The owner of the file at unit path `path`, if a metadata file names it.
    pub fn owner_of(&self, path: &str) -> Option<Owner> {
        // Debian's merged /usr: dpkg lists /bin/ls, the file is /usr/bin/ls (and the reverse).
        let alt = match path.strip_prefix("/usr") {
            Some(rest) => rest.to_string(),
            None => format!("/usr{path}"),
        };
        if let Some(o) = self.files.get(path).or_else(|| self.files.get(&alt)) {
            let mut o = o.clone();
            if o.ecosystem == Ecosystem::Deb {
                o.version = self.deb_versions.get(&o.name).cloned();
            }
            return Some(o);
        }
        // The nearest package.json above the file.
        let mut dir = dirname(path);
        loop {
            if let Some(o) = self.npm_dirs.get(dir) {
                return Some(o.clone());
            }
            if dir == "/" {
                return None;
            }
            dir = dirname(dir);
        }
    }

    /// Add what another set of records says (the first record of a path wins).
    pub fn merge(&mut self, other: Owners) {
        for (k, v) in other.files {
            self.files.entry(k).or_insert(v);
        }
        for (k, v) in other.npm_dirs {
            self.npm_dirs.entry(k).or_insert(v);
        }
        for (k, v) in other.deb_versions {
            self.deb_versions.entry(k).or_insert(v);
        }
        self.installed.merge(other.installed);
        self.unread.extend(other.unread);
    }

    /// The Alpine packages apk's installed database lists, if the unit holds one.
    pub fn installed(&self) -> Option<&crate::db::ApkIndex> {
        (!self.installed.is_empty()).then_some(&self.installed)
    }

    /// True when no metadata was read.
    pub fn is_empty(&self) -> bool {
        self.files.is_empty() && self.npm_dirs.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rpm_databases_are_known_by_directory_and_name() {
        assert!(is_metadata("/var/lib/rpm/rpmdb.sqlite"));
        assert!(is_metadata("/usr/lib/sysimage/rpm/Packages.db"));
        assert!(is_unread_rpmdb("/var/lib/rpm/Packages"));
        assert!(!is_unread_rpmdb("/var/lib/rpm/rpmdb.sqlite"));
        assert!(!is_metadata("/srv/rpmdb.sqlite"));
        assert!(!is_metadata("/var/lib/rpmx/Packages"));
        assert!(!is_metadata("/var/lib/rpm/OtherPackages"));
    }

    #[test]
    fn every_package_manager_names_its_files() {
        let mut o = Owners::default();
        o.add(
            "/var/lib/dpkg/status",
            b"Package: jq\nStatus: install ok installed\nVersion: 1.6-2.1\n\nPackage: coreutils\nVersion: 9.1-1\n",
        );
        o.add(
            "/var/lib/dpkg/info/jq:amd64.list",
            b"/.\n/usr\n/usr/bin/jq\n",
        );
        o.add("/var/lib/dpkg/info/coreutils.list", b"/bin/ls\n");
        o.add(
            "/lib/apk/db/installed",
            b"C:Q1=\nP:busybox\nV:1.37.0-r12\nF:bin\nR:busybox\n\nP:zlib\nV:1.3.1-r2\nF:usr/lib\nR:libz.so.1.3.1\n",
        );
        o.add(
            "/site/numpy-2.1.0.dist-info/RECORD",
            b"numpy/core/_multiarray.so,sha256=x,1\nnumpy.libs/libgfortran-040039e1.so.5.0.0,,\n",
        );
        o.add(
            "/node_modules/@img/sharp-linux-x64/package.json",
            br#"{"name": "@img/sharp-linux-x64", "version": "0.33.5"}"#,
        );
        let get = |p: &str| o.owner_of(p).map(|o| (o.ecosystem, o.name, o.version));
        assert_eq!(
            get("/usr/bin/jq"),
            Some((Ecosystem::Deb, "jq".into(), Some("1.6-2.1".into())))
        );
        assert_eq!(
            get("/usr/bin/ls"),
            Some((Ecosystem::Deb, "coreutils".into(), Some("9.1-1".into()))),
            "merged /usr"
        );
        assert_eq!(
            get("/usr/lib/libz.so.1.3.1"),
            Some((Ecosystem::Apk, "zlib".into(), Some("1.3.1-r2".into())))
        );
        assert_eq!(
            get("/site/numpy.libs/libgfortran-040039e1.so.5.0.0"),
            Some((Ecosystem::Wheel, "numpy".into(), Some("2.1.0".into())))
        );
        assert_eq!(
            get("/node_modules/@img/sharp-linux-x64/lib/sharp-linux-x64.node"),
            Some((
                Ecosystem::Npm,
                "@img/sharp-linux-x64".into(),
                Some("0.33.5".into())
            ))
        );
        assert_eq!(get("/opt/other"), None);
        assert!(is_metadata("/var/lib/dpkg/info/jq:amd64.list"));
        assert!(!is_metadata("/usr/share/doc/jq/copyright"));
    }
}
