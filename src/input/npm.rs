//! npm tarballs installed together (`--one-unit`): a tarball as `npm pack` writes it holds every
//! file below `package/`, and npm installs it at `node_modules/NAME/`. Judged as one install
//! tree, the packages must be where npm puts them, or a RUNPATH such as sharp's
//! `$ORIGIN/../../sharp-libvips-linux-x64/lib` cannot reach the other package's library.
//!
//! NAME is `package/package.json`'s `name`; without one, the tarball's file name less its
//! version (`sharp-libvips-linux-x64-1.0.4.tgz` → `sharp-libvips-linux-x64`). The tarball is
//! read once: members before package.json are held (their bytes are held for analysis anyway)
//! and placed when the name is known. Only unit paths change; report names stay as archived.

use super::{Item, normalize};

/// Largest package.json read for its name.
const MAX_PACKAGE_JSON: usize = 1 << 20;

/// Where a tarball's members go, decided by its first members.
pub(crate) struct Placer {
    state: State,
    /// The name the tarball's file name gives, if a package.json gives none.
    fallback: Option<String>,
}

enum State {
    /// Every member so far is below `package/` and no package.json named the package: hold
    /// the items (with whether the tarball's own member made them, not a nested archive).
    Undecided(Vec<(Item, bool)>),
    /// Not an npm tarball, or not `--one-unit`: members pass unchanged.
    Passing,
    /// An npm tarball: `/package/...` becomes `ROOT/...`.
    Placing(String),
}

impl Placer {
    /// `active` for a top-level archive of a `--one-unit` scan; `artifact` names the tarball.
    pub(crate) fn new(active: bool, artifact: &str) -> Self {
        Placer {
            state: if active {
                State::Undecided(Vec::new())
            } else {
                State::Passing
            },
            fallback: name_from_file(artifact),
        }
    }

    /// True once members pass unchanged (the caller can skip collecting them).
    pub(crate) fn is_passing(&self) -> bool {
        matches!(self.state, State::Passing)
    }

    /// A member at unit path `path` comes next: one outside `package/` means no npm tarball.
    pub(crate) fn member(&mut self, path: &str, sink: &mut dyn FnMut(Item)) {
        if matches!(self.state, State::Undecided(_)) && !path.starts_with("/package/") {
            self.decide(None, sink);
        }
    }

    /// The items one member produced (a nested archive's start with its `Unit`: they keep their
    /// own paths).
    pub(crate) fn forward(&mut self, items: Vec<Item>, sink: &mut dyn FnMut(Item)) {
        let own = !matches!(items.first(), Some(Item::Unit { .. }));
        if own && matches!(self.state, State::Undecided(_)) {
            if let Some(name) = items.iter().find_map(package_name) {
                if let State::Undecided(held) = &mut self.state {
                    held.extend(items.into_iter().map(|i| (i, own)));
                }
                return self.decide(Some(format!("/node_modules/{name}")), sink);
            }
        }
        match &mut self.state {
            State::Undecided(held) => held.extend(items.into_iter().map(|i| (i, own))),
            State::Passing => items.into_iter().for_each(&mut *sink),
            State::Placing(root) => {
                for i in items {
                    sink(if own { place(i, root) } else { i });
                }
            }
        }
    }

    /// The end of the tarball: an npm tarball without a named package.json is placed by its
    /// file name.
    pub(crate) fn finish(&mut self, sink: &mut dyn FnMut(Item)) {
        if matches!(self.state, State::Undecided(_)) {
            let root = self.fallback.take().map(|n| format!("/node_modules/{n}"));
            self.decide(root, sink);
        }
    }

    fn decide(&mut self, root: Option<String>, sink: &mut dyn FnMut(Item)) {
        let held = match std::mem::replace(&mut self.state, State::Passing) {
            State::Undecided(h) => h,
            _ => Vec::new(),
        };
        if let Some(root) = root {
            self.state = State::Placing(root);
        }
        for (i, own) in held {
            match &self.state {
                State::Placing(root) if own => sink(place(i, root)),
                _ => sink(i),
            }
        }
    }
}

/// The package name a `/package/package.json` metadata item gives.
fn package_name(item: &Item) -> Option<String> {
    let Item::Meta { path, data, .. } = item else {
        return None;
    };
    if path != "/package/package.json" || data.len() > MAX_PACKAGE_JSON {
        return None;
    }
    let json: serde_json::Value = serde_json::from_slice(data).ok()?;
    let name = json.get("name")?.as_str()?;
    is_npm_name(name).then(|| name.to_string())
}

/// `/package/x` → `ROOT/x` in the paths an item carries into the unit.
fn place(item: Item, root: &str) -> Item {
    let to = |p: String| match p.strip_prefix("/package") {
        Some(rest) if rest.is_empty() || rest.starts_with('/') => format!("{root}{rest}"),
        _ => p,
    };
    match item {
        Item::Elf(mut src) => {
            src.unit_path = to(src.unit_path);
            Item::Elf(src)
        }
        Item::Link { unit, path, target } => Item::Link {
            unit,
            path: to(path),
            target: to(target),
        },
        Item::Meta {
            unit,
            artifact,
            path,
            data,
        } => Item::Meta {
            unit,
            artifact,
            path: to(path),
            data,
        },
        other => other,
    }
}

/// `sharp-libvips-linux-x64-1.0.4.tgz` → `sharp-libvips-linux-x64`: the name before the last
/// `-` that a digit follows (npm pack's `NAME-VERSION.tgz`).
fn name_from_file(artifact: &str) -> Option<String> {
    let file = normalize(artifact).rsplit('/').next()?.to_string();
    let stem = file
        .strip_suffix(".tgz")
        .or_else(|| file.strip_suffix(".tar.gz"))
        .or_else(|| file.strip_suffix(".tar"))?;
    let cut = stem
        .char_indices()
        .rev()
        .filter(|&(_, c)| c == '-')
        .map(|(i, _)| i)
        .find(|&i| {
            stem.get(i + 1..)
                .is_some_and(|v| v.starts_with(|d: char| d.is_ascii_digit()))
        });
    let name = cut.and_then(|i| stem.get(..i)).unwrap_or(stem);
    is_npm_name(name).then(|| name.to_string())
}

/// A name npm installs as a directory: `NAME` or `@SCOPE/NAME`, no other '/', no '.' or '..'.
fn is_npm_name(n: &str) -> bool {
    let ok = |p: &str| !p.is_empty() && p != "." && p != ".." && !p.contains('\\');
    match n.split('/').collect::<Vec<_>>().as_slice() {
        [name] => ok(name) && !name.starts_with('@'),
        [scope, name] => scope.strip_prefix('@').is_some_and(ok) && ok(name),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::{Data, Source};

    fn elf(path: &str) -> Item {
        Item::Elf(Source {
            name: format!("p.tgz!{path}"),
            artifact: "p.tgz".into(),
            unit: 0,
            unit_path: path.into(),
            data: Data::Bytes(Vec::new()),
            image: None,
        })
    }

    /// The unit paths of the items the sink got, in order.
    fn paths(items: &[Item]) -> Vec<String> {
        items
            .iter()
            .map(|i| match i {
                Item::Elf(s) => s.unit_path.clone(),
                Item::Link { path, target, .. } => format!("{path} -> {target}"),
                Item::Meta { path, .. } => path.clone(),
                Item::Unit { name, .. } => format!("unit {name}"),
                _ => "other".into(),
            })
            .collect()
    }

    #[test]
    fn members_are_held_until_package_json_names_the_package() {
        let mut out = Vec::new();
        let mut sink = |i| out.push(i);
        let mut p = Placer::new(true, "dir/p-1.0.0.tgz");
        p.member("/package/lib/a.node", &mut sink);
        p.forward(vec![elf("/package/lib/a.node")], &mut sink);
        // A nested archive's items keep the paths inside it.
        p.member("/package/vendor/inner.tgz", &mut sink);
        p.forward(
            vec![
                Item::Unit {
                    id: 0,
                    name: "inner".into(),
                },
                elf("/package/x.so"),
            ],
            &mut sink,
        );
        assert!(!p.is_passing());
        p.member("/package/package.json", &mut sink);
        p.forward(
            vec![Item::Meta {
                unit: 0,
                artifact: "p.tgz".into(),
                path: "/package/package.json".into(),
                data: br#"{"name": "@s/p"}"#.to_vec(),
            }],
            &mut sink,
        );
        p.forward(
            vec![Item::Link {
                unit: 0,
                path: "/package/lib/b.so".into(),
                target: "/package/lib/a.node".into(),
            }],
            &mut sink,
        );
        p.finish(&mut sink);
        assert_eq!(
            paths(&out),
            vec![
                "/node_modules/@s/p/lib/a.node",
                "unit inner",
                "/package/x.so",
                "/node_modules/@s/p/package.json",
                "/node_modules/@s/p/lib/b.so -> /node_modules/@s/p/lib/a.node",
            ]
        );
    }

    #[test]
    fn other_archives_pass_and_a_nameless_tarball_takes_its_file_name() {
        let mut out = Vec::new();
        let mut sink = |i| out.push(i);
        let mut p = Placer::new(true, "x.tar");
        p.member("/package/a", &mut sink);
        p.forward(vec![elf("/package/a")], &mut sink);
        p.member("/usr/bin/b", &mut sink);
        assert!(p.is_passing());
        p.forward(vec![elf("/usr/bin/b")], &mut sink);
        p.finish(&mut sink);
        assert_eq!(paths(&out), vec!["/package/a", "/usr/bin/b"]);

        let mut out = Vec::new();
        let mut sink = |i| out.push(i);
        let mut p = Placer::new(true, "/d/foo-2.0.1-beta.tgz");
        p.member("/package/lib/f.so", &mut sink);
        p.forward(vec![elf("/package/lib/f.so")], &mut sink);
        p.finish(&mut sink);
        assert_eq!(paths(&out), vec!["/node_modules/foo/lib/f.so"]);

        // Not --one-unit: nothing held, nothing placed.
        let mut out = Vec::new();
        let mut sink = |i| out.push(i);
        let mut p = Placer::new(false, "/d/foo-2.0.1.tgz");
        assert!(p.is_passing());
        p.forward(vec![elf("/package/lib/f.so")], &mut sink);
        p.finish(&mut sink);
        assert_eq!(paths(&out), vec!["/package/lib/f.so"]);
    }

    #[test]
    fn names_from_files_and_what_npm_accepts() {
        assert_eq!(
            name_from_file("/x/sharp-libvips-linux-x64-1.0.4.tgz").as_deref(),
            Some("sharp-libvips-linux-x64")
        );
        assert_eq!(name_from_file("lodash.tgz").as_deref(), Some("lodash"));
        assert_eq!(name_from_file("a.zip"), None);
        assert!(is_npm_name("@img/sharp-linux-x64"));
        assert!(!is_npm_name("../etc"));
        assert!(!is_npm_name("@/x"));
        assert!(!is_npm_name("a/b/c"));
    }
}
