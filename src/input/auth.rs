//! Registry credentials, where `docker login` and `podman login` keep them: `auths` entries
//! (base64 `user:password`), `credHelpers` per host and a default `credsStore`, both run as
//! `docker-credential-NAME get` (the protocol of docker/docker-credential-helpers:
//! the host on standard input, `{"Username": …, "Secret": …}` on standard output).
//!
//! Files read, first match wins: `$REGISTRY_AUTH_FILE`, `$XDG_RUNTIME_DIR/containers/auth.json`
//! (podman), `$DOCKER_CONFIG/config.json` or `~/.docker/config.json`.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};

use base64::Engine as _;
use serde_json::Value;

/// A user name and a password (or token) for HTTP basic auth and token requests.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Credentials {
    pub user: String,
    pub secret: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Credentials({}, <secret>)", self.user)
    }
}

impl Credentials {
    /// The `Authorization: Basic …` value.
    pub fn basic(&self) -> String {
        let raw = format!("{}:{}", self.user, self.secret);
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(raw)
        )
    }
}

/// The files that may hold credentials, in the order they are asked.
fn auth_files() -> Vec<PathBuf> {
    let env = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty());
    let mut files = Vec::new();
    files.extend(env("REGISTRY_AUTH_FILE").map(PathBuf::from));
    files.extend(env("XDG_RUNTIME_DIR").map(|d| PathBuf::from(d).join("containers/auth.json")));
    match env("DOCKER_CONFIG") {
        Some(d) => files.push(PathBuf::from(d).join("config.json")),
        None => files.extend(env("HOME").map(|h| PathBuf::from(h).join(".docker/config.json"))),
    }
    files
}

/// Most bytes of an auth file or a helper's answer read.
const MAX_AUTH_BYTES: u64 = 4 << 20;

/// Credentials for `host` (`docker.io` is also found under Docker's historical key), or None.
pub(crate) fn lookup(host: &str) -> Result<Option<Credentials>, String> {
    for file in auth_files() {
        let Ok(f) = std::fs::File::open(&file) else {
            continue;
        };
        let mut text = Vec::new();
        f.take(MAX_AUTH_BYTES)
            .read_to_end(&mut text)
            .map_err(|e| format!("{}: {e}", file.display()))?;
        let doc: Value = serde_json::from_slice(&text)
            .map_err(|e| format!("{}: not JSON: {e}", file.display()))?;
        if let Some(found) = from_doc(&doc, host)? {
            return Ok(Some(found));
        }
    }
    Ok(None)
}

/// The keys an entry for `host` may be filed under.
fn keys(host: &str) -> Vec<String> {
    let mut k = vec![
        host.to_string(),
        format!("https://{host}"),
        format!("http://{host}"),
        format!("https://{host}/v2/"),
        format!("https://{host}/v1/"),
    ];
    if host == super::scheme::DOCKER_HUB {
        k.push("https://index.docker.io/v1/".into());
        k.push("index.docker.io".into());
        k.push("registry-1.docker.io".into());
    }
    k
}

fn from_doc(doc: &Value, host: &str) -> Result<Option<Credentials>, String> {
    let keys = keys(host);
    if let Some(helper) = keys
        .iter()
        .find_map(|k| doc.pointer(&format!("/credHelpers/{}", escape(k))))
        .and_then(Value::as_str)
    {
        return helper_get(helper, host);
    }
    for k in &keys {
        let Some(entry) = doc.get("auths").and_then(|a| a.get(k)) else {
            continue;
        };
        if let Some(b64) = entry
            .get("auth")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
        {
            let raw = base64::engine::general_purpose::STANDARD
                .decode(b64.trim())
                .map_err(|e| format!("auth entry for {k}: bad base64: {e}"))?;
            let raw = String::from_utf8_lossy(&raw);
            let (user, secret) = raw
                .split_once(':')
                .ok_or_else(|| format!("auth entry for {k} is not user:password"))?;
            return Ok(Some(Credentials {
                user: user.into(),
                secret: secret.into(),
            }));
        }
        if let (Some(u), Some(p)) = (
            entry.get("username").and_then(Value::as_str),
            entry.get("password").and_then(Value::as_str),
        ) {
            return Ok(Some(Credentials {
                user: u.into(),
                secret: p.into(),
            }));
        }
    }
    match doc.get("credsStore").and_then(Value::as_str) {
        Some(store) if !store.is_empty() => helper_get(store, host),
        _ => Ok(None),
    }
}

/// JSON pointer escaping (`~` and `/` in keys).
fn escape(k: &str) -> String {
    k.replace('~', "~0").replace('/', "~1")
}

/// Ask `docker-credential-NAME get` for `host`; "not found" is no credentials.
fn helper_get(name: &str, host: &str) -> Result<Option<Credentials>, String> {
    if name.contains('/') {
        return Err(format!("credential helper name '{name}' contains '/'"));
    }
    let program = format!("docker-credential-{name}");
    let mut child = Command::new(&program)
        .arg("get")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("credential helper {program}: {e}"))?;
    if let Some(mut stdin) = child.stdin.take() {
        // A helper that exits without reading closes the pipe: its answer says why.
        let _ = stdin.write_all(host.as_bytes());
    }
    let mut out = Vec::new();
    if let Some(stdout) = child.stdout.take() {
        stdout
            .take(MAX_AUTH_BYTES)
            .read_to_end(&mut out)
            .map_err(|e| format!("credential helper {program}: {e}"))?;
    }
    let status = child
        .wait()
        .map_err(|e| format!("credential helper {program}: {e}"))?;
    if !status.success() {
        let said = String::from_utf8_lossy(&out);
        if said.contains("credentials not found") {
            return Ok(None);
        }
        return Err(format!(
            "credential helper {program} failed ({status}): {}",
            said.trim()
        ));
    }
    let v: Value = serde_json::from_slice(&out)
        .map_err(|e| format!("credential helper {program}: bad answer: {e}"))?;
    match (
        v.get("Username").and_then(Value::as_str),
        v.get("Secret").and_then(Value::as_str),
    ) {
        (Some(u), Some(s)) => Ok(Some(Credentials {
            user: u.into(),
            secret: s.into(),
        })),
        _ => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auths_entries_in_docker_and_podman_forms() {
        let doc = serde_json::json!({"auths": {
            "127.0.0.1:5000": {"auth": "dXNlcjpwYTpzcw=="},
            "https://index.docker.io/v1/": {"username": "hub", "password": "pw"}
        }});
        assert_eq!(
            from_doc(&doc, "127.0.0.1:5000").unwrap(),
            Some(Credentials {
                user: "user".into(),
                secret: "pa:ss".into()
            })
        );
        assert_eq!(from_doc(&doc, "docker.io").unwrap().unwrap().user, "hub");
        assert_eq!(from_doc(&doc, "other:1").unwrap(), None);
        let bad = serde_json::json!({"auths": {"h": {"auth": "!!"}}});
        assert!(from_doc(&bad, "h").is_err());
        assert_eq!(
            Credentials {
                user: "a".into(),
                secret: "b".into()
            }
            .basic(),
            "Basic YTpi"
        );
    }

    #[test]
    fn a_missing_helper_is_a_clear_error() {
        let doc = serde_json::json!({"credHelpers": {"h": "muslcheck-test-none"}});
        let e = from_doc(&doc, "h").unwrap_err();
        assert!(e.contains("docker-credential-muslcheck-test-none"), "{e}");
    }
}
