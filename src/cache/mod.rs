//! The results cache (#13): what inspection learnt about a content, what an archive held, and
//! which content an unchanged file on disk has, kept between runs in one SQLite database.
//!
//! - `facts`: SHA-256 of a file's bytes → its inspection outcome ([`Inspected`]). Facts do not
//!   depend on the target, so a cached file is judged again (cheaply) for whatever target the run
//!   asks for.
//! - `archives`: SHA-256 of an archive file (and how it was expanded) → its members in order
//!   ([`Member`]): a known archive is answered without decompressing it.
//! - `files`: (device, inode) with size, mtime and ctime → SHA-256, as git's index does, so an
//!   unchanged file is not hashed again; or → "other" (no digest) for a file of a tree sniffed as
//!   neither ELF nor an archive, so that an unchanged one is not even opened again. An entry is
//!   only written when the file's timestamps are clearly older than the moment it was read
//!   ("racy git"): a file changed again within the same timestamp tick would otherwise keep its
//!   old answer. The table is loaded whole, once, at the first lookup of a run (one query
//!   instead of one per file); its `used` times are renewed at most once a day.
//!
//! Every key carries [`version`] (muslcheck, cache format, symbol-db fingerprint): another
//! version's entries are never read and age out. Every value carries a checksum of key and
//! value; one that does not match is a miss. The database runs in WAL mode so that several
//! processes share it (readers never block; writers queue on SQLite's lock, `busy_timeout`).
//! Writes are batched into one transaction per few MiB. A file that is not SQLite, or another
//! program's database, is reported once and ignored: the run goes on without a cache. Any
//! error later on turns the cache off for the rest of the run. docs/scale.md explains the
//! choices.

mod store;

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::input::now_ns;
use crate::inspect::{Facts, InspectError};

pub use store::{Info, clear_at, info_at};

/// Bumped whenever a stored value's shape changes (old entries are then never read).
pub const FORMAT: u32 = 2;

/// The database file inside the cache directory.
pub const FILE_NAME: &str = "muslcheck-cache.sqlite3";

/// Default size bound (`--cache-max-size`).
pub const DEFAULT_MAX_BYTES: u64 = 1 << 30;

/// An entry's last use is written again only when it is older than this (a warm run over a tree
/// would otherwise rewrite a row per file it looked at): eviction is least-recently-used to the
/// day.
const TOUCH_AFTER_S: i64 = 86_400;

/// The `files` table is loaded whole, once per run, up to this many rows (about 120 bytes each
/// in memory: /usr has 130,000). A bigger one — a cache shared by sweeps over many trees — is
/// asked row by row instead, so that memory stays bounded whatever the cache holds.
pub const MAX_LOADED_FILES: usize = 500_000;

/// Entries whose timestamps are this close to the moment of hashing are not remembered (coarse
/// filesystem timestamps: FAT has 2-second mtimes, ext3 1 second).
const RACY_NS: i128 = 2_000_000_000;

/// The version every key is scoped to.
pub fn version() -> &'static str {
    static V: OnceLock<String> = OnceLock::new();
    V.get_or_init(|| {
        format!(
            "muslcheck {} cache {FORMAT} symbol-db {}",
            env!("CARGO_PKG_VERSION"),
            crate::db::Db::fingerprint()
        )
    })
}

/// The default cache directory: `$XDG_CACHE_HOME/muslcheck`, else `~/.cache/muslcheck`.
pub fn default_dir() -> Option<PathBuf> {
    let absolute = |v: std::ffi::OsString| Some(PathBuf::from(v)).filter(|p| p.is_absolute());
    std::env::var_os("XDG_CACHE_HOME")
        .and_then(absolute)
        .or_else(|| {
            std::env::var_os("HOME")
                .and_then(absolute)
                .map(|h| h.join(".cache"))
        })
        .map(|d| d.join("muslcheck"))
}

/// What inspecting one content found, as stored.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub enum Inspected {
    /// The ELF facts.
    Facts(Box<Facts>),
    /// Not an ELF file.
    NotElf,
    /// Malformed where the loader needs it.
    Malformed(String),
}

/// [`Inspected`] borrowed, for storing without a copy (serialises the same way).
#[derive(Serialize)]
enum InspectedRef<'a> {
    Facts(&'a Facts),
    NotElf,
    Malformed(&'a str),
}

impl Inspected {
    /// Back to what inspection returns.
    pub fn into_result(self) -> Result<Facts, InspectError> {
        match self {
            Inspected::Facts(f) => Ok(*f),
            Inspected::NotElf => Err(InspectError::NotElf),
            Inspected::Malformed(m) => Err(InspectError::Malformed(m)),
        }
    }
}

/// One item of an archive, as remembered: names are relative to the archive's own name, unit
/// numbers to the archive's first unit.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Member {
    /// A unit (the archive itself, or an archive nested in it).
    Unit {
        /// Index among the archive's units.
        unit: usize,
        /// Name after the archive's name.
        suffix: String,
    },
    /// An ELF member, by content.
    Elf {
        /// Name after the archive's name.
        suffix: String,
        /// Its unit.
        unit: usize,
        /// Path inside the unit.
        unit_path: String,
        /// SHA-256 of its bytes (the `facts` key).
        sha256: [u8; 32],
        /// Its length.
        size: u64,
        /// For a file of a container image (a `docker save` or OCI tarball): where in the image.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        image: Option<Box<crate::input::ImageOrigin>>,
    },
    /// A package manager's record of owners (dpkg status, a wheel's RECORD, package.json…),
    /// kept as text: owners are read from it again on replay.
    Meta {
        /// Its unit.
        unit: usize,
        /// Path inside the unit.
        path: String,
        /// Its content.
        text: String,
    },
    /// A link inside a unit.
    Link {
        /// Its unit.
        unit: usize,
        /// Link path.
        path: String,
        /// Where it points.
        target: String,
    },
    /// A member that is not ELF (only a `named` one gets a record).
    Other {
        /// Name after the archive's name.
        suffix: String,
        /// Named by the user.
        named: bool,
    },
    /// A member that could not be read, or a limit.
    Problem {
        /// Name after the archive's name.
        suffix: String,
        /// What went wrong.
        error: String,
        /// A limit rather than damage.
        limit: bool,
    },
}

/// A content's own judgement for one target, as stored: a warm run neither decodes its facts
/// (the bulk of a warm run's work before, #13) nor judges it again.
#[derive(Debug, Deserialize)]
pub struct Judged {
    /// Its record before closure and policy (path and artifact are the caller's).
    pub record: crate::report::Record,
    /// Each finding's symbol and fix as data (the record's JSON has them as text), as a JSONL
    /// record line carries them.
    pub finding_parts: Vec<crate::report::FindingParts>,
    /// What closure resolution needs of it (ELF files only).
    pub node: Option<JudgedNode>,
}

/// [`Judged`] borrowed, for storing without a copy (serialises the same way).
#[derive(Serialize)]
pub struct JudgedRef<'a> {
    /// See [`Judged::record`].
    pub record: &'a crate::report::Record,
    /// See [`Judged::finding_parts`].
    pub finding_parts: Vec<crate::report::FindingParts>,
    /// See [`Judged::node`].
    pub node: Option<JudgedNode>,
}

/// A closure node as stored: the loader it names is the symbol-db's, looked up by architecture.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct JudgedNode {
    /// DT_NEEDED.
    pub needed: Vec<String>,
    /// DT_RPATH.
    pub rpath: Vec<String>,
    /// DT_RUNPATH.
    pub runpath: Vec<String>,
    /// The file's architecture.
    pub arch: crate::inspect::Arch,
}

/// Counters for the progress display and `--verbose` runs.
#[derive(Debug, Default)]
pub struct Stats {
    /// Contents whose judgement for the run's target came from the cache.
    pub judged_hits: AtomicU64,
    /// Contents whose facts came from the cache.
    pub facts_hits: AtomicU64,
    /// Files whose digest came from the cache (not hashed).
    pub digest_hits: AtomicU64,
    /// Archives answered from the cache (not decompressed).
    pub archive_hits: AtomicU64,
    /// Files of trees known as neither ELF nor an archive (not opened).
    pub other_hits: AtomicU64,
}

/// What [`Cache::hash_file`] found.
pub enum FileDigest {
    /// Known from the `files` table: SHA-256 and length; the file was not read.
    Known([u8; 32], u64),
    /// Hashed just now, its bytes still at hand for inspection.
    Hashed(crate::input::Hashed),
}

impl FileDigest {
    /// The SHA-256.
    pub fn sha256(&self) -> [u8; 32] {
        match self {
            FileDigest::Known(sha, _) => *sha,
            FileDigest::Hashed(h) => h.sha256,
        }
    }
}

/// An open cache, shared by the threads of one run.
#[derive(Debug)]
pub struct Cache {
    store: Mutex<Option<store::Store>>,
    pending: Mutex<store::Pending>,
    max_bytes: u64,
    warnings: Mutex<Vec<String>>,
    /// Last-use times older than this are renewed ([`TOUCH_AFTER_S`]; tests renew every use).
    touch_after_s: i64,
    /// The `files` table, loaded at the first lookup of this run (None: too big to load).
    files: OnceLock<Option<store::FileTable>>,
    /// The most `files` rows loaded whole ([`MAX_LOADED_FILES`]; tests lower it).
    max_loaded_files: usize,
    /// Rows this run added to the `files` table (files hashed now, asked again if met again).
    added: Mutex<store::FileTable>,
    /// What the cache saved this run.
    pub stats: Stats,
}

/// When the `files` table's answer can be trusted: same inode, same size, same times.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stat {
    dev: u64,
    ino: u64,
    size: u64,
    mtime_ns: i128,
    ctime_ns: i128,
}

impl Stat {
    /// The identity of a file as the kernel reports it.
    pub fn of(m: &std::fs::Metadata) -> Stat {
        Stat {
            dev: m.dev(),
            ino: m.ino(),
            size: m.size(),
            mtime_ns: i128::from(m.mtime()) * 1_000_000_000 + i128::from(m.mtime_nsec()),
            ctime_ns: i128::from(m.ctime()) * 1_000_000_000 + i128::from(m.ctime_nsec()),
        }
    }
}

/// Seconds since the epoch, for "last used".
fn now_s() -> i64 {
    (now_ns() / 1_000_000_000) as i64
}

fn keyed(parts: &[&[u8]]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(version().as_bytes());
    for p in parts {
        h.update((p.len() as u64).to_le_bytes());
        h.update(p);
    }
    h.finalize().into()
}

impl Cache {
    /// Open (creating if needed) the cache in `dir`. A problem is not fatal: the result is
    /// `None` and the reason is in the returned message, to be shown as a warning.
    pub fn open(dir: &Path, max_bytes: u64) -> Result<Cache, String> {
        let store = store::Store::open(&dir.join(FILE_NAME))?;
        Ok(Cache {
            store: Mutex::new(Some(store)),
            pending: Mutex::default(),
            max_bytes,
            warnings: Mutex::default(),
            touch_after_s: TOUCH_AFTER_S,
            files: OnceLock::new(),
            max_loaded_files: MAX_LOADED_FILES,
            added: Mutex::default(),
            stats: Stats::default(),
        })
    }

    /// Messages about the cache (each once), for standard error.
    pub fn take_warnings(&self) -> Vec<String> {
        self.warnings
            .lock()
            .map(|mut w| std::mem::take(&mut *w))
            .unwrap_or_default()
    }

    /// Run `f` on the store; an error turns the cache off for the rest of the run, with a warning.
    fn with<T>(&self, f: impl FnOnce(&mut store::Store) -> rusqlite::Result<T>) -> Option<T> {
        let mut guard = self.store.lock().ok()?;
        let store = guard.as_mut()?;
        match f(store) {
            Ok(v) => Some(v),
            Err(e) => {
                let path = store.path.display().to_string();
                *guard = None;
                if let Ok(mut w) = self.warnings.lock() {
                    w.push(format!(
                        "results cache {path} failed ({e}); going on without it"
                    ));
                }
                None
            }
        }
    }

    /// What the `files` table knows of an unchanged file: `Some(Some(digest))`, `Some(None)`
    /// for a file sniffed as "other", `None` when it is unknown or changed.
    fn seen(&self, stat: &Stat) -> Option<Option<[u8; 32]>> {
        let key = (stat.dev, stat.ino);
        let fresh = |row: &store::FileRow| {
            let fresh = row.size == stat.size
                && row.mtime_ns == stat.mtime_ns
                && row.ctime_ns == stat.ctime_ns
                && row.check == store::file_check(stat, row.sha256.as_ref());
            fresh.then_some((row.sha256, row.used))
        };
        // The table as loaded is only read (no lock: every worker asks it, once per file); rows
        // this run added are asked only when it does not know the file.
        let loaded = self.loaded();
        let known = loaded.and_then(|t| t.get(&key)).and_then(fresh);
        let (sha256, used) = match known {
            Some(answer) => answer,
            None => match self.added.lock().ok()?.get(&key).and_then(fresh) {
                Some(answer) => answer,
                // A table too big to load whole is asked row by row.
                None if loaded.is_none() => {
                    let row = self.with(|s| s.file(stat.dev, stat.ino))??;
                    fresh(&row)?
                }
                None => return None,
            },
        };
        if now_s().saturating_sub(used) > self.touch_after_s {
            self.pending(|p| p.touch_file(stat.dev, stat.ino));
        }
        Some(sha256)
    }

    /// The `files` table as it was when this run first asked it (loaded then), or None when it
    /// holds more than `max_loaded_files` rows.
    fn loaded(&self) -> Option<&store::FileTable> {
        self.files
            .get_or_init(|| {
                let max = self.max_loaded_files;
                self.with(|s| s.files(max))
                    .unwrap_or(Some(Default::default()))
            })
            .as_ref()
    }

    /// Remember what the `files` table is to say about a file with identity `stat`.
    fn remember_row(&self, stat: &Stat, sha256: Option<[u8; 32]>) {
        let check = store::file_check(stat, sha256.as_ref());
        self.pending(|p| p.file(*stat, sha256, check));
        if sha256.is_none() {
            return; // asked once per run: not worth the memory
        }
        let row = store::FileRow {
            size: stat.size,
            mtime_ns: stat.mtime_ns,
            ctime_ns: stat.ctime_ns,
            sha256,
            check,
            used: now_s(),
        };
        if let Ok(mut added) = self.added.lock() {
            added.insert((stat.dev, stat.ino), row);
        }
    }

    /// The SHA-256 of a file with identity `stat`, if it is known and unchanged.
    pub fn digest(&self, stat: &Stat) -> Option<[u8; 32]> {
        let sha = self.seen(stat)??;
        self.stats.digest_hits.fetch_add(1, Ordering::Relaxed);
        Some(sha)
    }

    /// Remember the digest of a file whose metadata was `stat` before it was hashed at
    /// `hashed_at_ns`. Files changed less than two seconds before that are not remembered.
    pub fn remember_digest(&self, stat: &Stat, sha256: [u8; 32], hashed_at_ns: i128) {
        if stat.mtime_ns.max(stat.ctime_ns) + RACY_NS > hashed_at_ns {
            return;
        }
        self.remember_row(stat, Some(sha256));
    }

    /// The digest of the file at `path` (at most `max` bytes): from the `files` table when the
    /// file is unchanged (nothing is read), else hashed — the bytes kept for inspection — and
    /// remembered.
    pub fn hash_file(&self, path: &Path, max: u64) -> std::io::Result<FileDigest> {
        let meta = std::fs::metadata(path)?;
        if meta.len() <= max {
            if let Some(sha) = self.digest(&Stat::of(&meta)) {
                return Ok(FileDigest::Known(sha, meta.len()));
            }
        }
        let started = now_ns();
        let h = crate::input::hash_file(path, max)?;
        // A file whose length changed while it was hashed is not remembered.
        if h.len == meta.len() {
            self.remember_digest(&Stat::of(&meta), h.sha256, started);
        }
        Ok(FileDigest::Hashed(h))
    }

    /// The cached inspection of a content.
    pub fn facts(&self, sha256: &[u8; 32]) -> Option<Inspected> {
        let key = keyed(&[b"facts", sha256]);
        let (blob, used) = self.with(|s| s.get(store::Table::Facts, &key))??;
        let v: Inspected = store::open_value(&key, &blob)?;
        self.stats.facts_hits.fetch_add(1, Ordering::Relaxed);
        self.touch(store::Table::Facts, key, used);
        Some(v)
    }

    /// Store the inspection of a content (a timeout is not stored: it says nothing of the file).
    pub fn store_facts(&self, sha256: &[u8; 32], inspected: &Result<Facts, InspectError>) {
        let value = match inspected {
            Ok(f) => InspectedRef::Facts(f),
            Err(InspectError::NotElf) => InspectedRef::NotElf,
            Err(InspectError::Malformed(m)) => InspectedRef::Malformed(m),
            Err(InspectError::TimedOut) => return,
        };
        let key = keyed(&[b"facts", sha256]);
        if let Some(blob) = store::seal_value(&key, &value) {
            self.pending(|p| p.put(store::Table::Facts, key, blob));
        }
    }

    /// The key of an archive: its content and everything that shapes its expansion.
    pub fn archive_key(sha256: &[u8; 32], expansion: &str, named: bool) -> [u8; 32] {
        keyed(&[b"archive", sha256, expansion.as_bytes(), &[u8::from(named)]])
    }

    /// The remembered members of an archive, only if the facts of every ELF member are still
    /// there too (they are not decoded here: a member whose judgement is cached never needs
    /// them, see [`Cache::judged`]).
    pub fn archive(&self, key: &[u8; 32]) -> Option<Vec<Member>> {
        let (blob, used) = self.with(|s| s.get(store::Table::Archives, key))??;
        let members: Vec<Member> = store::open_value(key, &blob)?;
        for m in &members {
            if let Member::Elf { sha256, .. } = m {
                let k = keyed(&[b"facts", sha256]);
                let used = self.with(|s| s.used(store::Table::Facts, &k))??;
                self.touch(store::Table::Facts, k, used);
            }
        }
        self.stats.archive_hits.fetch_add(1, Ordering::Relaxed);
        self.touch(store::Table::Archives, *key, used);
        Some(members)
    }

    /// The cached judgement of a content for the target with fingerprint `target` (see
    /// [`crate::judge::Target::fingerprint`]). Its facts are kept alive with it: another
    /// target, or an archive replayed from the cache, still needs them.
    pub fn judged(&self, sha256: &[u8; 32], target: &[u8; 32]) -> Option<Judged> {
        let key = keyed(&[b"judged", sha256, target]);
        let (blob, used) = self.with(|s| s.get(store::Table::Judged, &key))??;
        let v: Judged = store::open_value(&key, &blob)?;
        self.stats.judged_hits.fetch_add(1, Ordering::Relaxed);
        self.touch(store::Table::Judged, key, used);
        if now_s().saturating_sub(used) > self.touch_after_s {
            let facts = keyed(&[b"facts", sha256]);
            self.pending(|p| p.touch(store::Table::Facts, facts));
        }
        Some(v)
    }

    /// Store the judgement of a content for the target with fingerprint `target`.
    pub fn store_judged(&self, sha256: &[u8; 32], target: &[u8; 32], judged: &JudgedRef<'_>) {
        let key = keyed(&[b"judged", sha256, target]);
        if let Some(blob) = store::seal_value(&key, judged) {
            self.pending(|p| p.put(store::Table::Judged, key, blob));
        }
    }

    /// Remember an archive's members.
    pub fn store_archive(&self, key: &[u8; 32], members: &[Member]) {
        if let Some(blob) = store::seal_value(key, &members) {
            self.pending(|p| p.put(store::Table::Archives, *key, blob));
        }
    }

    /// Renew an entry's last use, at most once a day (see [`TOUCH_AFTER_S`]).
    fn touch(&self, t: store::Table, key: [u8; 32], used: i64) {
        if now_s().saturating_sub(used) > self.touch_after_s {
            self.pending(|p| p.touch(t, key));
        }
    }

    fn pending(&self, f: impl FnOnce(&mut store::Pending)) {
        let full = match self.pending.lock() {
            Ok(mut p) => {
                f(&mut p);
                p.is_full()
            }
            Err(_) => false,
        };
        if full {
            self.flush();
        }
    }

    /// Write what is pending, in one transaction.
    pub fn flush(&self) {
        let batch = match self.pending.lock() {
            Ok(mut p) => std::mem::take(&mut *p),
            Err(_) => return,
        };
        if !batch.is_empty() {
            let used = now_s();
            self.with(|s| s.write(batch, used));
        }
    }

    /// Flush, then evict the least recently used entries past the size bound.
    pub fn finish(&self) {
        self.flush();
        let max = self.max_bytes;
        self.with(|s| s.evict(max));
    }
}

/// The walk's questions (asked through the scan's [`crate::input::Known`]): a file sniffed as
/// "other" and unchanged is not opened.
impl Cache {
    /// True if the file whose metadata is `meta` was sniffed before as neither ELF nor an
    /// archive, and has not changed since.
    pub fn is_other(&self, meta: &std::fs::Metadata) -> bool {
        let other = self.seen(&Stat::of(meta)) == Some(None);
        if other {
            self.stats.other_hits.fetch_add(1, Ordering::Relaxed);
        }
        other
    }

    /// Remember that the file whose metadata was `meta` (taken before it was read, at
    /// `read_at_ns`) is neither ELF nor an archive; not if it changed just before.
    pub fn remember_other(&self, meta: &std::fs::Metadata, read_at_ns: i128) {
        let stat = Stat::of(meta);
        if stat.mtime_ns.max(stat.ctime_ns) + RACY_NS > read_at_ns {
            return;
        }
        self.remember_row(&stat, None);
    }
}

#[cfg(test)]
mod tests;
