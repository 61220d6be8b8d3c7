//! The glibc floor (#6): the oldest glibc that can run a glibc-built file, and the imports that set
//! it (what auditwheel calls the platform tag). glibc's loader refuses to start a file whose
//! DT_VERNEED asks for a version node its libraries do not define; musl ignores versions entirely
//! (docs/loader.md §3), so this answers "which glibc hosts can run it", not "does it run on Alpine".

use serde::Serialize;

use crate::inspect::{Facts, is_glibc_library};

/// `GLIBC_ABI_DT_RELR` is a marker version node that glibc 2.36 introduced with DT_RELR support.
const DT_RELR_MARKER: &str = "GLIBC_ABI_DT_RELR";

/// The oldest glibc that provides every version node a file asks for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct GlibcFloor {
    /// glibc version, e.g. `2.34`.
    pub version: String,
    /// The imports (`name@GLIBC_2.34`) or version nodes that require it.
    pub set_by: Vec<String>,
}

/// Parse `GLIBC_2.34` / `GLIBC_2.2.5` into comparable numbers; marker nodes map to their release.
fn glibc_version(node: &str) -> Option<Vec<u32>> {
    if node == DT_RELR_MARKER {
        return Some(vec![2, 36]);
    }
    let rest = node.strip_prefix("GLIBC_")?;
    let parts: Option<Vec<u32>> = rest.split('.').map(|p| p.parse().ok()).collect();
    parts.filter(|p| p.len() >= 2)
}

fn display(v: &[u32]) -> String {
    v.iter().map(u32::to_string).collect::<Vec<_>>().join(".")
}

/// The glibc floor of `facts`, or `None` when the file asks for no glibc version at all.
pub fn glibc_floor(facts: &Facts) -> Option<GlibcFloor> {
    let nodes = facts
        .version_needs
        .iter()
        .filter(|(lib, _)| is_glibc_library(lib))
        .flat_map(|(_, vs)| vs.iter())
        .filter_map(|v| glibc_version(v).map(|n| (n, v)));
    let (max, _) = nodes.clone().max_by(|a, b| a.0.cmp(&b.0))?;
    let mut set_by: Vec<String> = facts
        .imports
        .iter()
        .filter(|i| i.library.as_deref().is_some_and(is_glibc_library))
        .filter(|i| i.version.as_deref().and_then(glibc_version).as_ref() == Some(&max))
        .map(|i| i.display())
        .collect();
    // A version node no import uses (GLIBC_ABI_DT_RELR) is itself the reason.
    for (n, node) in nodes {
        if n == max && !set_by.iter().any(|s| s.ends_with(&format!("@{node}"))) {
            set_by.push(node.clone());
        }
    }
    set_by.sort();
    set_by.dedup();
    Some(GlibcFloor {
        version: display(&max),
        set_by,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_compare_numerically() {
        assert!(glibc_version("GLIBC_2.34") > glibc_version("GLIBC_2.4"));
        assert!(glibc_version("GLIBC_2.2.5") < glibc_version("GLIBC_2.3"));
        assert_eq!(glibc_version(DT_RELR_MARKER), Some(vec![2, 36]));
        assert_eq!(glibc_version("GLIBC_PRIVATE"), None);
        assert_eq!(glibc_version("GLIBCXX_3.4"), None);
        assert_eq!(glibc_version("XCRYPT_2.0"), None);
    }
}
