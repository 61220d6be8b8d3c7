//! Phase 2 of a directory input: read and judge the files of a listed tree, and conclude each
//! ELF file as soon as its closure is final, so that its record can be handed out at once.
//!
//! The tree was listed first (every regular file and link, no file opened), so the tracker
//! knows from the start which files a closure may reach ([`Reach`], from `judge::closure`): a
//! needed name that no listed file can satisfy is known absent at once, and a file is final as
//! soon as every listed file its closure may reach is read (and judged, if it is an ELF file).
//! Libraries that need each other are final together. Nothing here decides a verdict: the
//! closure is resolved by [`Resolver`] and concluded by [`super::conclude_file`], the same code
//! that concludes a unit at the end, over the same files, so the records are the same.

use std::collections::{HashMap, HashSet};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::Ordering;
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::Duration;

use super::{
    Analysed, Emitted, Produced, Shared, analyse, conclude_file, handle, internal_error,
    is_reported,
};
use crate::db::Db;
use crate::input::Item;
use crate::input::walk::Listed;
use crate::inspect::owners::Owners;
use crate::judge::Target;
use crate::judge::closure::{Reach, Reaches, Resolver};
use crate::report::Record;

/// Files of a tree read by one task.
const FILE_BATCH: usize = 64;

/// Waiting for the whole unit (a closure that may reach anywhere).
const WHOLE_UNIT: usize = usize::MAX;

/// Steps of the search for final closures per listed file, plus a base: real trees need a
/// few per file; past the bound, the rest of the unit is concluded at its end.
const WORK_PER_FILE: usize = 256;
const WORK_BASE: usize = 1 << 20;

/// The records a tree's tracker concluded, by listing number, for [`super::finish`].
pub(super) struct Concluded {
    records: HashMap<usize, Record>,
    /// The records were handed out early.
    early: bool,
}

impl Concluded {
    /// The concluded record of listed file `fi` (none if it is not reported), and whether it
    /// was handed out early.
    pub(super) fn take(&mut self, fi: usize) -> Option<(Record, bool)> {
        self.records.remove(&fi).map(|r| (r, self.early))
    }
}

/// What the tracker knows of one tree.
struct Live<'a> {
    db: &'a Db,
    target: &'a Target,
    /// The target with the unit's apk installed database, if it has one.
    unit_target: Option<Target>,
    reach: Reach<'a>,
    resolver: Resolver<'a>,
    owners: HashMap<String, Owners>,
    /// Per listed file: read (and judged, for an ELF file).
    read: Vec<bool>,
    /// Per listed file: its node, if it is an ELF file.
    node_of: Vec<Option<usize>>,
    /// Per node: its listed file, the files its closure may reach, whether it is concluded,
    /// and the judge's record (its own findings, owner named).
    file_of: Vec<usize>,
    deps: Vec<Reaches>,
    concluded: Vec<bool>,
    judged: Vec<Record>,
    /// Listed file → nodes waiting for it.
    waiters: HashMap<usize, Vec<usize>>,
    /// Steps left for finding final closures early (a hostile unit cannot make it costly).
    work: usize,
    out: HashMap<usize, Record>,
    /// Where early records go (only for the first input of a window: records are handed out
    /// in input order).
    tx: Option<Sender<Vec<Record>>>,
}

impl Live<'_> {
    /// Listed file `fi` is read and is not an ELF file of this unit.
    fn other(&mut self, fi: usize) {
        if let Some(r) = self.read.get_mut(fi) {
            *r = true;
        }
        let waiting = self.waiters.remove(&fi).unwrap_or_default();
        self.recheck(waiting);
    }

    /// Listed file `fi` (at `at` in the unit) is an ELF file, judged alone.
    fn elf(&mut self, fi: usize, at: &str, a: Analysed) {
        let Analysed { mut record, node } = a;
        let mut node = node.unwrap_or_default();
        node.path = at.to_string();
        let target = self.unit_target.as_ref().unwrap_or(self.target);
        super::attribute_owner(&mut record, at, &self.owners, self.db, target);
        self.deps.push(self.reach.of(&node.needed));
        let n = self.resolver.add(node, fi);
        self.file_of.push(fi);
        self.concluded.push(false);
        self.judged.push(record);
        if let Some(slot) = self.node_of.get_mut(fi) {
            *slot = Some(n);
        }
        if let Some(r) = self.read.get_mut(fi) {
            *r = true;
        }
        let mut waiting = self.waiters.remove(&fi).unwrap_or_default();
        waiting.push(n);
        self.recheck(waiting);
    }

    /// Conclude the nodes among `nodes` (and the libraries they reach) whose closure is final;
    /// the others wait for the first unread file found.
    fn recheck(&mut self, nodes: Vec<usize>) {
        // Last come first: in a chain of libraries the latest waiter is nearest to the file
        // still unread, and the earlier ones then stop at it (`blocked`).
        let mut blocked: HashMap<usize, usize> = HashMap::new();
        for n in nodes.into_iter().rev() {
            if self.concluded.get(n).copied().unwrap_or(true) {
                continue;
            }
            match self.ready(n, &blocked) {
                Ok(set) => self.conclude(set),
                Err(blocker) => {
                    blocked.insert(n, blocker);
                    self.waiters.entry(blocker).or_default().push(n);
                }
            }
        }
    }

    /// Every node reachable from `n` through the files its closure may reach, if all those
    /// files are read; otherwise an unread one (or [`WHOLE_UNIT`]). `blocked`: nodes known to
    /// wait, and for what.
    fn ready(&mut self, n: usize, blocked: &HashMap<usize, usize>) -> Result<Vec<usize>, usize> {
        let mut seen = HashSet::from([n]);
        let mut stack = vec![n];
        while let Some(m) = stack.pop() {
            if let Some(&b) = blocked.get(&m) {
                return Err(b);
            }
            let files = match self.deps.get(m) {
                Some(Reaches::Files(f)) => f,
                _ => return Err(WHOLE_UNIT),
            };
            // Bounded work per unit: past it, what is left is concluded with the whole unit.
            self.work = match self.work.checked_sub(files.len() + 1) {
                Some(left) => left,
                None => return Err(WHOLE_UNIT),
            };
            for &f in files {
                if !self.read.get(f).copied().unwrap_or(false) {
                    return Err(f);
                }
                let Some(Some(l)) = self.node_of.get(f) else {
                    continue;
                };
                if !self.concluded.get(*l).copied().unwrap_or(true) && seen.insert(*l) {
                    stack.push(*l);
                }
            }
        }
        Ok(seen.into_iter().collect())
    }

    /// Conclude `nodes` (all final) and hand out their records.
    fn conclude(&mut self, mut nodes: Vec<usize>) {
        nodes.sort_by_key(|&n| self.file_of.get(n).copied());
        let record_of = |m: usize| self.judged.get(m);
        let target = self.unit_target.as_ref().unwrap_or(self.target);
        let done: Vec<(usize, usize, Record)> = nodes
            .iter()
            .filter_map(|&n| {
                let fi = *self.file_of.get(n)?;
                let r = self.judged.get(n)?;
                let c = conclude_file(n, r, &self.resolver, &record_of, self.db, target);
                Some((n, fi, c))
            })
            .collect();
        let mut batch = Vec::new();
        for (n, fi, r) in done {
            if let Some(c) = self.concluded.get_mut(n) {
                *c = true;
            }
            if is_reported(&r) {
                if self.tx.is_some() {
                    batch.push(r.clone());
                }
                self.out.insert(fi, r);
            }
        }
        if let (Some(tx), false) = (&self.tx, batch.is_empty()) {
            let _ = tx.send(batch);
        }
    }

    /// Every file is read: conclude what is left (closures that may reach anywhere).
    fn finish(&mut self) {
        let left: Vec<usize> = (0..self.concluded.len())
            .filter(|&n| !self.concluded.get(n).copied().unwrap_or(true))
            .collect();
        self.conclude(left);
        self.tx = None;
    }
}

fn lock<'m, 'a>(m: &'m Mutex<Live<'a>>) -> MutexGuard<'m, Live<'a>> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// A run of listed files (listing numbers `from..to`), read by one task into one slot.
type Batch = (usize, usize, Arc<OnceLock<Vec<Produced>>>);

/// One tree to read: its tracker, its listed files (by listing number) and their batches.
struct Tree<'a> {
    live: Mutex<Live<'a>>,
    files: Vec<Listed>,
    batches: Vec<Batch>,
}

/// Take a tree's listing out of an input's production (runs of listed files become slots for
/// what reading them produces, in their place), and read its package-manager records (owners)
/// at once.
fn prepare<'a>(
    out: &mut Vec<Produced>,
    shared: &Shared<'a>,
    tx: Option<Sender<Vec<Record>>>,
) -> Option<Tree<'a>> {
    if !out.iter().any(|p| matches!(p, Produced::Listed(_))) {
        return None;
    }
    let mut files: Vec<Listed> = Vec::new();
    let mut batches: Vec<Batch> = Vec::new();
    let mut links = HashMap::new();
    let mut bytes = 0;
    let mut kept = Vec::with_capacity(out.len());
    // The batch being filled, if the last item was a listed file.
    let mut open = false;
    for p in out.drain(..) {
        match p {
            Produced::Listed(l) => {
                let fi = files.len();
                bytes += l.size;
                files.push(*l);
                match batches.last_mut() {
                    Some((from, to, _)) if open && *to - *from < FILE_BATCH => *to = fi + 1,
                    _ => {
                        let slot = Arc::new(OnceLock::new());
                        kept.push(Produced::Nested(slot.clone()));
                        batches.push((fi, fi + 1, slot));
                        open = true;
                    }
                }
            }
            p => {
                if let Produced::Link { path, target, .. } = &p {
                    links.insert(path.clone(), target.clone());
                }
                open = false;
                kept.push(p);
            }
        }
    }
    *out = kept;
    shared.observer.listed(files.len() as u64, bytes);
    let reach = Reach::new(files.iter().map(|l| l.at.as_str()), &links, shared.db);
    let n = files.len();
    let mut live = Live {
        db: shared.db,
        target: shared.target,
        unit_target: None,
        reach,
        resolver: Resolver::empty(links, shared.db),
        owners: HashMap::new(),
        read: vec![false; n],
        node_of: vec![None; n],
        file_of: Vec::new(),
        deps: Vec::new(),
        concluded: Vec::new(),
        judged: Vec::new(),
        waiters: HashMap::new(),
        work: n.saturating_mul(WORK_PER_FILE).saturating_add(WORK_BASE),
        out: HashMap::new(),
        tx,
    };
    // Owners are part of every record of the unit: read them before anything is concluded.
    for (fi, l) in files.iter().enumerate().filter(|(_, l)| l.is_metadata()) {
        l.sniff(&shared.opts.input, &shared.units, &mut |item| {
            if let Item::Meta {
                artifact,
                path,
                data,
                ..
            } = item
            {
                live.owners.entry(artifact).or_default().add(&path, &data);
            }
        });
        if let Some(r) = live.read.get_mut(fi) {
            *r = true;
        }
        shared.observer.file_done();
    }
    live.unit_target = super::unit_target(shared.target, &live.owners);
    Some(Tree {
        live: Mutex::new(live),
        files,
        batches,
    })
}

/// Read one listed file: its items go to `sub`; an ELF file is judged by a task of its own,
/// then told to the tracker.
fn read_file<'s, 'a: 's>(
    fi: usize,
    l: &Listed,
    sub: &mut Vec<Produced>,
    live: &'s Mutex<Live<'a>>,
    s: &rayon::Scope<'s>,
    shared: &'s Shared<'s>,
) {
    let mut elf = false;
    let at = l.at.clone();
    let read = catch_unwind(AssertUnwindSafe(|| {
        l.sniff(&shared.opts.input, &shared.units, &mut |item| match item {
            Item::Elf(src) => {
                elf = true;
                sub.push(Produced::Early(fi));
                let at = at.clone();
                s.spawn(move |_| {
                    let a = analyse(src, shared);
                    let told = catch_unwind(AssertUnwindSafe(|| lock(live).elf(fi, &at, a)));
                    if told.is_err() {
                        // A bug: the file stays unconcluded here and is concluded at the end.
                        lock(live).other(fi);
                    }
                    shared.observer.file_done();
                });
            }
            it => handle(it, sub, s, shared),
        })
    }));
    if read.is_err() {
        let name = l.path.display().to_string();
        let r = internal_error(&name, &name, "reading this file");
        sub.push(Produced::Record(Box::new(r)));
    }
    if !elf {
        lock(live).other(fi);
        shared.observer.file_done();
    }
}

/// Phase 2 for the directory inputs of a window (`outs`, flattened): read and judge their
/// files on the pool while early records of the window's first input are handed to `emit` on
/// this thread. Returns each input's concluded records (none for an input that is no tree).
pub(super) fn read_trees<'s>(
    outs: &mut [Vec<Produced>],
    pool: &rayon::ThreadPool,
    shared: &'s Shared<'s>,
    emit: &mut dyn FnMut(Emitted),
) -> Vec<Option<Concluded>> {
    let (tx, rx) = mpsc::channel::<Vec<Record>>();
    let mut tx = Some(tx);
    let trees: Vec<Option<Tree<'s>>> = outs
        .iter_mut()
        .enumerate()
        .map(|(k, out)| {
            let early = k == 0 && shared.opts.early;
            prepare(out, shared, if early { tx.take() } else { None })
        })
        .collect();
    drop(tx);
    if trees.iter().all(Option::is_none) {
        return trees.iter().map(|_| None).collect();
    }
    let cancelled = || shared.opts.cancel.load(Ordering::Relaxed);
    std::thread::scope(|ts| {
        let trees = &trees;
        let worker = ts.spawn(move || {
            pool.scope(|s| {
                for tree in trees.iter().flatten() {
                    for (from, to, slot) in &tree.batches {
                        s.spawn(move |s| {
                            let mut sub = Vec::new();
                            for fi in *from..*to {
                                if cancelled() {
                                    return; // no new work: the window is discarded
                                }
                                match tree.files.get(fi) {
                                    Some(l) if !l.is_metadata() => {
                                        read_file(fi, l, &mut sub, &tree.live, s, shared)
                                    }
                                    _ => {} // read before the others
                                }
                            }
                            let _ = slot.set(sub);
                        });
                    }
                }
            });
            for tree in trees.iter().flatten() {
                let mut live = lock(&tree.live);
                if cancelled() {
                    live.tx = None; // what was not read must not look judged
                } else {
                    live.finish();
                }
            }
        });
        loop {
            match rx.recv_timeout(Duration::from_millis(50)) {
                Ok(batch) => emit(Emitted::Early(batch)),
                Err(RecvTimeoutError::Disconnected) => break,
                Err(RecvTimeoutError::Timeout) if worker.is_finished() => {
                    while let Ok(batch) = rx.try_recv() {
                        emit(Emitted::Early(batch));
                    }
                    break;
                }
                Err(RecvTimeoutError::Timeout) => {}
            }
        }
        let _ = worker.join();
    });
    trees
        .into_iter()
        .enumerate()
        .map(|(k, t)| {
            t.map(|t| {
                let live = t.live.into_inner().unwrap_or_else(|e| e.into_inner());
                Concluded {
                    records: live.out,
                    early: k == 0 && shared.opts.early,
                }
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::{Condvar, Mutex};
    use std::time::Duration;

    use super::super::{Emitted, Observer, ScanOptions, scan};
    use crate::db::Db;
    use crate::judge::Target;

    /// Holds the analysis of the file of one size until a record was handed out early.
    struct Hold {
        size: u64,
        early: Mutex<bool>,
        cv: Condvar,
        held: AtomicBool,
    }

    impl Observer for Hold {
        fn analysed(&self, bytes: u64) {
            if bytes != self.size {
                return;
            }
            self.held.store(true, Ordering::SeqCst);
            let early = self.early.lock().unwrap();
            // Bounded: without streaming no record comes before this file is judged, and the
            // test must fail, not hang.
            let _ = self
                .cv
                .wait_timeout_while(early, Duration::from_secs(20), |e| !*e)
                .unwrap();
            self.held.store(false, Ordering::SeqCst);
        }
    }

    /// The first record of a tree is handed out while another file of the tree is still
    /// being judged: the last file's analysis is held until a record came out early, so with
    /// records written only per unit this fails (after a bounded wait) instead of passing.
    #[test]
    fn a_record_is_handed_out_before_the_rest_of_its_tree_is_judged() {
        let dir = std::env::temp_dir().join(format!("muslcheck-live-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let elf = std::fs::read(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/bin/hello-musl"),
        )
        .unwrap();
        for i in 0..200 {
            std::fs::write(dir.join(format!("a{i:03}")), &elf).unwrap();
        }
        // The held file: a different content (trailing bytes), known by its size.
        let mut last = elf.clone();
        last.extend_from_slice(&[0; 7]);
        std::fs::write(dir.join("z-last"), &last).unwrap();

        let db = Db::get().unwrap();
        let target = Target::resolve(db, None, None, None).unwrap();
        let hold = Hold {
            size: last.len() as u64,
            early: Mutex::new(false),
            cv: Condvar::new(),
            held: AtomicBool::new(false),
        };
        let opts = ScanOptions {
            jobs: 2,
            early: true,
            ..ScanOptions::default()
        };
        let mut first: Option<(bool, Vec<String>)> = None;
        let mut all = Vec::new();
        scan(
            std::slice::from_ref(&dir),
            db,
            &target,
            &opts,
            &hold,
            &mut |e| match e {
                Emitted::Early(batch) => {
                    if first.is_none() {
                        let paths = batch.iter().map(|r| r.path.clone()).collect();
                        first = Some((hold.held.load(Ordering::SeqCst), paths));
                    }
                    *hold.early.lock().unwrap() = true;
                    hold.cv.notify_all();
                }
                Emitted::Input { records, .. } => all.extend(records),
            },
        )
        .unwrap();
        let _ = std::fs::remove_dir_all(&dir);
        let (held, paths) = first.expect("no record was handed out early");
        assert!(
            held,
            "the first records came only after the whole tree was judged"
        );
        assert!(paths.iter().all(|p| !p.ends_with("z-last")), "{paths:?}");
        assert_eq!(all.len(), 201);
        assert!(all.last().is_some_and(|r| r.path.ends_with("z-last")));
    }
}
