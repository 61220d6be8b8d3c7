//! Stage 1, inputs: turn what the user named (files, directories) into named byte sources.
//!
//! Only this module and `main` touch the filesystem. A directory is walked recursively without
//! following symbolic links; every regular file becomes one input, so every input appears in
//! the report. Unreadable entries become inputs with an error instead of aborting the walk.

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

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

/// Files at least this large are mapped instead of read.
const MAP_THRESHOLD: u64 = 64 * 1024;

/// One thing to analyse: where it came from and how to get its bytes.
#[derive(Clone, Debug)]
pub struct Input {
    /// Name shown in the report (the path as given, or joined below a directory).
    pub name: String,
    /// The top-level input it came from.
    pub artifact: String,
    /// Filesystem path, or the error that stopped us from reaching it.
    pub path: Result<PathBuf, String>,
}

/// Expand the user's paths into inputs, in a deterministic order (directories sorted by name).
pub fn expand(paths: &[PathBuf]) -> Vec<Input> {
    let mut out = Vec::new();
    for p in paths {
        let artifact = p.display().to_string();
        match fs::symlink_metadata(p) {
            Err(e) => out.push(Input {
                name: artifact.clone(),
                artifact,
                path: Err(e.to_string()),
            }),
            Ok(m) if m.is_dir() => walk(p, &artifact, &mut out),
            // A symlink named on the command line is followed: the user asked for it.
            Ok(_) => out.push(Input {
                name: artifact.clone(),
                artifact,
                path: Ok(p.clone()),
            }),
        }
    }
    out
}

fn walk(dir: &Path, artifact: &str, out: &mut Vec<Input>) {
    let entries = match fs::read_dir(dir) {
        Ok(rd) => rd,
        Err(e) => {
            let name = dir.display().to_string();
            out.push(Input {
                name,
                artifact: artifact.into(),
                path: Err(e.to_string()),
            });
            return;
        }
    };
    let mut entries: Vec<_> = entries.filter_map(Result::ok).collect();
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let path = e.path();
        let Ok(ft) = e.file_type() else { continue };
        if ft.is_dir() {
            walk(&path, artifact, out);
        } else if ft.is_file() {
            out.push(Input {
                name: path.display().to_string(),
                artifact: artifact.into(),
                path: Ok(path),
            });
        }
        // Symbolic links inside a tree and special files (fifos, sockets, devices) are not inputs.
    }
}

/// Read an input's bytes.
pub fn read(path: &Path) -> std::io::Result<Bytes> {
    let file = fs::File::open(path)?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(std::io::Error::other("not a regular file"));
    }
    if meta.len() >= MAP_THRESHOLD {
        // SAFETY: the mapping is private and read-only. If another process truncates the file
        // while we read it, access past the new end raises SIGBUS; that is the documented risk
        // of mmap, accepted for speed on large trees. We never write through it.
        let map = unsafe { memmap2::Mmap::map(&file)? };
        return Ok(Bytes::Mapped(map));
    }
    let mut buf = Vec::with_capacity(meta.len() as usize);
    file.take(MAP_THRESHOLD).read_to_end(&mut buf)?;
    Ok(Bytes::Owned(buf))
}
