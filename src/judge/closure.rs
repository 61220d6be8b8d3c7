//! Closure: resolve each binary's DT_NEEDED inside its scanned unit the way musl's loader does,
//! and conclude the file's verdict from what its bundled libraries are ([`conclude`]: the one
//! place that decides what a bundled library does to its dependents).
//!
//! musl searches (ldso/dynlink.c `load_library`): LD_LIBRARY_PATH (never assumed here), then
//! DT_RPATH/DT_RUNPATH of the requesting object **and of its requesters up the chain**
//! (RUNPATH replaces RPATH; `$ORIGIN` is the requester's directory), then
//! `/lib:/usr/local/lib:/usr/lib` (inside the unit's root). Names musl treats as itself and the
//! names only gcompat provides are not searched. Pure: no I/O.

use std::cell::Cell;
use std::collections::{HashMap, HashSet, VecDeque};

use serde::{Deserialize, Serialize};

use super::{Code, Finding, Fix, Severity, Verdict, verdict_of};
use crate::db::Db;

/// What closure resolution needs to know about one ELF file of a unit.
#[derive(Clone, Debug, Default)]
pub struct Node {
    /// Absolute path inside the unit.
    pub path: String,
    /// DT_NEEDED.
    pub needed: Vec<String>,
    /// DT_RPATH.
    pub rpath: Vec<String>,
    /// DT_RUNPATH.
    pub runpath: Vec<String>,
    /// musl's loader for the file's architecture (named by the loader-only fix).
    pub musl_loader: &'static str,
}

/// A library reached from a root binary.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Edge {
    /// The DT_NEEDED name.
    pub library: String,
    /// The node musl's loader would load, if found in the unit.
    pub node: Option<usize>,
    /// The node that needed it.
    pub requester: usize,
    /// How it was (or was not) found.
    pub how: How,
}

/// How a needed name was resolved.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum How {
    /// By musl's search (rpaths up the chain, then the system directories).
    Search,
    /// Not on the search path, but bundled beside the requester (same directory, an
    /// auditwheel `.libs`/delocate `.dylibs` directory, a package under node_modules).
    Sibling,
    /// A name with '/': musl opens it as a path. For a relative name the node is never set
    /// (it depends on the working directory); `intended` is what `$ORIGIN` meant, and
    /// `by_name` says whether musl's search finds that library by its last component.
    Path {
        /// The library `$ORIGIN/...` meant, if the unit holds it.
        intended: Option<usize>,
        /// True when the search by base name reaches `intended`.
        by_name: bool,
    },
}

/// A DT_NEEDED library resolved (or not) inside the scanned unit, the way musl searches.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct ClosureEntry {
    /// The DT_NEEDED name.
    pub library: String,
    /// Where it was found (report path of the bundled copy), if it was.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub found: Option<String>,
    /// The bundled copy's own verdict, if found and judged.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verdict: Option<Verdict>,
    /// For a name with '/' that musl does not load (`$ORIGIN/...`): the report path of the
    /// library it was meant to reach, judged as if the fix were applied.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub intended: Option<String>,
}

/// A library of a file's closure, as [`conclude`] needs it.
#[derive(Clone, Debug)]
pub struct Reached<'a> {
    /// The DT_NEEDED name.
    pub library: &'a str,
    /// Needed by the file itself (not by one of its libraries).
    pub direct: bool,
    /// The bundled copy the loader would load, if the unit holds it (for a name with '/'
    /// that musl does not open as named: the library it was meant to reach).
    pub found: Option<Bundled<'a>>,
    /// False when musl does not load `found` as named (a `$ORIGIN/...` name).
    pub loads: bool,
    /// Where the library comes from, as the closure sees it (`needs-package`,
    /// `unavailable-library`, `needed-path`, `library-off-path`): replaces the judge's
    /// file-alone finding for the name.
    pub source: Option<Finding>,
}

/// A bundled library: its report path, and the judge's verdict and findings for it alone.
#[derive(Clone, Copy, Debug)]
pub struct Bundled<'a> {
    /// Report path.
    pub path: &'a str,
    /// Its own verdict.
    pub verdict: Verdict,
    /// Its own findings, worst first.
    pub findings: &'a [Finding],
}

/// A file's verdict once its closure is known, and the closure as reported.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Concluded {
    /// The verdict accounting for the bundled libraries.
    pub verdict: Verdict,
    /// Every library reached, with where it was found.
    pub closure: Vec<ClosureEntry>,
}

/// Conclude a judged file: a bundled library that needs gcompat or a rebuild adds a
/// `bundled-library` finding carrying its verdict; a bundled library needed directly replaces
/// the judge's `needs-package` advice for that name; then the loader-only hint is given if it
/// still holds, and the verdict is computed from all findings ([`verdict_of`]).
pub fn conclude(
    findings: &mut Vec<Finding>,
    reached: &[Reached<'_>],
    musl_loader: &str,
) -> Concluded {
    let mut closure = Vec::new();
    let mut blame = Vec::new();
    let mut sources = Vec::new();
    for r in reached {
        closure.push(ClosureEntry {
            library: r.library.to_string(),
            found: r.found.filter(|_| r.loads).map(|l| l.path.to_string()),
            verdict: r.found.map(|l| l.verdict),
            intended: r.found.filter(|_| !r.loads).map(|l| l.path.to_string()),
        });
        sources.extend(r.source.clone());
        let Some(lib) = r.found else { continue };
        if let Some(f) = blame_finding(r.library, lib) {
            blame.push(f);
        }
    }
    replace_library_findings(findings, sources.into_iter().chain(blame));
    loader_only_hint(findings, musl_loader);
    Concluded {
        verdict: verdict_of(findings.iter().map(|f| f.impact)),
        closure,
    }
}

/// A file judged again alone (`verify` with the host's interpreter) in a unit whose closure was
/// already concluded: the concluded library and bundled-library findings stand, as in
/// [`conclude`]. Returns the verdict.
pub fn reconclude(fresh: &mut Vec<Finding>, concluded: &[Finding]) -> Verdict {
    let from_closure = concluded
        .iter()
        .filter(|f| super::libraries::is_library_source(f.id) || f.id == Code::BundledLibrary);
    replace_library_findings(fresh, from_closure.cloned());
    verdict_of(fresh.iter().map(|f| f.impact))
}

/// The closure knows what the unit holds: its library findings replace the file-alone ones,
/// then the judge's order (worst first, then by ID and subject) is restored.
fn replace_library_findings(
    findings: &mut Vec<Finding>,
    closure: impl IntoIterator<Item = Finding>,
) {
    findings.retain(|f| !super::libraries::is_library_source(f.id));
    findings.extend(closure);
    findings.sort_by(|a, b| {
        (b.impact, b.severity, a.id, &a.symbol, &a.library)
            .cmp(&(a.impact, a.severity, b.id, &b.symbol, &b.library))
    });
}

/// The finding that blames a bundled library for what it needs.
///
/// Only what is wrong with the library itself counts: where its own needed libraries come from
/// is the dependent's closure's business (they are in it, searched with its rpaths).
fn blame_finding(library: &str, lib: Bundled<'_>) -> Option<Finding> {
    if !lib.verdict.is_judged() {
        return None;
    }
    let own = |f: &&Finding| !super::libraries::is_library_source(f.id);
    let verdict = verdict_of(lib.findings.iter().filter(own).map(|f| f.impact));
    if verdict < Verdict::Gcompat {
        return None;
    }
    let why = lib
        .findings
        .iter()
        .filter(own)
        .find(|f| f.impact == verdict);
    let severity = if verdict == Verdict::Rebuild {
        Severity::Error
    } else {
        Severity::Warning
    };
    let mut f = Finding::new(
        Code::BundledLibrary,
        verdict,
        format!(
            "bundled {library} ({}) is {}{}",
            lib.path,
            verdict.as_str(),
            why.map(|w| format!(": {}", w.message)).unwrap_or_default()
        ),
    )
    .library(library)
    .severity(severity);
    if let Some(fix) = why.and_then(|w| w.fix.clone()) {
        f = f.fix(fix.in_library(library));
    }
    Some(f)
}

/// When glibc's loader path is the only thing between the program and plain musl (nothing else,
/// bundled libraries included, needs gcompat or a rebuild), say so: patchelf makes it native.
fn loader_only_hint(findings: &mut [Finding], musl_loader: &str) {
    let blocking = findings
        .iter()
        .any(|f| f.impact >= Verdict::Gcompat && f.id != Code::GlibcLoader);
    if blocking {
        return;
    }
    for f in findings.iter_mut().filter(|f| f.id == Code::GlibcLoader) {
        f.message.push_str(
            "; musl provides everything else the program needs, so the loader is the only gap",
        );
        f.fix = Some(Fix::install("gcompat").or(format!(
            "run it without gcompat: patchelf --set-interpreter {musl_loader} FILE"
        )));
    }
}

/// Default search path after the rpaths (no /etc/ld-musl-*.path on stock Alpine).
const SYSTEM_DIRS: &[&str] = &["/lib", "/usr/local/lib", "/usr/lib"];
/// Symbolic link hops followed before giving up (loops).
const MAX_LINK_HOPS: usize = 16;
/// Longest path resolved (Linux's PATH_MAX); longer links and paths resolve to nothing.
const MAX_PATH: usize = 4096;
/// Bounds on one binary's closure, so that a hostile unit (thousands of libraries needing each
/// other, huge rpath lists) cannot make resolution quadratic or worse. Real closures are tens
/// of libraries deep and wide; past these bounds the closure lists what it found so far.
/// Requesters up the chain whose rpaths are searched (musl searches all; real chains are short).
const MAX_CHAIN: usize = 32;
/// rpath/runpath entries searched per requester.
const MAX_SEARCH_DIRS: usize = 64;
/// Libraries listed in one closure.
const MAX_EDGES: usize = 512;
/// Path lookups made for one closure.
const MAX_LOOKUPS: usize = 1 << 13;

/// Resolves library names inside one unit. Files can be added while the unit is read
/// ([`Resolver::add`]); a closure is exact once every file [`Reach`] names for it is added.
pub struct Resolver<'a> {
    nodes: Vec<Node>,
    by_path: HashMap<String, usize>,
    /// File name → (rank, node) with that name in the unit's order, for bundled siblings off
    /// the search path.
    by_name: HashMap<String, Vec<(usize, usize)>>,
    links: HashMap<String, String>,
    /// Link name → the links with that name (in path order): a link's name finds what it
    /// points to (libfoo.so.1 -> libfoo.so.1.2).
    links_by_name: HashMap<String, Vec<String>>,
    db: &'a Db,
}

fn dirname(p: &str) -> &str {
    match p.rsplit_once('/') {
        Some(("", _)) | None => "/",
        Some((d, _)) => d,
    }
}

fn basename(p: &str) -> &str {
    p.rsplit('/').next().unwrap_or(p)
}

/// Directories whose libraries belong to their neighbours although no RUNPATH names them:
/// auditwheel's `<package>.libs`, delocate's `.dylibs`, and npm packages.
fn is_bundle_dir(dir: &str) -> bool {
    let last = basename(dir);
    last.ends_with(".libs") || last == ".dylibs" || dir.contains("/node_modules/")
}

fn expand_origin(entry: &str, origin: &str) -> String {
    entry
        .replace("${ORIGIN}", origin)
        .replace("$ORIGIN", origin)
}

fn links_by_name(links: &HashMap<String, String>) -> HashMap<String, Vec<String>> {
    let mut by_name: HashMap<String, Vec<String>> = HashMap::new();
    for l in links.keys() {
        by_name
            .entry(basename(l).to_string())
            .or_default()
            .push(l.clone());
    }
    for v in by_name.values_mut() {
        v.sort();
    }
    by_name
}

impl<'a> Resolver<'a> {
    /// Index a unit's ELF files and links.
    pub fn new(nodes: &[Node], links: &HashMap<String, String>, db: &'a Db) -> Self {
        let mut r = Resolver::empty(links.clone(), db);
        for (rank, n) in nodes.iter().enumerate() {
            r.add(n.clone(), rank);
        }
        r
    }

    /// A unit's links, no file yet.
    pub fn empty(links: HashMap<String, String>, db: &'a Db) -> Self {
        Resolver {
            nodes: Vec::new(),
            by_path: HashMap::new(),
            by_name: HashMap::new(),
            links_by_name: links_by_name(&links),
            links,
            db,
        }
    }

    /// Add an ELF file; `rank` is its place in the unit's order (which of two same-named
    /// siblings is found first). Returns its node number.
    pub fn add(&mut self, node: Node, rank: usize) -> usize {
        let i = self.nodes.len();
        self.by_path.insert(node.path.clone(), i);
        let same = self
            .by_name
            .entry(basename(&node.path).to_string())
            .or_default();
        let at = same.partition_point(|&(r, _)| r <= rank);
        same.insert(at, (rank, i));
        self.nodes.push(node);
        i
    }

    /// The node numbered `i`.
    pub fn node(&self, i: usize) -> Option<&Node> {
        self.nodes.get(i)
    }

    /// The node at `path`, following links inside the unit; `lookups` is the closure's budget.
    fn lookup(&self, path: &str, lookups: &Cell<usize>) -> Option<usize> {
        let left = lookups.get().checked_sub(1)?;
        lookups.set(left);
        let mut p = crate::input::normalize(path);
        for _ in 0..MAX_LINK_HOPS {
            if p.len() > MAX_PATH {
                return None;
            }
            if let Some(&i) = self.by_path.get(p.as_str()) {
                return Some(i);
            }
            // A link anywhere along the path (e.g. /lib64 -> usr/lib64) redirects it.
            let (prefix, target) = self.link_prefix(&p)?;
            let rest = p.get(prefix..).unwrap_or_default();
            p = crate::input::normalize(&format!("{target}{rest}"));
        }
        None
    }

    /// The longest link that is `p` itself or a directory above it.
    fn link_prefix(&self, p: &str) -> Option<(usize, String)> {
        let mut end = p.len();
        loop {
            let head = p.get(..end)?;
            if let Some(t) = self.links.get(head) {
                return Some((end, t.clone()));
            }
            end = head.rfind('/').filter(|&i| i > 0)?;
        }
    }

    /// Where musl's load_library finds `name` for the requester chain, and how.
    fn resolve(&self, name: &str, chain: &[usize], lookups: &Cell<usize>) -> (Option<usize>, How) {
        if name.contains('/') {
            // load_library open()s a name with '/' as-is: absolute, or relative to the working
            // directory. $ORIGIN is expanded only in rpaths (fixup_rpath), never here.
            if name.starts_with('/') {
                let found = self.lookup(name, lookups);
                let how = How::Path {
                    intended: found,
                    by_name: false,
                };
                return (found, how);
            }
            let requester = chain.first().and_then(|&r| self.nodes.get(r));
            let intended = match requester {
                Some(n) if name.contains("$ORIGIN") || name.contains("${ORIGIN}") => {
                    self.lookup(&expand_origin(name, dirname(&n.path)), lookups)
                }
                _ => None,
            };
            let by_name =
                intended.is_some() && self.search(basename(name), chain, lookups) == intended;
            return (None, How::Path { intended, by_name });
        }
        if let Some(i) = self.search(name, chain, lookups) {
            return (Some(i), How::Search);
        }
        (self.sibling(name, chain, lookups), How::Sibling)
    }

    /// A file called `name` beside the requester or in a bundle directory of the unit: files
    /// with that name first (in the unit's order), then links with that name.
    fn sibling(&self, name: &str, chain: &[usize], lookups: &Cell<usize>) -> Option<usize> {
        let mut candidates: Vec<usize> = self
            .by_name
            .get(name)
            .map(|v| v.iter().map(|&(_, i)| i).collect())
            .unwrap_or_default();
        for l in self.links_by_name.get(name).into_iter().flatten() {
            candidates.extend(self.lookup(l, lookups));
        }
        let dir = chain
            .first()
            .and_then(|&r| self.nodes.get(r))
            .map(|n| dirname(&n.path))?;
        let at = |i: &usize| self.nodes.get(*i).map(|n| dirname(&n.path));
        candidates
            .iter()
            .find(|i| at(i) == Some(dir))
            .or_else(|| candidates.iter().find(|i| at(i).is_some_and(is_bundle_dir)))
            .copied()
    }

    fn search(&self, name: &str, chain: &[usize], lookups: &Cell<usize>) -> Option<usize> {
        for n in chain.iter().filter_map(|&req| self.nodes.get(req)) {
            let paths = if n.runpath.is_empty() {
                &n.rpath
            } else {
                &n.runpath
            };
            for entry in paths.iter().filter(|e| !e.is_empty()).take(MAX_SEARCH_DIRS) {
                let dir = expand_origin(entry, dirname(&n.path));
                if let Some(i) = self.lookup(&format!("{dir}/{name}"), lookups) {
                    return Some(i);
                }
            }
        }
        SYSTEM_DIRS
            .iter()
            .find_map(|d| self.lookup(&format!("{d}/{name}"), lookups))
    }

    fn is_system(&self, name: &str) -> bool {
        is_system(self.db, name)
    }

    /// Every library reached from `root`, breadth first (musl loads direct dependencies first).
    pub fn closure(&self, root: usize) -> Vec<Edge> {
        let mut edges = Vec::new();
        let mut seen_names: HashSet<&str> = HashSet::new();
        let mut seen_nodes: HashSet<usize> = HashSet::from([root]);
        // (node, chain of requesters from it up to the root)
        let mut queue: VecDeque<(usize, Vec<usize>)> = VecDeque::from([(root, vec![root])]);
        let lookups = Cell::new(MAX_LOOKUPS);
        while let Some((n, chain)) = queue.pop_front() {
            let Some(node) = self.nodes.get(n) else {
                continue;
            };
            for name in &node.needed {
                if self.is_system(name) || !seen_names.insert(name) {
                    continue;
                }
                if edges.len() >= MAX_EDGES || lookups.get() == 0 {
                    return edges;
                }
                let (found, how) = self.resolve(name, &chain, &lookups);
                edges.push(Edge {
                    library: name.clone(),
                    node: found,
                    requester: n,
                    how,
                });
                // What a path meant is judged too: the fix makes the loader open it.
                let follow = match how {
                    How::Path { intended, .. } => intended,
                    _ => found,
                };
                if let Some(f) = follow {
                    if seen_nodes.insert(f) {
                        let mut c = vec![f];
                        c.extend(chain.iter().take(MAX_CHAIN - 1));
                        queue.push_back((f, c));
                    }
                }
            }
        }
        edges
    }
}

/// Names the loader never searches for: musl itself and what gcompat provides.
pub(crate) fn is_system(db: &Db, name: &str) -> bool {
    db.is_musl_itself(name)
        || db.is_gcompat_soname(crate::inspect::Arch::X86_64, name)
        || db.is_gcompat_soname(crate::inspect::Arch::Aarch64, name)
}

/// Which files of a unit a closure may reach, known from the unit's listing alone (before any
/// file is read), so that a file's closure is known final as soon as those files are judged.
///
/// Conservative, from how [`Resolver`] looks names up: every lookup of a needed name ends at
/// `DIR/NAME` after links are followed, and a link along the directories keeps the last
/// component, so the file reached is called NAME or is what a link called NAME points to (and
/// so on down the chain of links); a path in DT_NEEDED ends at its last component. A name that
/// ends in `.`, `..` or `/` may end anywhere: such a closure is final only with the whole unit.
pub struct Reach<'a> {
    /// (hash of a base name, listed file with that name), sorted: one allocation for a tree of
    /// any size. Names that share a hash only make the set larger (still conservative).
    files: Vec<(u64, usize)>,
    /// Base name of a link → base names of what it points to.
    links: HashMap<String, Vec<String>>,
    db: &'a Db,
}

fn name_hash(name: &str) -> u64 {
    use std::hash::{BuildHasher, BuildHasherDefault, DefaultHasher};
    BuildHasherDefault::<DefaultHasher>::default().hash_one(name)
}

/// Where a closure may lead.
#[derive(Debug, PartialEq, Eq)]
pub enum Reaches {
    /// Only these listed files (by their listing number).
    Files(Vec<usize>),
    /// Anywhere in the unit.
    Anywhere,
}

impl<'a> Reach<'a> {
    /// From a unit's listing: its regular files' paths (numbered in order) and its links
    /// (path → normalised target).
    pub fn new<'p>(
        files: impl IntoIterator<Item = &'p str>,
        links: &HashMap<String, String>,
        db: &'a Db,
    ) -> Self {
        let mut by_name: Vec<(u64, usize)> = files
            .into_iter()
            .enumerate()
            .map(|(i, f)| (name_hash(basename(f)), i))
            .collect();
        by_name.sort_unstable();
        let mut link_names: HashMap<String, Vec<String>> = HashMap::new();
        for (l, t) in links {
            link_names
                .entry(basename(l).to_string())
                .or_default()
                .push(basename(t).to_string());
        }
        Reach {
            files: by_name,
            links: link_names,
            db,
        }
    }

    /// The listed files that the lookups of `needed` (one file's DT_NEEDED) may end at.
    pub fn of(&self, needed: &[String]) -> Reaches {
        let mut names: Vec<&str> = Vec::new();
        let mut seen: HashSet<&str> = HashSet::new();
        for n in needed {
            if is_system(self.db, n) {
                continue;
            }
            if matches!(basename(n), "" | "." | "..") {
                return Reaches::Anywhere;
            }
            if seen.insert(basename(n)) {
                names.push(basename(n));
            }
        }
        let mut files = Vec::new();
        while let Some(name) = names.pop() {
            let h = name_hash(name);
            let from = self.files.partition_point(|&(k, _)| k < h);
            let same = self.files.get(from..).unwrap_or_default();
            files.extend(same.iter().take_while(|&&(k, _)| k == h).map(|&(_, i)| i));
            for t in self.links.get(name).into_iter().flatten() {
                if seen.insert(t) {
                    names.push(t);
                }
            }
        }
        Reaches::Files(files)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(path: &str, needed: &[&str], runpath: &[&str]) -> Node {
        Node {
            path: path.into(),
            needed: needed.iter().map(|s| s.to_string()).collect(),
            rpath: Vec::new(),
            runpath: runpath.iter().map(|s| s.to_string()).collect(),
            musl_loader: "",
        }
    }

    #[test]
    fn paths_in_dt_needed_are_opened_as_named_and_siblings_are_found_off_path() {
        let db = Db::get().unwrap();
        let nodes = vec![
            node(
                "/py/bin/python",
                &[
                    "$ORIGIN/../lib/libpython.so",
                    "/opt/abs/libabs.so",
                    "lib/rel.so",
                ],
                &[],
            ),
            node("/py/lib/libpython.so", &[], &[]),
            node("/opt/abs/libabs.so", &[], &[]),
            node(
                "/site/pkg/_ext.so",
                &["libz-1234abcd.so.1", "libnowhere.so"],
                &[],
            ),
            node("/site/pkg.libs/libz-1234abcd.so.1", &[], &[]),
            node("/elsewhere/libnowhere.so", &[], &[]),
        ];
        let links = HashMap::new();
        let r = Resolver::new(&nodes, &links, db);
        let got: Vec<_> = r
            .closure(0)
            .iter()
            .map(|e| (e.library.clone(), e.node, e.how))
            .collect();
        assert_eq!(
            got,
            vec![
                // musl does not expand $ORIGIN here: nothing loads; what it meant is known, and
                // the search by base name does not reach /py/lib (no RUNPATH).
                (
                    "$ORIGIN/../lib/libpython.so".to_string(),
                    None,
                    How::Path {
                        intended: Some(1),
                        by_name: false
                    }
                ),
                (
                    "/opt/abs/libabs.so".to_string(),
                    Some(2),
                    How::Path {
                        intended: Some(2),
                        by_name: false
                    }
                ),
                (
                    "lib/rel.so".to_string(),
                    None,
                    How::Path {
                        intended: None,
                        by_name: false
                    }
                ),
            ]
        );
        let got: Vec<_> = r.closure(3).iter().map(|e| (e.node, e.how)).collect();
        // A `.libs` sibling is found; a same-named file in an unrelated directory is not.
        assert_eq!(got, vec![(Some(4), How::Sibling), (None, How::Sibling)]);
    }

    #[test]
    fn origin_rpath_chain_links_and_system_dirs() {
        let db = Db::get().unwrap();
        let nodes = vec![
            node(
                "/app/bin/tool",
                &["libfoo.so.1", "libc.so.6", "libz.so.1"],
                &["$ORIGIN/../lib"],
            ),
            node("/app/lib/libfoo.so.1.2", &["libbar.so"], &[]),
            node("/app/lib/libbar.so", &[], &[]),
            node("/usr/lib/libz.so.1", &[], &[]),
        ];
        let links = HashMap::from([(
            "/app/lib/libfoo.so.1".to_string(),
            "/app/lib/libfoo.so.1.2".to_string(),
        )]);
        let r = Resolver::new(&nodes, &links, db);
        let edges = r.closure(0);
        let found: Vec<_> = edges.iter().map(|e| (e.library.as_str(), e.node)).collect();
        // libc.so.6 is musl itself; libbar is found through the requester chain's $ORIGIN rpath.
        assert_eq!(
            found,
            vec![
                ("libfoo.so.1", Some(1)),
                ("libz.so.1", Some(3)),
                ("libbar.so", Some(2))
            ]
        );
    }

    /// Files added as they are judged (any order, with their rank in the unit) resolve as the
    /// whole unit does; the listing tells which files a closure may reach before any is read.
    #[test]
    fn files_added_in_any_order_resolve_as_the_whole_unit_and_reach_is_known_up_front() {
        let db = Db::get().unwrap();
        let nodes = vec![
            node(
                "/app/bin/tool",
                &["libfoo.so.1", "libc.so.6", "libz.so.1"],
                &["$ORIGIN/../lib"],
            ),
            node("/app/lib/libfoo.so.1.2", &["libbar.so"], &[]),
            node("/app/lib/libbar.so", &["libfoo.so.1"], &[]),
            node("/usr/lib/libz.so.1", &[], &[]),
            node("/app/bin/libside.so", &[], &[]),
            node("/x/node_modules/p/libside.so", &[], &[]),
        ];
        let links = HashMap::from([(
            "/app/lib/libfoo.so.1".to_string(),
            "/app/lib/libfoo.so.1.2".to_string(),
        )]);
        let whole = Resolver::new(&nodes, &links, db);
        let mut live = Resolver::empty(links.clone(), db);
        let mut number = HashMap::new();
        for rank in (0..nodes.len()).rev() {
            number.insert(live.add(nodes[rank].clone(), rank), rank);
        }
        let rank_of = |e: &Edge| (e.library.clone(), e.node.map(|n| number[&n]), e.how);
        let plain = |e: &Edge| (e.library.clone(), e.node, e.how);
        for root in 0..nodes.len() {
            let at = number
                .iter()
                .find(|(_, r)| **r == root)
                .map(|(n, _)| *n)
                .unwrap();
            let got: Vec<_> = live.closure(at).iter().map(rank_of).collect();
            let want: Vec<_> = whole.closure(root).iter().map(plain).collect();
            assert_eq!(got.len(), want.len(), "{root}");
            for (g, w) in got.iter().zip(&want) {
                assert_eq!((&g.0, g.1, g.2 == w.2), (&w.0, w.1, true), "{root}");
            }
        }
        // The listing: tool's closure may reach libfoo (through the link), libz; libc.so.6 is
        // musl itself. A name ending in `..` may reach anything.
        let listed = [
            "/app/bin/tool",
            "/app/lib/libfoo.so.1.2",
            "/usr/lib/libz.so.1",
            "/z",
        ];
        let reach = Reach::new(listed, &links, db);
        let mut got = match reach.of(&nodes[0].needed) {
            Reaches::Files(f) => f,
            Reaches::Anywhere => Vec::new(),
        };
        got.sort();
        assert_eq!(got, vec![1, 2]);
        assert_eq!(reach.of(&["lib/..".to_string()]), Reaches::Anywhere);
        assert_eq!(
            reach.of(&["libnothere.so".to_string()]),
            Reaches::Files(Vec::new())
        );
    }

    #[test]
    fn hostile_units_stay_bounded() {
        let db = Db::get().unwrap();
        // 5000 libraries, each needing the next, each with a long runpath: without bounds the
        // closure of each would be 5000 deep and search every requester's every entry.
        let n = 5000;
        let runpath: Vec<String> = (0..200).map(|i| format!("/nowhere/{i}")).collect();
        let nodes: Vec<Node> = (0..n)
            .map(|i| Node {
                path: format!("/usr/lib/lib{i}.so"),
                needed: vec![format!("lib{}.so", i + 1)],
                rpath: Vec::new(),
                runpath: runpath.clone(),
                musl_loader: "",
            })
            .collect();
        let long = format!("/{}", "x/".repeat(4000));
        let links = HashMap::from([("/lib".to_string(), long)]);
        let r = Resolver::new(&nodes, &links, db);
        let edges = r.closure(0);
        assert!(!edges.is_empty());
        assert!(edges.len() <= MAX_EDGES, "{}", edges.len());
        assert_eq!(edges.first().and_then(|e| e.node), Some(1));
    }

    #[test]
    fn missing_library_and_link_loops() {
        let db = Db::get().unwrap();
        let nodes = vec![node("/bin/x", &["libnope.so.1", "libloop.so"], &[])];
        let links = HashMap::from([
            (
                "/lib/libloop.so".to_string(),
                "/usr/lib/libloop.so".to_string(),
            ),
            (
                "/usr/lib/libloop.so".to_string(),
                "/lib/libloop.so".to_string(),
            ),
        ]);
        let r = Resolver::new(&nodes, &links, db);
        let edges = r.closure(0);
        assert!(edges.iter().all(|e| e.node.is_none()));
        assert_eq!(edges.len(), 2);
    }
}
