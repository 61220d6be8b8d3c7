//! Ctrl-C (SIGINT, and SIGTERM): stop the scan, say how far it got, write no report, exit 130.
//!
//! The first signal asks the scan to stop (no new work starts; see `ScanOptions::cancel`) and
//! the run ends through the normal path, which discards the unfinished report files. Work already
//! running (a large archive being decompressed, a list read from standard input) may not notice:
//! after [`GRACE`], or at a second signal, the process removes its temporary files and exits at
//! once. Either way a report file from before is left as it was ([`crate::output`]).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use muslcheck::judge::Verdict;
use muslcheck::scan::Observer;

/// How long the scan may take to wind down after the first signal.
const GRACE: Duration = Duration::from_secs(3);

/// The exit status of a run ended by SIGINT (128 + 2, as shells report it).
pub const EXIT_STATUS: u8 = 130;

static REQUESTED: AtomicBool = AtomicBool::new(false);
static REPORTED: AtomicBool = AtomicBool::new(false);
/// ELF files judged so far, per own verdict (native, gcompat, rebuild, skipped, error).
static JUDGED: [AtomicUsize; 5] = [const { AtomicUsize::new(0) }; 5];

fn slot(v: Verdict) -> usize {
    match v {
        Verdict::Native => 0,
        Verdict::Gcompat => 1,
        Verdict::Rebuild => 2,
        Verdict::Skipped => 3,
        Verdict::Error => 4,
    }
}

/// Install the handler; `cancel` is the scan's stop flag.
pub fn install(cancel: Arc<AtomicBool>) -> anyhow::Result<()> {
    ctrlc::set_handler(move || {
        cancel.store(true, Ordering::Relaxed);
        if REQUESTED.swap(true, Ordering::SeqCst) {
            exit_now(); // the second signal
        }
        std::thread::spawn(|| {
            std::thread::sleep(GRACE);
            exit_now();
        });
    })
    .map_err(|e| anyhow::anyhow!("cannot install the Ctrl-C handler: {e}"))
}

/// True once a signal asked the run to stop.
pub fn requested() -> bool {
    REQUESTED.load(Ordering::SeqCst)
}

/// Say on standard error that the run was interrupted, with the partial totals (once).
pub fn report() {
    if REPORTED.swap(true, Ordering::SeqCst) {
        return;
    }
    let n: Vec<usize> = JUDGED.iter().map(|c| c.load(Ordering::Relaxed)).collect();
    let total: usize = n.iter().sum();
    let at = |i: usize| n.get(i).copied().unwrap_or(0);
    eprintln!(
        "muslcheck: interrupted after judging {total} ELF {} ({} native, {} gcompat, {} rebuild, \
         {} skipped, {} error; before bundled libraries were taken into account); no report \
         written, existing report files left unchanged",
        if total == 1 { "file" } else { "files" },
        at(0),
        at(1),
        at(2),
        at(3),
        at(4)
    );
}

fn exit_now() {
    crate::output::remove_pending();
    report();
    std::process::exit(i32::from(EXIT_STATUS));
}

/// An observer that counts judged files for [`report`] and passes everything on.
pub struct Counting<'a>(pub &'a dyn Observer);

impl Observer for Counting<'_> {
    fn analysed(&self, bytes: u64) {
        self.0.analysed(bytes);
    }
    fn inspected(&self) {
        self.0.inspected();
    }
    fn judged(&self, verdict: Verdict) {
        if let Some(c) = JUDGED.get(slot(verdict)) {
            c.fetch_add(1, Ordering::Relaxed);
        }
        self.0.judged(verdict);
    }
    // Everything else goes through unchanged (the progress display counts on it).
    fn cache_hit(&self) {
        self.0.cache_hit();
    }
    fn archive(&self, cached: bool) {
        self.0.archive(cached);
    }
    fn input_done(&self) {
        self.0.input_done();
    }
    fn listed(&self, files: u64, bytes: u64) {
        self.0.listed(files, bytes);
    }
    fn file_done(&self) {
        self.0.file_done();
    }
    fn shows_totals(&self) -> bool {
        self.0.shows_totals()
    }
}
