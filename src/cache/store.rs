//! The SQLite side of the cache: schema, validation of an existing file, batched writes,
//! eviction by last use.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, OptionalExtension, params};
use serde::Serialize;
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};

use super::{FORMAT, Stat};

/// `PRAGMA application_id` of a muslcheck cache ("musl"): anything else is not ours.
const APPLICATION_ID: i64 = 0x6d75_736c;

/// Pending writes past this many bytes are flushed.
const FLUSH_BYTES: usize = 2 << 20;

/// How much of the database SQLite maps into memory (address space, not memory used).
const MMAP_BYTES: i64 = 2 << 30;

/// Bytes a `files` row is counted as, for the size bound.
const FILE_ROW_BYTES: i64 = 96;

const SCHEMA: &str = "
CREATE TABLE facts (key BLOB PRIMARY KEY, data BLOB NOT NULL, used INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE archives (key BLOB PRIMARY KEY, data BLOB NOT NULL, used INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE files (dev INTEGER NOT NULL, ino INTEGER NOT NULL, size INTEGER NOT NULL,
  mtime_ns INTEGER NOT NULL, ctime_ns INTEGER NOT NULL, sha256 BLOB NOT NULL, chk BLOB NOT NULL,
  used INTEGER NOT NULL, PRIMARY KEY (dev, ino)) WITHOUT ROWID;
CREATE INDEX facts_used ON facts(used);
CREATE INDEX archives_used ON archives(used);
CREATE INDEX files_used ON files(used);
";

/// Tables added after format 2 was first written: created when missing, so that an existing
/// cache gains them instead of being refused.
const ADDED: &str = "
CREATE TABLE IF NOT EXISTS judged (key BLOB PRIMARY KEY, data BLOB NOT NULL, used INTEGER NOT NULL) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS judged_used ON judged(used);
";

/// The content-keyed tables.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Table {
    Facts,
    Archives,
    Judged,
}

impl Table {
    const ALL: [Table; 3] = [Table::Facts, Table::Archives, Table::Judged];

    fn name(self) -> &'static str {
        match self {
            Table::Facts => "facts",
            Table::Archives => "archives",
            Table::Judged => "judged",
        }
    }

    /// The lookup of an entry's value and last use (a literal: it runs once per judged file
    /// and archive of a warm run).
    fn get_sql(self) -> &'static str {
        match self {
            Table::Facts => "SELECT data, used FROM facts WHERE key = ?1",
            Table::Archives => "SELECT data, used FROM archives WHERE key = ?1",
            Table::Judged => "SELECT data, used FROM judged WHERE key = ?1",
        }
    }

    /// The lookup of an entry's last use alone.
    fn used_sql(self) -> &'static str {
        match self {
            Table::Facts => "SELECT used FROM facts WHERE key = ?1",
            Table::Archives => "SELECT used FROM archives WHERE key = ?1",
            Table::Judged => "SELECT used FROM judged WHERE key = ?1",
        }
    }
}

/// The `files` table in memory, by (device, inode): split by the inode's parity, so that two
/// threads load it at once (see [`Store::files`]).
#[derive(Debug, Default)]
pub(super) struct FileTable {
    even: Rows,
    odd: Rows,
}

type Rows = HashMap<(u64, u64), FileRow, BuildHasherDefault<InodeHasher>>;

impl FileTable {
    fn half(&self, ino: u64) -> &Rows {
        if ino & 1 == 0 { &self.even } else { &self.odd }
    }
    pub fn get(&self, key: &(u64, u64)) -> Option<&FileRow> {
        self.half(key.1).get(key)
    }
    pub fn insert(&mut self, key: (u64, u64), row: FileRow) {
        let half = if key.1 & 1 == 0 {
            &mut self.even
        } else {
            &mut self.odd
        };
        half.insert(key, row);
    }
}

/// The `files` rows whose inode has parity `half`, or None if there are more than `cap`.
fn file_rows(conn: &Connection, half: i64, cap: usize) -> rusqlite::Result<Option<Rows>> {
    let mut stmt = conn.prepare_cached(
        "SELECT dev, ino, size, mtime_ns, ctime_ns, sha256, chk, used FROM files \
         WHERE (ino & 1) = ?1 LIMIT ?2",
    )?;
    let over = i64::try_from(cap).unwrap_or(i64::MAX).saturating_add(1);
    let mut rows = stmt.query(params![half, over])?;
    let mut out = Rows::default();
    while let Some(r) = rows.next()? {
        if out.len() >= cap {
            return Ok(None);
        }
        let key = (r.get::<_, i64>(0)? as u64, r.get::<_, i64>(1)? as u64);
        if let Some(row) = file_row(r, 2)? {
            out.insert(key, row);
        }
    }
    Ok(Some(out))
}

/// A `files` row from the columns `size, mtime_ns, ctime_ns, sha256, chk, used` starting at
/// `at`; None if it does not parse. Blobs are borrowed from SQLite's row, not copied.
fn file_row(r: &rusqlite::Row<'_>, at: usize) -> rusqlite::Result<Option<FileRow>> {
    let sha256 = match r.get_ref(at + 3)?.as_blob()? {
        [] => None,
        sha => match <[u8; 32]>::try_from(sha) {
            Ok(s) => Some(s),
            Err(_) => return Ok(None),
        },
    };
    let Ok(check) = <[u8; 8]>::try_from(r.get_ref(at + 4)?.as_blob()?) else {
        return Ok(None);
    };
    Ok(Some(FileRow {
        size: r.get::<_, i64>(at)? as u64,
        mtime_ns: i128::from(r.get::<_, i64>(at + 1)?),
        ctime_ns: i128::from(r.get::<_, i64>(at + 2)?),
        sha256,
        check,
        used: r.get(at + 5)?,
    }))
}

/// Hashes (device, inode) keys: they are numbers the kernel hands out, not input an attacker
/// picks, so the multiply-rotate mix of rustc's FxHasher serves, at a fraction of SipHash's
/// cost per lookup (one per file of a tree on a warm run).
#[derive(Default)]
pub(super) struct InodeHasher(u64);

impl Hasher for InodeHasher {
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.write_u64(u64::from(*b));
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x517c_c1b7_2722_0a95);
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

/// A `files` row.
#[derive(Debug)]
pub(super) struct FileRow {
    pub size: u64,
    pub mtime_ns: i128,
    pub ctime_ns: i128,
    /// None: sniffed as neither ELF nor an archive (stored as an empty blob).
    pub sha256: Option<[u8; 32]>,
    pub check: [u8; 8],
    /// Last use, seconds since the epoch.
    pub used: i64,
}

/// Writes waiting for the next transaction.
#[derive(Debug, Default)]
pub(super) struct Pending {
    puts: Vec<(Table, [u8; 32], Vec<u8>)>,
    files: Vec<(Stat, Option<[u8; 32]>, [u8; 8])>,
    touches: Vec<(Table, [u8; 32])>,
    file_touches: Vec<(u64, u64)>,
    bytes: usize,
}

impl Pending {
    pub fn put(&mut self, t: Table, key: [u8; 32], blob: Vec<u8>) {
        self.bytes += blob.len() + 32;
        self.puts.push((t, key, blob));
    }
    pub fn file(&mut self, stat: Stat, sha256: Option<[u8; 32]>, check: [u8; 8]) {
        self.bytes += 96;
        self.files.push((stat, sha256, check));
    }
    pub fn touch(&mut self, t: Table, key: [u8; 32]) {
        self.bytes += 40;
        self.touches.push((t, key));
    }
    pub fn touch_file(&mut self, dev: u64, ino: u64) {
        self.bytes += 16;
        self.file_touches.push((dev, ino));
    }
    pub fn is_full(&self) -> bool {
        self.bytes >= FLUSH_BYTES
    }
    pub fn is_empty(&self) -> bool {
        self.puts.is_empty()
            && self.files.is_empty()
            && self.touches.is_empty()
            && self.file_touches.is_empty()
    }
}

/// An open, validated cache database.
#[derive(Debug)]
pub(super) struct Store {
    conn: Connection,
    pub path: PathBuf,
    /// A read transaction is open: lookups share one snapshot instead of each taking and
    /// releasing SQLite's WAL locks (system calls per lookup); ended before every write.
    reading: bool,
}

/// The checksum of a `files` row: a damaged row is a miss, never a wrong digest. A row without a
/// digest ("other": neither ELF nor an archive) is a judgement of this muslcheck's content
/// detection, so its checksum covers the version too: another version sniffs the file again.
///
/// It is checked once per file of a tree on a warm run, so it is a 64-bit mix of the row's words
/// rather than SHA-256 (which was 2 % of a warm run): like the SHA it replaced, it is unkeyed, so
/// it guards against damage, not against someone who can write the cache file.
pub(super) fn file_check(s: &Stat, sha256: Option<&[u8; 32]>) -> [u8; 8] {
    static OTHER: OnceLock<u64> = OnceLock::new();
    let mix = |h: u64, w: u64| {
        let x = (h ^ w).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        x ^ (x >> 29)
    };
    let word = |b: &[u8]| b.iter().rev().fold(0u64, |w, &x| (w << 8) | u64::from(x));
    let mut h = 0x6d75_736c_6669_6c65; // "muslfile"
    for n in [s.dev, s.ino, s.size] {
        h = mix(h, n);
    }
    for t in [s.mtime_ns, s.ctime_ns] {
        h = mix(h, t as u64);
        h = mix(h, (t >> 64) as u64);
    }
    match sha256 {
        Some(sha) => {
            for chunk in sha.chunks(8) {
                h = mix(h, word(chunk));
            }
        }
        None => {
            let version = OTHER.get_or_init(|| {
                let d: [u8; 32] = Sha256::digest(format!("other {}", super::version())).into();
                word(&first8(d))
            });
            h = mix(h, *version);
        }
    }
    mix(h, 0).to_le_bytes()
}

fn first8(d: [u8; 32]) -> [u8; 8] {
    let mut out = [0u8; 8];
    for (o, b) in out.iter_mut().zip(d) {
        *o = b;
    }
    out
}

fn value_check(key: &[u8; 32], json: &[u8]) -> [u8; 8] {
    let mut h = Sha256::new();
    h.update(key);
    h.update(json);
    first8(h.finalize().into())
}

/// A value as stored: 8 bytes of checksum (over key and the rest), then the JSON compressed
/// with zstd (level 1: facts are repetitive JSON, about 8 times smaller for little CPU).
pub(super) fn seal_value<T: Serialize + ?Sized>(key: &[u8; 32], v: &T) -> Option<Vec<u8>> {
    let json = serde_json::to_vec(v).ok()?;
    let packed = zstd::bulk::compress(&json, 1).ok()?;
    let mut out = value_check(key, &packed).to_vec();
    out.extend_from_slice(&packed);
    Some(out)
}

/// A stored value, if its checksum matches and it parses. The checksum is checked before
/// anything is decompressed, so only what muslcheck wrote is ever inflated.
pub(super) fn open_value<T: DeserializeOwned>(key: &[u8; 32], blob: &[u8]) -> Option<T> {
    let (check, packed) = blob.split_at_checked(8)?;
    if check != value_check(key, packed) {
        return None;
    }
    let json = decompress(packed)?;
    serde_json::from_slice(&json).ok()
}

/// Largest value inflated (facts of the largest libraries are a few MiB of JSON).
const MAX_VALUE_BYTES: u64 = 256 << 20;

thread_local! {
    /// One zstd context per thread, reused for every value (creating one per value showed in
    /// warm runs' profiles).
    static DCTX: std::cell::RefCell<Option<zstd::bulk::Decompressor<'static>>> =
        const { std::cell::RefCell::new(None) };
}

/// Inflate one stored value; its frame states its size (values are written by `seal_value`).
fn decompress(packed: &[u8]) -> Option<Vec<u8>> {
    let size = zstd::zstd_safe::get_frame_content_size(packed).ok()??;
    if size > MAX_VALUE_BYTES {
        return None;
    }
    DCTX.with(|cell| {
        let mut slot = cell.try_borrow_mut().ok()?;
        if slot.is_none() {
            *slot = zstd::bulk::Decompressor::new().ok();
        }
        slot.as_mut()?.decompress(packed, size as usize).ok()
    })
}

fn i64_of(n: i128) -> Option<i64> {
    i64::try_from(n).ok()
}

/// Open the database at `path` without creating anything: for `cache info` and `cache clear`.
fn open_existing(path: &Path) -> Result<Connection, String> {
    let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_WRITE)
        .map_err(|e| format!("cannot open {}: {e}", path.display()))?;
    conn.busy_timeout(Duration::from_secs(30))
        .map_err(|e| e.to_string())?;
    check_ours(&conn, path)?;
    Ok(conn)
}

/// Refuse a database that is not a muslcheck cache of this format.
fn check_ours(conn: &Connection, path: &Path) -> Result<(), String> {
    let bad = |e: rusqlite::Error| format!("{} is not a usable cache ({e})", path.display());
    let app: i64 = conn
        .pragma_query_value(None, "application_id", |r| r.get(0))
        .map_err(bad)?;
    let ver: i64 = conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .map_err(bad)?;
    if app != APPLICATION_ID {
        return Err(format!(
            "{} is not a muslcheck cache (another program's database); not using or changing it",
            path.display()
        ));
    }
    if ver != i64::from(FORMAT) {
        return Err(format!(
            "{} is a muslcheck cache of format {ver}, this muslcheck uses format {FORMAT}; \
             `muslcheck cache clear` starts it afresh",
            path.display()
        ));
    }
    Ok(())
}

impl Store {
    /// Open or create the cache database at `path`.
    pub fn open(path: &Path) -> Result<Store, String> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)
                .map_err(|e| format!("cannot create cache directory {}: {e}", dir.display()))?;
        }
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(path, flags)
            .map_err(|e| format!("cannot open cache {}: {e}", path.display()))?;
        let bad = |e: rusqlite::Error| format!("{} is not a usable cache ({e})", path.display());
        conn.busy_timeout(Duration::from_secs(30)).map_err(bad)?;
        // Reading the header is where a file that is not SQLite fails ("file is not a database").
        let app: i64 = conn
            .pragma_query_value(None, "application_id", |r| r.get(0))
            .map_err(bad)?;
        if app == 0 {
            init(&conn).map_err(bad)?;
        }
        check_ours(&conn, path)?;
        if !has_table(&conn, Table::Judged).map_err(bad)? {
            conn.execute_batch(ADDED).map_err(bad)?;
        }
        let mode: String = conn
            .pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0))
            .map_err(bad)?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(format!(
                "{}: cannot switch to WAL mode (got {mode}); the cache needs a local filesystem",
                path.display()
            ));
        }
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(bad)?;
        // Read the database through a mapping rather than a pread per page: a warm run looks up
        // thousands of entries scattered over the file. Only a bound, and 0 where unsupported.
        conn.pragma_update(None, "mmap_size", MMAP_BYTES)
            .map_err(bad)?;
        Ok(Store {
            conn,
            path: path.to_path_buf(),
            reading: false,
        })
    }

    /// Begin the read transaction lookups share, if none is open. What other processes write
    /// meanwhile is not seen until this run's next write: at worst a miss.
    fn read(&mut self) -> rusqlite::Result<()> {
        if !self.reading {
            self.conn.execute_batch("BEGIN DEFERRED")?;
            self.reading = true;
        }
        Ok(())
    }

    /// End the read transaction, if one is open (before writing).
    fn end_read(&mut self) -> rusqlite::Result<()> {
        if self.reading {
            self.reading = false;
            self.conn.execute_batch("COMMIT")?;
        }
        Ok(())
    }

    /// An entry's value and last use.
    pub fn get(&mut self, t: Table, key: &[u8; 32]) -> rusqlite::Result<Option<(Vec<u8>, i64)>> {
        self.read()?;
        self.conn
            .prepare_cached(t.get_sql())?
            .query_row(params![key.as_slice()], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()
    }

    /// An entry's last use, if it is there (its value is not read).
    pub fn used(&mut self, t: Table, key: &[u8; 32]) -> rusqlite::Result<Option<i64>> {
        self.read()?;
        self.conn
            .prepare_cached(t.used_sql())?
            .query_row(params![key.as_slice()], |r| r.get(0))
            .optional()
    }

    /// The whole `files` table, by (device, inode); rows that do not parse are left out. It is
    /// on every warm run's path before the first file can be judged (130,000 rows for /usr), so
    /// it is read in two halves at once, the second through a connection of its own. None if
    /// it holds more than `max` rows: memory stays bounded, and [`Store::file`] asks row by row.
    pub fn files(&mut self, max: usize) -> rusqlite::Result<Option<FileTable>> {
        let path = self.path.clone();
        let cap = max / 2;
        let (even, odd) = std::thread::scope(|s| {
            let odd = s.spawn(|| {
                let conn = Connection::open_with_flags(
                    &path,
                    OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
                )?;
                conn.pragma_update(None, "mmap_size", MMAP_BYTES)?;
                file_rows(&conn, 1, cap)
            });
            let even = file_rows(&self.conn, 0, cap);
            (even, odd.join())
        });
        let odd = odd.map_err(|_| rusqlite::Error::InvalidQuery)??;
        Ok(even?.zip(odd).map(|(even, odd)| FileTable { even, odd }))
    }

    /// One `files` row, for a table too big to load whole.
    pub fn file(&mut self, dev: u64, ino: u64) -> rusqlite::Result<Option<FileRow>> {
        self.read()?;
        let mut stmt = self.conn.prepare_cached(
            "SELECT size, mtime_ns, ctime_ns, sha256, chk, used FROM files WHERE dev = ?1 AND ino = ?2",
        )?;
        let mut rows = stmt.query(params![dev as i64, ino as i64])?;
        match rows.next()? {
            Some(r) => file_row(r, 0),
            None => Ok(None),
        }
    }

    /// Apply a batch in one transaction (`BEGIN IMMEDIATE`: take the write lock up front, so two
    /// writers queue instead of failing on upgrade).
    pub fn write(&mut self, batch: Pending, used: i64) -> rusqlite::Result<()> {
        self.end_read()?;
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        for (t, key, blob) in &batch.puts {
            let sql = format!(
                "INSERT OR REPLACE INTO {} (key, data, used) VALUES (?1, ?2, ?3)",
                t.name()
            );
            tx.prepare_cached(&sql)?
                .execute(params![key.as_slice(), blob, used])?;
        }
        for (s, sha, chk) in &batch.files {
            let (Some(m), Some(c)) = (i64_of(s.mtime_ns), i64_of(s.ctime_ns)) else {
                continue;
            };
            tx.prepare_cached(
                "INSERT OR REPLACE INTO files (dev, ino, size, mtime_ns, ctime_ns, sha256, chk, used) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )?
            .execute(params![
                s.dev as i64,
                s.ino as i64,
                s.size as i64,
                m,
                c,
                sha.as_ref().map_or(&[][..], |s| s.as_slice()),
                chk.as_slice(),
                used
            ])?;
        }
        for (t, key) in &batch.touches {
            let sql = format!("UPDATE {} SET used = ?1 WHERE key = ?2", t.name());
            tx.prepare_cached(&sql)?
                .execute(params![used, key.as_slice()])?;
        }
        for (dev, ino) in &batch.file_touches {
            tx.prepare_cached("UPDATE files SET used = ?1 WHERE dev = ?2 AND ino = ?3")?
                .execute(params![used, *dev as i64, *ino as i64])?;
        }
        tx.commit()
    }

    /// Delete the least recently used entries until what is stored fits in 90% of `max`.
    pub fn evict(&mut self, max: u64) -> rusqlite::Result<()> {
        self.end_read()?;
        let total = stored_bytes(&self.conn)?;
        let max = i64::try_from(max).unwrap_or(i64::MAX);
        if total <= max {
            return Ok(());
        }
        let mut excess = total - max / 10 * 9;
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let victims: Vec<(String, Vec<u8>, i64, i64, i64)> = {
            // One list over all tables, oldest use first.
            let keyed: String = Table::ALL
                .iter()
                .map(|t| {
                    let t = t.name();
                    format!("SELECT '{t}' AS t, key AS k, 0 AS d, 0 AS i, length(data) + 48 AS n, used AS u FROM {t} UNION ALL ")
                })
                .collect();
            let mut stmt = tx.prepare(&format!(
                "SELECT t, k, d, i, n FROM ({keyed} \
                 SELECT 'files', x'', dev, ino, {FILE_ROW_BYTES}, used FROM files) \
                 ORDER BY u"
            ))?;
            let rows = stmt.query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, Vec<u8>>(1)?,
                    r.get::<_, i64>(2)?,
                    r.get::<_, i64>(3)?,
                    r.get::<_, i64>(4)?,
                ))
            })?;
            let mut v = Vec::new();
            for row in rows {
                let row = row?;
                excess -= row.4;
                v.push(row);
                if excess <= 0 {
                    break;
                }
            }
            v
        };
        for (t, k, d, i, _) in victims {
            match Table::ALL.iter().find(|k| k.name() == t) {
                Some(t) => {
                    let sql = format!("DELETE FROM {} WHERE key = ?1", t.name());
                    tx.prepare_cached(&sql)?.execute(params![k])?;
                }
                None => {
                    tx.prepare_cached("DELETE FROM files WHERE dev = ?1 AND ino = ?2")?
                        .execute(params![d, i])?;
                }
            }
        }
        tx.commit()?;
        self.conn.execute_batch("PRAGMA incremental_vacuum;")
    }
}

/// Create the schema in an empty database. Done under the write lock and re-checked, so that
/// two processes creating the cache at once do not both create it.
fn init(conn: &Connection) -> rusqlite::Result<()> {
    // Only takes effect before the first table exists; lets eviction give pages back.
    conn.pragma_update(None, "auto_vacuum", "INCREMENTAL")?;
    conn.execute_batch("BEGIN IMMEDIATE")?;
    let result = (|| {
        let app: i64 = conn.pragma_query_value(None, "application_id", |r| r.get(0))?;
        let tables: i64 = conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0))?;
        if app == 0 && tables == 0 {
            conn.execute_batch(SCHEMA)?;
            conn.execute_batch(ADDED)?;
            conn.pragma_update(None, "application_id", APPLICATION_ID)?;
            conn.pragma_update(None, "user_version", i64::from(FORMAT))?;
        }
        Ok(())
    })();
    match result {
        Ok(()) => conn.execute_batch("COMMIT"),
        Err(e) => {
            let _ = conn.execute_batch("ROLLBACK");
            Err(e)
        }
    }
}

/// Whether the database has table `t` (a cache written before it was added may not).
fn has_table(conn: &Connection, t: Table) -> rusqlite::Result<bool> {
    conn.query_row(
        "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?1",
        params![t.name()],
        |r| r.get::<_, i64>(0),
    )
    .map(|n| n > 0)
}

fn stored_bytes(conn: &Connection) -> rusqlite::Result<i64> {
    let keyed: String = Table::ALL
        .iter()
        .filter(|t| has_table(conn, **t).unwrap_or(false))
        .map(|t| {
            format!(
                "(SELECT COALESCE(SUM(length(data) + 48), 0) FROM {}) + ",
                t.name()
            )
        })
        .collect();
    conn.query_row(
        &format!("SELECT {keyed} (SELECT count(*) * {FILE_ROW_BYTES} FROM files)"),
        [],
        |r| r.get(0),
    )
}

/// What `muslcheck cache info` shows.
#[derive(Debug, Serialize)]
pub struct Info {
    /// The database file.
    pub path: String,
    /// Its size on disk (with the WAL), in bytes.
    pub file_bytes: u64,
    /// Bytes of stored entries (what the size bound counts).
    pub stored_bytes: u64,
    /// Inspection results.
    pub facts: u64,
    /// Archives.
    pub archives: u64,
    /// Judgements of a content for one target.
    pub judged: u64,
    /// Remembered file digests.
    pub files: u64,
    /// The version entries are written for.
    pub version: String,
}

/// Describe the cache at `path`.
pub fn info_at(path: &Path) -> Result<Info, String> {
    let conn = open_existing(path)?;
    let count = |t: &str| -> Result<u64, String> {
        conn.query_row(&format!("SELECT count(*) FROM {t}"), [], |r| {
            r.get::<_, i64>(0)
        })
        .map(|n| n as u64)
        .map_err(|e| e.to_string())
    };
    let wal = PathBuf::from(format!("{}-wal", path.display()));
    let size = |p: &Path| std::fs::metadata(p).map_or(0, |m| m.len());
    Ok(Info {
        path: path.display().to_string(),
        file_bytes: size(path) + size(&wal),
        stored_bytes: stored_bytes(&conn).map_err(|e| e.to_string())? as u64,
        facts: count("facts")?,
        archives: count("archives")?,
        judged: match has_table(&conn, Table::Judged) {
            Ok(true) => count("judged")?,
            _ => 0,
        },
        files: count("files")?,
        version: super::version().to_string(),
    })
}

/// Empty the cache at `path` (only a muslcheck cache; anything else is left alone).
pub fn clear_at(path: &Path) -> Result<(), String> {
    let conn = open_existing(path)?;
    let judged = match has_table(&conn, Table::Judged) {
        Ok(true) => "DELETE FROM judged;",
        _ => "",
    };
    conn.execute_batch(&format!(
        "BEGIN IMMEDIATE; DELETE FROM facts; DELETE FROM archives; {judged} DELETE FROM files; COMMIT; VACUUM;"
    ))
    .map_err(|e| e.to_string())
}
