//! Container images: OCI image layout directories, and `docker save` tarballs (classic
//! `manifest.json` form or OCI layout form). Layers are applied in order with whiteouts
//! honoured (`.wh.NAME` deletes, `.wh..wh..opq` makes a directory opaque), giving one tree —
//! one unit — per image; only files that survive in the final tree are reported.
//!
//! Two passes over each layer: the first builds the final tree from headers (and the first bytes
//! of each file), the second reads only the surviving ELF files and archives. Compressed
//! `docker save | gzip` tarballs are read as plain archives (their layers become nested units).

use std::cell::Cell;
use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::io::{self, BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::rc::Rc;

use serde_json::Value;

use super::archive::{Ctx, member};
use super::detect::{HEAD, Kind, detect};
use super::{Item, Options, Units, join_link, normalize};

/// Most bytes of a manifest or index we parse.
const MAX_JSON: u64 = 16 << 20;
/// How deep image indexes may nest.
const MAX_INDEX_DEPTH: u32 = 4;

/// True for an OCI image layout directory.
pub(crate) fn is_oci_layout(dir: &Path) -> bool {
    dir.join("oci-layout").is_file() && dir.join("index.json").is_file()
}

/// Where blobs and manifests are read from.
enum Blobs {
    Dir(PathBuf),
    Tar {
        file: PathBuf,
        index: HashMap<String, (u64, u64)>,
    },
}

impl Blobs {
    fn open(&self, path: &str) -> io::Result<Box<dyn Read>> {
        let path = path.trim_start_matches("./");
        match self {
            Blobs::Dir(d) => Ok(Box::new(BufReader::with_capacity(
                1 << 16,
                File::open(d.join(path))?,
            ))),
            Blobs::Tar { file, index } => {
                let &(offset, size) = index.get(path).ok_or_else(|| {
                    io::Error::other(format!("{path} is not in the image tarball"))
                })?;
                let mut f = File::open(file)?;
                f.seek(SeekFrom::Start(offset))?;
                Ok(Box::new(BufReader::with_capacity(1 << 16, f).take(size)))
            }
        }
    }

    fn json(&self, path: &str) -> io::Result<Value> {
        let mut buf = Vec::new();
        self.open(path)?.take(MAX_JSON).read_to_end(&mut buf)?;
        serde_json::from_slice(&buf).map_err(|e| io::Error::other(format!("{path}: {e}")))
    }
}

/// One image: a label and its layer blobs, bottom first.
struct Image {
    label: String,
    layers: Vec<String>,
}

pub(crate) fn visit_layout_dir(
    dir: &Path,
    name: &str,
    opts: &Options,
    units: &Units,
    sink: &mut dyn FnMut(Item),
) {
    visit_images(Blobs::Dir(dir.to_path_buf()), name, opts, units, sink);
}

/// If the tarball is an image (docker save or OCI layout), read it as one and return true.
pub(crate) fn visit_image_tar(
    path: &Path,
    name: &str,
    opts: &Options,
    units: &Units,
    sink: &mut dyn FnMut(Item),
) -> bool {
    let Ok(index) = index_tar(path) else {
        return false;
    };
    let is_image = index.contains_key("manifest.json")
        || (index.contains_key("oci-layout") && index.contains_key("index.json"));
    if is_image {
        visit_images(
            Blobs::Tar {
                file: path.to_path_buf(),
                index,
            },
            name,
            opts,
            units,
            sink,
        );
    }
    is_image
}

/// Member path → (data offset, size), reading only headers (seeking over data).
fn index_tar(path: &Path) -> io::Result<HashMap<String, (u64, u64)>> {
    let mut archive = tar::Archive::new(File::open(path)?);
    let mut index = HashMap::new();
    for entry in archive.entries_with_seek()? {
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
    opts: &Options,
    units: &Units,
    sink: &mut dyn FnMut(Item),
) {
    let images = match list_images(&blobs) {
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
    for img in images {
        let prefix = if single {
            name.to_string()
        } else {
            format!("{name}!/{}", img.label)
        };
        let unit = units.next();
        sink(Item::Unit {
            id: unit,
            name: prefix.clone(),
        });
        let ctx = Ctx {
            prefix: prefix.clone(),
            artifact: name.to_string(),
            unit,
            depth: 0,
            opts,
            units,
            inflated: Rc::new(Cell::new(0)),
            named: true,
        };
        if let Err(e) = apply_layers(&blobs, &img, &ctx, sink) {
            let error = format!("image {}: {e}", img.label);
            sink(Item::Problem {
                name: prefix,
                artifact: name.into(),
                error,
                limit: false,
            });
        }
    }
}

fn list_images(blobs: &Blobs) -> io::Result<Vec<Image>> {
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
                let label = m["RepoTags"][0]
                    .as_str()
                    .map_or_else(|| format!("image-{i}"), str::to_string);
                let layers = m["Layers"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|l| l.as_str().map(str::to_string))
                    .collect();
                images.push(Image { label, layers });
            }
            return Ok(images);
        }
    }
    let index = blobs.json("index.json")?;
    collect_manifests(blobs, &index, None, 0, &mut images)?;
    Ok(images)
}

fn blob_path(digest: &str) -> Option<String> {
    let (alg, hex) = digest.split_once(':')?;
    if alg.contains(['/', '.']) || hex.contains(['/', '.']) {
        return None;
    }
    Some(format!("blobs/{alg}/{hex}"))
}

fn collect_manifests(
    blobs: &Blobs,
    index: &Value,
    label: Option<String>,
    depth: u32,
    out: &mut Vec<Image>,
) -> io::Result<()> {
    if depth > MAX_INDEX_DEPTH {
        return Err(io::Error::other("image index nested too deeply"));
    }
    for (i, d) in index["manifests"]
        .as_array()
        .into_iter()
        .flatten()
        .enumerate()
    {
        let Some(path) = d["digest"].as_str().and_then(blob_path) else {
            continue;
        };
        let doc = blobs.json(&path)?;
        let label = d["annotations"]["org.opencontainers.image.ref.name"]
            .as_str()
            .or_else(|| d["annotations"]["io.containerd.image.name"].as_str())
            .map(str::to_string)
            .or_else(|| label.clone())
            .unwrap_or_else(|| {
                d["digest"]
                    .as_str()
                    .unwrap_or("image")
                    .chars()
                    .take(19)
                    .collect()
            });
        let label = match (
            d["platform"]["os"].as_str(),
            d["platform"]["architecture"].as_str(),
        ) {
            (Some(os), Some(arch)) => format!("{label} ({os}/{arch})"),
            _ if i > 0 && label.is_empty() => format!("image-{i}"),
            _ => label,
        };
        if doc.get("manifests").is_some() {
            collect_manifests(blobs, &doc, Some(label), depth + 1, out)?;
        } else if let Some(layers) = doc["layers"].as_array() {
            let layers = layers
                .iter()
                .filter_map(|l| l["digest"].as_str().and_then(blob_path))
                .collect();
            out.push(Image { label, layers });
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

fn layer_entries<'a>(
    blobs: &Blobs,
    layer: &str,
    ctx: &Ctx<'_>,
) -> io::Result<tar::Archive<Box<dyn Read + 'a>>> {
    let r = blobs.open(layer)?;
    let (head, replay) = {
        let mut r = r;
        let mut head = Vec::with_capacity(HEAD);
        (&mut r).take(HEAD as u64).read_to_end(&mut head)?;
        (head.clone(), io::Cursor::new(head).chain(r))
    };
    let decoded: Box<dyn Read> = match detect(&head) {
        Kind::Gzip => Box::new(flate2::read::MultiGzDecoder::new(replay)),
        Kind::Zstd => Box::new(zstd::stream::read::Decoder::new(replay)?),
        Kind::Xz => Box::new(liblzma::read::XzDecoder::new(replay)),
        _ => Box::new(replay),
    };
    let _ = ctx;
    Ok(tar::Archive::new(decoded))
}

fn apply_layers(
    blobs: &Blobs,
    img: &Image,
    ctx: &Ctx<'_>,
    sink: &mut dyn FnMut(Item),
) -> io::Result<()> {
    let mut tree: BTreeMap<String, Node> = BTreeMap::new();
    for (li, layer) in img.layers.iter().enumerate() {
        let mut archive = layer_entries(blobs, layer, ctx)?;
        for entry in archive.entries()? {
            let mut entry = entry?;
            let path = normalize(&String::from_utf8_lossy(&entry.path_bytes()));
            let (dir, base) = path.rsplit_once('/').unwrap_or(("", &path));
            let dir = if dir.is_empty() { "/" } else { dir };
            if base == ".wh..wh..opq" {
                remove_under(&mut tree, dir, false);
                continue;
            }
            if let Some(hidden) = base.strip_prefix(".wh.") {
                let target = normalize(&format!("{dir}/{hidden}"));
                remove_under(&mut tree, &target, true);
                continue;
            }
            let kind = entry.header().entry_type();
            let node = if kind.is_dir() {
                Node::Dir
            } else if kind.is_symlink() || kind.is_hard_link() {
                let Ok(Some(t)) = entry.link_name() else {
                    continue;
                };
                let t = t.to_string_lossy();
                Node::Link(if kind.is_hard_link() {
                    normalize(&t)
                } else {
                    join_link(&path, &t)
                })
            } else if kind.is_file() {
                let mut head = Vec::with_capacity(HEAD);
                (&mut entry).take(HEAD as u64).read_to_end(&mut head)?;
                Node::File {
                    layer: li,
                    kind: detect(&head),
                }
            } else {
                continue;
            };
            if !matches!(node, Node::Dir) {
                remove_under(&mut tree, &path, false);
            }
            tree.insert(path, node);
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
                    && !matches!(
                        n,
                        Node::File {
                            kind: Kind::Other,
                            ..
                        }
                    )
            })
        };
        if !tree.values().any(|n| n.layer() == Some(li)) {
            continue;
        }
        let mut archive = layer_entries(blobs, layer, ctx)?;
        for entry in archive.entries()? {
            let mut entry = entry?;
            let raw = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
            if entry.header().entry_type().is_file() && wanted(&normalize(&raw)) {
                let size = entry.size();
                member(&mut entry, &raw, size, ctx, sink)?;
            }
        }
    }
    Ok(())
}
