//! The progress display on standard error (only on a terminal; never mixed into reports): what
//! is being done — files, bytes, archives, cache hits — and, with several inputs, a bar over the
//! inputs with an ETA (the inputs are the countable part: a tree's size is not known before it
//! is walked, and counting it first would cost a second walk).

use indicatif::{HumanBytes, ProgressBar, ProgressStyle};
use std::sync::atomic::{AtomicU64, Ordering};

use muslcheck::scan::Observer;

/// An indicatif bar or spinner, or nothing.
pub struct Bar {
    bar: Option<ProgressBar>,
    files: AtomicU64,
    bytes: AtomicU64,
    archives: AtomicU64,
    archive_hits: AtomicU64,
    hits: AtomicU64,
    cached: bool,
}

impl Bar {
    /// A visible display when `show`, otherwise a silent one. `inputs` top-level inputs;
    /// `cached`: a results cache is in use (its hits are shown).
    pub fn new(show: bool, inputs: usize, cached: bool) -> Self {
        let bar = show.then(|| {
            let (b, template) = if inputs > 1 {
                (
                    ProgressBar::new(inputs as u64),
                    "{spinner} [{bar:25}] {pos}/{len} inputs, ETA {eta} | {msg} [{elapsed}]",
                )
            } else {
                (ProgressBar::new_spinner(), "{spinner} {msg} [{elapsed}]")
            };
            let style = ProgressStyle::with_template(template)
                .unwrap_or_else(|_| ProgressStyle::default_spinner());
            b.set_style(style);
            b.enable_steady_tick(std::time::Duration::from_millis(120));
            b
        });
        Bar {
            bar,
            files: AtomicU64::new(0),
            bytes: AtomicU64::new(0),
            archives: AtomicU64::new(0),
            archive_hits: AtomicU64::new(0),
            hits: AtomicU64::new(0),
            cached,
        }
    }

    /// Clear the display.
    pub fn finish(&self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }

    fn refresh(&self) {
        let Some(b) = &self.bar else { return };
        let load = |a: &AtomicU64| a.load(Ordering::Relaxed);
        let mut msg = format!(
            "{} ELF files, {} read, {} archives",
            load(&self.files),
            HumanBytes(load(&self.bytes)),
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
    fn input_done(&self) {
        if let Some(b) = &self.bar {
            b.inc(1);
        }
    }
}
