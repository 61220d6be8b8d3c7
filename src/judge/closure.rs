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

use serde::Serialize;

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
    /// The node it resolved to, if found in the unit.
    pub node: Option<usize>,
    /// The node that needed it.
    pub requester: usize,
}

/// A DT_NEEDED library resolved (or not) inside the scanned unit, the way musl searches.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct ClosureEntry {
    /// The DT_NEEDED name.
    pub library: String,
    /// Where it was found (report path of the bundled copy), if it was.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub found: Option<String>,
    /// The bundled copy's own verdict, if found and judged.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verdict: Option<Verdict>,
}

/// A library of a file's closure, as [`conclude`] needs it.
#[derive(Clone, Copy, Debug)]
pub struct Reached<'a> {
    /// The DT_NEEDED name.
    pub library: &'a str,
    /// Needed by the file itself (not by one of its libraries).
    pub direct: bool,
    /// The bundled copy the loader would load, if the unit holds it.
    pub found: Option<Bundled<'a>>,
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
    let mut bundled_direct = Vec::new();
    for r in reached {
        closure.push(ClosureEntry {
            library: r.library.to_string(),
            found: r.found.map(|l| l.path.to_string()),
            verdict: r.found.map(|l| l.verdict),
        });
        let Some(lib) = r.found else { continue };
        if r.direct {
            bundled_direct.push(r.library);
        }
        if (Verdict::Gcompat..=Verdict::Rebuild).contains(&lib.verdict) {
            blame.push(blame_finding(r.library, lib));
        }
    }
    findings.retain(|f| {
        !(f.id == Code::NeedsPackage
            && f.library
                .as_deref()
                .is_some_and(|l| bundled_direct.contains(&l)))
    });
    findings.extend(blame);
    findings.sort_by(|a, b| b.impact.cmp(&a.impact).then(b.severity.cmp(&a.severity)));
    loader_only_hint(findings, musl_loader);
    Concluded {
        verdict: verdict_of(findings.iter().map(|f| f.impact)),
        closure,
    }
}

/// The finding that blames a bundled library for what it needs.
fn blame_finding(library: &str, lib: Bundled<'_>) -> Finding {
    let why = lib.findings.iter().find(|f| f.impact == lib.verdict);
    let severity = if lib.verdict == Verdict::Rebuild {
        Severity::Error
    } else {
        Severity::Warning
    };
    let mut f = Finding::new(
        Code::BundledLibrary,
        lib.verdict,
        format!(
            "bundled {library} ({}) is {}{}",
            lib.path,
            lib.verdict.as_str(),
            why.map(|w| format!(": {}", w.message)).unwrap_or_default()
        ),
    )
    .library(library)
    .severity(severity);
    if let Some(fix) = why.and_then(|w| w.fix.clone()) {
        f = f.fix(fix.in_library(library));
    }
    f
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

/// Resolves library names inside one unit.
pub struct Resolver<'a> {
    nodes: &'a [Node],
    by_path: HashMap<&'a str, usize>,
    links: &'a HashMap<String, String>,
    db: &'a Db,
}

fn dirname(p: &str) -> &str {
    match p.rsplit_once('/') {
        Some(("", _)) | None => "/",
        Some((d, _)) => d,
    }
}

fn expand_origin(entry: &str, origin: &str) -> String {
    entry
        .replace("${ORIGIN}", origin)
        .replace("$ORIGIN", origin)
}

impl<'a> Resolver<'a> {
    /// Index a unit's ELF files and links.
    pub fn new(nodes: &'a [Node], links: &'a HashMap<String, String>, db: &'a Db) -> Self {
        let by_path = nodes
            .iter()
            .enumerate()
            .map(|(i, n)| (n.path.as_str(), i))
            .collect();
        Resolver {
            nodes,
            by_path,
            links,
            db,
        }
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

    fn search(&self, name: &str, chain: &[usize], lookups: &Cell<usize>) -> Option<usize> {
        if name.contains('/') {
            return None; // loaded relative to the process's working directory: unknowable
        }
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
        self.db.is_musl_itself(name)
            || self
                .db
                .is_gcompat_soname(crate::inspect::Arch::X86_64, name)
            || self
                .db
                .is_gcompat_soname(crate::inspect::Arch::Aarch64, name)
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
                let found = self.search(name, &chain, &lookups);
                edges.push(Edge {
                    library: name.clone(),
                    node: found,
                    requester: n,
                });
                if let Some(f) = found {
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
