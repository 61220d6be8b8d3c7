//! Closure: resolve each binary's DT_NEEDED inside its scanned unit the way musl's loader does.
//!
//! musl searches (ldso/dynlink.c `load_library`): LD_LIBRARY_PATH (never assumed here), then
//! DT_RPATH/DT_RUNPATH of the requesting object **and of its requesters up the chain**
//! (RUNPATH replaces RPATH; `$ORIGIN` is the requester's directory), then
//! `/lib:/usr/local/lib:/usr/lib` (inside the unit's root). Names musl treats as itself and the
//! names only gcompat provides are not searched. Pure: no I/O.

use std::collections::{HashMap, HashSet, VecDeque};

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

/// Default search path after the rpaths (no /etc/ld-musl-*.path on stock Alpine).
const SYSTEM_DIRS: &[&str] = &["/lib", "/usr/local/lib", "/usr/lib"];
/// Symbolic link hops followed before giving up (loops).
const MAX_LINK_HOPS: usize = 16;

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

    /// The node at `path`, following links inside the unit.
    fn lookup(&self, path: &str) -> Option<usize> {
        let mut p = crate::input::normalize(path);
        for _ in 0..MAX_LINK_HOPS {
            if let Some(&i) = self.by_path.get(p.as_str()) {
                return Some(i);
            }
            // A link anywhere along the path (e.g. /lib64 -> usr/lib64) redirects it.
            let (prefix, target) = self.link_prefix(&p)?;
            p = crate::input::normalize(&format!("{target}{}", &p[prefix..]));
        }
        None
    }

    /// The longest link that is `p` itself or a directory above it.
    fn link_prefix(&self, p: &str) -> Option<(usize, String)> {
        let mut end = p.len();
        loop {
            if let Some(t) = self.links.get(&p[..end]) {
                return Some((end, t.clone()));
            }
            end = p[..end].rfind('/').filter(|&i| i > 0)?;
        }
    }

    fn search(&self, name: &str, chain: &[usize]) -> Option<usize> {
        if name.contains('/') {
            return None; // loaded relative to the process's working directory: unknowable
        }
        for &req in chain {
            let n = &self.nodes[req];
            let paths = if n.runpath.is_empty() {
                &n.rpath
            } else {
                &n.runpath
            };
            for entry in paths.iter().filter(|e| !e.is_empty()) {
                let dir = expand_origin(entry, dirname(&n.path));
                if let Some(i) = self.lookup(&format!("{dir}/{name}")) {
                    return Some(i);
                }
            }
        }
        SYSTEM_DIRS
            .iter()
            .find_map(|d| self.lookup(&format!("{d}/{name}")))
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
        while let Some((n, chain)) = queue.pop_front() {
            for name in &self.nodes[n].needed {
                if self.is_system(name) || !seen_names.insert(name) {
                    continue;
                }
                let found = self.search(name, &chain);
                edges.push(Edge {
                    library: name.clone(),
                    node: found,
                    requester: n,
                });
                if let Some(f) = found {
                    if seen_nodes.insert(f) {
                        let mut c = vec![f];
                        c.extend(&chain);
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
