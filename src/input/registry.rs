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
//! Every manifest and blob is checked against its digest before it is used. Layers are streamed:
//! the image reader reads them in parallel (one per worker) and each one's bytes go through the
//! digest and straight into decompression and the tar reader as they arrive; what a layer holds
//! counts only once its whole blob matched, and nothing of an image is judged before all of its
//! layers did: a mismatch or a cut connection is an error record for the image, never a verdict
//! about part of it. Blobs stay in memory — nothing is written to disk — and are shared by digest
//! across the images of a run (one transfer per blob and run).

use std::collections::HashMap;
use std::io::{self, Read};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use serde_json::Value;
use sha2::Digest;

use super::auth::{self, Credentials};
use super::image::{self, Blob, Remote};
use super::scheme::Reference;
use super::{Item, Options, Units, problem};

/// Most bytes of a manifest or index.
const MAX_MANIFEST: u64 = 16 << 20;
/// Blobs kept for later images of the run, in bytes; past it, blobs are dropped after use.
const CACHE_BYTES: u64 = 1 << 30;
/// Bytes asked of the HTTP body at a time.
const READ_BUF: usize = 1 << 16;
/// Chunks of READ_BUF bytes a blob's transfer may run ahead of its reader.
const PIPE_CHUNKS: usize = 64;

const MANIFEST_TYPES: &str = "application/vnd.oci.image.index.v1+json, \
application/vnd.docker.distribution.manifest.list.v2+json, \
application/vnd.oci.image.manifest.v1+json, \
application/vnd.docker.distribution.manifest.v2+json";

type Shared<T> = Arc<OnceLock<Result<T, String>>>;
/// What `read` does with a blob's bytes (see [`Remote::stream`]).
type ReadWith<'r> = &'r mut dyn FnMut(&mut dyn Read) -> io::Result<()>;

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
    blobs: Mutex<HashMap<String, Shared<Blob>>>,
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

    /// A blob, verified, fetched once per run: when it is fetched here, its bytes go through
    /// `read` as they arrive; otherwise `read` gets the copy a former fetch kept. A failure is
    /// not shared: another image (maybe from another repository, with other credentials)
    /// fetches it again. What `read` returns is returned once the digest matched.
    fn stream_blob(
        &self,
        r: &Reference,
        digest: &str,
        max: u64,
        read: ReadWith<'_>,
    ) -> io::Result<Blob> {
        let key = format!("{}/{digest}", r.api_host());
        let cell = match self.blobs.lock() {
            Ok(mut m) => m.entry(key.clone()).or_default().clone(),
            Err(_) => Arc::default(),
        };
        let mut here: Option<(io::Result<()>, Option<io::Error>)> = None;
        let got = cell
            .get_or_init(|| {
                let (blob, outcome) = self.fetch_blob(r, digest, max, &mut *read);
                let shared = blob.as_ref().map_err(ToString::to_string).cloned();
                here = Some((outcome, blob.err()));
                shared
            })
            .clone();
        let forget = || {
            if let Ok(mut m) = self.blobs.lock() {
                m.remove(&key);
            }
        };
        match (got, here) {
            (Ok(b), Some((outcome, _))) => {
                let total = self.cached.fetch_add(b.0.len() as u64, Ordering::Relaxed);
                if total >= CACHE_BYTES {
                    // Past the budget, blobs are not kept for later images.
                    forget();
                }
                outcome.map(|()| b)
            }
            (Err(e), Some((_, error))) => {
                forget();
                Err(error.unwrap_or_else(|| io::Error::other(e)))
            }
            (Ok(b), None) => {
                read(&mut io::Cursor::new(b.as_ref()))?;
                Ok(b)
            }
            (Err(_), None) => {
                let (blob, outcome) = self.fetch_blob(r, digest, max, read);
                let b = blob?;
                outcome.map(|()| b)
            }
        }
    }

    /// A blob whose bytes go through `read` as they arrive; the rest `read` leaves is read too,
    /// then the digest is checked. Returns the verified blob, and what `read` returned.
    fn fetch_blob(
        &self,
        r: &Reference,
        digest: &str,
        max: u64,
        read: ReadWith<'_>,
    ) -> (io::Result<Blob>, io::Result<()>) {
        let path = format!("/v2/{}/blobs/{digest}", r.repository);
        let resp = match self.get(r, &path, None) {
            Ok(resp) => resp,
            Err(e) => return (Err(e), Ok(())),
        };
        let hasher = match Hasher::new(digest) {
            Ok(h) => h,
            Err(e) => return (Err(e), Ok(())),
        };
        let hint = resp
            .body()
            .content_length()
            .unwrap_or(0)
            .min(max)
            .min(256 << 20);
        let tee = Verified {
            body: resp
                .into_body()
                .into_with_config()
                .limit(max.saturating_add(1))
                .reader(),
            digest,
            hasher,
            kept: Vec::with_capacity(usize::try_from(hint).unwrap_or(0)),
            max,
            failed: None,
        };
        // The transfer and the digest run on a thread of their own, overlapping with what `read`
        // does (decompression, mostly), through a pipe of at most PIPE_CHUNKS chunks.
        std::thread::scope(|s| {
            let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<u8>>(PIPE_CHUNKS);
            let fetcher = s.spawn(move || {
                let mut tee = tee;
                let mut open = true;
                let rest = loop {
                    let mut chunk = vec![0u8; READ_BUF];
                    match tee.read(&mut chunk) {
                        Ok(0) => break Ok(()),
                        Ok(n) => {
                            chunk.truncate(n);
                            // Once the reader is gone, the rest is only hashed.
                            open = open && tx.send(chunk).is_ok();
                        }
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                        Err(e) => break Err(e),
                    }
                };
                drop(tx);
                tee.finish(rest)
            });
            let mut pipe = Pipe {
                rx,
                chunk: Vec::new(),
                at: 0,
            };
            let outcome = read(&mut pipe);
            // The digest covers every byte, also those after what `read` wanted.
            drop(pipe);
            let blob = fetcher.join().unwrap_or_else(|_| {
                Err(io::Error::other(format!("blob {digest}: transfer failed")))
            });
            (blob, outcome)
        })
    }
}

/// The reading end of a blob's transfer: chunks as the transfer thread hands them over; the
/// end of the transfer (complete or not: its own result says which) reads as the end.
struct Pipe {
    rx: std::sync::mpsc::Receiver<Vec<u8>>,
    chunk: Vec<u8>,
    at: usize,
}

impl Read for Pipe {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.at >= self.chunk.len() {
            match self.rx.recv() {
                Ok(c) => {
                    self.chunk = c;
                    self.at = 0;
                }
                Err(_) => return Ok(0),
            }
        }
        let rest = self.chunk.get(self.at..).unwrap_or_default();
        let n = rest.len().min(buf.len());
        if let (Some(to), Some(from)) = (buf.get_mut(..n), rest.get(..n)) {
            to.copy_from_slice(from);
        }
        self.at += n;
        Ok(n)
    }
}

/// A blob's HTTP body on its way to a reader: hashed and kept as it passes; the first failure
/// (a cut transfer, the size limit) sticks.
struct Verified<'d, R> {
    body: R,
    digest: &'d str,
    hasher: Hasher,
    kept: Vec<u8>,
    max: u64,
    failed: Option<(io::ErrorKind, String)>,
}

impl<R> Verified<'_, R> {
    /// The verified blob, once the body was read to its end (`rest`).
    fn finish(self, rest: io::Result<()>) -> io::Result<Blob> {
        if let Some((kind, msg)) = self.failed {
            return Err(io::Error::new(kind, msg));
        }
        rest?;
        self.hasher.check(self.digest, self.kept.len())?;
        Ok(Blob(Arc::new(self.kept)))
    }
}

impl<R: Read> Read for Verified<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if let Some((kind, msg)) = &self.failed {
            return Err(io::Error::new(*kind, msg.clone()));
        }
        let n = match self.body.read(buf) {
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => return Err(e),
            Err(e) => {
                let msg = format!(
                    "blob {}: the transfer broke off after {} bytes: {e}",
                    self.digest,
                    self.kept.len()
                );
                self.failed = Some((io::ErrorKind::Other, msg.clone()));
                return Err(io::Error::other(msg));
            }
        };
        let chunk = buf.get(..n).unwrap_or_default();
        self.hasher.update(chunk);
        self.kept.extend_from_slice(chunk);
        if self.kept.len() as u64 > self.max {
            let e = super::limits::limit_error(format!(
                "blob {} is larger than {} bytes (--max-artifact-size)",
                self.digest, self.max
            ));
            self.failed = Some((e.kind(), e.to_string()));
            return Err(e);
        }
        Ok(n)
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
    /// Blobs of this image, held while it is read (the run's cache may drop them).
    held: Mutex<HashMap<String, Blob>>,
}

impl Pull<'_> {
    fn held(&self, digest: &str) -> Option<Blob> {
        self.held.lock().ok()?.get(digest).cloned()
    }

    fn hold(&self, digest: &str, b: &Blob) {
        if let Ok(mut h) = self.held.lock() {
            h.insert(digest.to_string(), b.clone());
        }
    }
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

    fn blob(&self, digest: &str) -> io::Result<Blob> {
        if let Some(b) = self.held(digest) {
            return Ok(b);
        }
        let b = self
            .net
            .stream_blob(&self.r, digest, self.max, &mut |_| Ok(()))?;
        self.hold(digest, &b);
        Ok(b)
    }

    fn stream(&self, digest: &str, read: ReadWith<'_>) -> io::Result<()> {
        if let Some(b) = self.held(digest) {
            return read(&mut io::Cursor::new(b.as_ref()));
        }
        let b = self.net.stream_blob(&self.r, digest, self.max, read)?;
        self.hold(digest, &b);
        Ok(())
    }
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
    let shown = r.to_string();
    // A manifest is content-addressed: the same reference with the same digest is the same image,
    // which the results cache may replay without pulling a layer (#13).
    if opts
        .known
        .image(format!("registry {shown} {top_digest}"), name, sink)
    {
        return;
    }
    let pull = Pull {
        net,
        r: r.clone(),
        top,
        top_digest,
        max: opts.limits.max_artifact_bytes,
        held: Mutex::default(),
    };
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
