//! Directory trees: one unit per top-level directory, walked in name order.
//!
//! Symbolic links are not followed unless asked (then loops are detected by device and inode);
//! without following, links are still reported as [`Item::Link`] so that closure resolution can
//! find `libfoo.so.1 -> libfoo.so.1.2.3`. FIFOs, sockets and devices are never opened.
//! Directories are handed back as [`Item::Subtree`]s, and so are runs of files of a large
//! directory, so that the caller can walk and sniff them in parallel (rayon's work stealing
//! keeps every core busy even on one huge directory) and stitch their items back in order.

use std::collections::HashSet;
use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::{Item, Options, UnitId, Units, join_link, normalize, problem, visit_file};

/// errno for "too many levels of symbolic links" (Linux: x86, arm, riscv, …; not mips).
const ELOOP: i32 = 40;

/// Directories this close to the root become subtrees of their own; deeper ones are walked
/// inline (enough tasks to keep every core busy, few enough to stay cheap).
const SPLIT_DEPTH: u32 = 8;

/// Files of one directory sniffed by one task: a directory with more becomes several tasks.
const FILE_BATCH: usize = 128;

/// A directory still to be walked, as part of a unit.
#[derive(Debug)]
pub struct Subtree {
    root: Arc<PathBuf>,
    artifact: Arc<str>,
    unit: UnitId,
    dir: PathBuf,
    /// Its (device, inode), when the walk took them from the parent's directory handle.
    id: Option<(u64, u64)>,
    depth: u32,
    /// (device, inode) of the directories above it, for loop detection.
    ancestors: HashSet<(u64, u64)>,
    /// A run of `dir`'s files to sniff, instead of the whole directory (with their metadata
    /// when the walk took it, see [`visit_file`]).
    files: Vec<(PathBuf, Option<fs::Metadata>)>,
    /// List the files ([`Item::Listed`]) instead of sniffing them.
    list: bool,
}

/// A regular file of a tree, listed (name and size) but not yet opened: the caller knows the
/// whole tree before reading it ([`Options::list_trees`]), then calls [`Listed::sniff`].
#[derive(Debug)]
pub struct Listed {
    /// The file.
    pub path: PathBuf,
    /// Absolute path inside the unit.
    pub at: String,
    /// Its size in bytes (0 if it could not be had, or sizes were not asked for).
    pub size: u64,
    /// Its metadata, when the walk took it for the results cache (see [`visit_file`]).
    meta: Option<fs::Metadata>,
    /// The unit.
    pub unit: UnitId,
    artifact: Arc<str>,
}

impl Listed {
    /// True for a package manager's record of owners (read before the unit's ELF files are
    /// concluded).
    pub fn is_metadata(&self) -> bool {
        crate::inspect::owners::is_metadata(&self.at)
    }

    /// Open the file and hand its items to `sink`, as the walk does without listing.
    pub fn sniff(&self, opts: &Options, units: &Units, sink: &mut dyn FnMut(Item)) {
        sniff(
            &self.path,
            &self.at,
            self.unit,
            &self.artifact,
            self.meta.clone(),
            opts,
            units,
            sink,
        );
    }
}

impl Subtree {
    /// The directory, as it is named in the report.
    pub fn name(&self) -> String {
        self.dir.display().to_string()
    }

    /// The artifact (top-level input) it belongs to.
    pub fn artifact(&self) -> &str {
        &self.artifact
    }

    /// Walk this directory, handing its items (and deeper subtrees) to `sink`.
    pub fn visit(self, opts: &Options, units: &Units, sink: &mut dyn FnMut(Item)) {
        let Subtree {
            root,
            artifact,
            unit,
            dir,
            id,
            depth,
            ancestors,
            files,
            list,
        } = self;
        let mut w = Walk {
            root,
            artifact,
            unit,
            opts,
            units,
            ancestors,
            list,
        };
        if files.is_empty() {
            w.dir(&dir, id, depth, sink);
        } else {
            for (f, meta) in files {
                w.file(&f, meta, sink);
            }
        }
    }
}

struct Walk<'a> {
    root: Arc<PathBuf>,
    artifact: Arc<str>,
    unit: UnitId,
    opts: &'a Options,
    units: &'a Units,
    ancestors: HashSet<(u64, u64)>,
    list: bool,
}

/// Walk a directory as one unit.
pub(crate) fn visit_dir(
    root: &Path,
    name: &str,
    opts: &Options,
    units: &Units,
    sink: &mut dyn FnMut(Item),
) {
    let unit = units.next();
    sink(Item::Unit {
        id: unit,
        name: name.to_string(),
    });
    let tree = Subtree {
        root: Arc::new(root.to_path_buf()),
        artifact: Arc::from(name),
        unit,
        dir: root.to_path_buf(),
        id: None,
        depth: 0,
        ancestors: HashSet::new(),
        files: Vec::new(),
        list: opts.list_trees,
    };
    tree.visit(opts, units, sink);
}

impl Walk<'_> {
    fn unit_path(&self, p: &Path) -> String {
        let rel = p.strip_prefix(self.root.as_path()).unwrap_or(p);
        normalize(&rel.to_string_lossy())
    }

    fn dir(&mut self, dir: &Path, id: Option<(u64, u64)>, depth: u32, sink: &mut dyn FnMut(Item)) {
        let name = || dir.display().to_string();
        let key = match id {
            Some(id) => id,
            None => match fs::metadata(dir) {
                Ok(m) => (m.dev(), m.ino()),
                Err(e) => return problem(sink, &name(), &self.artifact, e.to_string()),
            },
        };
        if !self.ancestors.insert(key) {
            let error = "symbolic link loop: directory is its own ancestor".to_string();
            return sink(Item::Problem {
                name: name(),
                artifact: self.artifact.to_string(),
                error,
                limit: true,
            });
        }
        let mut entries = match fs::read_dir(dir) {
            Ok(rd) => rd.filter_map(Result::ok).collect::<Vec<_>>(),
            Err(e) => {
                self.ancestors.remove(&key);
                return problem(sink, &name(), &self.artifact, e.to_string());
            }
        };
        // Cached keys: comparing by `file_name()` allocates both names at every comparison.
        entries.sort_by_cached_key(|e| e.file_name());
        let known = self.opts.known.0.as_deref();
        let mut files = Vec::new();
        for e in entries {
            let Ok(ft) = e.file_type() else { continue };
            // With the results cache, a file is stat'ed through the directory's handle (no path
            // walk), and one known unchanged as neither ELF nor an archive is left at that: no
            // open, no item (#13: most files of a tree on a warm run).
            let mut meta = None;
            if let (true, Some(k)) = (ft.is_file(), known) {
                if let Ok(m) = e.metadata() {
                    if k.is_other(&m) {
                        continue;
                    }
                    meta = Some(m);
                }
            }
            let path = e.path();
            if self.opts.exclude.is_some() && self.opts.excluded(&path.display().to_string()) {
                continue;
            }
            if ft.is_file() && self.list {
                // Listing: the size from the directory's own handle (no path walk), no task.
                let size = match (&meta, self.opts.list_sizes) {
                    (Some(m), _) => m.len(),
                    (None, true) => e.metadata().map_or(0, |m| m.len()),
                    (None, false) => 0,
                };
                self.listed(path, size, meta, sink);
                continue;
            }
            if ft.is_file() {
                files.push((path, meta));
                if files.len() == FILE_BATCH {
                    self.files(dir, std::mem::take(&mut files), sink);
                }
                continue;
            }
            // Items stay in name order: the files before this entry go first.
            self.files(dir, std::mem::take(&mut files), sink);
            if ft.is_symlink() {
                self.link(&path, depth, sink);
            } else if ft.is_dir() {
                // Its identity through this directory's handle (no path walk); the subtree
                // stats it by path only if this fails.
                let id = e.metadata().ok().map(|m| (m.dev(), m.ino()));
                self.subdir(path, id, depth + 1, sink);
            }
            // FIFOs, sockets and devices: never opened (a FIFO would block).
        }
        self.files(dir, files, sink);
        self.ancestors.remove(&key);
    }

    /// A run of files: sniffed here when short, else handed out as a task of its own.
    fn files(
        &mut self,
        dir: &Path,
        files: Vec<(PathBuf, Option<fs::Metadata>)>,
        sink: &mut dyn FnMut(Item),
    ) {
        if files.len() < FILE_BATCH {
            for (f, meta) in files {
                self.file(&f, meta, sink);
            }
            return;
        }
        sink(Item::Subtree(Subtree {
            root: self.root.clone(),
            artifact: self.artifact.clone(),
            unit: self.unit,
            dir: dir.to_path_buf(),
            id: None,
            depth: 0,
            ancestors: HashSet::new(),
            files,
            list: self.list,
        }));
    }

    fn subdir(
        &mut self,
        path: PathBuf,
        id: Option<(u64, u64)>,
        depth: u32,
        sink: &mut dyn FnMut(Item),
    ) {
        if depth > SPLIT_DEPTH {
            return self.dir(&path, id, depth, sink);
        }
        sink(Item::Subtree(Subtree {
            root: self.root.clone(),
            artifact: self.artifact.clone(),
            unit: self.unit,
            dir: path,
            id,
            depth,
            ancestors: self.ancestors.clone(),
            files: Vec::new(),
            list: self.list,
        }));
    }

    fn file(&mut self, path: &Path, meta: Option<fs::Metadata>, sink: &mut dyn FnMut(Item)) {
        if self.list {
            let size = match self.opts.list_sizes {
                true => fs::metadata(path).map_or(0, |m| m.len()),
                false => 0,
            };
            return self.listed(path.to_path_buf(), size, meta, sink);
        }
        let at = self.unit_path(path);
        sniff(
            path,
            &at,
            self.unit,
            &self.artifact,
            meta,
            self.opts,
            self.units,
            sink,
        );
    }

    fn listed(
        &mut self,
        path: PathBuf,
        size: u64,
        meta: Option<fs::Metadata>,
        sink: &mut dyn FnMut(Item),
    ) {
        sink(Item::Listed(Listed {
            at: self.unit_path(&path),
            path,
            size,
            meta,
            unit: self.unit,
            artifact: self.artifact.clone(),
        }));
    }

    fn link(&mut self, path: &Path, depth: u32, sink: &mut dyn FnMut(Item)) {
        if let Ok(target) = fs::read_link(path) {
            let link = self.unit_path(path);
            let target = join_link(&link, &target.to_string_lossy());
            sink(Item::Link {
                unit: self.unit,
                path: link,
                target,
            });
        }
        if !self.opts.follow_symlinks {
            return;
        }
        match fs::metadata(path) {
            Ok(m) if m.is_dir() => self.subdir(
                path.to_path_buf(),
                Some((m.dev(), m.ino())),
                depth + 1,
                sink,
            ),
            Ok(m) if m.is_file() => self.file(path, None, sink),
            Ok(_) => {}
            // ELOOP: links that point at each other lead nowhere; like a directory loop, that
            // is a limit of following links, not a damaged input.
            Err(e) if e.raw_os_error() == Some(ELOOP) => sink(Item::Problem {
                name: path.display().to_string(),
                artifact: self.artifact.to_string(),
                error: format!("symbolic link loop: {e}"),
                limit: true,
            }),
            Err(e) => problem(
                sink,
                &path.display().to_string(),
                &self.artifact,
                format!("dangling symbolic link: {e}"),
            ),
        }
    }
}

/// Read one file of a tree: a package manager's record of owners, or whatever it is by content.
#[allow(clippy::too_many_arguments)]
fn sniff(
    path: &Path,
    at: &str,
    unit: UnitId,
    artifact: &str,
    meta: Option<fs::Metadata>,
    opts: &Options,
    units: &Units,
    sink: &mut dyn FnMut(Item),
) {
    let shown = path.display().to_string();
    if crate::inspect::owners::is_metadata(at) {
        // Who owns the other files; unreadable metadata only means owners go unnamed.
        use std::io::Read;
        let mut data = Vec::new();
        let max = crate::inspect::owners::metadata_limit(at).min(opts.limits.max_file_bytes);
        if let Ok(f) = fs::File::open(path) {
            if f.take(max).read_to_end(&mut data).is_ok() {
                sink(Item::Meta {
                    unit,
                    artifact: artifact.to_string(),
                    path: at.to_string(),
                    data,
                });
            }
        }
        return;
    }
    visit_file(
        path,
        &shown,
        artifact,
        Some((unit, at.to_string())),
        meta,
        opts,
        units,
        sink,
        false,
    );
}
