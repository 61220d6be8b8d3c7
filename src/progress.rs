//! The progress display on standard error (only on a terminal; never mixed into reports): what
//! is being done — files, bytes, archives, cache hits — and a bar with an ETA over what is
//! countable. A directory input is listed before it is read (one cheap parallel pass, the
//! listing the scan then works through), so its files and bytes are known up front; every other
//! input (a file, an archive, an image) counts as one item until it is done.

use indicatif::{HumanBytes, ProgressBar, ProgressStyle};
use std::sync::atomic::{AtomicU64, Ordering};

use muslcheck::scan::Observer;

/// How the bar is drawn: done/total items, the ETA, then what is being done.
const TEMPLATE: &str = "{spinner} [{bar:20}] {pos}/{len} files, ETA {eta} [{elapsed}] {wide_msg}";

/// An indicatif bar, or nothing.
pub struct Bar {
    bar: Option<ProgressBar>,
    files: AtomicU64,
    bytes: AtomicU64,
    listed_bytes: AtomicU64,
    archives: AtomicU64,
    archive_hits: AtomicU64,
    hits: AtomicU64,
    cached: bool,
}

impl Bar {
    /// A visible display when `show`, otherwise a silent one. `inputs` top-level inputs (each
    /// one item until a directory's listing replaces it by its files); `cached`: a results
    /// cache is in use (its hits are shown).
    pub fn new(show: bool, inputs: usize, cached: bool) -> Self {
        let bar = show.then(|| {
            let b = ProgressBar::new(inputs as u64);
            let style = ProgressStyle::with_template(TEMPLATE)
                .unwrap_or_else(|_| ProgressStyle::default_spinner())
                .progress_chars("=> ");
            b.set_style(style);
            b.enable_steady_tick(std::time::Duration::from_millis(120));
            b
        });
        Bar {
            bar,
            files: AtomicU64::new(0),
            bytes: AtomicU64::new(0),
            listed_bytes: AtomicU64::new(0),
            archives: AtomicU64::new(0),
            archive_hits: AtomicU64::new(0),
            hits: AtomicU64::new(0),
            cached,
        }
    }

    /// Draw the final state (every item done), then clear the display: the terminal is left
    /// to the report and the gate line.
    pub fn finish(&self) {
        if let Some(b) = &self.bar {
            self.refresh();
            b.finish();
            b.finish_and_clear();
        }
    }

    fn refresh(&self) {
        let Some(b) = &self.bar else { return };
        let load = |a: &AtomicU64| a.load(Ordering::Relaxed);
        let mut msg = format!(
            "{} ELF, {} read of {} listed, {} archives",
            load(&self.files),
            HumanBytes(load(&self.bytes)),
            HumanBytes(load(&self.listed_bytes)),
            load(&self.archives)
        );
        if self.cached {
            msg.push_str(&format!(
                " | cache: {} files, {} archives",
                load(&self.hits),
                load(&self.archive_hits)
            ));
        }
        b.set_message(msg);
    }
}

impl Observer for Bar {
    fn analysed(&self, bytes: u64) {
        self.files.fetch_add(1, Ordering::Relaxed);
        self.bytes.fetch_add(bytes, Ordering::Relaxed);
        self.refresh();
    }
    fn cache_hit(&self) {
        self.hits.fetch_add(1, Ordering::Relaxed);
    }
    fn archive(&self, cached: bool) {
        self.archives.fetch_add(1, Ordering::Relaxed);
        if cached {
            self.archive_hits.fetch_add(1, Ordering::Relaxed);
        }
        self.refresh();
    }
    fn listed(&self, files: u64, bytes: u64) {
        self.listed_bytes.fetch_add(bytes, Ordering::Relaxed);
        if let Some(b) = &self.bar {
            // The directory counted as one item until now: its files count too.
            b.inc_length(files);
            b.inc(0);
        }
        self.refresh();
    }
    fn file_done(&self) {
        if let Some(b) = &self.bar {
            b.inc(1);
        }
    }
    fn shows_totals(&self) -> bool {
        self.bar.is_some()
    }
    fn input_done(&self) {
        if let Some(b) = &self.bar {
            b.inc(1);
        }
    }
}
