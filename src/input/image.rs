//! Container images: OCI image layout directories, and `docker save` tarballs (classic
//! `manifest.json` form or OCI layout form). Layers are applied in order with whiteouts
//! honoured (`.wh.NAME` deletes, `.wh..wh..opq` makes a directory opaque), giving one tree —
//! one unit — per image; only files that survive in the final tree are reported.
//!
//! Layers are read in parallel (at most one per worker of the pool, largest first), each into a
//! list of what it does in tar order (puts, whiteouts) plus the bytes of the files worth a second
//! look; the lists are then applied in layer order, so whiteouts act exactly as when the layers
//! are read one after another. A layer whose surviving ELF files and archives were not all kept
//! from that first read is read a second time. Compressed `docker save | gzip` tarballs are read
//! as plain archives (their layers become nested units).

use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::io::{self, BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use serde_json::Value;

use super::archive::{Ctx, drain, member, member_bytes};
use super::detect::{HEAD, Kind, detect};
use super::limits::{Counted, Limits, TarHeaderCount, TarHeaders, is_limit};
use super::origin::{ImageOrigin, LayerOrigin};
use super::platform::Platform;
use super::{Item, Options, Units, join_link, normalize};

/// Most bytes of a manifest or index we parse.
const MAX_JSON: u64 = 16 << 20;
/// How deep image indexes may nest.
const MAX_INDEX_DEPTH: u32 = 4;
/// Most manifests and indexes read for one artifact (nested indexes that name the same blobs
/// many times would otherwise multiply: 1000 × 1000 × …).
const MAX_MANIFESTS: usize = 1024;
/// Most paths in one image's final tree (a tar entry takes at least 512 bytes, so this is
/// reached only by layers of several GiB of empty entries).
const MAX_TREE_ENTRIES: usize = 4 << 20;

/// True for an OCI image layout directory.
pub(crate) fn is_oci_layout(dir: &Path) -> bool {
    dir.join("oci-layout").is_file() && dir.join("index.json").is_file()
}

/// Where blobs and manifests are read from.
enum Blobs<'a> {
    /// An OCI layout directory; `follow` allows blobs that are symbolic links.
    Dir { dir: PathBuf, follow: bool },
    /// A tarball (on disk or in memory), indexed by member path.
    Tar {
        src: TarSource,
        index: HashMap<String, (u64, u64)>,
    },
    /// A registry: manifests and blobs fetched by digest, verified, held in memory.
    Remote(Box<dyn Remote + Sync + 'a>),
}

/// A source of manifests and blobs addressed by digest (a registry).
pub(crate) trait Remote {
    /// The document the reference names: an index, or a manifest wrapped in a one-entry index.
    fn index(&self) -> io::Result<Value>;
    /// A manifest or index by digest.
    fn manifest(&self, digest: &str) -> io::Result<Value>;
    /// A blob (config, layer) by digest, verified against it.
    fn blob(&self, digest: &str) -> io::Result<Blob>;
    /// Hand a blob's bytes to `read` as they arrive (the transfer, the digest check and what
    /// `read` does with them overlap), then read what `read` left and check the digest: what
    /// `read` found counts only when this returns Ok (a blob that does not match its digest
    /// gives an error, never a verdict about part of an image).
    fn stream(
        &self,
        digest: &str,
        read: &mut dyn FnMut(&mut dyn Read) -> io::Result<()>,
    ) -> io::Result<()>;
}

/// A blob held in memory, shared without copying.
#[derive(Clone, Debug, Default)]
pub(crate) struct Blob(pub Arc<Vec<u8>>);

impl AsRef<[u8]> for Blob {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

/// `blobs/ALG/HEX` → `ALG:HEX`.
fn digest_of(path: &str) -> String {
    path.trim_start_matches("blobs/").replacen('/', ":", 1)
}

/// Where an image tarball's bytes are.
enum TarSource {
    File(PathBuf),
    Bytes(Arc<[u8]>),
}

impl Blobs<'_> {
    fn open(&self, path: &str) -> io::Result<Box<dyn Read + Send>> {
        let path = path.trim_start_matches("./");
        match self {
            Blobs::Dir { dir, follow } => {
                let p = dir.join(path);
                // Never leave the layout through a link unless asked, and never open a FIFO
                // (it would block) or a device.
                if !follow && std::fs::symlink_metadata(&p)?.file_type().is_symlink() {
                    return Err(io::Error::other(format!(
                        "{path} is a symbolic link (--follow-symlinks reads it)"
                    )));
                }
                if !std::fs::metadata(&p)?.is_file() {
                    return Err(io::Error::other(format!("{path} is not a regular file")));
                }
                Ok(Box::new(BufReader::with_capacity(1 << 16, File::open(p)?)))
            }
            Blobs::Tar { src, index } => {
                let &(offset, size) = index.get(path).ok_or_else(|| {
                    io::Error::other(format!("{path} is not in the image tarball"))
                })?;
                match src {
                    TarSource::File(file) => {
                        let mut f = File::open(file)?;
                        f.seek(SeekFrom::Start(offset))?;
                        Ok(Box::new(BufReader::with_capacity(1 << 16, f).take(size)))
                    }
                    TarSource::Bytes(b) => {
                        let mut c = io::Cursor::new(b.clone());
                        c.set_position(offset);
                        Ok(Box::new(c.take(size)))
                    }
                }
            }
            Blobs::Remote(r) => Ok(Box::new(io::Cursor::new(r.blob(&digest_of(path))?))),
        }
    }

    fn json(&self, path: &str) -> io::Result<Value> {
        if let (Blobs::Remote(r), "index.json") = (self, path) {
            return r.index();
        }
        let mut buf = Vec::new();
        self.open(path)?.take(MAX_JSON).read_to_end(&mut buf)?;
        serde_json::from_slice(&buf).map_err(|e| io::Error::other(format!("{path}: {e}")))
    }

    /// A manifest or an index (registries serve these apart from blobs).
    fn manifest(&self, path: &str) -> io::Result<Value> {
        match self {
            Blobs::Remote(r) => r.manifest(&digest_of(path)),
            _ => self.json(path),
        }
    }

    /// Read a layer through `read`: streamed and verified from a registry, opened otherwise.
    fn stream(
        &self,
        path: &str,
        read: &mut dyn FnMut(&mut dyn Read) -> io::Result<()>,
    ) -> io::Result<()> {
        match self {
            Blobs::Remote(r) => r.stream(&digest_of(path), read),
            _ => read(&mut self.open(path)?),
        }
    }

    /// A blob's size where it is known without reading it (for scheduling only).
    fn size(&self, path: &str) -> u64 {
        match self {
            Blobs::Tar { index, .. } => index.get(path.trim_start_matches("./")).map_or(0, |e| e.1),
            Blobs::Dir { dir, .. } => {
                std::fs::symlink_metadata(dir.join(path)).map_or(0, |m| m.len())
            }
            Blobs::Remote(_) => 0,
        }
    }
}

/// One image: a label and its layer blobs, bottom first.
struct Image {
    /// Its name in the archive (tag, ref name), or a short digest.
    label: String,
    /// True when the label is the archive's own name for it (not a digest or a counter).
    named: bool,
    /// `os/arch[/variant]` from the index entry that led to it.
    platform: Option<String>,
    /// The manifest's digest, when an index named it.
    digest: Option<String>,
    /// The config blob.
    config: Option<String>,
    layers: Vec<String>,
    /// The layers' sizes as the manifest gives them (0: unknown).
    sizes: Vec<u64>,
}

/// What the config says about an image, for [`ImageOrigin`]s.
struct ImageInfo {
    id: Option<String>,
    platform: Option<String>,
    /// Per layer: diff ID and the build step.
    layers: Vec<(Option<String>, Option<String>)>,
}

fn image_info(blobs: &Blobs, img: &Image) -> ImageInfo {
    use sha2::Digest;
    let mut info = ImageInfo {
        id: None,
        platform: img.platform.clone(),
        layers: Vec::new(),
    };
    let Some(path) = &img.config else {
        return info;
    };
    let mut buf = Vec::new();
    let read = blobs
        .open(path)
        .and_then(|r| r.take(MAX_JSON).read_to_end(&mut buf));
    let Ok(cfg) = read
        .map_err(drop)
        .and_then(|_| serde_json::from_slice::<Value>(&buf).map_err(drop))
    else {
        return info;
    };
    info.id = Some(format!(
        "sha256:{}",
        crate::hex(&sha2::Sha256::digest(&buf))
    ));
    if info.platform.is_none() {
        if let (Some(os), Some(arch)) = (str_at(&cfg, "/os"), str_at(&cfg, "/architecture")) {
            info.platform = Some(match str_at(&cfg, "/variant") {
                Some(v) => format!("{os}/{arch}/{v}"),
                None => format!("{os}/{arch}"),
            });
        }
    }
    let diff_ids: Vec<Option<String>> = cfg
        .pointer("/rootfs/diff_ids")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|d| d.as_str().map(str::to_string))
        .collect();
    // History entries marked `empty_layer` made no layer; the others match the layers in order.
    let steps: Vec<Option<String>> = cfg
        .get("history")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|h| h.get("empty_layer").and_then(Value::as_bool) != Some(true))
        .map(|h| str_at(h, "/created_by").map(str::to_string))
        .collect();
    info.layers = (0..img.layers.len())
        .map(|i| {
            (
                diff_ids.get(i).cloned().flatten(),
                steps.get(i).cloned().flatten(),
            )
        })
        .collect();
    info
}

pub(crate) fn visit_layout_dir(
    dir: &Path,
    name: &str,
    opts: &Options,
    units: &Units,
    sink: &mut dyn FnMut(Item),
) {
    // index.json names every manifest, and through them every blob, by digest: the same
    // index.json is the same images, which the results cache may replay unread (#13).
    if opts.known.0.is_some() {
        if let Ok(index) = std::fs::read(dir.join("index.json")) {
            let digest = crate::hex(&<sha2::Sha256 as sha2::Digest>::digest(&index));
            let key = format!("oci-layout {name} sha256:{digest}");
            if opts.known.image(key, name, sink) {
                return;
            }
        }
    }
    let blobs = Blobs::Dir {
        dir: dir.to_path_buf(),
        follow: opts.follow_symlinks,
    };
    visit_images(blobs, name, None, opts, units, sink);
}

/// If the tarball is an image (docker save or OCI layout), read it as one and return true.
pub(crate) fn visit_image_tar(
    path: &Path,
    name: &str,
    opts: &Options,
    units: &Units,
    sink: &mut dyn FnMut(Item),
) -> bool {
    let Ok(index) = File::open(path).and_then(index_tar) else {
        return false;
    };
    visit_indexed(
        TarSource::File(path.to_path_buf()),
        index,
        name,
        None,
        opts,
        units,
        sink,
    )
}

/// Like [`visit_image_tar`], for a tarball in memory; `reference` names the image when the
/// user named it (`docker:app:1`) rather than the tarball.
pub(crate) fn visit_image_bytes(
    data: Arc<[u8]>,
    name: &str,
    reference: Option<&str>,
    opts: &Options,
    units: &Units,
    sink: &mut dyn FnMut(Item),
) -> bool {
    let Ok(index) = index_tar(io::Cursor::new(data.clone())) else {
        return false;
    };
    visit_indexed(
        TarSource::Bytes(data),
        index,
        name,
        reference,
        opts,
        units,
        sink,
    )
}

/// An image from a registry (see [`Remote`]).
pub(crate) fn visit_remote(
    remote: Box<dyn Remote + Sync + '_>,
    name: &str,
    reference: &str,
    opts: &Options,
    units: &Units,
    sink: &mut dyn FnMut(Item),
) {
    visit_images(
        Blobs::Remote(remote),
        name,
        Some(reference),
        opts,
        units,
        sink,
    );
}

fn visit_indexed(
    src: TarSource,
    index: HashMap<String, (u64, u64)>,
    name: &str,
    reference: Option<&str>,
    opts: &Options,
    units: &Units,
    sink: &mut dyn FnMut(Item),
) -> bool {
    let is_image = index.contains_key("manifest.json")
        || (index.contains_key("oci-layout") && index.contains_key("index.json"));
    if is_image {
        visit_images(
            Blobs::Tar { src, index },
            name,
            reference,
            opts,
            units,
            sink,
        );
    }
    is_image
}

/// Member path → (data offset, size), reading only headers (seeking over data).
fn index_tar<R: Read + Seek>(r: R) -> io::Result<HashMap<String, (u64, u64)>> {
    let (file, header_bytes) = TarHeaders::new(r);
    let mut archive = tar::Archive::new(file);
    let mut index = HashMap::new();
    let mut entries = archive.entries_with_seek()?;
    // Member data is seeked over, so only headers, long names and pax records are read.
    while let Some(entry) = header_bytes.next(|| entries.next()) {
        let entry = entry?;
        if entry.header().entry_type().is_file() {
            let p = normalize(&String::from_utf8_lossy(&entry.path_bytes()));
            index.insert(
                p.trim_start_matches('/').to_string(),
                (entry.raw_file_position(), entry.size()),
            );
        }
        if index.len() > 1_000_000 {
            return Err(io::Error::other("too many members for an image index"));
        }
    }
    Ok(index)
}

fn visit_images(
    blobs: Blobs,
    name: &str,
    reference: Option<&str>,
    opts: &Options,
    units: &Units,
    sink: &mut dyn FnMut(Item),
) {
    let images = match list_images(&blobs, &opts.platform) {
        Ok(v) => v,
        Err(e) => {
            let error = format!("image: {e}");
            return sink(Item::Problem {
                name: name.into(),
                artifact: name.into(),
                error,
                limit: false,
            });
        }
    };
    let single = images.len() == 1;
    // Images that differ only by platform (one index, `--platform all`) are artifacts of their
    // own, `NAME@os/arch`; images with names of their own are units inside the artifact.
    let key = |i: &Image| i.named.then(|| i.label.clone());
    let platforms: std::collections::HashSet<_> = images.iter().map(|i| &i.platform).collect();
    let by_platform = !single
        && platforms.len() == images.len()
        && images
            .iter()
            .all(|i| i.platform.is_some() && images.first().is_some_and(|f| key(f) == key(i)));
    // All images of one artifact share its decompression budget.
    let inflated = Arc::new(AtomicU64::new(0));
    for img in images {
        let (prefix, artifact) = match (&img.platform, single, by_platform) {
            (_, true, _) => (name.to_string(), name.to_string()),
            (Some(p), _, true) => (format!("{name}@{p}"), format!("{name}@{p}")),
            (Some(p), _, false) => (format!("{name}!/{}@{p}", img.label), name.to_string()),
            (None, _, _) => (format!("{name}!/{}", img.label), name.to_string()),
        };
        let unit = units.next();
        sink(Item::Unit {
            id: unit,
            name: prefix.clone(),
        });
        let ctx = Ctx {
            prefix: prefix.clone(),
            artifact: artifact.clone(),
            unit,
            depth: 0,
            opts,
            units,
            inflated: inflated.clone(),
            named: true,
            origin: None,
            npm: false,
        };
        let reference = reference
            .map(str::to_string)
            .or_else(|| img.named.then(|| img.label.clone()))
            .unwrap_or_default();
        if let Err(e) = apply_layers(&blobs, &img, &reference, &ctx, sink) {
            let error = format!("image {}: {e}", img.label);
            sink(Item::Problem {
                name: prefix,
                artifact,
                error,
                limit: is_limit(&e),
            });
        }
    }
}

fn list_images(blobs: &Blobs, platform: &Platform) -> io::Result<Vec<Image>> {
    let mut images = Vec::new();
    if let Blobs::Tar { index, .. } = blobs {
        if index.contains_key("manifest.json") && !index.contains_key("index.json") {
            // Classic `docker save`: [{"Config": ..., "RepoTags": [...], "Layers": [...]}].
            for (i, m) in blobs
                .json("manifest.json")?
                .as_array()
                .into_iter()
                .flatten()
                .enumerate()
            {
                let tag = m.pointer("/RepoTags/0").and_then(Value::as_str);
                let layers = m
                    .get("Layers")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(|l| l.as_str().map(str::to_string))
                    .collect();
                images.push(Image {
                    label: tag.map_or_else(|| format!("image-{i}"), str::to_string),
                    named: tag.is_some(),
                    platform: None,
                    digest: None,
                    config: str_at(m, "/Config").map(str::to_string),
                    layers,
                    sizes: Vec::new(),
                });
            }
            return Ok(images);
        }
    }
    let index = blobs.json("index.json")?;
    let mut budget = MAX_MANIFESTS;
    let mut seen = Vec::new();
    collect_manifests(
        blobs,
        &index,
        None,
        0,
        platform,
        &mut images,
        &mut seen,
        &mut budget,
    )?;
    if images.is_empty() && !seen.is_empty() {
        return Err(io::Error::other(format!(
            "no image for platform {platform}; the index has {} (choose with --platform, or --platform all)",
            seen.join(", ")
        )));
    }
    Ok(images)
}

/// The string at a JSON pointer (`/a/b`), if there is one.
fn str_at<'v>(v: &'v Value, pointer: &str) -> Option<&'v str> {
    v.pointer(pointer).and_then(Value::as_str)
}

fn blob_path(digest: &str) -> Option<String> {
    let (alg, hex) = digest.split_once(':')?;
    if alg.contains(['/', '.']) || hex.contains(['/', '.']) {
        return None;
    }
    Some(format!("blobs/{alg}/{hex}"))
}

/// `os/arch[/variant]` of an index entry, when it has one.
fn entry_platform(d: &Value) -> Option<(String, &str, &str, Option<&str>)> {
    let os = str_at(d, "/platform/os")?;
    let arch = str_at(d, "/platform/architecture")?;
    let variant = str_at(d, "/platform/variant");
    let shown = match variant {
        Some(v) => format!("{os}/{arch}/{v}"),
        None => format!("{os}/{arch}"),
    };
    Some((shown, os, arch, variant))
}

#[allow(clippy::too_many_arguments)]
fn collect_manifests(
    blobs: &Blobs,
    index: &Value,
    label: Option<String>,
    depth: u32,
    platform: &Platform,
    out: &mut Vec<Image>,
    seen: &mut Vec<String>,
    budget: &mut usize,
) -> io::Result<()> {
    if depth > MAX_INDEX_DEPTH {
        return Err(io::Error::other("image index nested too deeply"));
    }
    // With one platform asked for, the first entry of each index that matches it is read.
    let mut picked = false;
    for (i, d) in index
        .get("manifests")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        let Some(path) = str_at(d, "/digest").and_then(blob_path) else {
            continue;
        };
        let plat = entry_platform(d);
        if let Some((shown, os, arch, variant)) = &plat {
            // Build attestations (`unknown/unknown`) are not images to run.
            if *os == "unknown" {
                continue;
            }
            let wanted = platform.matches(os, arch, *variant)
                && !(picked && matches!(platform, Platform::One { .. }));
            if !wanted {
                seen.push(shown.clone());
                continue;
            }
            picked = true;
        }
        *budget = budget.checked_sub(1).ok_or_else(|| {
            io::Error::other(format!(
                "image index names more than {MAX_MANIFESTS} manifests"
            ))
        })?;
        let doc = blobs.manifest(&path)?;
        let own = str_at(d, "/annotations/org.opencontainers.image.ref.name")
            .or_else(|| str_at(d, "/annotations/io.containerd.image.name"))
            .map(str::to_string);
        let named = own.is_some() || label.is_some();
        let label = own.or_else(|| label.clone()).unwrap_or_else(|| {
            if i > 0 && plat.is_none() {
                format!("image-{i}")
            } else {
                str_at(d, "/digest")
                    .unwrap_or("image")
                    .chars()
                    .take(19)
                    .collect()
            }
        });
        if doc.get("manifests").is_some() {
            collect_manifests(
                blobs,
                &doc,
                named.then_some(label),
                depth + 1,
                platform,
                out,
                seen,
                budget,
            )?;
        } else if let Some(layers) = doc.get("layers").and_then(Value::as_array) {
            let (layers, sizes) = layers
                .iter()
                .filter_map(|l| {
                    let path = str_at(l, "/digest").and_then(blob_path)?;
                    Some((path, l.get("size").and_then(Value::as_u64).unwrap_or(0)))
                })
                .unzip();
            out.push(Image {
                label,
                named,
                platform: plat.map(|p| p.0),
                digest: str_at(d, "/digest").map(str::to_string),
                config: str_at(&doc, "/config/digest").and_then(blob_path),
                layers,
                sizes,
            });
        }
    }
    Ok(())
}

/// What the final tree holds at a path.
enum Node {
    File { layer: usize, kind: Kind },
    Link(String),
    Dir,
}

impl Node {
    fn layer(&self) -> Option<usize> {
        match self {
            Node::File { layer, .. } => Some(*layer),
            _ => None,
        }
    }
}

/// Remove `dir`'s descendants (and `dir` itself when `with_self`) from the tree.
fn remove_under(tree: &mut BTreeMap<String, Node>, dir: &str, with_self: bool) {
    let prefix = if dir == "/" {
        "/".to_string()
    } else {
        format!("{dir}/")
    };
    let doomed: Vec<String> = tree
        .range(prefix.clone()..)
        .take_while(|(k, _)| k.starts_with(&prefix))
        .map(|(k, _)| k.clone())
        .collect();
    for k in doomed {
        tree.remove(&k);
    }
    if with_self {
        tree.remove(dir);
    }
}

type LayerTar<'a> = tar::Archive<TarHeaders<Box<dyn Read + 'a>>>;

/// A layer's tar stream, decompressed and counted against the artifact's budget (`inflated`);
/// the returned handle counts the tar crate's reads between members (see `TarHeaders`).
fn layer_tar<'a>(
    r: Box<dyn Read + 'a>,
    limits: &Limits,
    inflated: &Arc<AtomicU64>,
) -> io::Result<(LayerTar<'a>, TarHeaderCount)> {
    let (head, replay) = {
        let mut r = r;
        let mut head = Vec::with_capacity(HEAD);
        (&mut r).take(HEAD as u64).read_to_end(&mut head)?;
        (head.clone(), io::Cursor::new(head).chain(r))
    };
    let decoded: Box<dyn Read + 'a> = match detect(&head) {
        Kind::Gzip => Box::new(flate2::read::MultiGzDecoder::new(replay)),
        Kind::Zstd => Box::new(zstd::stream::read::Decoder::new(replay)?),
        Kind::Xz => Box::new(super::limits::xz_decoder(replay)?),
        _ => Box::new(replay),
    };
    let counted: Box<dyn Read + 'a> = Box::new(Counted {
        inner: decoded,
        total: inflated.clone(),
        max: limits.max_artifact_bytes,
    });
    let (guarded, header_bytes) = TarHeaders::new(counted);
    Ok((tar::Archive::new(guarded), header_bytes))
}

/// Read a layer to its end after its end-of-archive blocks, so that a damaged compressed layer
/// (a cut stream, a bad checksum) is reported even when every member was read.
fn drain_layer(archive: LayerTar<'_>) -> io::Result<()> {
    drain(&mut archive.into_inner()).map(drop)
}

/// Most bytes of files one image holds from the first pass (see [`Held`]).
const HOLD_BYTES: u64 = 128 << 20;

/// Files worth a second look (ELF files, archives, compressed files) read whole during the
/// first pass, while [`HOLD_BYTES`] last: a layer whose
/// surviving files are all held is not read a second time (a registry layer is decompressed
/// once instead of twice).
#[derive(Default)]
struct Held {
    /// Path → (layer, order, path as written in the tar, bytes).
    files: HashMap<String, (usize, usize, String, Vec<u8>)>,
    next: usize,
}

/// What one layer does to the tree, in tar order (see [`scan_layer`]).
enum Event {
    /// `DIR/.wh..wh..opq`: the directory's earlier contents are gone.
    Opaque(String),
    /// `.wh.NAME`: the path and everything under it are gone.
    Whiteout(String),
    /// A directory, link or file at a path; a file worth a second look comes with the path as
    /// written in the tar and its bytes, while the image's [`HOLD_BYTES`] last.
    Put {
        path: String,
        node: Node,
        held: Option<(String, Vec<u8>)>,
    },
}

/// One layer entry as an [`Event`] (None for entries that change nothing: devices, FIFOs,
/// links without a target). `hold` is what is left of the image's [`HOLD_BYTES`].
fn event<R: Read>(
    entry: &mut tar::Entry<'_, R>,
    layer: usize,
    hold: &AtomicU64,
    max_file: u64,
) -> io::Result<Option<Event>> {
    let path = normalize(&String::from_utf8_lossy(&entry.path_bytes()));
    let (dir, base) = path.rsplit_once('/').unwrap_or(("", &path));
    let dir = if dir.is_empty() { "/" } else { dir };
    if base == ".wh..wh..opq" {
        return Ok(Some(Event::Opaque(dir.to_string())));
    }
    if let Some(hidden) = base.strip_prefix(".wh.") {
        return Ok(Some(Event::Whiteout(normalize(&format!("{dir}/{hidden}")))));
    }
    let kind = entry.header().entry_type();
    let mut held = None;
    let node = if kind.is_dir() {
        Node::Dir
    } else if kind.is_symlink() || kind.is_hard_link() {
        let Ok(Some(t)) = entry.link_name() else {
            return Ok(None);
        };
        let t = t.to_string_lossy();
        Node::Link(if kind.is_hard_link() {
            normalize(&t)
        } else {
            join_link(&path, &t)
        })
    } else if kind.is_file() {
        let mut head = Vec::with_capacity(HEAD);
        entry.take(HEAD as u64).read_to_end(&mut head)?;
        let kind = detect(&head);
        let size = entry.size();
        // Records of owners (dpkg's status, apk's installed db) are read too: they name the
        // package of every ELF file of the image.
        let wanted = kind != Kind::Other || crate::inspect::owners::is_metadata(&path);
        let reserved = wanted
            && size <= max_file
            && hold
                .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |left| {
                    left.checked_sub(size)
                })
                .is_ok();
        if reserved {
            let mut data = head;
            data.reserve_exact(
                usize::try_from(size)
                    .unwrap_or(0)
                    .saturating_sub(data.len()),
            );
            entry.take(size).read_to_end(&mut data)?;
            // A member cut short is read again in the second pass, which reports it.
            if data.len() as u64 == size {
                let raw = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
                held = Some((raw, data));
            } else {
                hold.fetch_add(size, Ordering::Relaxed);
            }
        }
        Node::File { layer, kind }
    } else {
        return Ok(None);
    };
    Ok(Some(Event::Put { path, node, held }))
}

/// Read one layer into its [`Event`]s. Nothing here depends on the other layers, so layers are
/// read in parallel; a registry layer is streamed (transfer, digest check, decompression and
/// tar reading overlap) and counts only once its digest matched.
fn scan_layer(
    blobs: &Blobs,
    layer: &str,
    li: usize,
    limits: &Limits,
    inflated: &Arc<AtomicU64>,
    hold: &AtomicU64,
) -> io::Result<Vec<Event>> {
    let mut events = Vec::new();
    blobs.stream(layer, &mut |r| {
        events.clear();
        let (mut archive, header_bytes) = layer_tar(Box::new(r), limits, inflated)?;
        let mut entries = archive.entries()?;
        while let Some(entry) = header_bytes.next(|| entries.next()) {
            let mut entry = entry?;
            // Each event may add a path to the tree.
            if events.len() >= MAX_TREE_ENTRIES {
                return Err(too_many_paths());
            }
            events.extend(event(&mut entry, li, hold, limits.max_file_bytes)?);
            // Drain the rest so that it is not counted as header bytes.
            drain(&mut entry)?;
        }
        drain_layer(archive)
    })?;
    Ok(events)
}

fn too_many_paths() -> io::Error {
    io::Error::other(format!("image has more than {MAX_TREE_ENTRIES} paths"))
}

/// Every layer of `img` as [`Event`]s, read by up to one thread per worker of the pool
/// (`--jobs`), largest layer first: the largest one bounds the time, so it starts at once.
/// A failure stops the reading; the lowest failed layer's error is returned.
fn scan_layers(
    blobs: &Blobs,
    img: &Image,
    limits: &Limits,
    inflated: &Arc<AtomicU64>,
) -> io::Result<Vec<Vec<Event>>> {
    let n = img.layers.len();
    let size = |li: usize| match img.sizes.get(li) {
        Some(&s) if s > 0 => s,
        _ => img.layers.get(li).map_or(0, |p| blobs.size(p)),
    };
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by_key(|&li| std::cmp::Reverse(size(li)));
    let hold = AtomicU64::new(HOLD_BYTES);
    let next = AtomicUsize::new(0);
    let failed = AtomicBool::new(false);
    let slots: Vec<Mutex<Option<io::Result<Vec<Event>>>>> =
        (0..n).map(|_| Mutex::new(None)).collect();
    let work = || {
        while !failed.load(Ordering::Relaxed) {
            let Some(&li) = order.get(next.fetch_add(1, Ordering::Relaxed)) else {
                break;
            };
            let Some(layer) = img.layers.get(li) else {
                break;
            };
            let got = scan_layer(blobs, layer, li, limits, inflated, &hold);
            if got.is_err() {
                failed.store(true, Ordering::Relaxed);
            }
            if let Some(Ok(mut slot)) = slots.get(li).map(Mutex::lock) {
                *slot = Some(got);
            }
        }
    };
    let workers = rayon::current_num_threads().clamp(1, n.max(1));
    std::thread::scope(|s| {
        for _ in 1..workers {
            s.spawn(work);
        }
        work();
    });
    let mut scans = Vec::with_capacity(n);
    let mut missing = false;
    for slot in slots {
        match slot.into_inner().ok().flatten() {
            Some(Ok(events)) => scans.push(events),
            Some(Err(e)) => return Err(e),
            None => missing = true,
        }
    }
    match missing {
        // Only a failure leaves layers unread, and its error was returned above.
        true => Err(io::Error::other("a layer was not read")),
        false => Ok(scans),
    }
}

fn apply_layers(
    blobs: &Blobs,
    img: &Image,
    reference: &str,
    ctx: &Ctx<'_>,
    sink: &mut dyn FnMut(Item),
) -> io::Result<()> {
    let info = image_info(blobs, img);
    let scans = scan_layers(blobs, img, &ctx.opts.limits, &ctx.inflated)?;
    let mut tree: BTreeMap<String, Node> = BTreeMap::new();
    let mut held = Held::default();
    for (li, events) in scans.into_iter().enumerate() {
        for ev in events {
            if tree.len() >= MAX_TREE_ENTRIES {
                return Err(too_many_paths());
            }
            match ev {
                Event::Opaque(dir) => remove_under(&mut tree, &dir, false),
                Event::Whiteout(target) => remove_under(&mut tree, &target, true),
                Event::Put {
                    path,
                    node,
                    held: h,
                } => {
                    if matches!(node, Node::File { .. }) {
                        held.files.remove(&path);
                        if let Some((raw, data)) = h {
                            held.next += 1;
                            held.files.insert(path.clone(), (li, held.next, raw, data));
                        }
                    }
                    if !matches!(node, Node::Dir) {
                        remove_under(&mut tree, &path, false);
                    }
                    tree.insert(path, node);
                }
            }
        }
    }
    for (path, node) in &tree {
        if let Node::Link(target) = node {
            sink(Item::Link {
                unit: ctx.unit,
                path: path.clone(),
                target: target.clone(),
            });
        }
    }
    for (li, layer) in img.layers.iter().enumerate() {
        let wanted = |p: &str| {
            tree.get(p).is_some_and(|n| {
                n.layer() == Some(li)
                    && (!matches!(
                        n,
                        Node::File {
                            kind: Kind::Other,
                            ..
                        }
                    ) || crate::inspect::owners::is_metadata(p))
            })
        };
        if !tree.values().any(|n| n.layer() == Some(li)) {
            continue;
        }
        let (diff_id, created_by) = info.layers.get(li).cloned().unwrap_or_default();
        let ctx = &Ctx {
            origin: Some(ImageOrigin {
                reference: reference.to_string(),
                digest: img.digest.clone(),
                id: info.id.clone(),
                platform: info.platform.clone(),
                path: String::new(),
                layer: Some(LayerOrigin {
                    index: li,
                    digest: diff_id,
                    created_by,
                }),
            }),
            ..ctx.clone()
        };
        // Every file this layer contributes is held: no second pass over it.
        let paths: Vec<&String> = tree.keys().filter(|p| wanted(p)).collect();
        let all_held = paths
            .iter()
            .all(|p| held.files.get(*p).is_some_and(|h| h.0 == li));
        if all_held {
            let mut from_memory: Vec<(usize, String, Vec<u8>)> = paths
                .iter()
                .filter_map(|p| held.files.remove(*p))
                .map(|(_, order, raw, data)| (order, raw, data))
                .collect();
            from_memory.sort_by_key(|f| f.0);
            for (_, raw, data) in from_memory {
                member_bytes(data, &raw, ctx, sink)?;
            }
            continue;
        }
        let r = blobs.open(layer)?;
        let (mut archive, header_bytes) = layer_tar(r, &ctx.opts.limits, &ctx.inflated)?;
        let mut entries = archive.entries()?;
        while let Some(entry) = header_bytes.next(|| entries.next()) {
            let mut entry = entry?;
            let raw = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
            if entry.header().entry_type().is_file() && wanted(&normalize(&raw)) {
                let size = entry.size();
                member(&mut entry, &raw, size, ctx, sink)?;
            }
            drain(&mut entry)?;
        }
        drain_layer(archive)?;
    }
    Ok(())
}
