//! What an input argument names: a path (the default), or `SCHEME:WHAT` for images that live in
//! a registry or a local engine, and for paths whose kind the user states (docs/inputs.md).
//!
//! The image-reference grammar is the one of the distribution project's `reference` package
//! (`reference/regexp.go`, `normalize.go`): `[DOMAIN/]PATH[:TAG][@DIGEST]`, where the first
//! component is a domain only when it has a `.` or a `:` or is `localhost`; Docker Hub names
//! get `docker.io/` and one-component names `library/`.

use std::fmt;
use std::path::PathBuf;

/// Docker Hub, as it is written in references, and the host its API answers on.
pub const DOCKER_HUB: &str = "docker.io";
const DOCKER_HUB_API: &str = "registry-1.docker.io";

/// An image reference: `registry/repository:tag` or `…@sha256:…`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reference {
    /// Registry host, with port (`docker.io`, `127.0.0.1:5000`).
    pub registry: String,
    /// Repository path (`library/alpine`).
    pub repository: String,
    /// Tag (`latest` when neither tag nor digest is given).
    pub tag: Option<String>,
    /// Manifest digest (`sha256:…`).
    pub digest: Option<String>,
}

impl Reference {
    /// Parse `[DOMAIN/]PATH[:TAG][@DIGEST]`.
    pub fn parse(s: &str) -> Result<Reference, String> {
        let bad = |why: &str| format!("'{s}' is not an image reference: {why}");
        if s.is_empty() || s.len() > 4096 {
            return Err(bad("empty or too long"));
        }
        let (rest, digest) = match s.split_once('@') {
            Some((r, d)) => {
                let (alg, hex) = d
                    .split_once(':')
                    .ok_or_else(|| bad("a digest is ALGORITHM:HEX"))?;
                let hex_ok = hex.len() >= 32 && hex.bytes().all(|b| b.is_ascii_hexdigit());
                let alg_ok = !alg.is_empty()
                    && alg.bytes().all(|b| {
                        b.is_ascii_lowercase() || b.is_ascii_digit() || b"+._-".contains(&b)
                    });
                if !hex_ok || !alg_ok {
                    return Err(bad("bad digest"));
                }
                (r, Some(d.to_string()))
            }
            None => (s, None),
        };
        // A tag is after the last ':' that follows the last '/' (a ':' before it is a port).
        let last_slash = rest.rfind('/').map_or(0, |i| i + 1);
        let (name, tag) = match rest.get(last_slash..).and_then(|t| t.rfind(':')) {
            Some(i) => {
                let at = last_slash + i;
                (
                    rest.get(..at).unwrap_or_default(),
                    Some(rest.get(at + 1..).unwrap_or_default().to_string()),
                )
            }
            None => (rest, None),
        };
        if let Some(t) = &tag {
            let ok = !t.is_empty()
                && t.len() <= 128
                && !t.starts_with(['.', '-'])
                && t.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b));
            if !ok {
                return Err(bad("bad tag"));
            }
        }
        let (registry, path) = match name.split_once('/') {
            Some((first, path)) if is_domain(first) => {
                if !is_valid_host(first) {
                    return Err(bad("bad registry host"));
                }
                (first.to_string(), path.to_string())
            }
            _ => (DOCKER_HUB.to_string(), name.to_string()),
        };
        if path.is_empty() {
            return Err(bad("no repository"));
        }
        for component in path.split('/') {
            if !is_path_component(component) {
                return Err(bad(
                    "repository names are lowercase letters, digits and . _ - between them",
                ));
            }
        }
        let repository = if registry == DOCKER_HUB && !path.contains('/') {
            format!("library/{path}")
        } else {
            path
        };
        let tag = match (tag, &digest) {
            (None, None) => Some("latest".to_string()),
            (t, _) => t,
        };
        Ok(Reference {
            registry,
            repository,
            tag,
            digest,
        })
    }

    /// The host (and port) the registry's API answers on.
    pub fn api_host(&self) -> &str {
        if self.registry == DOCKER_HUB {
            DOCKER_HUB_API
        } else {
            &self.registry
        }
    }

    /// What to ask the registry for: the digest when there is one, else the tag.
    pub fn manifest_ref(&self) -> &str {
        self.digest
            .as_deref()
            .or(self.tag.as_deref())
            .unwrap_or("latest")
    }
}

impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.registry, self.repository)?;
        if let Some(t) = &self.tag {
            write!(f, ":{t}")?;
        }
        if let Some(d) = &self.digest {
            write!(f, "@{d}")?;
        }
        Ok(())
    }
}

fn is_domain(first: &str) -> bool {
    first.contains(['.', ':'])
        || first == "localhost"
        || first.bytes().any(|b| b.is_ascii_uppercase())
}

/// `HOST[:PORT]`: DNS labels of letters, digits and `-` joined by `.`, or `[IPv6]`.
fn is_valid_host(h: &str) -> bool {
    let (host, port) = match h.rsplit_once(':') {
        Some((host, port)) if !host.ends_with(':') => (host, Some(port)),
        _ => (h, None),
    };
    let port_ok =
        port.is_none_or(|p| !p.is_empty() && p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit()));
    let host_ok = if let Some(v6) = host.strip_prefix('[').and_then(|x| x.strip_suffix(']')) {
        !v6.is_empty() && v6.bytes().all(|b| b.is_ascii_hexdigit() || b == b':')
    } else {
        !host.is_empty()
            && host.split('.').all(|l| {
                !l.is_empty()
                    && !l.starts_with('-')
                    && !l.ends_with('-')
                    && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            })
    };
    port_ok && host_ok
}

fn is_path_component(c: &str) -> bool {
    let b = c.as_bytes();
    let alnum = |x: &u8| x.is_ascii_lowercase() || x.is_ascii_digit();
    !b.is_empty()
        && b.first().is_some_and(alnum)
        && b.last().is_some_and(alnum)
        && b.iter().all(|x| alnum(x) || b"._-".contains(x))
}

/// A local container engine reached through its API socket (or its CLI).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Engine {
    /// Docker (`DOCKER_HOST`, `/var/run/docker.sock`, `docker save`).
    Docker,
    /// Podman (`CONTAINER_HOST`, `/run/podman/podman.sock`, `podman save`).
    Podman,
}

impl Engine {
    /// Its command and scheme name.
    pub fn name(self) -> &'static str {
        match self {
            Engine::Docker => "docker",
            Engine::Podman => "podman",
        }
    }
}

/// One input, as the user named it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Input {
    /// A bare argument: a file, directory, archive, OCI layout or image tarball, by content.
    Path(PathBuf),
    /// `file:PATH`: a file (ELF, archive or image tarball), whatever its name looks like.
    File(PathBuf),
    /// `dir:DIR`: a directory tree, walked as files (even when it is an OCI layout).
    Dir(PathBuf),
    /// `oci-dir:DIR`: an OCI image layout directory.
    OciDir(PathBuf),
    /// `oci-archive:FILE`: a tarball of an OCI image layout.
    OciArchive(PathBuf),
    /// `docker-archive:FILE`: a `docker save` tarball.
    DockerArchive(PathBuf),
    /// `registry:REF`: an image pulled from a registry (OCI distribution API v2).
    Registry(Reference),
    /// `docker:REF` / `podman:REF`: an image in a local engine's store.
    Daemon(Engine, String),
}

/// The schemes, as `--help` and errors list them.
pub const SCHEMES: &str = "registry:REF, docker:REF, podman:REF, oci-archive:FILE, oci-dir:DIR, \
docker-archive:FILE, dir:DIR, file:PATH";

impl Input {
    /// Parse one argument. A known `SCHEME:` prefix wins; anything else is a path.
    pub fn parse(arg: &str) -> Result<Input, String> {
        let Some((scheme, rest)) = arg.split_once(':') else {
            return Ok(Input::Path(PathBuf::from(arg)));
        };
        let path = || {
            if rest.is_empty() {
                Err(format!("'{arg}': nothing after '{scheme}:'"))
            } else {
                Ok(PathBuf::from(rest))
            }
        };
        Ok(match scheme {
            "file" => Input::File(path()?),
            "dir" => Input::Dir(path()?),
            "oci-dir" => Input::OciDir(path()?),
            "oci-archive" => Input::OciArchive(path()?),
            "docker-archive" => Input::DockerArchive(path()?),
            "registry" => Input::Registry(Reference::parse(rest)?),
            "docker" | "podman" => {
                // The engine resolves short names itself; the reference must still be one.
                Reference::parse(rest)?;
                let engine = if scheme == "docker" {
                    Engine::Docker
                } else {
                    Engine::Podman
                };
                Input::Daemon(engine, rest.to_string())
            }
            _ => Input::Path(PathBuf::from(arg)),
        })
    }
}

/// For a bare argument that names no file: if it reads as an image reference, the schemes
/// that would fetch it (for the usage error).
pub fn image_hint(arg: &str) -> Option<String> {
    Reference::parse(arg).ok()?;
    // Only what cannot be a plain relative path: a tag, a digest or a registry host.
    let explicit_host = arg
        .split_once('/')
        .is_some_and(|(first, _)| is_domain(first));
    if !(arg.contains([':', '@']) || explicit_host) {
        return None;
    }
    Some(format!(
        "'{arg}' is not a file or directory; it reads as an image reference: scan \
         registry:{arg} (pull from its registry), docker:{arg} or podman:{arg} (the local \
         engine's store); file:{arg} forces a path"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(s: &str) -> Reference {
        Reference::parse(s).unwrap()
    }

    #[test]
    fn references_normalise_like_docker() {
        let a = r("alpine:3.20");
        assert_eq!(
            (a.registry.as_str(), a.repository.as_str(), a.tag.as_deref()),
            ("docker.io", "library/alpine", Some("3.20"))
        );
        assert_eq!(a.api_host(), "registry-1.docker.io");
        let l = r("127.0.0.1:5000/team/app:1");
        assert_eq!(
            (l.registry.as_str(), l.repository.as_str(), l.tag.as_deref()),
            ("127.0.0.1:5000", "team/app", Some("1"))
        );
        let h = r("localhost/app");
        assert_eq!(
            (h.registry.as_str(), h.tag.as_deref()),
            ("localhost", Some("latest"))
        );
        let d = r(
            "ghcr.io/o/app@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        );
        assert_eq!(d.tag, None);
        assert!(d.manifest_ref().starts_with("sha256:"));
        assert_eq!(r("user/app").repository, "user/app");
        // An upper-case first component is a host (as in Docker); in the path it is an error.
        assert_eq!(r("Host/x:1").registry, "Host");
        for bad in [
            "",
            "o/UPPER:1",
            "./x:1",
            "a..b/x",
            "app:",
            "app:-x",
            "a//b",
            "x@sha256:zz",
            "/abs",
        ] {
            assert!(Reference::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn schemes_and_bare_paths() {
        assert_eq!(
            Input::parse("registry:alpine").unwrap(),
            Input::Registry(r("alpine"))
        );
        assert_eq!(
            Input::parse("docker:alpine:3.20").unwrap(),
            Input::Daemon(Engine::Docker, "alpine:3.20".into())
        );
        assert_eq!(
            Input::parse("oci-dir:img").unwrap(),
            Input::OciDir("img".into())
        );
        assert_eq!(
            Input::parse("file:docker:x").unwrap(),
            Input::File("docker:x".into())
        );
        // Unknown prefixes and plain names stay paths.
        assert_eq!(Input::parse("C:x").unwrap(), Input::Path("C:x".into()));
        assert_eq!(
            Input::parse("dist/app").unwrap(),
            Input::Path("dist/app".into())
        );
        assert!(Input::parse("registry:").is_err());
        assert!(Input::parse("dir:").is_err());
    }

    #[test]
    fn hints_only_for_what_cannot_be_a_plain_path() {
        assert!(
            image_hint("alpine:3.20")
                .unwrap()
                .contains("registry:alpine:3.20")
        );
        assert!(image_hint("ghcr.io/o/app").is_some());
        assert!(image_hint("missing-file").is_none());
        assert!(image_hint("dist/app").is_none());
        assert!(image_hint("./x:1").is_none());
    }
}
