//! Directory trees: one unit per top-level directory, walked in name order.
//!
//! Symbolic links are not followed unless asked (then loops are detected by device and inode);
//! without following, links are still reported as [`Item::Link`] so that closure resolution can
//! find `libfoo.so.1 -> libfoo.so.1.2.3`. FIFOs, sockets and devices are never opened.

use std::collections::HashSet;
use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use super::{Item, Options, UnitId, Units, join_link, normalize, problem, visit_file};

struct Walk<'a> {
    root: &'a Path,
    artifact: &'a str,
    unit: UnitId,
    opts: &'a Options,
    units: &'a Units,
    /// (device, inode) of directories on the current path, for loop detection.
    ancestors: HashSet<(u64, u64)>,
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
    let mut w = Walk {
        root,
        artifact: name,
        unit,
        opts,
        units,
        ancestors: HashSet::new(),
    };
    w.dir(root, sink);
}

impl Walk<'_> {
    fn unit_path(&self, p: &Path) -> String {
        let rel = p.strip_prefix(self.root).unwrap_or(p);
        normalize(&rel.to_string_lossy())
    }

    fn dir(&mut self, dir: &Path, sink: &mut dyn FnMut(Item)) {
        let name = dir.display().to_string();
        let meta = match fs::metadata(dir) {
            Ok(m) => m,
            Err(e) => return problem(sink, &name, self.artifact, e.to_string()),
        };
        let key = (meta.dev(), meta.ino());
        if !self.ancestors.insert(key) {
            let error = "symbolic link loop: directory is its own ancestor".to_string();
            return sink(Item::Problem {
                name,
                artifact: self.artifact.into(),
                error,
                limit: true,
            });
        }
        let mut entries = match fs::read_dir(dir) {
            Ok(rd) => rd.filter_map(Result::ok).collect::<Vec<_>>(),
            Err(e) => {
                self.ancestors.remove(&key);
                return problem(sink, &name, self.artifact, e.to_string());
            }
        };
        entries.sort_by_key(|e| e.file_name());
        for e in entries {
            let path = e.path();
            let shown = path.display().to_string();
            if self.opts.excluded(&shown) {
                continue;
            }
            let Ok(ft) = e.file_type() else { continue };
            if ft.is_symlink() {
                self.link(&path, sink);
            } else if ft.is_dir() {
                self.dir(&path, sink);
            } else if ft.is_file() {
                self.file(&path, sink);
            }
            // FIFOs, sockets and devices: never opened (a FIFO would block).
        }
        self.ancestors.remove(&key);
    }

    fn file(&mut self, path: &Path, sink: &mut dyn FnMut(Item)) {
        let shown = path.display().to_string();
        let unit = Some((self.unit, self.unit_path(path)));
        visit_file(path, &shown, self.artifact, unit, self.units, sink, false);
    }

    fn link(&mut self, path: &Path, sink: &mut dyn FnMut(Item)) {
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
            Ok(m) if m.is_dir() => self.dir(path, sink),
            Ok(m) if m.is_file() => self.file(path, sink),
            Ok(_) => {}
            Err(e) => problem(
                sink,
                &path.display().to_string(),
                self.artifact,
                format!("dangling symbolic link: {e}"),
            ),
        }
    }
}
