//! Archives, streamed: tar (plain, gzip, xz, zstd, bzip2), zip family, Debian .deb (ar),
//! RPM (cpio payload), Alpine .apk (concatenated gzip tars), npm .tgz — and archives inside
//! archives up to a depth limit.
//!
//! Nothing is extracted to disk. Members are read one at a time; only ELF members (and zip
//! archives nested in a stream, which need random access) are held in memory, each bounded by
//! the limits. A .deb's data tarball, an RPM's payload and an .apk's tar segments are flattened
//! into the package's own namespace (`pkg.deb!/usr/bin/x`); any other archive member that is an
//! archive becomes a nested unit (`a.tar!/b.whl!/x.so`).

use std::fs::File;
use std::io::{self, BufReader, Cursor, Read, Seek};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use super::detect::{HEAD, Kind, detect};
use super::limits::{Counted, TarHeaders, is_limit, limit_error, xz_decoder};
use super::origin::ImageOrigin;
use super::{Data, Item, Options, Source, UnitId, Units, image, join_link, normalize};

/// Where members of the archive being read go.
#[derive(Clone)]
pub(crate) struct Ctx<'a> {
    /// Report-name prefix: members are named `{prefix}!/{path}`.
    pub prefix: String,
    pub artifact: String,
    pub unit: UnitId,
    pub depth: u32,
    pub opts: &'a Options,
    pub units: &'a Units,
    /// Bytes decompressed so far for this artifact (all nesting levels share it).
    pub inflated: Arc<AtomicU64>,
    /// The user named this archive directly (a plain compressed file then gets a record).
    pub named: bool,
    /// Inside an image layer: the image and layer (the path is filled in per file).
    pub origin: Option<ImageOrigin>,
    /// All inputs are one install tree (`--one-unit`): a top-level tarball that `npm pack`
    /// wrote is placed where npm installs it (see [`super::npm`]).
    pub npm: bool,
}

impl Ctx<'_> {
    fn member_name(&self, path: &str) -> String {
        format!(
            "{}!/{}",
            self.prefix,
            normalize(path).trim_start_matches('/')
        )
    }

    fn problem(&self, sink: &mut dyn FnMut(Item), name: &str, error: String, limit: bool) {
        sink(Item::Problem {
            name: name.into(),
            artifact: self.artifact.clone(),
            error,
            limit,
        });
    }
}

/// Read an archive file (announced by [`Item::Archive`]) into items: a unit and an artifact of
/// its own.
pub fn visit_archive(
    path: &Path,
    kind: Kind,
    name: &str,
    named: bool,
    opts: &Options,
    units: &Units,
    sink: &mut dyn FnMut(Item),
) {
    if kind == Kind::Tar && image::visit_image_tar(path, name, opts, units, sink) {
        return;
    }
    read_top(name, named, opts, units, sink, |ctx, sink| {
        let f = File::open(path)?;
        match kind {
            // Random access: a buffer that survives the zip reader's seeks.
            Kind::Zip => zip(super::seekbuf::SeekBuf::new(f)?, ctx, sink),
            _ => stream(BufReader::with_capacity(1 << 16, f), kind, ctx, sink),
        }
    });
}

/// An archive in memory (tests and fuzzing; the same readers as for files).
pub(crate) fn visit_archive_bytes(
    data: &[u8],
    kind: Kind,
    name: &str,
    opts: &Options,
    units: &Units,
    sink: &mut dyn FnMut(Item),
) {
    if kind == Kind::Tar && image::visit_image_bytes(Arc::from(data), name, None, opts, units, sink)
    {
        return;
    }
    read_top(name, true, opts, units, sink, |ctx, sink| {
        read_archive(Cursor::new(data), kind, ctx, sink)
    });
}

/// A top-level archive: announce its unit, read it, report what stopped the reading.
fn read_top(
    name: &str,
    named: bool,
    opts: &Options,
    units: &Units,
    sink: &mut dyn FnMut(Item),
    read: impl FnOnce(&Ctx<'_>, &mut dyn FnMut(Item)) -> io::Result<()>,
) {
    let unit = units.next();
    sink(Item::Unit {
        id: unit,
        name: name.to_string(),
    });
    let ctx = Ctx {
        prefix: name.to_string(),
        artifact: name.to_string(),
        unit,
        depth: 0,
        opts,
        units,
        inflated: Arc::default(),
        named,
        origin: None,
        npm: units.is_single(),
    };
    if let Err(e) = read(&ctx, sink) {
        ctx.problem(sink, name, archive_error(&e), is_limit(&e));
    }
}

fn read_archive<R: Read + Seek>(
    r: R,
    kind: Kind,
    ctx: &Ctx<'_>,
    sink: &mut dyn FnMut(Item),
) -> io::Result<()> {
    if kind == Kind::Zip {
        zip(r, ctx, sink)
    } else {
        stream(r, kind, ctx, sink)
    }
}

/// How a failed archive read is reported.
pub(crate) fn archive_error(e: &io::Error) -> String {
    if e.kind() == io::ErrorKind::UnexpectedEof && !e.to_string().starts_with("truncated") {
        format!("archive: truncated ({e})")
    } else {
        format!("archive: {e}")
    }
}

/// A stream whose first bytes were read for detection, then put back in front.
type Replay<R> = io::Chain<Cursor<Vec<u8>>, R>;

/// Read up to HEAD bytes and give back a reader that replays them.
fn peek<R: Read>(mut r: R) -> io::Result<(Vec<u8>, Replay<R>)> {
    let mut head = Vec::with_capacity(HEAD);
    (&mut r).take(HEAD as u64).read_to_end(&mut head)?;
    Ok((head.clone(), Cursor::new(head).chain(r)))
}

/// Strip compression layers: returns the decompressed stream and what it contains.
fn peel<'r>(
    r: Box<dyn Read + 'r>,
    kind: Kind,
    ctx: &Ctx<'_>,
) -> io::Result<(Box<dyn Read + 'r>, Kind)> {
    let mut r = r;
    let mut kind = kind;
    for _ in 0..4 {
        let decoded: Box<dyn Read + 'r> = match kind {
            Kind::Gzip => Box::new(flate2::read::MultiGzDecoder::new(r)),
            Kind::Xz => Box::new(xz_decoder(r)?),
            Kind::Zstd => Box::new(zstd::stream::read::Decoder::new(r)?),
            Kind::Bzip2 => Box::new(bzip2::read::MultiBzDecoder::new(r)),
            _ => return Ok((r, kind)),
        };
        let counted = Counted {
            inner: decoded,
            total: ctx.inflated.clone(),
            max: ctx.opts.limits.max_artifact_bytes,
        };
        let (head, replay) = peek(counted)?;
        kind = detect(&head);
        r = Box::new(replay);
    }
    // More than four layers of compression around one stream is no packaging tool's output.
    match kind {
        Kind::Gzip | Kind::Xz | Kind::Zstd | Kind::Bzip2 => Err(limit_error(
            "compressed more than 4 times over; not read further".into(),
        )),
        _ => Ok((r, kind)),
    }
}

/// A stream that is an archive (possibly compressed) whose members belong to `ctx.unit`.
pub(crate) fn stream<'r>(
    r: impl Read + 'r,
    kind: Kind,
    ctx: &Ctx<'_>,
    sink: &mut dyn FnMut(Item),
) -> io::Result<()> {
    let (r, kind) = peel(Box::new(r), kind, ctx)?;
    match kind {
        Kind::Tar => tar(r, ctx, sink),
        Kind::Ar => ar(r, ctx, sink),
        Kind::Cpio => cpio(r, ctx, sink),
        Kind::Rpm => rpm(r, ctx, sink),
        Kind::Zip => {
            let data = read_bounded(r, ctx.opts.limits.max_file_bytes, 0)?;
            zip(Cursor::new(data), ctx, sink)
        }
        Kind::Elf => {
            // A compressed single ELF file (`tool.gz`): the artifact itself is the binary.
            let data = read_bounded(r, ctx.opts.limits.max_file_bytes, 0)?;
            let base = ctx.prefix.rsplit(['/', '!']).next().unwrap_or("file");
            emit_elf(ctx, ctx.prefix.clone(), format!("/{base}"), data, sink);
            Ok(())
        }
        _ => {
            sink(Item::Other {
                name: ctx.prefix.clone(),
                artifact: ctx.artifact.clone(),
                named: ctx.depth == 0 && ctx.named,
            });
            Ok(())
        }
    }
}

fn emit_elf(
    ctx: &Ctx<'_>,
    name: String,
    unit_path: String,
    data: Vec<u8>,
    sink: &mut dyn FnMut(Item),
) {
    let image = ctx.origin.clone().map(|mut o| {
        if o.path.is_empty() {
            o.path.clone_from(&unit_path);
        }
        o
    });
    sink(Item::Elf(Source {
        name,
        artifact: ctx.artifact.clone(),
        unit: ctx.unit,
        unit_path,
        data: Data::Bytes(data),
        image,
    }));
}

/// Read a whole stream into memory, refusing more than `max` bytes. `hint` (untrusted) only
/// sizes the first allocation, capped.
fn read_bounded(r: impl Read, max: u64, hint: u64) -> io::Result<Vec<u8>> {
    let mut buf = Vec::with_capacity(hint.min(max).min(64 << 20) as usize);
    r.take(max.saturating_add(1)).read_to_end(&mut buf)?;
    if buf.len() as u64 > max {
        return Err(limit_error(format!(
            "member is larger than {max} bytes (--max-file-size)"
        )));
    }
    Ok(buf)
}

/// [`member`] for a member already read whole (an image's held files): an ELF file is handed
/// on as it is, without a copy.
pub(crate) fn member_bytes(
    data: Vec<u8>,
    path: &str,
    ctx: &Ctx<'_>,
    sink: &mut dyn FnMut(Item),
) -> io::Result<()> {
    let head = data.get(..HEAD).unwrap_or(&data);
    if detect(head) == Kind::Elf && data.len() as u64 <= ctx.opts.limits.max_file_bytes {
        let name = ctx.member_name(path);
        if !ctx.opts.excluded(&name) {
            emit_elf(ctx, name, normalize(path), data, sink);
        }
        return Ok(());
    }
    let size = data.len() as u64;
    member(Cursor::new(data), path, size, ctx, sink)
}

/// One regular member: an ELF file, a nested archive, or something else.
pub(crate) fn member(
    r: impl Read,
    path: &str,
    size: u64,
    ctx: &Ctx<'_>,
    sink: &mut dyn FnMut(Item),
) -> io::Result<()> {
    let name = ctx.member_name(path);
    if ctx.opts.excluded(&name) {
        return Ok(());
    }
    let (head, r) = peek(r)?;
    let kind = detect(&head);
    let compressed = matches!(kind, Kind::Gzip | Kind::Xz | Kind::Zstd | Kind::Bzip2);
    // Compressed members: look inside before deciding (a gzip'd man page is just a document).
    let (r, kind): (Box<dyn Read + '_>, Kind) = match kind {
        Kind::Gzip | Kind::Xz | Kind::Zstd | Kind::Bzip2 => match peel(Box::new(r), kind, ctx) {
            Ok(x) => x,
            Err(e) => {
                ctx.problem(sink, &name, format!("cannot decompress: {e}"), is_limit(&e));
                return Ok(());
            }
        },
        _ => (Box::new(r), kind),
    };
    match kind {
        Kind::Elf => match read_bounded(r, ctx.opts.limits.max_file_bytes, size) {
            // The archive ended inside the member: judging the bytes that are there would give
            // a verdict about a different file.
            Ok(data) if !compressed && (data.len() as u64) < size => {
                let msg = format!("member truncated: {} of {size} bytes", data.len());
                ctx.problem(sink, &name, msg, false);
            }
            Ok(data) => emit_elf(ctx, name, normalize(path), data, sink),
            Err(e) => ctx.problem(sink, &name, e.to_string(), is_limit(&e)),
        },
        Kind::Other if !compressed && crate::inspect::owners::is_metadata(&normalize(path)) => {
            let at = normalize(path);
            let max =
                crate::inspect::owners::metadata_limit(&at).min(ctx.opts.limits.max_file_bytes);
            // A database only noted is not read at all.
            let data = if max == 0 {
                Ok(Vec::new())
            } else {
                read_bounded(r, max, size)
            };
            if let Ok(data) = data {
                sink(Item::Meta {
                    unit: ctx.unit,
                    artifact: ctx.artifact.clone(),
                    path: normalize(path),
                    data,
                });
            }
        }
        Kind::Other => sink(Item::Other {
            name,
            artifact: ctx.artifact.clone(),
            named: false,
        }),
        Kind::Ar if !super::detect::is_deb(&head) => {
            // Static libraries (.a) hold relocatable objects the loader never sees.
            sink(Item::Other {
                name,
                artifact: ctx.artifact.clone(),
                named: false,
            });
        }
        nested => {
            if ctx.depth >= ctx.opts.limits.max_depth {
                let msg = format!(
                    "archive nested deeper than {} levels (--max-depth)",
                    ctx.opts.limits.max_depth
                );
                ctx.problem(sink, &name, msg, true);
                return Ok(());
            }
            let unit = ctx.units.next();
            sink(Item::Unit {
                id: unit,
                name: name.clone(),
            });
            // Files inside an archive in an image are where that archive is, in the image.
            let origin = ctx.origin.clone().map(|mut o| {
                if o.path.is_empty() {
                    o.path = normalize(path);
                }
                o
            });
            let inner = Ctx {
                prefix: name.clone(),
                unit,
                depth: ctx.depth + 1,
                origin,
                npm: false,
                ..ctx.clone()
            };
            if let Err(e) = stream(r, nested, &inner, sink) {
                inner.problem(sink, &name, archive_error(&e), is_limit(&e));
            }
        }
    }
    Ok(())
}

fn tar(r: impl Read, ctx: &Ctx<'_>, sink: &mut dyn FnMut(Item)) -> io::Result<()> {
    let (r, header_bytes) = TarHeaders::new(r);
    let mut archive = tar::Archive::new(r);
    // Alpine .apk files are tar segments without end-of-archive blocks between them.
    archive.set_ignore_zeros(true);
    let mut entries = archive.entries()?;
    let mut placer = super::npm::Placer::new(ctx.npm && ctx.depth == 0, &ctx.artifact);
    // Whatever stops the reading, the members held to be placed are handed on.
    let read = (|| {
        // Count only what the tar crate reads to find the next member (see `TarHeaders`).
        while let Some(entry) = header_bytes.next(|| entries.next()) {
            let mut entry = entry?;
            let raw = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
            let path = normalize(&raw);
            placer.member(&path, sink);
            let kind = entry.header().entry_type();
            if kind.is_symlink() || kind.is_hard_link() {
                if let Ok(Some(target)) = entry.link_name() {
                    let target = target.to_string_lossy();
                    // Hard link targets are archive paths; symlink targets are relative to the link.
                    let target = if kind.is_hard_link() {
                        normalize(&target)
                    } else {
                        join_link(&path, &target)
                    };
                    placer.forward(
                        vec![Item::Link {
                            unit: ctx.unit,
                            path,
                            target,
                        }],
                        sink,
                    );
                }
            } else if kind.is_file() || kind == tar::EntryType::Continuous {
                let size = entry.size();
                if placer.is_passing() {
                    member(&mut entry, &raw, size, ctx, sink)?;
                } else {
                    let mut items = Vec::new();
                    let read = member(&mut entry, &raw, size, ctx, &mut |i| items.push(i));
                    placer.forward(items, sink);
                    read?;
                }
            }
            // Drain what the member did not need, so that it is not counted as header bytes. Not
            // a GNU sparse member: its holes are zeros the tar crate makes up, and a 5 KiB archive
            // can describe a 60 GB file (Go's testdata under /usr/share has one); what is left of
            // its stored data is skipped by the tar crate, within the header budget.
            if !kind.is_gnu_sparse() {
                drain(&mut entry)?;
            }
        }
        Ok(())
    })();
    placer.finish(sink);
    read
}

fn zip<R: Read + Seek>(mut r: R, ctx: &Ctx<'_>, sink: &mut dyn FnMut(Item)) -> io::Result<()> {
    let declared = zip_declared_entries(&mut r)?;
    let mut archive = zip::ZipArchive::new(r).map_err(io::Error::other)?;
    // The zip crate keeps one entry per name: members whose name comes again later would be
    // dropped without a word.
    if let Some(n) = declared.filter(|&n| n > archive.len() as u64) {
        let msg = format!(
            "central directory lists {n} members under {} names: members whose name repeats were not read",
            archive.len()
        );
        ctx.problem(sink, &ctx.prefix, msg, false);
    }
    for i in 0..archive.len() {
        let mut file = match archive.by_index(i) {
            Ok(f) => f,
            Err(e) => {
                ctx.problem(
                    sink,
                    &ctx.member_name(&format!("#{i}")),
                    format!("zip member: {e}"),
                    false,
                );
                continue;
            }
        };
        if file.is_dir() {
            continue;
        }
        let raw = file.name().to_string();
        let path = normalize(&raw);
        if file.unix_mode().is_some_and(|m| m & 0o170000 == 0o120000) {
            let mut target = String::new();
            (&mut file).take(4096).read_to_string(&mut target).ok();
            sink(Item::Link {
                unit: ctx.unit,
                target: join_link(&path, &target),
                path,
            });
            continue;
        }
        let size = file.size();
        // Zip members decompress inside the zip crate: count them against the artifact too
        // (overlapping entries can make a small zip expand without bound).
        let counted = Counted {
            inner: &mut file,
            total: ctx.inflated.clone(),
            max: ctx.opts.limits.max_artifact_bytes,
        };
        // Zip members are independent: a damaged one is reported and the others are read; a
        // limit ends the archive.
        if let Err(e) = member(counted, &raw, size, ctx, sink) {
            if is_limit(&e) {
                return Err(e);
            }
            ctx.problem(
                sink,
                &ctx.member_name(&raw),
                format!("zip member: {e}"),
                false,
            );
        }
    }
    Ok(())
}

/// Read `r` to its end, discarding the bytes; returns how many there were. Through one buffer
/// per thread, zeroed once: `io::copy` into a sink zeroes a fresh 8 KiB stack buffer on every call
/// for readers without `read_buf` (as tar entries), which was a tenth of a `/usr` scan (#13).
pub(crate) fn drain(r: &mut impl Read) -> io::Result<u64> {
    thread_local! {
        static SCRATCH: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
    }
    SCRATCH.with(|cell| {
        let mut local = Vec::new();
        // Re-entered (a drain inside a drain): a buffer of its own.
        let mut borrowed = cell.try_borrow_mut().ok();
        let buf = borrowed.as_deref_mut().unwrap_or(&mut local);
        if buf.is_empty() {
            buf.resize(64 << 10, 0);
        }
        let mut total = 0u64;
        loop {
            match r.read(buf) {
                Ok(0) => return Ok(total),
                Ok(n) => total += n as u64,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    })
}

/// Fill `buf` from `r`: false at a clean end (no byte left), an error when only part is there.
fn read_header(r: &mut impl Read, buf: &mut [u8]) -> io::Result<bool> {
    let mut got = 0;
    while let Some(rest) = buf.get_mut(got..).filter(|b| !b.is_empty()) {
        match r.read(rest) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    match got {
        0 => Ok(false),
        n if n == buf.len() => Ok(true),
        n => Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            format!("truncated: member header cut after {n} bytes"),
        )),
    }
}

/// The error for a member whose data ends before its header said.
fn truncated(member: &str, size: u64) -> io::Error {
    io::Error::new(
        io::ErrorKind::UnexpectedEof,
        format!("truncated: member {member} claims {size} bytes but the archive ends first"),
    )
}

/// The member count of a zip's end-of-central-directory record (None for zip64 or when it is
/// not found: the zip crate then decides). Leaves the reader at the start.
fn zip_declared_entries<R: Read + Seek>(r: &mut R) -> io::Result<Option<u64>> {
    const EOCD: &[u8] = b"PK\x05\x06";
    let len = r.seek(io::SeekFrom::End(0))?;
    // The record is 22 bytes plus a comment of at most 65535.
    let tail_len = len.min(22 + 65535);
    r.seek(io::SeekFrom::Start(len - tail_len))?;
    let mut tail = Vec::with_capacity(tail_len as usize);
    r.by_ref().take(tail_len).read_to_end(&mut tail)?;
    r.seek(io::SeekFrom::Start(0))?;
    let count = tail
        .windows(EOCD.len())
        .rposition(|w| w == EOCD)
        .and_then(|at| tail.get(at + 10..at + 12))
        .and_then(|b| <[u8; 2]>::try_from(b).ok())
        .map(u16::from_le_bytes);
    Ok(count.filter(|&n| n != u16::MAX).map(u64::from))
}

/// Unix ar. Only Debian packages get here: their data tarball is flattened into the package.
fn ar(mut r: impl Read, ctx: &Ctx<'_>, sink: &mut dyn FnMut(Item)) -> io::Result<()> {
    let mut magic = [0u8; 8];
    r.read_exact(&mut magic)?;
    let mut data_seen = false;
    loop {
        let mut h = [0u8; 60];
        if !read_header(&mut r, &mut h)? {
            // A package without its data tarball is damaged, not empty.
            return match data_seen {
                true => Ok(()),
                false => Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "truncated: Debian package without a data.tar member",
                )),
            };
        }
        if &h[58..60] != b"`\n" {
            return Err(io::Error::other("bad ar member header"));
        }
        let name = String::from_utf8_lossy(&h[..16])
            .trim_end()
            .trim_end_matches('/')
            .to_string();
        let size: u64 = String::from_utf8_lossy(&h[48..58])
            .trim()
            .parse()
            .map_err(|_| io::Error::other("bad ar member size"))?;
        let mut body = (&mut r).take(size);
        if name.starts_with("data.tar") {
            data_seen = true;
            let (head, replay) = peek(&mut body)?;
            stream(replay, detect(&head), ctx, sink)?;
        }
        drain(&mut body)?;
        if body.limit() > 0 {
            return Err(truncated(&name, size));
        }
        if size % 2 == 1 {
            drain(&mut (&mut r).take(1))?;
        }
    }
}

/// RPM: lead, signature header, header, then a compressed cpio payload.
fn rpm(mut r: impl Read, ctx: &Ctx<'_>, sink: &mut dyn FnMut(Item)) -> io::Result<()> {
    drain(&mut (&mut r).take(96))?;
    for padded in [true, false] {
        let mut h = [0u8; 16];
        r.read_exact(&mut h)?;
        if h[..4] != [0x8e, 0xad, 0xe8, 0x01] {
            return Err(io::Error::other("bad RPM header magic"));
        }
        let nindex = u64::from(u32::from_be_bytes([h[8], h[9], h[10], h[11]]));
        let hsize = u64::from(u32::from_be_bytes([h[12], h[13], h[14], h[15]]));
        let mut skip = nindex * 16 + hsize;
        if padded {
            skip += (8 - (16 + skip) % 8) % 8;
        }
        let skipped = drain(&mut (&mut r).take(skip))?;
        if skipped != skip {
            return Err(io::Error::other("RPM header truncated"));
        }
    }
    let (head, replay) = peek(r)?;
    stream(replay, detect(&head), ctx, sink)
}

/// cpio "newc"/"crc" (RPM payloads).
fn cpio(mut r: impl Read, ctx: &Ctx<'_>, sink: &mut dyn FnMut(Item)) -> io::Result<()> {
    let hex = |b: &[u8]| {
        u64::from_str_radix(&String::from_utf8_lossy(b), 16)
            .map_err(|_| io::Error::other("bad cpio header"))
    };
    loop {
        let mut h = [0u8; 110];
        r.read_exact(&mut h)?;
        if &h[..5] != b"07070" {
            return Err(io::Error::other("bad cpio magic"));
        }
        let mode = hex(&h[14..22])?;
        let size = hex(&h[54..62])?;
        let namesize = hex(&h[94..102])?;
        if namesize > 4096 {
            return Err(io::Error::other("cpio member name too long"));
        }
        let mut name = vec![0u8; namesize as usize];
        r.read_exact(&mut name)?;
        let pad = (4 - (110 + namesize) % 4) % 4;
        drain(&mut (&mut r).take(pad))?;
        let raw = String::from_utf8_lossy(name.split(|&b| b == 0).next().unwrap_or_default())
            .into_owned();
        if raw == "TRAILER!!!" {
            // Read to the end so that a damaged compressed payload (its checksum, a cut
            // trailer) is reported even though every member was read.
            drain(&mut r)?;
            return Ok(());
        }
        let mut body = (&mut r).take(size);
        match mode & 0o170000 {
            0o100000 => member(&mut body, &raw, size, ctx, sink)?,
            0o120000 => {
                let mut target = String::new();
                (&mut body).take(4096).read_to_string(&mut target).ok();
                let path = normalize(&raw);
                sink(Item::Link {
                    unit: ctx.unit,
                    target: join_link(&path, &target),
                    path,
                });
            }
            _ => {}
        }
        drain(&mut body)?;
        if body.limit() > 0 {
            return Err(truncated(&raw, size));
        }
        drain(&mut (&mut r).take((4 - size % 4) % 4))?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Binary ("base-256") form of a tar number field.
    fn big(field: &mut [u8; 12], n: u64) {
        field.fill(0);
        field[0] = 0x80;
        field[4..].copy_from_slice(&n.to_be_bytes());
    }

    /// A GNU sparse member of 1 TiB stored in 512 bytes: its holes are never materialised (they
    /// were drained as zeros, which took minutes; Go's testdata has such archives).
    #[test]
    fn a_sparse_member_is_not_expanded_to_drain_it() {
        const SIZE: u64 = 1 << 40;
        let mut h = tar::Header::new_gnu();
        h.set_path("huge.img").unwrap();
        h.set_entry_type(tar::EntryType::GNUSparse);
        h.set_size(512);
        h.set_mode(0o644);
        let g = h.as_gnu_mut().unwrap();
        big(&mut g.realsize, SIZE);
        big(&mut g.sparse[0].offset, SIZE - 512);
        big(&mut g.sparse[0].numbytes, 512);
        h.set_cksum();
        let mut tar = h.as_bytes().to_vec();
        tar.extend_from_slice(&[b'x'; 512]);
        let mut h = tar::Header::new_gnu();
        h.set_path("after.txt").unwrap();
        h.set_size(3);
        h.set_cksum();
        tar.extend_from_slice(h.as_bytes());
        tar.extend_from_slice(&[b'y'; 512]);
        tar.extend_from_slice(&[0; 1024]);
        let mut items = Vec::new();
        let opts = Options::default();
        visit_archive_bytes(
            &tar,
            Kind::Tar,
            "t.tar",
            &opts,
            &Units::default(),
            &mut |it| {
                items.push(match it {
                    Item::Other { name, .. } => format!("other {name}"),
                    Item::Problem { name, error, .. } => format!("problem {name}: {error}"),
                    Item::Unit { name, .. } => format!("unit {name}"),
                    _ => "something else".into(),
                })
            },
        );
        assert_eq!(
            items,
            // Sparse members are not read as files (as before); the member after it is.
            ["unit t.tar", "other t.tar!/after.txt"]
        );
    }
}
