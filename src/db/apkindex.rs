//! Alpine package indexes: which package provides which soname, for one Alpine release.
//!
//! The APKINDEX format (apk-tools, `src/database.c` `apk_db_index_read` and
//! `src/package.c` `apk_pkg_add_info`) is a text file of paragraphs, one per package, separated
//! by blank lines; each line is `X:value`. The fields read here:
//!
//! - `P:` package name, `V:` version, `o:` origin (the APKBUILD that built it)
//! - `p:` what the package provides, space separated, each `name` or `name=version`; shared
//!   libraries appear as `so:libz.so.1=1.3.1`
//!
//! apk's installed database (`lib/apk/db/installed`) uses the same paragraphs (plus `F:`
//! directory and `R:` file lines), so both parse here. A library file a package installs in
//! the loader's default path (`lib/`, `usr/lib/`, `usr/local/lib/`) is provided by it too, even
//! when its `p:` line has no `so:` name for it (packages built without apk's soname tracing). Reading the files (and ungzipping `APKINDEX.tar.gz`) is the
//! input stage's job; this module only sees text. Pure, no I/O.

use std::collections::HashMap;

/// One package of an index.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IndexedPackage {
    /// `P:`.
    pub name: String,
    /// `V:`.
    pub version: String,
}

/// What a set of Alpine package indexes provides.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ApkIndex {
    /// soname → the package that provides it (the first index read wins, as apk prefers the
    /// first repository).
    sonames: HashMap<String, IndexedPackage>,
    /// Package name → version.
    packages: HashMap<String, String>,
    /// Where the indexes came from, for the report.
    pub sources: Vec<String>,
}

impl ApkIndex {
    /// Add one index's text; returns how many packages it held (0: not an APKINDEX).
    pub fn add(&mut self, source: &str, text: &str) -> usize {
        let mut count = 0;
        for para in paragraphs(text) {
            let Some(name) = para.name.map(str::trim).filter(|n| !n.is_empty()) else {
                continue;
            };
            let version = para.version.trim();
            count += 1;
            self.packages
                .entry(name.to_string())
                .or_insert_with(|| version.to_string());
            let files = para
                .files
                .iter()
                .filter(|(dir, f)| {
                    is_library_dir(dir.trim().trim_matches('/')) && f.contains(".so")
                })
                .map(|(_, f)| f.trim());
            let sonames = para
                .provides
                .iter()
                .filter_map(|p| p.split('=').next().unwrap_or(p).strip_prefix("so:"))
                .chain(files);
            for so in sonames {
                self.sonames
                    .entry(so.to_string())
                    .or_insert_with(|| IndexedPackage {
                        name: name.to_string(),
                        version: version.to_string(),
                    });
            }
        }
        if count > 0 {
            self.sources.push(source.to_string());
        }
        count
    }

    /// Add what another set of indexes knows, after what this one knows (first wins).
    pub fn merge(&mut self, other: ApkIndex) {
        for (k, v) in other.sonames {
            self.sonames.entry(k).or_insert(v);
        }
        for (k, v) in other.packages {
            self.packages.entry(k).or_insert(v);
        }
        self.sources.extend(other.sources);
    }

    /// The package providing `soname`, if any index lists one.
    pub fn provider(&self, soname: &str) -> Option<&IndexedPackage> {
        self.sonames.get(soname)
    }

    /// The version of package `name`, if an index has it.
    pub fn package(&self, name: &str) -> Option<&str> {
        self.packages.get(name).map(String::as_str)
    }

    /// Number of packages known.
    pub fn len(&self) -> usize {
        self.packages.len()
    }

    /// A digest of what the indexes say (sonames and packages, in a fixed order): two indexes
    /// with the same content have the same fingerprint, whatever files they came from.
    pub fn fingerprint(&self) -> [u8; 32] {
        use sha2::{Digest, Sha256};
        let mut h = Sha256::new();
        let mut field = |s: &str| {
            h.update((s.len() as u64).to_le_bytes());
            h.update(s);
        };
        let mut sonames: Vec<_> = self.sonames.iter().collect();
        sonames.sort_unstable_by(|a, b| a.0.cmp(b.0));
        field(&sonames.len().to_string());
        for (so, p) in sonames {
            field(so);
            field(&p.name);
            field(&p.version);
        }
        let mut packages: Vec<_> = self.packages.iter().collect();
        packages.sort_unstable();
        field(&packages.len().to_string());
        for (name, version) in packages {
            field(name);
            field(version);
        }
        h.finalize().into()
    }

    /// True when no index added a package.
    pub fn is_empty(&self) -> bool {
        self.packages.is_empty()
    }
}

/// musl's default library path (ldso/dynlink.c `sys_path`: /lib:/usr/local/lib:/usr/lib), as
/// an installed db's `F:` line writes it (no leading '/').
/// One package's paragraph of an APKINDEX or an installed database, its values as written.
#[derive(Debug, Default)]
pub struct Paragraph<'t> {
    /// `P:`.
    pub name: Option<&'t str>,
    /// `V:` (empty if absent).
    pub version: &'t str,
    /// `p:`, split at spaces.
    pub provides: Vec<&'t str>,
    /// Each `R:` file with the `F:` directory before it.
    pub files: Vec<(&'t str, &'t str)>,
}

/// The paragraphs of an APKINDEX or installed database (apk-tools `apk_db_index_read`): the one
/// reader of the format, for package knowledge here and for owners (`inspect::owners`).
pub fn paragraphs(text: &str) -> impl Iterator<Item = Paragraph<'_>> {
    text.split("\n\n").map(|para| {
        let mut p = Paragraph::default();
        let mut dir = "";
        for line in para.lines() {
            match line.split_once(':') {
                Some(("P", v)) => p.name = Some(v),
                Some(("V", v)) => p.version = v,
                Some(("p", v)) => p.provides.extend(v.split_whitespace()),
                Some(("F", v)) => dir = v,
                Some(("R", v)) => p.files.push((dir, v)),
                _ => {}
            }
        }
        p
    })
}

fn is_library_dir(dir: &str) -> bool {
    matches!(dir, "lib" | "usr/lib" | "usr/local/lib")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paragraphs_provides_and_first_wins() {
        let mut idx = ApkIndex::default();
        let main = "C:Q1x=\nP:zlib\nV:1.3.1-r2\np:so:libz.so.1=1.3.1\n\nP:libselinux\nV:3.8-r0\n\
                    p:so:libselinux.so.1=1 cmd:x\n\nV:orphan\n";
        assert_eq!(idx.add("main", main), 2);
        assert_eq!(idx.add("other", "P:zlib-ng\nV:2\np:so:libz.so.1=1\n"), 1);
        assert_eq!(idx.add("junk", "not an index\n"), 0);
        assert_eq!(
            idx.provider("libz.so.1").map(|p| p.name.as_str()),
            Some("zlib")
        );
        assert_eq!(
            idx.provider("libselinux.so.1").map(|p| p.version.as_str()),
            Some("3.8-r0")
        );
        assert!(idx.provider("libsystemd.so.0").is_none());
        assert_eq!(idx.package("zlib-ng"), Some("2"));
        assert_eq!(idx.sources, vec!["main", "other"]);
        assert_eq!(idx.len(), 3);
    }

    #[test]
    fn installed_db_files_in_the_library_path_are_provided() {
        let mut idx = ApkIndex::default();
        let installed = "P:libfoo\nV:2-r1\nF:usr/lib\nR:libfoo.so.2\nR:libfoo.so.2.0.1\n\
                         F:usr/lib/foo/plugins\nR:libplug.so\nF:usr/share/doc\nR:libdoc.so.txt\n\n\
                         P:libbar\nV:1\np:so:libbar.so.1=1\nF:lib\nR:libbar.so.1\nR:libfoo.so.2\n";
        assert_eq!(idx.add("installed", installed), 2);
        let who = |so: &str| idx.provider(so).map(|p| p.name.as_str());
        assert_eq!(who("libfoo.so.2"), Some("libfoo"), "the first package wins");
        assert_eq!(who("libfoo.so.2.0.1"), Some("libfoo"));
        assert_eq!(who("libbar.so.1"), Some("libbar"));
        assert_eq!(who("libplug.so"), None, "not on the loader's path");
        assert_eq!(who("libdoc.so.txt"), None);
    }
}
