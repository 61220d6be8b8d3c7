//! The batch driver: inputs → parallel inspect + judge → closure per unit → records, in order.
//!
//! Top-level inputs are processed in windows of a few inputs per worker, largest first: their producers
//! (directory walks, archive decompression) run in parallel, each ELF file is analysed as a task
//! on the same thread pool, and when a window is complete its records are finished (closure) and
//! handed out in input order — deterministic whatever the thread count, and streamable.
//! Identical files (same SHA-256) are inspected and judged once. Archive members waiting for
//! analysis are bounded by `Limits::max_in_flight_bytes`; past it the producer analyses inline.

use std::collections::HashMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Instant;

use sha2::{Digest, Sha256};

use crate::cache::{Cache, FileDigest, Judged, JudgedNode, JudgedRef};
use crate::db::Db;
use crate::input::{self, Data, Item, Source, UnitId, Units};
use crate::inspect::owners::Owners;
use crate::judge::closure::{Bundled, Edge, How, Node, Reached, Resolver};
use crate::judge::{Code, Finding, Target, Verdict, libraries};
use crate::report::{FindingParts, Record};

/// How a batch is scanned.
#[derive(Clone, Debug)]
pub struct ScanOptions {
    /// Worker threads (at least 1).
    pub jobs: usize,
    /// Input expansion options and limits.
    pub input: input::Options,
    /// Set (e.g. by a Ctrl-C handler) to stop the scan: no new work starts, and [`scan`]
    /// returns [`std::io::ErrorKind::Interrupted`] without handing out the unfinished window.
    pub cancel: Arc<AtomicBool>,
    /// All inputs form one install tree (`--one-unit`): closures resolve across inputs.
    pub one_unit: bool,
    /// The results cache (#13), if one is used.
    pub cache: Option<Arc<Cache>>,
    /// What else shapes how an archive expands besides the limits (the `--exclude` patterns):
    /// part of an archive's cache key.
    pub expansion: String,
    /// Hand out each directory's records as soon as they are final ([`Emitted::Early`]), for
    /// a consumer that writes them at once (`--format jsonl`).
    pub early: bool,
}

impl Default for ScanOptions {
    fn default() -> Self {
        let jobs = std::thread::available_parallelism().map_or(1, |n| n.get());
        ScanOptions {
            jobs,
            input: input::Options::default(),
            cancel: Arc::default(),
            one_unit: false,
            cache: None,
            expansion: String::new(),
            early: false,
        }
    }
}

impl Emitted {
    /// A finished input's records (none for early ones: they come again with their input).
    pub fn input(self) -> Vec<Record> {
        match self {
            Emitted::Input { records, .. } => records,
            Emitted::Early(_) => Vec::new(),
        }
    }
}

/// Told about progress, from worker threads.
pub trait Observer: Sync {
    /// One file was read (`bytes` long).
    fn analysed(&self, _bytes: u64) {}
    /// One distinct file content was inspected and judged (identical files count once).
    fn inspected(&self) {}
    /// The facts of one content came from the results cache (it was not read).
    fn cache_hit(&self) {}
    /// An archive was opened (`cached`: answered from the results cache, not decompressed).
    fn archive(&self, _cached: bool) {}
    /// One top-level input is finished (its records were handed out).
    fn input_done(&self) {}
    /// One ELF file got its own verdict (before closure; identical files count each time).
    fn judged(&self, _verdict: Verdict) {}
    /// A directory input was listed: `files` regular files of `bytes` bytes to read.
    fn listed(&self, _files: u64, _bytes: u64) {}
    /// One listed file is done (sniffed, and judged if it is an ELF file).
    fn file_done(&self) {}
    /// True when totals are shown (the progress display): directories are then listed before
    /// they are read, with every file's size (one `stat` per file, which a run nobody watches
    /// does not pay).
    fn shows_totals(&self) -> bool {
        false
    }
}

/// What [`scan`] hands out, in input order.
pub enum Emitted {
    /// Records of the input being scanned that are final before the whole input is: the ELF
    /// files of a directory, each as soon as every library its closure may reach is judged.
    Early(Vec<Record>),
    /// One input is finished: all its records in report order; `early[i]` is true for the
    /// records that were already handed out by [`Emitted::Early`].
    Input {
        /// The input's records, in report order.
        records: Vec<Record>,
        /// Which of them were handed out early.
        early: Vec<bool>,
    },
}

/// An observer that ignores everything.
pub struct Quiet;
impl Observer for Quiet {}

/// One file's own analysis, shared between identical files.
#[derive(Clone)]
struct Analysed {
    record: Record,
    node: Option<Node>,
}

impl Analysed {
    /// As the results cache stores it; `arch` is the file's (its closure node names the loader
    /// for it).
    fn to_cache(&self, arch: Option<crate::inspect::Arch>) -> JudgedRef<'_> {
        let node = self.node.as_ref().zip(arch).map(|(n, arch)| JudgedNode {
            needed: n.needed.clone(),
            rpath: n.rpath.clone(),
            runpath: n.runpath.clone(),
            arch,
        });
        JudgedRef {
            record: &self.record,
            finding_parts: self.record.findings.iter().map(FindingParts::of).collect(),
            node,
        }
    }

    /// Back from the results cache; None if its findings and their parts do not match.
    fn from_cache(j: Judged, db: &Db) -> Option<Analysed> {
        let mut record = j.record;
        if j.finding_parts.len() != record.findings.len() {
            return None;
        }
        for (f, p) in record.findings.iter_mut().zip(j.finding_parts) {
            if !p.restore(f) {
                return None;
            }
        }
        let node = j.node.map(|n| Node {
            path: String::new(),
            needed: n.needed,
            rpath: n.rpath,
            runpath: n.runpath,
            musl_loader: crate::judge::musl_loader(db, n.arch),
        });
        Some(Analysed { record, node })
    }
}

/// One unit's ELF files (their record indices and closure nodes), links, and file owners per
/// artifact.
type UnitFiles = (
    Vec<usize>,
    Vec<Node>,
    HashMap<String, String>,
    HashMap<String, Owners>,
);

/// An ELF file whose analysis a task will fill in.
struct PendingElf {
    unit: UnitId,
    unit_path: String,
    name: String,
    artifact: String,
    slot: Arc<OnceLock<Analysed>>,
}

/// What a producer saw, in order.
enum Produced {
    Unit(UnitId),
    Elf(Box<PendingElf>),
    Link {
        unit: UnitId,
        path: String,
        target: String,
    },
    Record(Box<Record>),
    /// File owners from a package manager's record (parsed at once: the bytes are not held).
    Owners {
        unit: UnitId,
        artifact: String,
        owners: Box<Owners>,
    },
    /// The items of an archive read by another task.
    Nested(Arc<OnceLock<Vec<Produced>>>),
    /// A file of a directory tree, listed (phase 1), to be read (phase 2).
    Listed(Box<crate::input::walk::Listed>),
    /// An ELF file of a listed tree, concluded by its [`live::Live`] tracker (by listing number).
    Early(usize),
}

struct Shared<'a> {
    db: &'a Db,
    target: &'a Target,
    /// [`Target::fingerprint`], the results cache's key for judgements.
    target_key: [u8; 32],
    opts: &'a ScanOptions,
    observer: &'a dyn Observer,
    cache: Mutex<HashMap<[u8; 32], Arc<OnceLock<Analysed>>>>,
    in_flight: AtomicU64,
    units: Units,
    /// Archives read this window, to remember once their members are analysed.
    archives: Mutex<Vec<cached::Recording>>,
    /// What the walk and the image reader ask of the results cache (with a cache only).
    known: Option<Arc<cached::Known>>,
}

impl Shared<'_> {
    fn results(&self) -> Option<&Cache> {
        self.opts.cache.as_deref()
    }
}

/// Scan `paths` and hand each input's records to `emit`, in input order: one
/// [`Emitted::Input`] per input with all its records (the records of a directory or archive
/// are complete, closures resolved, only together), preceded for a directory by
/// [`Emitted::Early`] batches of the records that were final before the rest.
///
/// A directory input is listed first (phase 1, with the other inputs of its window), then its
/// files are read and judged (phase 2) while a [`live::Live`] tracker concludes each file as
/// soon as its closure is judged.
pub fn scan(
    paths: &[PathBuf],
    db: &Db,
    target: &Target,
    opts: &ScanOptions,
    observer: &dyn Observer,
    emit: &mut dyn FnMut(Emitted),
) -> std::io::Result<()> {
    // The walk and the image reader ask the results cache before they open a file or pull an
    // image.
    let mut with_known;
    let known = match &opts.cache {
        Some(c) if opts.input.known.0.is_none() => {
            Some(Arc::new(cached::Known::new(c.clone(), opts)))
        }
        _ => None,
    };
    let opts = match &known {
        Some(k) => {
            with_known = opts.clone();
            with_known.input.known = input::KnownFiles(Some(k.clone()));
            &with_known
        }
        None => opts,
    };
    let jobs = opts.jobs.max(1);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(jobs)
        .build()
        .map_err(std::io::Error::other)?;
    let mut listing = opts.clone();
    // A directory is listed first when someone uses what that gives: totals on the display, or
    // records as soon as they are final. Otherwise its files are read as the walk finds them
    // (no listing to hold). One install tree is concluded whole at the end: no listing either.
    listing.input.list_trees = !opts.one_unit && (opts.early || observer.shows_totals());
    listing.input.list_sizes = observer.shows_totals();
    let opts = &listing;
    let shared = Shared {
        db,
        target,
        target_key: target.fingerprint(),
        opts,
        observer,
        cache: Mutex::new(HashMap::new()),
        in_flight: AtomicU64::new(0),
        units: if opts.one_unit {
            Units::single()
        } else {
            Units::default()
        },
        archives: Mutex::default(),
        known,
    };
    let cancelled = || opts.cancel.load(Ordering::Relaxed);
    // One install tree: every input's items are finished together, in input order.
    let mut together: Vec<Produced> = Vec::new();
    let mut empty: Vec<Record> = Vec::new();
    for window in paths.chunks(jobs.saturating_mul(INPUTS_PER_WORKER)) {
        if cancelled() {
            break;
        }
        let mut outs: Vec<Vec<Produced>> = window.iter().map(|_| Vec::new()).collect();
        // Largest first (tasks spawned from outside the pool are taken in order): the longest
        // decompression starts at once instead of ending the window alone.
        let mut order: Vec<_> = window.iter().zip(outs.iter_mut()).collect();
        order.sort_by_cached_key(|(path, _)| std::cmp::Reverse(work_size(path)));
        pool.scope(|s| {
            for (path, out) in order {
                let shared = &shared;
                s.spawn(move |s| produce(path, out, s, shared));
            }
        });
        let mut outs: Vec<Vec<Produced>> = outs
            .into_iter()
            .map(|out| {
                let mut flat = Vec::new();
                flatten(out, &mut flat);
                flat
            })
            .collect();
        let mut trees = live::read_trees(&mut outs, &pool, &shared, emit);
        cached::remember_archives(&shared);
        if cancelled() {
            // The window is incomplete: what the interrupted work left out must not look judged.
            break;
        }
        for (k, (path, out)) in window.iter().zip(outs).enumerate() {
            if opts.one_unit {
                let judged = out
                    .iter()
                    .any(|p| matches!(p, Produced::Elf(_) | Produced::Record(_)));
                if !judged {
                    let name = path.display().to_string();
                    empty.push(crate::skipped(&name, &name, "no ELF files inside"));
                }
                together.extend(out);
                observer.input_done();
                continue;
            }
            let tree = trees.get_mut(k).and_then(Option::take);
            let (mut records, mut early) = pool.install(|| finish(out, db, target, tree));
            if records.is_empty() {
                let name = path.display().to_string();
                records.push(crate::skipped(&name, &name, "no ELF files inside"));
                early.push(false);
            }
            emit(Emitted::Input { records, early });
            observer.input_done();
        }
    }
    if cancelled() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::Interrupted,
            "scan interrupted",
        ));
    }
    if opts.one_unit {
        let (mut records, _) = pool.install(|| finish(together, db, target, None));
        records.extend(empty);
        let early = vec![false; records.len()];
        emit(Emitted::Input { records, early });
    }
    if let Some(c) = shared.results() {
        c.finish();
    }
    Ok(())
}

/// Inputs started together per worker: a worker done with a small archive takes the next input
/// rather than wait for the largest of its window (windows of one input per worker left the
/// packed corpus at 1.3 cores busy of 2, #13). Records still come out in input order.
const INPUTS_PER_WORKER: usize = 8;

/// How much work an input looks like before it is read: a file's size; directories (their walk
/// spreads over the pool) first, and what is not a local path (images) last.
fn work_size(path: &std::path::Path) -> u64 {
    match std::fs::metadata(path) {
        Ok(m) if m.is_dir() => u64::MAX,
        Ok(m) => m.len(),
        Err(_) => 0,
    }
}

fn produce<'s>(
    path: &std::path::Path,
    out: &mut Vec<Produced>,
    s: &rayon::Scope<'s>,
    shared: &'s Shared<'s>,
) {
    let name = path.display().to_string();
    // A panic while walking keeps what was found so far and adds an error record for the input.
    let walked =
        catch_unwind(AssertUnwindSafe(|| {
            fault::hit("walk", &name);
            // A pulled image the results cache may remember is recorded as it is read.
            let mut image: Option<cached::Recorder> = None;
            input::visit(path, &shared.opts.input, &shared.units, &mut |item| match (
                &mut image, item,
            ) {
                (None, Item::Remember { key }) => {
                    image = Some(cached::record_image(&key, &name, shared));
                }
                (Some(rec), item) => rec.pass(item, out, s, shared),
                (None, item) => handle(item, out, s, shared),
            });
            if let Some(rec) = image {
                rec.done(shared);
            }
        }));
    if walked.is_err() {
        out.push(Produced::Record(Box::new(internal_error(
            &name,
            &name,
            "reading this input",
        ))));
    }
}

/// The record of a file that could not be read: `skipped` for a limit, `error` otherwise.
fn read_failed(name: &str, artifact: &str, e: &std::io::Error) -> Record {
    if input::is_limit(e) {
        crate::not_judged(name, artifact, &e.to_string())
    } else {
        crate::unreadable(name, artifact, &e.to_string())
    }
}

/// The `error` record for an input whose reading or analysis panicked (a bug in muslcheck).
fn internal_error(name: &str, artifact: &str, what: &str) -> Record {
    let mut r = crate::unreadable(name, artifact, what);
    r.reason = Some(format!(
        "internal error while {what} (a bug in muslcheck: please report it)"
    ));
    r
}

/// Record one produced item; ELF files and archives become tasks on the pool.
fn handle<'s>(item: Item, out: &mut Vec<Produced>, s: &rayon::Scope<'s>, shared: &'s Shared<'s>) {
    if shared.opts.cancel.load(Ordering::Relaxed) {
        return; // interrupted: start nothing new (the window is discarded)
    }
    match item {
        Item::Unit { id, .. } => out.push(Produced::Unit(id)),
        Item::Listed(l) => out.push(Produced::Listed(Box::new(l))),
        Item::Link { unit, path, target } => out.push(Produced::Link { unit, path, target }),
        Item::Meta {
            unit,
            artifact,
            path,
            data,
        } => {
            let mut owners = Owners::default();
            owners.add(&path, &data);
            out.push(Produced::Owners {
                unit,
                artifact,
                owners: Box::new(owners),
            })
        }
        Item::Other {
            name,
            artifact,
            named,
        } => {
            // Non-ELF files inside trees and archives are not reported (like scanelf -R).
            if named {
                out.push(Produced::Record(Box::new(crate::not_elf(&name, &artifact))));
            }
        }
        Item::Problem {
            name,
            artifact,
            error,
            limit,
        } => out.push(Produced::Record(Box::new(if limit {
            crate::not_judged(&name, &artifact, &error)
        } else {
            let mut r = crate::unreadable(&name, &artifact, &error);
            r.reason = Some(error);
            r
        }))),
        Item::Remembered { key, name } => cached::replay_image(&key, &name, out, s, shared),
        // Only an input's producer starts a recording (see `produce`).
        Item::Remember { .. } => {}
        Item::Subtree(tree) => {
            let slot = Arc::new(OnceLock::new());
            out.push(Produced::Nested(slot.clone()));
            s.spawn(move |s| {
                let mut sub = Vec::new();
                let (name, artifact) = (tree.name(), tree.artifact().to_string());
                // As for whole inputs: what was found stays, and the directory gets a record.
                let walked = catch_unwind(AssertUnwindSafe(|| {
                    fault::hit("subtree", &name);
                    tree.visit(&shared.opts.input, &shared.units, &mut |it| {
                        handle(it, &mut sub, s, shared)
                    });
                }));
                if walked.is_err() {
                    let r = internal_error(&name, &artifact, "reading this directory");
                    sub.push(Produced::Record(Box::new(r)));
                }
                let _ = slot.set(sub);
            });
        }
        Item::Archive {
            path,
            kind,
            name,
            named,
        } => {
            // Archives decompress in parallel; their items are stitched back in order by `finish`.
            let slot = Arc::new(OnceLock::new());
            out.push(Produced::Nested(slot.clone()));
            s.spawn(move |s| {
                let mut sub = Vec::new();
                let read = catch_unwind(AssertUnwindSafe(|| {
                    fault::hit("archive", &name);
                    cached::archive(&path, kind, &name, named, &mut sub, s, shared)
                }));
                if read.is_err() {
                    sub.push(Produced::Record(Box::new(internal_error(
                        &name,
                        &name,
                        "reading this archive",
                    ))));
                }
                let _ = slot.set(sub);
            });
        }
        Item::Elf(src) => {
            let slot = Arc::new(OnceLock::new());
            out.push(Produced::Elf(Box::new(PendingElf {
                unit: src.unit,
                unit_path: src.unit_path.clone(),
                name: src.name.clone(),
                artifact: src.artifact.clone(),
                slot: slot.clone(),
            })));
            let held = match &src.data {
                Data::Bytes(b) => b.len() as u64,
                Data::Path(_) => 0,
            };
            let budget = shared.opts.input.limits.max_in_flight_bytes;
            if held > 0 && shared.in_flight.load(Ordering::Relaxed) + held > budget {
                let _ = slot.set(analyse(src, shared)); // over budget: analyse here, holding nothing
            } else {
                shared.in_flight.fetch_add(held, Ordering::Relaxed);
                s.spawn(move |_| {
                    let _ = slot.set(analyse(src, shared));
                    shared.in_flight.fetch_sub(held, Ordering::Relaxed);
                });
            }
        }
    }
}

/// Replace nested archive productions by their items, in order.
fn flatten(out: Vec<Produced>, into: &mut Vec<Produced>) {
    for p in out {
        match p {
            Produced::Nested(slot) => {
                let sub = Arc::try_unwrap(slot)
                    .ok()
                    .and_then(OnceLock::into_inner)
                    .unwrap_or_default();
                flatten(sub, into);
            }
            p => into.push(p),
        }
    }
}

/// Inspect and judge one ELF source, once per distinct content; a panic becomes an error record.
fn analyse(src: Source, shared: &Shared<'_>) -> Analysed {
    let Source {
        name,
        artifact,
        data,
        image,
        ..
    } = src;
    let limits = &shared.opts.input.limits;
    // The clock starts when a worker takes the file (reading and hashing count).
    let deadline = limits.timeout.and_then(|t| Instant::now().checked_add(t));
    let result = catch_unwind(AssertUnwindSafe(|| {
        fault::hit("analyse", &name);
        let max = limits.max_file_bytes;
        // Hash first; the results cache knows unchanged files without reading them. A file
        // that is read is read once: the bytes hashed are the bytes inspected (if its content
        // was not seen before), see `input::hash_file`.
        let hashed = match data {
            Data::Bytes(b) => Ok(Loaded::Bytes(Sha256::digest(&b).into(), b)),
            Data::Path(p) => hash_path(p, max, shared.results()),
        };
        let loaded = match hashed {
            Ok(h) => h,
            Err(e) => {
                return Analysed {
                    record: read_failed(&name, &artifact, &e),
                    node: None,
                };
            }
        };
        let (key, len) = loaded.digest();
        shared.observer.analysed(len);
        let load = || loaded.into_bytes(max);
        let mut a = judged(key, len, &name, &artifact, shared, deadline, load);
        shared.observer.judged(a.record.own_verdict);
        a.record.image = image.clone();
        a
    }));
    result.unwrap_or_else(|_| Analysed {
        record: internal_error(&name, &artifact, "analysing this file"),
        node: None,
    })
}

/// The digest of a file on disk: from the results cache when the file is unchanged (nothing is
/// read), else hashed (and remembered).
fn hash_path(p: PathBuf, max: u64, cache: Option<&Cache>) -> std::io::Result<Loaded> {
    Ok(match cache {
        None => Loaded::Hashed(input::hash_file(&p, max)?),
        Some(c) => match c.hash_file(&p, max)? {
            FileDigest::Known(sha, len) => Loaded::Known(sha, len, p),
            FileDigest::Hashed(h) => Loaded::Hashed(h),
        },
    })
}

/// An ELF file's digest, with what it takes to get its bytes if it must be inspected.
enum Loaded {
    /// An archive member, in memory.
    Bytes([u8; 32], Vec<u8>),
    /// A file whose digest the results cache knew: read only if its facts are not known.
    Known([u8; 32], u64, PathBuf),
    /// A file hashed just now, still open.
    Hashed(input::Hashed),
}

impl Loaded {
    fn digest(&self) -> ([u8; 32], u64) {
        match self {
            Loaded::Bytes(sha, b) => (*sha, b.len() as u64),
            Loaded::Known(sha, len, _) => (*sha, *len),
            Loaded::Hashed(h) => (h.sha256, h.len),
        }
    }

    fn into_bytes(self, max: u64) -> std::io::Result<input::Bytes> {
        match self {
            Loaded::Bytes(_, b) => Ok(input::Bytes::Owned(b)),
            Loaded::Known(_, _, p) => input::read(&p, max),
            Loaded::Hashed(h) => h.into_bytes(),
        }
    }
}

/// The analysis of one content, once per run, by the first task to see it (identical files wait
/// for that result): its judgement for this target from the results cache, else its facts from
/// the cache or inspection, judged here.
#[allow(clippy::too_many_arguments)]
fn judged(
    key: [u8; 32],
    len: u64,
    name: &str,
    artifact: &str,
    shared: &Shared<'_>,
    deadline: Option<Instant>,
    load: impl FnOnce() -> std::io::Result<input::Bytes>,
) -> Analysed {
    let cell = match shared.cache.lock() {
        Ok(mut c) => c.entry(key).or_default().clone(),
        Err(_) => Arc::default(),
    };
    let judged = cell.get_or_init(|| {
        shared.observer.inspected();
        let results = shared.results();
        let hit = results.and_then(|c| c.judged(&key, &shared.target_key));
        if let Some(a) = hit.and_then(|j| Analysed::from_cache(j, shared.db)) {
            shared.observer.cache_hit();
            return a;
        }
        let cached = results.and_then(|c| c.facts(&key));
        let inspected = match cached {
            Some(i) => {
                shared.observer.cache_hit();
                i.into_result()
            }
            None => {
                let bytes = match load() {
                    Ok(b) => b,
                    Err(e) => {
                        return Analysed {
                            record: read_failed(name, artifact, &e),
                            node: None,
                        };
                    }
                };
                let r = crate::inspect::inspect_until(&bytes, deadline);
                if let Some(c) = results {
                    c.store_facts(&key, &r);
                }
                r
            }
        };
        // A file whose reading ran out of time says nothing about its content: not remembered.
        let timed_out = matches!(inspected, Err(crate::inspect::InspectError::TimedOut));
        let arch = inspected.as_ref().map(|f| f.arch).ok();
        let (record, node) = crate::judge_inspected(
            name,
            artifact,
            len,
            key,
            inspected,
            shared.db,
            shared.target,
        );
        let a = Analysed { record, node };
        if let (Some(c), false) = (results, timed_out) {
            c.store_judged(&key, &shared.target_key, &a.to_cache(arch));
        }
        a
    });
    let mut a = judged.clone();
    a.record.path = name.to_string();
    a.record.artifact = artifact.to_string();
    a
}

/// Turn one input's production into records: closure per unit, then drop what is not reported.
/// The records a tree's tracker concluded are taken from it, in their place; the second vector
/// says which records were handed out early.
fn finish(
    nested: Vec<Produced>,
    db: &Db,
    target: &Target,
    mut tree: Option<live::Concluded>,
) -> (Vec<Record>, Vec<bool>) {
    let mut out = Vec::new();
    flatten(nested, &mut out);
    let mut records: Vec<Record> = Vec::new();
    let mut named: Vec<bool> = Vec::new();
    let mut early: Vec<bool> = Vec::new();
    // unit → (record indices of its ELF files, their nodes, links)
    let mut units: HashMap<UnitId, UnitFiles> = HashMap::new();
    for p in out {
        match p {
            Produced::Unit(id) => {
                units.entry(id).or_default();
            }
            Produced::Link { unit, path, target } => {
                units.entry(unit).or_default().2.insert(path, target);
            }
            Produced::Owners {
                unit,
                artifact,
                owners,
            } => {
                let u = units.entry(unit).or_default();
                u.3.entry(artifact).or_default().merge(*owners);
            }
            Produced::Record(r) => {
                named.push(true);
                early.push(false);
                records.push(*r);
            }
            Produced::Nested(_) | Produced::Listed(_) => {}
            Produced::Early(fi) => {
                // Already concluded (and filtered) by the tree's tracker.
                if let Some((r, handed_out)) = tree.as_mut().and_then(|t| t.take(fi)) {
                    named.push(true);
                    early.push(handed_out);
                    records.push(r);
                }
            }
            Produced::Elf(pending) => {
                let PendingElf {
                    unit,
                    unit_path,
                    name,
                    artifact,
                    slot,
                } = *pending;
                // The slot is normally this item's alone by now: its analysis is taken, not
                // copied.
                let analysed = match Arc::try_unwrap(slot) {
                    Ok(cell) => cell.into_inner(),
                    Err(shared) => shared.get().cloned(),
                };
                let a = analysed.unwrap_or_else(|| Analysed {
                    record: crate::unreadable(&name, &artifact, "not analysed (internal error)"),
                    node: None,
                });
                let mut node = a.node.unwrap_or_default();
                node.path = unit_path;
                let u = units.entry(unit).or_default();
                u.0.push(records.len());
                u.1.push(node);
                named.push(name == artifact);
                early.push(false);
                records.push(a.record);
            }
        }
    }
    for (idx, nodes, links, owners) in units.values() {
        let with_installed = unit_target(target, owners);
        let target = with_installed.as_ref().unwrap_or(target);
        for (&ri, node) in idx.iter().zip(nodes) {
            if let Some(r) = records.get_mut(ri) {
                attribute_owner(r, &node.path, owners, db, target);
            }
        }
        conclude_unit(idx, nodes, links, db, target, &mut records);
    }
    // Relocatable objects inside trees and archives are never loaded: not worth a record.
    records
        .into_iter()
        .zip(named)
        .zip(early)
        .filter(|((r, named), _)| *named || is_reported(r))
        .map(|((r, _), e)| (r, e))
        .unzip()
}

/// Whether a file found inside a tree or archive gets a record: relocatable objects are never
/// loaded, so they are left out.
fn is_reported(r: &Record) -> bool {
    !r.findings.iter().any(|f| f.id == Code::NotLoadable)
}

/// The target as one unit sees it: with the Alpine packages its apk installed database lists
/// (an Alpine image or tree), as package knowledge after the target's own indexes. None when the
/// unit holds no such database.
fn unit_target(target: &Target, owners: &HashMap<String, Owners>) -> Option<Target> {
    let mut artifacts: Vec<(&String, &Owners)> = owners.iter().collect();
    artifacts.sort_by(|a, b| a.0.cmp(b.0));
    let mut installed: Option<crate::db::ApkIndex> = None;
    for db in artifacts.into_iter().filter_map(|(_, o)| o.installed()) {
        installed
            .get_or_insert_with(Default::default)
            .merge(db.clone());
    }
    let mut t = target.clone();
    t.installed = Some(Arc::new(installed?));
    Some(t)
}

/// Name the package that installed an ELF file of a unit (at `at` in it), and for a file
/// another distribution installed, the Alpine package that replaces it.
fn attribute_owner(
    r: &mut Record,
    at: &str,
    owners: &HashMap<String, Owners>,
    db: &Db,
    target: &Target,
) {
    let Some(own) = owners.get(&r.artifact) else {
        return;
    };
    r.owner = own.owner_of(at);
    if r.owner.is_none() && r.own_verdict.is_judged() {
        // Say why no owner is named when a database could not be read.
        r.findings.extend(own.unread().iter().map(|why| {
            Finding::new(
                Code::OwnersUnread,
                Verdict::Native,
                format!("no package named for this file: {why}"),
            )
        }));
    }
    if r.own_verdict.is_judged() && r.own_verdict != Verdict::Native {
        let replace = r
            .owner
            .as_ref()
            .and_then(|o| libraries::alpine_replacement(o, db, target));
        r.findings.extend(replace);
    }
}

/// Resolve the closure of every file of one unit and conclude its record. Every record is
/// concluded against the other files' own findings (as the judge left them), so the order
/// in which files are concluded does not matter.
fn conclude_unit(
    idx: &[usize],
    nodes: &[Node],
    links: &HashMap<String, String>,
    db: &Db,
    target: &Target,
    records: &mut [Record],
) {
    use rayon::prelude::*;
    let resolver = Resolver::new(nodes, links, db);
    let record_of = |n: usize| idx.get(n).and_then(|&f| records.get(f));
    // Files conclude independently (each reads the others' own records): on every core.
    let concluded: Vec<(usize, Record)> = idx
        .par_iter()
        .enumerate()
        .filter_map(|(i, &ri)| {
            let r = records.get(ri)?;
            Some((ri, conclude_file(i, r, &resolver, &record_of, db, target)))
        })
        .collect();
    for (ri, record) in concluded {
        if let Some(slot) = records.get_mut(ri) {
            *slot = record;
        }
    }
}

/// Conclude one judged file (node `i` of the resolver) from its closure: `record_of` gives
/// the judge's record of any node (its own findings, not concluded).
fn conclude_file<'r>(
    i: usize,
    r: &Record,
    resolver: &Resolver<'_>,
    record_of: &dyn Fn(usize) -> Option<&'r Record>,
    db: &Db,
    target: &Target,
) -> Record {
    let mut record = r.clone();
    if !r.own_verdict.is_judged() {
        return record;
    }
    let edges = match resolver.node(i) {
        Some(n) if !n.needed.is_empty() => resolver.closure(i),
        _ => Vec::new(),
    };
    let reached: Vec<Reached> = edges
        .iter()
        .map(|e| {
            // A path musl does not open as named still means a library: judge that one.
            let meant = match e.how {
                How::Path { intended, .. } => intended,
                _ => e.node,
            };
            let found = meant.and_then(record_of).map(|l| Bundled {
                path: &l.path,
                verdict: l.own_verdict,
                findings: &l.findings,
            });
            Reached {
                library: &e.library,
                direct: e.requester == i,
                found,
                loads: e.node.is_some(),
                source: source_finding(e, i, found, resolver, record_of, db, target),
            }
        })
        .collect();
    let musl_loader = resolver.node(i).map_or("", |n| n.musl_loader);
    crate::conclude(&mut record, &reached, musl_loader);
    record
}

/// What the closure says about where one needed library comes from (replacing the judge's
/// file-alone version): a name with '/' as musl opens it, a sibling off the search path, or,
/// for a name the unit does not hold, the Alpine package (or none) that provides it.
#[allow(clippy::too_many_arguments)]
fn source_finding<'r>(
    e: &Edge,
    root: usize,
    found: Option<Bundled<'_>>,
    resolver: &Resolver<'_>,
    record_of: &dyn Fn(usize) -> Option<&'r Record>,
    db: &Db,
    target: &Target,
) -> Option<Finding> {
    let dir = |i: usize| resolver.node(i).map_or("/", |n| dirname(&n.path));
    match (e.how, e.node) {
        (How::Path { by_name, .. }, None) => Some(libraries::needed_path_finding(
            &e.library,
            found.map(|l| l.path),
            by_name,
        )),
        (How::Sibling, Some(n)) => {
            found.map(|l| libraries::off_path_finding(&e.library, l.path, dir(e.requester), dir(n)))
        }
        (How::Search | How::Sibling, None) if libraries::is_packaged_kind(&e.library, db) => {
            let needed_by = (e.requester != root)
                .then(|| record_of(e.requester).map(|r| r.path.as_str()))
                .flatten();
            Some(libraries::package_finding(
                &e.library, needed_by, db, target,
            ))
        }
        _ => None,
    }
}

fn dirname(p: &str) -> &str {
    match p.rsplit_once('/') {
        Some(("", _)) | None => "/",
        Some((d, _)) => d,
    }
}

mod cached;
mod live;

/// Test-only fault injection: a name containing `muslcheck-panic-SITE` panics at that site, to
/// prove that a panic becomes an `error` record. Release builds have no panic path here.
#[cfg(test)]
mod fault {
    pub(super) fn hit(site: &str, name: &str) {
        if name.contains(&format!("muslcheck-panic-{site}")) {
            panic!("fault injected at {site} for {name}");
        }
    }
}

#[cfg(not(test))]
mod fault {
    #[inline(always)]
    pub(super) fn hit(_site: &str, _name: &str) {}
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::judge::Verdict;

    /// A file named to trigger `fault::hit` panics at every site; the batch still gives each
    /// input its record, in order, and judges the healthy one.
    #[test]
    fn a_panic_anywhere_becomes_an_error_record_and_the_batch_goes_on() {
        let dir = std::env::temp_dir().join(format!("muslcheck-fault-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let elf = std::fs::read(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/bin/hello-musl"),
        )
        .unwrap();
        let walk = dir.join("tree-muslcheck-panic-walk");
        std::fs::create_dir_all(&walk).unwrap();
        std::fs::write(walk.join("app"), &elf).unwrap();
        // A tree whose subdirectory (walked as a task of its own) panics; its sibling is judged.
        let tree = dir.join("tree");
        let sub = tree.join("sub-muslcheck-panic-subtree");
        std::fs::create_dir_all(&sub).unwrap();
        std::fs::write(sub.join("app"), &elf).unwrap();
        std::fs::write(tree.join("app"), &elf).unwrap();
        let mut b = tar::Builder::new(Vec::new());
        let mut h = tar::Header::new_gnu();
        h.set_size(elf.len() as u64);
        h.set_mode(0o755);
        b.append_data(&mut h, "bin/app", elf.as_slice()).unwrap();
        let archive = dir.join("pkg-muslcheck-panic-archive.tar");
        std::fs::write(&archive, b.into_inner().unwrap()).unwrap();
        let bad = dir.join("app-muslcheck-panic-analyse");
        std::fs::write(&bad, &elf).unwrap();
        let good = dir.join("app-good");
        std::fs::write(&good, &elf).unwrap();

        let db = Db::get().unwrap();
        let target = Target::resolve(db, None, None, None).unwrap();
        let paths = vec![
            walk.clone(),
            archive.clone(),
            bad.clone(),
            good.clone(),
            tree.clone(),
        ];
        for jobs in [1, 4] {
            let opts = ScanOptions {
                jobs,
                ..ScanOptions::default()
            };
            let mut records = Vec::new();
            scan(&paths, db, &target, &opts, &Quiet, &mut |rs| {
                records.extend(rs.input())
            })
            .unwrap();
            let got: Vec<(String, Verdict)> = records
                .iter()
                .map(|r| (r.path.clone(), r.verdict))
                .collect();
            let name = |p: &std::path::Path| p.display().to_string();
            assert_eq!(
                got,
                vec![
                    (name(&walk), Verdict::Error),
                    (name(&archive), Verdict::Error),
                    (name(&bad), Verdict::Error),
                    (name(&good), Verdict::Native),
                    (name(&tree.join("app")), Verdict::Native),
                    (name(&sub), Verdict::Error),
                ],
                "jobs {jobs}"
            );
            for r in records.iter().take(3).chain(records.last()) {
                let why = r.reason.as_deref().unwrap_or_default();
                assert!(why.contains("internal error"), "{why}");
            }
        }
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// A cancelled scan hands out nothing it did not finish and says it was interrupted.
    #[test]
    fn a_cancelled_scan_emits_nothing_and_reports_interrupted() {
        let db = Db::get().unwrap();
        let target = Target::resolve(db, None, None, None).unwrap();
        let opts = ScanOptions::default();
        opts.cancel.store(true, Ordering::Relaxed);
        let paths = vec![std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/bin")];
        let mut records = Vec::new();
        let e = scan(&paths, db, &target, &opts, &Quiet, &mut |r| records.push(r)).unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::Interrupted);
        assert!(records.is_empty(), "{} records", records.len());
    }
}
