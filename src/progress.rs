//! The progress bar on standard error (only on a terminal; never mixed into reports).

use indicatif::{HumanBytes, ProgressBar, ProgressStyle};
use std::sync::atomic::{AtomicU64, Ordering};

use muslcheck::scan::Observer;

/// An indicatif spinner counting files and bytes, or nothing.
pub struct Bar {
    bar: Option<ProgressBar>,
    bytes: AtomicU64,
}

impl Bar {
    /// A visible bar when `show`, otherwise a silent one.
    pub fn new(show: bool) -> Self {
        let bar = show.then(|| {
            let b = ProgressBar::new_spinner();
            let style = ProgressStyle::with_template(
                "{spinner} {pos} ELF files ({per_sec}) {msg} [{elapsed}]",
            )
            .unwrap_or_else(|_| ProgressStyle::default_spinner());
            b.set_style(style);
            b.enable_steady_tick(std::time::Duration::from_millis(120));
            b
        });
        Bar {
            bar,
            bytes: AtomicU64::new(0),
        }
    }

    /// Clear the bar.
    pub fn finish(&self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }
}

impl Observer for Bar {
    fn analysed(&self, bytes: u64) {
        let total = self.bytes.fetch_add(bytes, Ordering::Relaxed) + bytes;
        if let Some(b) = &self.bar {
            b.inc(1);
            b.set_message(format!("{} read", HumanBytes(total)));
        }
    }
}
