//! `registry:REF`: images pulled over the OCI distribution API v2 (the distribution spec's
//! "pull" workflow: `GET /v2/NAME/manifests/REF`, `GET /v2/NAME/blobs/DIGEST`).
//!
//! Authentication follows the registry's `WWW-Authenticate` challenge: `Bearer` (the token
//! service of docker/distribution's `token` auth: `GET realm?service=…&scope=repository:NAME:pull`,
//! anonymous or with basic credentials) or `Basic`. Credentials come from [`super::auth`].
//! TLS is rustls with the platform's roots (`SSL_CERT_FILE` is honoured), or exactly the
//! certificates of `--registry-ca`; `--insecure-registry HOST` allows plain HTTP or an
//! unverified certificate for that host only. Proxies come from `HTTPS_PROXY`/`HTTP_PROXY`/
//! `ALL_PROXY` and `NO_PROXY`.
//!
//! Every manifest and blob is checked against its digest before it is used, and every blob of
//! an image is fetched (in parallel) before any of its files is judged: a mismatch or a cut
//! connection is an error record for the image, never a verdict about part of it. Blobs stay in
//! memory — nothing is written to disk — and are shared by digest across the images of a run.

use std::cell::RefCell;
use std::collections::HashMap;
use std::io::{self, Read};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use serde_json::Value;
use sha2::Digest;

use super::auth::{self, Credentials};
use super::image::{self, Remote};
use super::scheme::Reference;
use super::{Item, Options, Units, problem};

/// Most bytes of a manifest or index.
const MAX_MANIFEST: u64 = 16 << 20;
/// Blobs kept for later images of the run, in bytes; past it, blobs are dropped after use.
const CACHE_BYTES: u64 = 1 << 30;
/// Blobs fetched at once for one image.
const PARALLEL_FETCHES: usize = 4;
/// Most bytes of one image's layers decompressed ahead by the fetching threads (in parallel),
/// so that the image reader decompresses nothing; past it, layers are decompressed as read.
const INFLATE_AHEAD_BYTES: u64 = 512 << 20;

const MANIFEST_TYPES: &str = "application/vnd.oci.image.index.v1+json, \
application/vnd.docker.distribution.manifest.list.v2+json, \
application/vnd.oci.image.manifest.v1+json, \
application/vnd.docker.distribution.manifest.v2+json";

type Shared<T> = Arc<OnceLock<Result<T, String>>>;
/// A blob's digest and what fetching it gave.
type Fetched = (String, io::Result<Arc<[u8]>>);

/// Registry settings and what a run shares between pulls: connections, tokens, blobs.
pub struct Network {
    /// Hosts (`HOST[:PORT]`) that may answer over plain HTTP or with an unverified certificate.
    pub insecure: Vec<String>,
    /// PEM certificates to trust instead of the platform's roots.
    pub ca_file: Option<PathBuf>,
    /// Longest wait for a connection or for any read.
    pub timeout: Duration,
    verified: OnceLock<Result<ureq::Agent, String>>,
    unverified: OnceLock<ureq::Agent>,
    schemes: Mutex<HashMap<String, &'static str>>,
    tokens: Mutex<HashMap<String, String>>,
    creds: Mutex<HashMap<String, Result<Option<Credentials>, String>>>,
    blobs: Mutex<HashMap<String, Shared<Arc<[u8]>>>>,
    cached: AtomicU64,
}

impl std::fmt::Debug for Network {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Network")
            .field("insecure", &self.insecure)
            .field("ca_file", &self.ca_file)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl Default for Network {
    fn default() -> Self {
        Network::new(Vec::new(), None, Duration::from_secs(60))
    }
}

impl Network {
    /// Settings for a run.
    pub fn new(insecure: Vec<String>, ca_file: Option<PathBuf>, timeout: Duration) -> Network {
        Network {
            insecure,
            ca_file,
            timeout,
            verified: OnceLock::new(),
            unverified: OnceLock::new(),
            schemes: Mutex::default(),
            tokens: Mutex::default(),
            creds: Mutex::default(),
            blobs: Mutex::default(),
            cached: AtomicU64::new(0),
        }
    }

    fn config(&self, roots: ureq::tls::RootCerts, verify: bool) -> ureq::Agent {
        let tls = ureq::tls::TlsConfig::builder()
            .root_certs(roots)
            .disable_verification(!verify)
            .build();
        ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_connect(Some(self.timeout))
            .timeout_per_read(Some(self.timeout))
            .timeout_recv_response(Some(self.timeout))
            .user_agent(concat!("muslcheck/", env!("CARGO_PKG_VERSION")))
            .tls_config(tls)
            .build()
            .into()
    }

    fn agent(&self, host: &str) -> io::Result<&ureq::Agent> {
        if self.is_insecure(host) {
            return Ok(self
                .unverified
                .get_or_init(|| self.config(ureq::tls::RootCerts::WebPki, false)));
        }
        let agent = self.verified.get_or_init(|| {
            let roots = match &self.ca_file {
                None => ureq::tls::RootCerts::PlatformVerifier,
                Some(f) => {
                    let pem = std::fs::read(f)
                        .map_err(|e| format!("--registry-ca {}: {e}", f.display()))?;
                    let certs: Vec<_> = ureq::tls::parse_pem(&pem)
                        .filter_map(|i| match i {
                            Ok(ureq::tls::PemItem::Certificate(c)) => Some(c),
                            _ => None,
                        })
                        .collect();
                    if certs.is_empty() {
                        return Err(format!(
                            "--registry-ca {}: no PEM certificate in it",
                            f.display()
                        ));
                    }
                    ureq::tls::RootCerts::new_with_certs(&certs)
                }
            };
            Ok(self.config(roots, true))
        });
        agent.as_ref().map_err(|e| io::Error::other(e.clone()))
    }

    fn is_insecure(&self, host: &str) -> bool {
        self.insecure.iter().any(|h| h == host)
    }

    /// `https`, or for an insecure host that does not speak TLS, `http` (found out once).
    fn scheme(&self, host: &str) -> io::Result<&'static str> {
        if !self.is_insecure(host) {
            return Ok("https");
        }
        if let Some(s) = self.schemes.lock().ok().and_then(|m| m.get(host).copied()) {
            return Ok(s);
        }
        let probe = self.agent(host)?.get(format!("https://{host}/v2/")).call();
        let s = if probe.is_ok() { "https" } else { "http" };
        if let Ok(mut m) = self.schemes.lock() {
            m.insert(host.to_string(), s);
        }
        Ok(s)
    }

    fn credentials(&self, registry: &str) -> io::Result<Option<Credentials>> {
        let mut m = self
            .creds
            .lock()
            .map_err(|_| io::Error::other("credential cache poisoned"))?;
        m.entry(registry.to_string())
            .or_insert_with(|| auth::lookup(registry))
            .clone()
            .map_err(io::Error::other)
    }

    /// GET `path` on the reference's registry, answering an authentication challenge once.
    fn get(
        &self,
        r: &Reference,
        path: &str,
        accept: Option<&str>,
    ) -> io::Result<ureq::http::Response<ureq::Body>> {
        let host = r.api_host();
        let url = format!("{}://{host}{path}", self.scheme(host)?);
        let key = format!("{host}/{}", r.repository);
        let agent = self.agent(host)?;
        let send = |authz: Option<&str>| {
            let mut req = agent.get(&url);
            if let Some(a) = accept {
                req = req.header("Accept", a);
            }
            if let Some(a) = authz {
                req = req.header("Authorization", a);
            }
            req.call()
                .map_err(|e| transport_error(host, &url, &e, self.is_insecure(host)))
        };
        let cached = self.tokens.lock().ok().and_then(|t| t.get(&key).cloned());
        let resp = send(cached.as_deref())?;
        if resp.status().as_u16() != 401 {
            return status_ok(resp, &url);
        }
        let challenge = resp
            .headers()
            .get("www-authenticate")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        let creds = self.credentials(&r.registry)?;
        let authz = self.answer(&challenge, r, creds.as_ref(), agent)?;
        if let Ok(mut t) = self.tokens.lock() {
            t.insert(key, authz.clone());
        }
        let resp = send(Some(&authz))?;
        if matches!(resp.status().as_u16(), 401 | 403) {
            return Err(io::Error::other(match creds {
                Some(c) => format!(
                    "{url}: access denied ({}) for user '{}': check the credentials (docker login {})",
                    resp.status(),
                    c.user,
                    r.registry
                ),
                None => format!(
                    "{url}: access denied ({}): the repository needs credentials (docker login {}, or REGISTRY_AUTH_FILE)",
                    resp.status(),
                    r.registry
                ),
            }));
        }
        status_ok(resp, &url)
    }

    /// The `Authorization` value that answers a challenge.
    fn answer(
        &self,
        challenge: &str,
        r: &Reference,
        creds: Option<&Credentials>,
        agent: &ureq::Agent,
    ) -> io::Result<String> {
        let (kind, params) = parse_challenge(challenge);
        let login = || format!("docker login {}, or REGISTRY_AUTH_FILE", r.registry);
        match kind.to_ascii_lowercase().as_str() {
            "basic" => creds.map(Credentials::basic).ok_or_else(|| {
                io::Error::other(format!(
                    "{}: the registry asks for credentials and none are configured ({})",
                    r.registry,
                    login()
                ))
            }),
            "bearer" => {
                let realm = params.get("realm").ok_or_else(|| {
                    io::Error::other(format!("{}: Bearer challenge without realm", r.registry))
                })?;
                let scope = params
                    .get("scope")
                    .cloned()
                    .unwrap_or_else(|| format!("repository:{}:pull", r.repository));
                let mut req = agent.get(realm.as_str()).query("scope", &scope);
                if let Some(s) = params.get("service") {
                    req = req.query("service", s);
                }
                if let Some(c) = creds {
                    req = req.header("Authorization", &c.basic());
                }
                let mut resp = req
                    .call()
                    .map_err(|e| transport_error(&r.registry, realm, &e, false))?;
                if matches!(resp.status().as_u16(), 401 | 403) {
                    return Err(io::Error::other(format!(
                        "{}: the token service refused the credentials ({}) ({})",
                        r.registry,
                        resp.status(),
                        login()
                    )));
                }
                if !resp.status().is_success() {
                    return Err(io::Error::other(format!(
                        "{realm}: token request failed: {}",
                        resp.status()
                    )));
                }
                let text = resp
                    .body_mut()
                    .with_config()
                    .limit(MAX_MANIFEST)
                    .read_to_vec()
                    .map_err(|e| io::Error::other(format!("{realm}: {e}")))?;
                let doc: Value = serde_json::from_slice(&text)
                    .map_err(|e| io::Error::other(format!("{realm}: bad token answer: {e}")))?;
                let token = doc
                    .get("token")
                    .or_else(|| doc.get("access_token"))
                    .and_then(Value::as_str)
                    .ok_or_else(|| io::Error::other(format!("{realm}: no token in the answer")))?;
                Ok(format!("Bearer {token}"))
            }
            _ => Err(io::Error::other(format!(
                "{}: unsupported authentication challenge '{challenge}'",
                r.registry
            ))),
        }
    }

    /// A manifest by tag or digest: its parsed form and its digest (checked when asked by digest).
    fn manifest(&self, r: &Reference, reference: &str) -> io::Result<(Value, String)> {
        let path = format!("/v2/{}/manifests/{reference}", r.repository);
        let resp = self.get(r, &path, Some(MANIFEST_TYPES))?;
        let mut body = Vec::new();
        resp.into_body()
            .into_with_config()
            .limit(MAX_MANIFEST)
            .reader()
            .read_to_end(&mut body)
            .map_err(|e| io::Error::other(format!("{}{path}: {e}", r.registry)))?;
        let digest = if reference.contains(':') {
            verify(reference, &body)?;
            reference.to_string()
        } else {
            format!("sha256:{}", crate::hex(&sha2::Sha256::digest(&body)))
        };
        let doc: Value = serde_json::from_slice(&body)
            .map_err(|e| io::Error::other(format!("manifest {digest}: not JSON: {e}")))?;
        if doc.get("schemaVersion").and_then(Value::as_u64) == Some(1) {
            return Err(io::Error::other(
                "schema 1 manifest (deprecated since 2017): not read; push the image again with a current tool",
            ));
        }
        Ok((doc, digest))
    }

    /// A blob, fetched once per run and verified. A failure is not shared: another image
    /// (maybe from another repository, with other credentials) fetches it again.
    fn blob(&self, r: &Reference, digest: &str, max: u64) -> io::Result<Arc<[u8]>> {
        let key = format!("{}/{digest}", r.api_host());
        let cell = match self.blobs.lock() {
            Ok(mut m) => m.entry(key.clone()).or_default().clone(),
            Err(_) => Arc::default(),
        };
        let mut fetched_here = false;
        let got = cell
            .get_or_init(|| {
                fetched_here = true;
                self.fetch_blob(r, digest, max).map_err(|e| e.to_string())
            })
            .clone();
        match got {
            Ok(b) => {
                let total = match fetched_here {
                    true => self.cached.fetch_add(b.len() as u64, Ordering::Relaxed),
                    false => 0,
                };
                if total >= CACHE_BYTES {
                    // Past the budget, blobs are not kept for later images.
                    if let Ok(mut m) = self.blobs.lock() {
                        m.remove(&key);
                    }
                }
                Ok(b)
            }
            Err(e) => {
                if fetched_here {
                    if let Ok(mut m) = self.blobs.lock() {
                        m.remove(&key);
                    }
                    return Err(io::Error::other(e));
                }
                self.fetch_blob(r, digest, max)
            }
        }
    }

    fn fetch_blob(&self, r: &Reference, digest: &str, max: u64) -> io::Result<Arc<[u8]>> {
        let path = format!("/v2/{}/blobs/{digest}", r.repository);
        let resp = self.get(r, &path, None)?;
        let mut hasher = Hasher::new(digest)?;
        let hint = resp
            .body()
            .content_length()
            .unwrap_or(0)
            .min(max)
            .min(256 << 20);
        let mut reader = resp
            .into_body()
            .into_with_config()
            .limit(max.saturating_add(1))
            .reader();
        let mut data = Vec::with_capacity(usize::try_from(hint).unwrap_or(0));
        let mut buf = vec![0u8; 1 << 16];
        loop {
            let n = match reader.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    return Err(io::Error::other(format!(
                        "blob {digest}: the transfer broke off after {} bytes: {e}",
                        data.len()
                    )));
                }
            };
            let chunk = buf.get(..n).unwrap_or_default();
            hasher.update(chunk);
            data.extend_from_slice(chunk);
            if data.len() as u64 > max {
                return Err(super::limits::limit_error(format!(
                    "blob {digest} is larger than {max} bytes (--max-artifact-size)"
                )));
            }
        }
        hasher.check(digest, data.len())?;
        Ok(Arc::from(data))
    }
}

fn status_ok(
    resp: ureq::http::Response<ureq::Body>,
    url: &str,
) -> io::Result<ureq::http::Response<ureq::Body>> {
    if resp.status().is_success() {
        return Ok(resp);
    }
    let status = resp.status();
    let mut body = String::new();
    let _ = resp
        .into_body()
        .into_with_config()
        .limit(4096)
        .reader()
        .take(4096)
        .read_to_string(&mut body);
    // Registries explain themselves in {"errors":[{"code":…,"message":…}]}.
    let why = serde_json::from_str::<Value>(&body)
        .ok()
        .and_then(|v| {
            v.pointer("/errors/0/message")
                .and_then(Value::as_str)
                .map(str::to_string)
        })
        .unwrap_or_default();
    Err(io::Error::other(
        format!("{url}: {status} {why}").trim_end().to_string(),
    ))
}

fn transport_error(host: &str, url: &str, e: &ureq::Error, insecure: bool) -> io::Error {
    let hint = match e {
        ureq::Error::Timeout(_) => String::new(),
        // TLS failures (a bad certificate, a plain-HTTP answer) come as invalid data.
        ureq::Error::Io(io) if io.kind() != io::ErrorKind::InvalidData => String::new(),
        ureq::Error::ConnectionFailed | ureq::Error::HostNotFound => String::new(),
        _ if insecure || !url.starts_with("https:") => String::new(),
        _ => format!(
            " (if {host} serves plain HTTP or a certificate you trust otherwise: --registry-ca FILE, or --insecure-registry {host})"
        ),
    };
    io::Error::other(format!("{url}: {e}{hint}"))
}

/// `Bearer realm="…",service="…"` → ("Bearer", {realm, service}).
fn parse_challenge(h: &str) -> (String, HashMap<String, String>) {
    let h = h.trim();
    let (kind, rest) = h.split_once(' ').unwrap_or((h, ""));
    let mut params = HashMap::new();
    let mut chars = rest.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| *c == ',' || c.is_whitespace()) {
            chars.next();
        }
        let key: String = chars.by_ref().take_while(|c| *c != '=').collect();
        if key.is_empty() {
            break;
        }
        let mut value = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            while let Some(c) = chars.next() {
                match c {
                    '\\' => value.extend(chars.next()),
                    '"' => break,
                    c => value.push(c),
                }
            }
        } else {
            value = chars.by_ref().take_while(|c| *c != ',').collect();
        }
        params.insert(key.trim().to_ascii_lowercase(), value);
    }
    (kind.to_string(), params)
}

/// A digest being computed over a stream.
enum Hasher {
    Sha256(sha2::Sha256),
    Sha512(sha2::Sha512),
}

impl Hasher {
    fn new(digest: &str) -> io::Result<Hasher> {
        match digest.split_once(':').map(|d| d.0) {
            Some("sha256") => Ok(Hasher::Sha256(sha2::Sha256::new())),
            Some("sha512") => Ok(Hasher::Sha512(sha2::Sha512::new())),
            _ => Err(io::Error::other(format!(
                "unsupported digest algorithm in {digest}"
            ))),
        }
    }

    fn update(&mut self, b: &[u8]) {
        match self {
            Hasher::Sha256(h) => h.update(b),
            Hasher::Sha512(h) => h.update(b),
        }
    }

    fn check(self, digest: &str, len: usize) -> io::Result<()> {
        let got = match self {
            Hasher::Sha256(h) => format!("sha256:{}", crate::hex(&h.finalize())),
            Hasher::Sha512(h) => format!("sha512:{}", crate::hex(&h.finalize())),
        };
        if got != digest {
            return Err(io::Error::other(format!(
                "blob {digest} does not match its digest: its {len} bytes hash to {got}; not judged"
            )));
        }
        Ok(())
    }
}

fn verify(digest: &str, data: &[u8]) -> io::Result<()> {
    let mut h = Hasher::new(digest)?;
    h.update(data);
    h.check(digest, data.len())
}

/// One pull: the reference's manifests and blobs, for the image reader.
struct Pull<'a> {
    net: &'a Network,
    r: Reference,
    top: Value,
    top_digest: String,
    max: u64,
    /// Blobs of this image, held while it is read.
    held: RefCell<HashMap<String, Arc<[u8]>>>,
}

impl Remote for Pull<'_> {
    fn index(&self) -> io::Result<Value> {
        if self.top.get("manifests").is_some() {
            return Ok(self.top.clone());
        }
        Ok(serde_json::json!({"manifests": [{"digest": self.top_digest}]}))
    }

    fn manifest(&self, digest: &str) -> io::Result<Value> {
        if digest == self.top_digest {
            return Ok(self.top.clone());
        }
        self.net.manifest(&self.r, digest).map(|m| m.0)
    }

    fn blob(&self, digest: &str) -> io::Result<Arc<[u8]>> {
        if let Some(b) = self.held.borrow().get(digest) {
            return Ok(b.clone());
        }
        let b = self.net.blob(&self.r, digest, self.max)?;
        self.held.borrow_mut().insert(digest.to_string(), b.clone());
        Ok(b)
    }

    fn prefetch(&self, digests: &[String]) -> io::Result<()> {
        let (net, r, max) = (self.net, &self.r, self.max);
        let room = AtomicU64::new(INFLATE_AHEAD_BYTES.min(max));
        let queue = Mutex::new(digests.iter());
        let results: Mutex<Vec<Fetched>> = Mutex::default();
        std::thread::scope(|s| {
            for _ in 0..PARALLEL_FETCHES.min(digests.len()) {
                s.spawn(|| {
                    loop {
                        let next = queue.lock().ok().and_then(|mut q| q.next().cloned());
                        let Some(d) = next else { break };
                        let got = net
                            .blob(r, &d, max)
                            .map(|b| inflate_ahead(&b, &room).unwrap_or(b));
                        let failed = got.is_err();
                        if let Ok(mut r) = results.lock() {
                            r.push((d, got));
                        }
                        if failed {
                            break;
                        }
                    }
                });
            }
        });
        let results = results.into_inner().unwrap_or_default();
        let mut held = self.held.borrow_mut();
        let mut first_error = None;
        for (d, got) in results {
            match got {
                Ok(b) => {
                    held.insert(d, b);
                }
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
        }
        match first_error {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }
}

/// A verified gzip or zstd layer, decompressed while the room lasts; None leaves it to the
/// image reader (which also reports damage: a stream that fails here is just not decoded ahead).
fn inflate_ahead(blob: &Arc<[u8]>, room: &AtomicU64) -> Option<Arc<[u8]>> {
    let data: &[u8] = blob.as_ref();
    let reader: Box<dyn Read + '_> = if data.starts_with(&[0x1f, 0x8b]) {
        Box::new(flate2::read::MultiGzDecoder::new(data))
    } else if data.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        Box::new(zstd::stream::read::Decoder::new(data).ok()?)
    } else {
        return None;
    };
    let left = room.load(Ordering::Relaxed);
    let mut out = Vec::new();
    reader
        .take(left.saturating_add(1))
        .read_to_end(&mut out)
        .ok()?;
    let n = out.len() as u64;
    room.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |r| r.checked_sub(n))
        .ok()?;
    Some(Arc::from(out))
}

/// Pull `r` and read it as an image named `name` (the argument as given).
pub(crate) fn visit(
    r: &Reference,
    name: &str,
    opts: &Options,
    units: &Units,
    sink: &mut dyn FnMut(Item),
) {
    let net = &opts.network;
    let (top, top_digest) = match net.manifest(r, r.manifest_ref()) {
        Ok(m) => m,
        Err(e) => return problem(sink, name, name, format!("registry: {e}")),
    };
    let pull = Pull {
        net,
        r: r.clone(),
        top,
        top_digest,
        max: opts.limits.max_artifact_bytes,
        held: RefCell::default(),
    };
    let shown = r.to_string();
    image::visit_remote(Box::new(pull), name, &shown, opts, units, sink);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn challenges_with_quoted_commas() {
        let (k, p) = parse_challenge(
            r#"Bearer realm="https://auth.example/token",service="reg",scope="repository:a/b:pull,push""#,
        );
        assert_eq!(k, "Bearer");
        assert_eq!(p["realm"], "https://auth.example/token");
        assert_eq!(p["service"], "reg");
        assert_eq!(p["scope"], "repository:a/b:pull,push");
        let (k, p) = parse_challenge(r#"Basic realm="Registry Realm""#);
        assert_eq!(
            (k.as_str(), p["realm"].as_str()),
            ("Basic", "Registry Realm")
        );
    }

    #[test]
    fn digests_are_checked() {
        let d = format!("sha256:{}", crate::hex(&sha2::Sha256::digest(b"abc")));
        assert!(verify(&d, b"abc").is_ok());
        let e = verify(&d, b"abd").unwrap_err().to_string();
        assert!(e.contains("does not match its digest"), "{e}");
        assert!(verify("md5:00", b"").is_err());
    }
}
