//! Stage 1, inputs: turn what the user named (files, directories, archives, images) into a
//! stream of named byte sources.
//!
//! Only this module and `main` touch the filesystem. Producers call a sink with [`Item`]s in a
//! deterministic order; they never analyse anything. Archives are streamed (never extracted to
//! disk) and detected by content, not by extension. Every problem becomes an [`Item::Problem`]
//! so that the batch goes on and nothing is lost.

pub mod apkindex;
mod archive;
mod auth;
mod daemon;
mod detect;
mod image;
mod limits;
mod npm;
pub mod origin;
pub mod platform;
mod registry;
pub mod scheme;
mod seekbuf;
pub mod walk;

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

pub use archive::visit_archive;
pub use detect::{Kind, detect};
pub use limits::{Limits, MAX_TAR_HEADER_BYTES};
pub use origin::{ImageOrigin, LayerOrigin};
pub use platform::Platform;
pub use registry::Network;
pub use scheme::{Input, Reference};

/// True if an I/O error from this module means a limit was hit (the input gets a `skipped`
/// record) rather than damage (an `error` record).
pub fn is_limit(e: &std::io::Error) -> bool {
    limits::is_limit(e)
}

/// Bytes of one input: memory-mapped for large files, read for small ones.
pub enum Bytes {
    /// A read-only private mapping of the file.
    Mapped(memmap2::Mmap),
    /// An owned buffer.
    Owned(Vec<u8>),
}

impl std::ops::Deref for Bytes {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            Bytes::Mapped(m) => m,
            Bytes::Owned(v) => v,
        }
    }
}

/// Where an ELF file's bytes are.
pub enum Data {
    /// A file on disk, read (or mapped) by whoever analyses it.
    Path(PathBuf),
    /// Bytes already in memory (an archive member).
    Bytes(Vec<u8>),
}

/// A scanned unit: a directory root, an archive or an image, within which libraries are
/// resolved against each other (closure).
pub type UnitId = usize;

/// One ELF file to analyse.
pub struct Source {
    /// Name in the report: a path, or `archive!/member` (nested: `a.tar!/b.whl!/x.so`).
    pub name: String,
    /// The artifact it came from (the top-level input, or an archive found in a directory).
    pub artifact: String,
    /// The unit it belongs to.
    pub unit: UnitId,
    /// Absolute path inside the unit (`/usr/lib/libfoo.so`), for closure resolution.
    pub unit_path: String,
    /// The bytes.
    pub data: Data,
    /// In an image: which image, where in it, and which layer brought it.
    pub image: Option<ImageOrigin>,
}

/// What producers hand to the sink, in order.
pub enum Item {
    /// A new unit starts; every later item with this id belongs to it.
    Unit {
        /// Its id (unique within the run).
        id: UnitId,
        /// Its name (directory path, archive name).
        name: String,
    },
    /// An ELF file.
    Elf(Source),
    /// A symbolic or hard link inside a unit (used to resolve library names).
    Link {
        /// The unit.
        unit: UnitId,
        /// Absolute path of the link inside the unit.
        path: String,
        /// Absolute path it points to inside the unit.
        target: String,
    },
    /// A package manager's record of who owns which file (dpkg lists, apk's installed
    /// database, a wheel's RECORD, a package.json), for owner attribution.
    Meta {
        /// The unit.
        unit: UnitId,
        /// The artifact it came from (owners apply within it: two npm tarballs judged as one
        /// unit both hold `/package/package.json`).
        artifact: String,
        /// Absolute path of the file inside the unit.
        path: String,
        /// Its bytes (at most `MAX_METADATA_BYTES`).
        data: Vec<u8>,
    },
    /// A file that is neither ELF nor an archive we read.
    Other {
        /// Name in the report.
        name: String,
        /// Artifact.
        artifact: String,
        /// True when the user named it directly (it then gets a `skipped` record).
        named: bool,
    },
    /// An archive file to read with [`visit_archive`] (it is an artifact and a unit of its own).
    Archive {
        /// The file.
        path: PathBuf,
        /// What detection found.
        kind: Kind,
        /// Name in the report.
        name: String,
        /// True when the user named it directly.
        named: bool,
    },
    /// A directory of a tree still to be walked, with [`walk::Subtree::visit`] (possibly on
    /// another thread); its items belong where this item stands.
    Subtree(walk::Subtree),
    /// A regular file of a tree, listed but not opened ([`Options::list_trees`]).
    Listed(walk::Listed),
    /// An image the results cache remembers (its [`Known::knows_image`] key): replayed by the
    /// caller; none of its layers was read.
    Remembered {
        /// What the image is remembered under.
        key: String,
        /// Name in the report (the argument as given).
        name: String,
    },
    /// The items that follow, up to the end of this input, are an image that the results cache
    /// may remember under `key`.
    Remember {
        /// What to remember it under.
        key: String,
    },
    /// Something that could not be read, or a limit that was hit.
    Problem {
        /// Name in the report.
        name: String,
        /// Artifact.
        artifact: String,
        /// What went wrong.
        error: String,
        /// True for a limit (a `skipped` record) rather than damage (an `error` record).
        limit: bool,
    },
}

/// How inputs are expanded.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Follow symbolic links inside directories (loops are detected).
    pub follow_symlinks: bool,
    /// Paths or members matching these globs are left out.
    pub exclude: Option<globset::GlobSet>,
    /// Resource limits.
    pub limits: Limits,
    /// Which platforms of a multi-platform image are read.
    pub platform: Platform,
    /// Registries and local engines: settings, connections and the run's layer cache.
    pub network: std::sync::Arc<Network>,
    /// Directory trees are listed first ([`Item::Listed`]) and their files read afterwards by the
    /// caller, which then knows the whole unit before judging it (totals, early records).
    pub list_trees: bool,
    /// The listing has each file's size (one `stat` each: worth it only when someone looks at
    /// the totals, e.g. the progress display).
    pub list_sizes: bool,
    /// What earlier runs learnt about files on disk (the results cache, #13).
    pub known: KnownFiles,
}

/// What earlier runs learnt about files on disk, asked before a file of a tree is opened: a
/// file sniffed before as neither ELF nor an archive, and unchanged since (same device, inode,
/// size, mtime and ctime), is not opened again (#13). The results cache implements it.
pub trait Known: Send + Sync {
    /// True if the file whose metadata is `meta` (taken now) was sniffed before as neither ELF
    /// nor an archive, and has not changed since.
    fn is_other(&self, meta: &fs::Metadata) -> bool;
    /// Remember that the file whose metadata was `meta` (taken before its first bytes were read,
    /// at `read_at_ns` since the epoch) sniffed as neither ELF nor an archive.
    fn remember_other(&self, meta: &fs::Metadata, read_at_ns: i128);
    /// True if the image read as `key` — a registry reference and its top manifest's digest, or
    /// an OCI layout and its index's digest — is remembered whole: its layers need not be read.
    fn knows_image(&self, _key: &str) -> bool {
        false
    }
}

/// The [`Known`] files of a run, if a results cache is used.
#[derive(Clone, Default)]
pub struct KnownFiles(pub Option<std::sync::Arc<dyn Known>>);

impl KnownFiles {
    /// Ask the results cache about the image read as `key` (see [`Known::knows_image`]): if it
    /// is remembered, hand out [`Item::Remembered`] and return true, and the caller reads
    /// nothing; else mark what follows as the image to remember ([`Item::Remember`]).
    pub(crate) fn image(&self, key: String, name: &str, sink: &mut dyn FnMut(Item)) -> bool {
        let Some(known) = self.0.as_deref() else {
            return false;
        };
        if known.knows_image(&key) {
            let name = name.to_string();
            sink(Item::Remembered { key, name });
            return true;
        }
        sink(Item::Remember { key });
        false
    }
}

impl std::fmt::Debug for KnownFiles {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() {
            "KnownFiles(cache)"
        } else {
            "KnownFiles(none)"
        })
    }
}

impl Options {
    pub(crate) fn excluded(&self, name: &str) -> bool {
        let Some(set) = &self.exclude else {
            return false;
        };
        let base = name.rsplit(['/', '!']).next().unwrap_or(name);
        set.is_match(name) || set.is_match(base)
    }
}

/// Hands out unit ids.
#[derive(Debug, Default)]
pub struct Units {
    next: std::sync::atomic::AtomicUsize,
    /// Every input, archive and tree is the same unit (`--one-unit`).
    single: bool,
}

impl Units {
    /// Units that are all one: every id handed out is the same.
    pub fn single() -> Self {
        Units {
            next: std::sync::atomic::AtomicUsize::new(0),
            single: true,
        }
    }

    /// True when every input is the same unit (`--one-unit`).
    pub(crate) fn is_single(&self) -> bool {
        self.single
    }

    pub(crate) fn next(&self) -> UnitId {
        if self.single {
            return 0;
        }
        self.next.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    }
}

/// Expand one top-level input (as the user named it: a path, or `SCHEME:WHAT`, see
/// [`Input`]) into items.
pub fn visit(input: &Path, opts: &Options, units: &Units, sink: &mut dyn FnMut(Item)) {
    let arg = input.to_string_lossy();
    let parsed = match Input::parse(&arg) {
        Ok(p) => p,
        Err(e) => return problem(sink, &arg, &arg, e),
    };
    match parsed {
        Input::Path(p) => visit_path(&p, opts, units, sink),
        Input::File(p) => {
            let name = p.display().to_string();
            match fs::metadata(&p) {
                Ok(m) if m.is_file() => {
                    visit_file(&p, &name, &name, None, None, opts, units, sink, true)
                }
                Ok(_) => problem(sink, &name, &name, "file: not a regular file".into()),
                Err(e) => problem(sink, &name, &name, e.to_string()),
            }
        }
        Input::Dir(p) => {
            let name = p.display().to_string();
            match fs::metadata(&p) {
                Ok(m) if m.is_dir() => walk::visit_dir(&p, &name, opts, units, sink),
                Ok(_) => problem(sink, &name, &name, "dir: not a directory".into()),
                Err(e) => problem(sink, &name, &name, e.to_string()),
            }
        }
        Input::OciDir(p) => {
            let name = p.display().to_string();
            if image::is_oci_layout(&p) {
                image::visit_layout_dir(&p, &name, opts, units, sink);
            } else {
                let e = "oci-dir: not an OCI image layout (no oci-layout and index.json)";
                problem(sink, &name, &name, e.into());
            }
        }
        Input::OciArchive(p) | Input::DockerArchive(p) => {
            let name = p.display().to_string();
            let read = fs::metadata(&p).and_then(|m| match m.is_file() {
                true => Ok(image::visit_image_tar(&p, &name, opts, units, sink)),
                false => Err(std::io::Error::other("not a regular file")),
            });
            match read {
                Ok(true) => {}
                Ok(false) => problem(
                    sink,
                    &name,
                    &name,
                    "not an image tarball (no manifest.json, or oci-layout and index.json)".into(),
                ),
                Err(e) => problem(sink, &name, &name, e.to_string()),
            }
        }
        Input::Registry(r) => registry::visit(&r, &arg, opts, units, sink),
        Input::Daemon(engine, r) => daemon::visit(engine, &r, &arg, opts, units, sink),
    }
}

/// A bare path: what it is is decided by its content.
fn visit_path(input: &Path, opts: &Options, units: &Units, sink: &mut dyn FnMut(Item)) {
    let name = input.display().to_string();
    let meta = match fs::metadata(input) {
        Ok(m) => m,
        Err(e) => return problem(sink, &name, &name, e.to_string()),
    };
    if meta.is_dir() {
        if image::is_oci_layout(input) {
            return image::visit_layout_dir(input, &name, opts, units, sink);
        }
        return walk::visit_dir(input, &name, opts, units, sink);
    }
    if !meta.is_file() {
        return problem(sink, &name, &name, "not a regular file or directory".into());
    }
    visit_file(input, &name, &name, None, None, opts, units, sink, true);
}

/// Expand an input held in memory — an ELF file, an archive or an image tarball — into items,
/// as [`visit`] and [`visit_archive`] do for a file called `name`. Nothing touches the
/// filesystem. The fuzz targets and the hostile-input tests use it.
pub fn visit_bytes(
    data: &[u8],
    name: &str,
    opts: &Options,
    units: &Units,
    sink: &mut dyn FnMut(Item),
) {
    let head = data.get(..detect::HEAD).unwrap_or(data);
    match detect(head) {
        Kind::Elf => {
            let id = units.next();
            sink(Item::Unit {
                id,
                name: name.to_string(),
            });
            let base = name.rsplit('/').next().unwrap_or(name);
            sink(Item::Elf(Source {
                name: name.to_string(),
                artifact: name.to_string(),
                unit: id,
                unit_path: normalize(base),
                data: Data::Bytes(data.to_vec()),
                image: None,
            }));
        }
        Kind::Ar if !detect::is_deb(head) => sink(Item::Other {
            name: name.into(),
            artifact: name.into(),
            named: true,
        }),
        Kind::Other => sink(Item::Other {
            name: name.into(),
            artifact: name.into(),
            named: true,
        }),
        kind => archive::visit_archive_bytes(data, kind, name, opts, units, sink),
    }
}

/// A regular file on disk: ELF, archive, image tarball or something else. `checked` is the
/// file's metadata when the walk took it and already asked `opts.known` about it (the file is
/// not known as "other"); without it, the file is stat'ed and asked here.
#[allow(clippy::too_many_arguments)]
pub(crate) fn visit_file(
    path: &Path,
    name: &str,
    artifact: &str,
    unit: Option<(UnitId, String)>,
    checked: Option<fs::Metadata>,
    opts: &Options,
    units: &Units,
    sink: &mut dyn FnMut(Item),
    named: bool,
) {
    let other = |sink: &mut dyn FnMut(Item)| {
        sink(Item::Other {
            name: name.into(),
            artifact: artifact.into(),
            named,
        })
    };
    // With the results cache: one stat, and a file known unchanged as "other" is not opened.
    // The metadata is taken before the read, so a change during the read is seen next time.
    let known = match (opts.known.0.as_deref(), checked) {
        (None, _) => None,
        (Some(k), Some(meta)) => Some((k, meta)),
        (Some(k), None) => match fs::metadata(path) {
            Ok(meta) if meta.is_file() && k.is_other(&meta) => return other(sink),
            Ok(meta) if meta.is_file() => Some((k, meta)),
            _ => None,
        },
    };
    let read_at = now_ns();
    let head = match read_head(path) {
        Ok(h) => h,
        Err(e) => return problem(sink, name, artifact, e.to_string()),
    };
    let kind = detect(&head);
    let is_other = match kind {
        Kind::Other => true,
        // A gzip'd document (man pages, changelogs) is decided from the bytes already read.
        Kind::Gzip => detect::sniff_gzip(&head) == Some(Kind::Other),
        // Static libraries (.a) hold relocatable objects the loader never sees; among ar
        // archives only Debian packages are read.
        Kind::Ar => !detect::is_deb(&head),
        _ => false,
    };
    if is_other {
        if let Some((k, meta)) = &known {
            k.remember_other(meta, read_at);
        }
        return other(sink);
    }
    match kind {
        Kind::Elf => {
            let (unit, unit_path) = unit.unwrap_or_else(|| {
                let id = units.next();
                sink(Item::Unit {
                    id,
                    name: name.to_string(),
                });
                (id, format!("/{}", file_name(path)))
            });
            sink(Item::Elf(Source {
                name: name.to_string(),
                artifact: artifact.to_string(),
                unit,
                unit_path,
                data: Data::Path(path.to_path_buf()),
                image: None,
            }));
        }
        // An archive found anywhere is an artifact and a unit of its own, read by the caller
        // (possibly in parallel) through `visit_archive`.
        kind => sink(Item::Archive {
            path: path.to_path_buf(),
            kind,
            name: name.into(),
            named,
        }),
    }
}

/// Nanoseconds since the epoch (0 if the clock is before it): when a file was looked at, for
/// the results cache's racy-timestamp rule.
pub fn now_ns() -> i128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as i128)
}

fn file_name(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

pub(crate) fn problem(sink: &mut dyn FnMut(Item), name: &str, artifact: &str, error: String) {
    sink(Item::Problem {
        name: name.into(),
        artifact: artifact.into(),
        error,
        limit: false,
    });
}

/// The first bytes of a file, for content detection.
fn read_head(path: &Path) -> std::io::Result<Vec<u8>> {
    let mut head = Vec::with_capacity(detect::HEAD);
    let mut f = fs::File::open(path)?;
    (&mut f).take(detect::HEAD as u64).read_to_end(&mut head)?;
    // Only gzip needs more: enough compressed bytes to inflate HEAD bytes (`sniff_gzip`).
    if detect(&head) == Kind::Gzip && head.len() == detect::HEAD {
        f.take((detect::SNIFF - detect::HEAD) as u64)
            .read_to_end(&mut head)?;
    }
    Ok(head)
}

/// Files are hashed through mapped windows of this size: no copy into a buffer (that copy cost
/// as much as the hashing, #13), and at most one window per worker is resident.
const HASH_WINDOW: u64 = 8 << 20;

/// A file hashed, still open for inspection: what analysing a file on disk needs, with each
/// byte read once (#13). Small files are read into a buffer of their size (no zeroed scratch
/// buffer, no second read: the same bytes are hashed and inspected); large files are hashed
/// through mapped windows and mapped again whole only if they are inspected.
pub struct Hashed {
    /// SHA-256 of the bytes.
    pub sha256: [u8; 32],
    /// How many bytes were hashed.
    pub len: u64,
    held: Held,
}

enum Held {
    Read(Vec<u8>),
    Open(fs::File),
}

impl Hashed {
    /// The bytes that were hashed, for inspection.
    pub fn into_bytes(self) -> std::io::Result<Bytes> {
        match self.held {
            Held::Read(v) => Ok(Bytes::Owned(v)),
            Held::Open(f) => map_whole(&f, self.len),
        }
    }
}

/// Hash the file at `path` (at most `max` bytes), keeping what inspection needs.
pub fn hash_file(path: &Path, max: u64) -> std::io::Result<Hashed> {
    use sha2::Digest;
    let file = fs::File::open(path)?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(std::io::Error::other("not a regular file"));
    }
    let len = meta.len();
    if len > max {
        return Err(too_large(len, max));
    }
    if len >= MAP_THRESHOLD {
        // A filesystem that cannot map the file is read instead.
        if let Ok((sha256, len)) = sha256_mapped(&file, len) {
            return Ok(Hashed {
                sha256,
                len,
                held: Held::Open(file),
            });
        }
    }
    // Sized from the metadata; a file that grows meanwhile is still held to the limit.
    let mut buf = Vec::with_capacity(usize::try_from(len).unwrap_or(0).saturating_add(1));
    file.take(max.saturating_add(1)).read_to_end(&mut buf)?;
    let read = buf.len() as u64;
    if read > max {
        return Err(too_large(read, max));
    }
    Ok(Hashed {
        sha256: sha2::Sha256::digest(&buf).into(),
        len: read,
        held: Held::Read(buf),
    })
}

/// A limit (a `skipped` record), not damage.
fn too_large(len: u64, max: u64) -> std::io::Error {
    limits::limit_error(format!(
        "file is {len} bytes, over the {max}-byte limit (--max-file-size)"
    ))
}

/// Files at least this large are mapped instead of read.
const MAP_THRESHOLD: u64 = 64 * 1024;

/// Read a file's bytes, refusing files larger than `max`.
///
/// The crate's `unsafe` blocks (the lint `unsafe_code` denies any other) map files: in
/// `map_whole` (used here) and in `sha256_mapped`. Why it is sound: the mapping is private and
/// read-only, muslcheck never writes through it or hands out mutable access, and every read of the bytes is bounds-checked against the
/// length the mapping had when it was made, so no input value can make us read outside it.
/// What it cannot rule out is another process changing the file while it is scanned: changed
/// bytes are just other hostile bytes to the checked parsers, but a file truncated under us
/// makes the kernel send SIGBUS on access past the new end (the trade every mmap-based
/// scanner, e.g. ripgrep, makes for speed). Scan snapshots, not files being rewritten. Archives
/// are never mapped (they are read, see `seekbuf`): only ELF files, for the few pages inspection
/// touches, and hashing windows.
pub fn read(path: &Path, max: u64) -> std::io::Result<Bytes> {
    let file = fs::File::open(path)?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(std::io::Error::other("not a regular file"));
    }
    if meta.len() > max {
        return Err(too_large(meta.len(), max));
    }
    if meta.len() >= MAP_THRESHOLD {
        return map_whole(&file, meta.len());
    }
    let mut buf = Vec::with_capacity(meta.len() as usize);
    file.take(MAP_THRESHOLD).read_to_end(&mut buf)?;
    Ok(Bytes::Owned(buf))
}

/// Map `file` (`len` bytes when it was looked at) read-only.
#[allow(unsafe_code)]
fn map_whole(file: &fs::File, len: u64) -> std::io::Result<Bytes> {
    let len = usize::try_from(len).map_err(std::io::Error::other)?;
    // SAFETY: see `read`: a private read-only mapping, only ever read with checked bounds.
    let map = unsafe { memmap2::MmapOptions::new().len(len).map(file)? };
    Ok(Bytes::Mapped(map))
}

/// Hash `len` bytes of `file` window by window. Sound for the reasons given at [`read`]: private
/// read-only mappings, read only within their length (a file truncated meanwhile: SIGBUS, the
/// same trade as there).
#[allow(unsafe_code)]
fn sha256_mapped(file: &fs::File, len: u64) -> std::io::Result<([u8; 32], u64)> {
    use sha2::Digest;
    let mut hasher = sha2::Sha256::new();
    let mut offset = 0u64;
    while offset < len {
        let n = HASH_WINDOW.min(len - offset);
        // SAFETY: see above and at `read`: a private read-only mapping, only read within bounds.
        let map = unsafe {
            memmap2::MmapOptions::new()
                .offset(offset)
                .len(n as usize)
                .populate()
                .map(file)?
        };
        hasher.update(&*map);
        offset += n;
    }
    Ok((hasher.finalize().into(), len))
}

/// Normalise an archive member or link path to an absolute path inside its unit:
/// `./usr/lib/x` → `/usr/lib/x`; `..` never climbs above the root.
pub fn normalize(path: &str) -> String {
    // Most paths are normal already (closure lookups ask one per needed name and rpath entry).
    let normal = path.len() > 1
        && path.starts_with('/')
        && path
            .split('/')
            .skip(1)
            .all(|c| !matches!(c, "" | "." | ".."));
    if normal {
        return path.to_string();
    }
    let mut parts: Vec<&str> = Vec::new();
    for p in path.split('/') {
        match p {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    format!("/{}", parts.join("/"))
}

/// Resolve a link target relative to the directory of the link.
pub fn join_link(link: &str, target: &str) -> String {
    if target.starts_with('/') {
        normalize(target)
    } else {
        let dir = link.rsplit_once('/').map_or("", |(d, _)| d);
        normalize(&format!("{dir}/{target}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalize_stays_inside_the_root() {
        assert_eq!(normalize("./usr/lib/x.so"), "/usr/lib/x.so");
        assert_eq!(normalize("../../etc/passwd"), "/etc/passwd");
        assert_eq!(normalize("/a/./b/../c"), "/a/c");
        // The fast path (already normal) and the rest agree.
        for (p, n) in [
            ("/", "/"),
            ("/usr/lib/x.so", "/usr/lib/x.so"),
            ("/usr//lib/", "/usr/lib"),
            ("/usr/lib/.", "/usr/lib"),
            ("/a/..", "/"),
            ("usr/lib", "/usr/lib"),
            ("", "/"),
        ] {
            assert_eq!(normalize(p), n, "{p}");
        }
        assert_eq!(
            join_link("/usr/lib/libz.so.1", "libz.so.1.3"),
            "/usr/lib/libz.so.1.3"
        );
        assert_eq!(join_link("/lib/x", "../usr/lib/y"), "/usr/lib/y");
    }
}
