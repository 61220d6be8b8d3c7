//! Reading Alpine package indexes from disk (`--apkindex`, or apk's own cache on an Alpine host).
//!
//! A repository's index is `APKINDEX.tar.gz`: a gzip'd tar (in fact several gzip members, the
//! first holding the signature) whose `APKINDEX` member is the text. apk caches them as
//! `/var/cache/apk/APKINDEX.<hash>.tar.gz`. apk's installed database
//! (`/lib/apk/db/installed`) and an extracted `APKINDEX` are the same text, read as-is.

use std::io::Read;
use std::path::{Path, PathBuf};

use crate::db::ApkIndex;

/// Largest index text read (edge's community index is about 10 MiB uncompressed).
const MAX_INDEX_BYTES: u64 = 256 << 20;

/// Where apk caches the indexes of its configured repositories.
const APK_CACHE: &str = "/var/cache/apk";

/// The index files a path names: the file itself, or a directory's `APKINDEX*` and
/// `installed` files, sorted by name.
fn files(path: &Path) -> std::io::Result<Vec<PathBuf>> {
    if !path.is_dir() {
        return Ok(vec![path.to_path_buf()]);
    }
    let mut out: Vec<PathBuf> = std::fs::read_dir(path)?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or_default();
            p.is_file() && (name.starts_with("APKINDEX") || name == "installed")
        })
        .collect();
    out.sort();
    Ok(out)
}

/// The text of one index file: plain, or the `APKINDEX` member of a gzip'd tar.
fn text(path: &Path) -> std::io::Result<String> {
    let mut head = [0u8; 2];
    let mut f = std::fs::File::open(path)?;
    let n = f.read(&mut head)?;
    let f = std::fs::File::open(path)?;
    if n == 2 && head == [0x1f, 0x8b] {
        // MultiGzDecoder: apk's signed index is several concatenated gzip members.
        let gz = flate2::read::MultiGzDecoder::new(f);
        let mut tar = tar::Archive::new(gz.take(MAX_INDEX_BYTES));
        for entry in tar.entries()? {
            let entry = entry?;
            if entry.path()?.to_str() == Some("APKINDEX") {
                let mut s = String::new();
                entry.take(MAX_INDEX_BYTES).read_to_string(&mut s)?;
                return Ok(s);
            }
        }
        return Err(std::io::Error::other("no APKINDEX member in this archive"));
    }
    let mut s = String::new();
    f.take(MAX_INDEX_BYTES).read_to_string(&mut s)?;
    Ok(s)
}

/// Read the indexes `paths` name. An unreadable file, or one that lists no package, is an
/// error: an index the user gave must be used or the run refused.
pub fn read(paths: &[PathBuf]) -> Result<ApkIndex, String> {
    let mut index = ApkIndex::default();
    for p in paths {
        let found = files(p).map_err(|e| format!("cannot read --apkindex {}: {e}", p.display()))?;
        if found.is_empty() {
            return Err(format!(
                "--apkindex {}: no APKINDEX* or installed file in this directory",
                p.display()
            ));
        }
        for f in found {
            let t = text(&f).map_err(|e| format!("cannot read APKINDEX {}: {e}", f.display()))?;
            if index.add(&f.display().to_string(), &t) == 0 {
                return Err(format!(
                    "{} is not an Alpine package index (no P: lines)",
                    f.display()
                ));
            }
        }
    }
    Ok(index)
}

/// On an Alpine host, the indexes apk has cached for its repositories (None elsewhere, or
/// when the cache is empty).
pub fn host_cache() -> Option<ApkIndex> {
    if !Path::new("/etc/alpine-release").is_file() {
        return None;
    }
    let mut cached = files(Path::new(APK_CACHE)).ok()?;
    cached.retain(|p| {
        p.file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.ends_with(".tar.gz"))
    });
    if cached.is_empty() {
        return None;
    }
    read(&cached).ok()
}
