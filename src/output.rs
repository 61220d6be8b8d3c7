//! Report files written atomically: each goes to a temporary file in the same directory and is
//! renamed over the destination only once it is complete, so an interrupted or failed run leaves
//! what was there before (a rename within one directory is atomic on POSIX filesystems).
//!
//! Destinations that are not regular files (`/dev/stdout`, a FIFO) are written directly: renaming
//! over them would replace the device node or pipe rather than write into it.

use std::fs::{File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use anyhow::{Context, Result};

/// Temporary files not yet renamed, removed by [`remove_pending`] when the process must exit at
/// once (a second Ctrl-C).
static PENDING: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

fn pending() -> std::sync::MutexGuard<'static, Vec<PathBuf>> {
    PENDING.lock().unwrap_or_else(|e| e.into_inner())
}

/// Remove every temporary file still pending (called just before a forced exit).
pub fn remove_pending() {
    for p in pending().drain(..) {
        let _ = std::fs::remove_file(p);
    }
}

/// A report file being written; [`AtomicFile::commit`] puts it in place, dropping it without
/// committing removes the temporary file and leaves the destination untouched.
pub struct AtomicFile {
    path: PathBuf,
    /// The temporary file, or `None` when writing straight into a special file.
    temp: Option<PathBuf>,
    file: BufWriter<File>,
}

/// The temporary file next to `path`: hidden, named after it and this process.
fn temp_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "report".into());
    let temp = format!(".{name}.{}.muslcheck-tmp", std::process::id());
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.join(temp),
        _ => PathBuf::from(temp),
    }
}

impl AtomicFile {
    /// Start writing `path` (`what` names it in errors, e.g. "report"). Fails now, before any
    /// work, when the directory is not writable.
    pub fn create(path: &Path, what: &str) -> Result<AtomicFile> {
        let cannot = || format!("cannot write {what} {}", path.display());
        let existing = std::fs::metadata(path).ok();
        if existing.as_ref().is_some_and(|m| !m.is_file()) {
            let file = OpenOptions::new()
                .write(true)
                .truncate(true)
                .open(path)
                .with_context(cannot)?;
            return Ok(AtomicFile {
                path: path.to_path_buf(),
                temp: None,
                file: BufWriter::new(file),
            });
        }
        let temp = temp_path(path);
        let _ = std::fs::remove_file(&temp); // left by a killed run with the same pid
        let file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&temp)
            .with_context(cannot)?;
        if let Some(m) = existing {
            // The new report keeps the old one's permissions (a report shared read-only stays so).
            let _ = std::fs::set_permissions(&temp, m.permissions());
        }
        pending().push(temp.clone());
        Ok(AtomicFile {
            path: path.to_path_buf(),
            temp: Some(temp),
            file: BufWriter::new(file),
        })
    }

    /// Flush and move the finished file into place.
    pub fn commit(mut self) -> Result<()> {
        let cannot = || format!("cannot write {}", self.path.display());
        self.file.flush().with_context(cannot)?;
        if let Some(temp) = self.temp.take() {
            let renamed = std::fs::rename(&temp, &self.path);
            pending().retain(|p| p != &temp);
            if let Err(e) = renamed {
                let _ = std::fs::remove_file(&temp);
                return Err(e).with_context(cannot);
            }
        }
        Ok(())
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.file.write(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if let Some(temp) = self.temp.take() {
            pending().retain(|p| p != &temp);
            let _ = std::fs::remove_file(temp);
        }
    }
}

/// Write `text` to `path` atomically.
pub fn write(path: &Path, what: &str, text: &str) -> Result<()> {
    let mut f = AtomicFile::create(path, what)?;
    f.write_all(text.as_bytes())
        .with_context(|| format!("cannot write {what} {}", path.display()))?;
    f.commit()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("muslcheck-out-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap_or_else(|e| panic!("{e}"));
        d
    }

    fn names(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(dir)
            .map(|r| {
                r.filter_map(|e| e.ok())
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        v.sort();
        v
    }

    #[test]
    fn an_uncommitted_file_leaves_the_old_one_and_no_temporary() {
        let d = scratch("drop");
        let path = d.join("keep.html");
        std::fs::write(&path, "old report").unwrap_or_else(|e| panic!("{e}"));
        {
            let mut f = AtomicFile::create(&path, "report").unwrap_or_else(|e| panic!("{e}"));
            f.write_all(b"half a new rep")
                .unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(names(&d).len(), 2, "temporary beside the destination");
            assert_eq!(
                std::fs::read_to_string(&path).unwrap_or_default(),
                "old report"
            );
        }
        assert_eq!(
            std::fs::read_to_string(&path).unwrap_or_default(),
            "old report"
        );
        assert_eq!(names(&d), ["keep.html"]);

        write(&path, "report", "new report").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            std::fs::read_to_string(&path).unwrap_or_default(),
            "new report"
        );
        assert_eq!(names(&d), ["keep.html"]);
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn forced_exit_cleanup_removes_pending_temporaries() {
        let d = scratch("pending");
        let f = AtomicFile::create(&d.join("a.json"), "report").unwrap_or_else(|e| panic!("{e}"));
        remove_pending();
        assert!(names(&d).is_empty(), "{:?}", names(&d));
        drop(f);
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn special_files_are_written_in_place() {
        let f = AtomicFile::create(Path::new("/dev/null"), "report");
        let f = f.unwrap_or_else(|e| panic!("{e}"));
        assert!(f.temp.is_none());
        f.commit().unwrap_or_else(|e| panic!("{e}"));
        assert!(Path::new("/dev/null").exists());
    }

    #[test]
    fn an_unwritable_directory_fails_at_creation() {
        let e = AtomicFile::create(Path::new("/nonexistent-dir/r.json"), "report");
        let msg = format!(
            "{:#}",
            e.err().unwrap_or_else(|| anyhow::anyhow!("created"))
        );
        assert!(
            msg.contains("cannot write report /nonexistent-dir/r.json"),
            "{msg}"
        );
    }
}
