//! `docker:REF` / `podman:REF`: an image in a local engine's store, exported as a `docker save`
//! tarball and read like one.
//!
//! First through the engine API on its Unix socket (`GET /images/NAME/get`, Docker Engine API
//! "Export an image"; podman serves the same route): `DOCKER_HOST=unix://…` or
//! `/var/run/docker.sock` for docker, `CONTAINER_HOST=unix://…` or `/run/podman/podman.sock`
//! (`$XDG_RUNTIME_DIR/podman/podman.sock` for a user) for podman. When no socket answers, the
//! engine's CLI (`docker save REF`, `podman save REF`) runs as a child process. The tarball is
//! held in memory, never written to disk.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::Arc;

use super::scheme::Engine;
use super::{Item, Options, Units, image, problem};

/// The engine's API socket, from the environment or the usual place.
fn socket(engine: Engine) -> Result<PathBuf, String> {
    let var = match engine {
        Engine::Docker => "DOCKER_HOST",
        Engine::Podman => "CONTAINER_HOST",
    };
    if let Some(v) = std::env::var(var).ok().filter(|v| !v.is_empty()) {
        return match v.strip_prefix("unix://") {
            Some(p) => Ok(PathBuf::from(p)),
            None => Err(format!(
                "{var}={v}: only unix:// sockets are read (use the engine's CLI, or unix://)"
            )),
        };
    }
    Ok(match engine {
        Engine::Docker => PathBuf::from("/var/run/docker.sock"),
        Engine::Podman => {
            let user = std::env::var_os("XDG_RUNTIME_DIR")
                .map(|d| PathBuf::from(d).join("podman/podman.sock"))
                .filter(|p| p.exists());
            user.unwrap_or_else(|| PathBuf::from("/run/podman/podman.sock"))
        }
    })
}

/// Export `reference` from the engine and read it as an image named `name`.
pub(crate) fn visit(
    engine: Engine,
    reference: &str,
    name: &str,
    opts: &Options,
    units: &Units,
    sink: &mut dyn FnMut(Item),
) {
    let max = opts.limits.max_artifact_bytes;
    let data = match export(engine, reference, max, opts.network.timeout) {
        Ok(d) => d,
        Err(e) => return problem(sink, name, name, format!("{}: {e}", engine.name())),
    };
    if !image::visit_image_bytes(Arc::from(data), name, Some(reference), opts, units, sink) {
        let e = format!(
            "{}: the export of {reference} is not an image tarball",
            engine.name()
        );
        problem(sink, name, name, e);
    }
}

fn export(
    engine: Engine,
    reference: &str,
    max: u64,
    timeout: std::time::Duration,
) -> Result<Vec<u8>, String> {
    let sock = socket(engine);
    let api_err = match &sock {
        Ok(path) => match UnixStream::connect(path) {
            Ok(s) => {
                // The daemon answered: what it says is final (no CLI second opinion).
                return api_get(s, reference, max, timeout)
                    .map_err(|e| format!("unix://{}: {e}", path.display()));
            }
            Err(e) => format!("unix://{}: {e}", path.display()),
        },
        Err(e) => e.clone(),
    };
    cli_save(engine, reference, max).map_err(|cli| {
        format!(
            "cannot reach the engine API ({api_err}) and `{} save` failed: {cli}",
            engine.name()
        )
    })
}

/// `GET /images/NAME/get` over HTTP/1.1 on the socket.
fn api_get(
    mut s: UnixStream,
    reference: &str,
    max: u64,
    timeout: std::time::Duration,
) -> io::Result<Vec<u8>> {
    s.set_read_timeout(Some(timeout))?;
    s.set_write_timeout(Some(timeout))?;
    write!(
        s,
        "GET /images/{}/get HTTP/1.1\r\nHost: localhost\r\nUser-Agent: muslcheck\r\nConnection: close\r\n\r\n",
        encode(reference)
    )?;
    let mut r = BufReader::with_capacity(1 << 16, s);
    let mut line = String::new();
    (&mut r).take(8192).read_line(&mut line)?;
    let status: u16 = line
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| io::Error::other(format!("not an HTTP answer: {:?}", line.trim())))?;
    let mut chunked = false;
    let mut length: Option<u64> = None;
    let mut header_bytes = 0usize;
    loop {
        line.clear();
        let n = (&mut r).take(8192).read_line(&mut line)?;
        header_bytes += n;
        if n == 0 || header_bytes > 1 << 20 {
            return Err(io::Error::other("HTTP headers cut or too long"));
        }
        let l = line.trim_end();
        if l.is_empty() {
            break;
        }
        if let Some((k, v)) = l.split_once(':') {
            let (k, v) = (k.trim().to_ascii_lowercase(), v.trim());
            if k == "transfer-encoding" && v.eq_ignore_ascii_case("chunked") {
                chunked = true;
            } else if k == "content-length" {
                length = v.parse().ok();
            }
        }
    }
    let mut body = Vec::new();
    if chunked {
        read_chunked(&mut r, &mut body, max)?;
    } else {
        let cap = length
            .unwrap_or(max.saturating_add(1))
            .min(max.saturating_add(1));
        (&mut r).take(cap).read_to_end(&mut body)?;
        if length.is_some_and(|l| (body.len() as u64) < l) {
            return Err(io::Error::other(format!(
                "the export broke off after {} of {} bytes",
                body.len(),
                length.unwrap_or(0)
            )));
        }
    }
    if body.len() as u64 > max {
        return Err(super::limits::limit_error(format!(
            "the image export is larger than {max} bytes (--max-artifact-size)"
        )));
    }
    if !(200..300).contains(&status) {
        // The engine explains itself in {"message": …}.
        let text = String::from_utf8_lossy(body.get(..4096).unwrap_or(&body)).into_owned();
        let why = serde_json::from_str::<serde_json::Value>(&text)
            .ok()
            .and_then(|v| {
                v.get("message")
                    .and_then(|m| m.as_str())
                    .map(str::to_string)
            })
            .unwrap_or(text);
        return Err(io::Error::other(format!("HTTP {status}: {}", why.trim())));
    }
    Ok(body)
}

fn read_chunked(r: &mut impl BufRead, body: &mut Vec<u8>, max: u64) -> io::Result<()> {
    let mut line = String::new();
    loop {
        line.clear();
        r.take(1024).read_line(&mut line)?;
        let size = line.trim().split(';').next().unwrap_or_default();
        let size = u64::from_str_radix(size, 16)
            .map_err(|_| io::Error::other("the export broke off (bad chunk header)"))?;
        if size == 0 {
            return Ok(());
        }
        if (body.len() as u64).saturating_add(size) > max {
            return Err(super::limits::limit_error(format!(
                "the image export is larger than {max} bytes (--max-artifact-size)"
            )));
        }
        let before = body.len();
        r.take(size).read_to_end(body)?;
        if ((body.len() - before) as u64) < size {
            return Err(io::Error::other("the export broke off inside a chunk"));
        }
        line.clear();
        r.take(2).read_line(&mut line)?;
    }
}

/// Percent-encode what a URL path cannot hold (references are `[a-z0-9._/:@-]`).
fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'.' | b'_' | b'-' | b'/' | b':' | b'@' => {
                (b as char).to_string()
            }
            b => format!("%{b:02X}"),
        })
        .collect()
}

/// `docker save REF` / `podman save REF`, its standard output read into memory.
fn cli_save(engine: Engine, reference: &str, max: u64) -> Result<Vec<u8>, String> {
    let mut child = Command::new(engine.name())
        .arg("save")
        .arg(reference)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| match e.kind() {
            io::ErrorKind::NotFound => format!("no `{}` command is installed", engine.name()),
            _ => e.to_string(),
        })?;
    let mut out = Vec::new();
    let read = child
        .stdout
        .take()
        .map(|o| o.take(max.saturating_add(1)).read_to_end(&mut out));
    let mut err = String::new();
    if let Some(e) = child.stderr.take() {
        let _ = e.take(8192).read_to_string(&mut err);
    }
    if out.len() as u64 > max {
        let _ = child.kill();
    }
    let status = child.wait().map_err(|e| e.to_string())?;
    if let Some(Err(e)) = read {
        return Err(e.to_string());
    }
    if out.len() as u64 > max {
        return Err(format!(
            "the image export is larger than {max} bytes (--max-artifact-size)"
        ));
    }
    if !status.success() {
        return Err(format!("{status}: {}", err.trim()));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunked_bodies() {
        let mut r = io::Cursor::new(b"3\r\nabc\r\n2;x=y\r\nde\r\n0\r\n\r\n".to_vec());
        let mut body = Vec::new();
        read_chunked(&mut r, &mut body, 100).unwrap();
        assert_eq!(body, b"abcde");
        let mut cut = io::Cursor::new(b"9\r\nabc".to_vec());
        assert!(read_chunked(&mut cut, &mut Vec::new(), 100).is_err());
        let mut big = io::Cursor::new(b"ff\r\n".to_vec());
        assert!(read_chunked(&mut big, &mut Vec::new(), 10).is_err());
        assert_eq!(encode("localhost/app:1"), "localhost/app:1");
        assert_eq!(encode("a b"), "a%20b");
    }
}
