//! Images where they live (#12): a real registry (Debian's `docker-registry`) and a real engine
//! API (podman's Docker-compatible service) started on the loopback interface by the tests,
//! images pushed with `skopeo`, and in-test servers that lie or break off. Outside CI a missing
//! tool skips a test with a message; with CI=true it fails it.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use sha2::Digest;

use crate::forge::{file, gz, sample, tar};
use crate::util::temp_dir;

/// True when `tool` is installed; in CI its absence fails the test.
fn have(tool: &str) -> bool {
    let found = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).any(|d| d.join(tool).is_file()))
        .unwrap_or(false);
    if !found {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "{tool} is not installed (.ci/run installs it)"
        );
        eprintln!("skipped: {tool} is not installed");
    }
    found
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn wait_for_port(port: u16, what: &str) {
    let until = Instant::now() + Duration::from_secs(20);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < until, "{what} did not start on {port}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A child process killed when the test ends, however it ends.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Debian's docker-registry on 127.0.0.1, storage in a temp dir; optional htpasswd and TLS.
struct Registry {
    _server: Server,
    host: String,
    dir: PathBuf,
}

impl Registry {
    fn start(dir: &Path, auth: Option<&Path>, tls: Option<(&Path, &Path)>) -> Registry {
        let port = free_port();
        let mut cfg = format!(
            "version: 0.1\nlog:\n  level: info\n  accesslog:\n    disabled: false\nstorage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:{port}\n",
            dir.join("storage").display()
        );
        if let Some((cert, key)) = tls {
            cfg += &format!(
                "  tls:\n    certificate: {}\n    key: {}\n",
                cert.display(),
                key.display()
            );
        }
        if let Some(htpasswd) = auth {
            cfg += &format!(
                "auth:\n  htpasswd:\n    realm: muslcheck-test\n    path: {}\n",
                htpasswd.display()
            );
        }
        let cfg_path = dir.join("config.yml");
        std::fs::write(&cfg_path, cfg).unwrap();
        let log = std::fs::File::create(dir.join("registry.log")).unwrap();
        let child = Command::new("docker-registry")
            .arg("serve")
            .arg(&cfg_path)
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap();
        let server = Server(child);
        wait_for_port(port, "docker-registry");
        Registry {
            _server: server,
            host: format!("127.0.0.1:{port}"),
            dir: dir.to_path_buf(),
        }
    }

    /// Requests for one blob so far (the access log).
    fn blob_gets(&self, digest: &str) -> usize {
        std::fs::read_to_string(self.dir.join("registry.log"))
            .unwrap_or_default()
            .lines()
            .filter(|l| l.contains("GET /v2/") && l.contains(&format!("/blobs/{digest}")))
            .count()
    }
}

fn skopeo(args: &[&str]) {
    let out = Command::new("skopeo")
        .args(["--insecure-policy", "copy", "-q"])
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "skopeo {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// One platform of an image: its architecture and layers (bottom first), each with its step.
struct Platform {
    arch: &'static str,
    layers: Vec<(Vec<u8>, &'static str)>,
}

/// How layer blobs are stored: the OCI media types a registry holds.
#[derive(Clone, Copy, Debug)]
enum Layering {
    Gzip,
    Zstd,
    Uncompressed,
}

impl Layering {
    fn media_type(self) -> &'static str {
        match self {
            Layering::Gzip => "application/vnd.oci.image.layer.v1.tar+gzip",
            Layering::Zstd => "application/vnd.oci.image.layer.v1.tar+zstd",
            Layering::Uncompressed => "application/vnd.oci.image.layer.v1.tar",
        }
    }

    fn blob(self, tar: &[u8]) -> Vec<u8> {
        match self {
            Layering::Gzip => gz(tar),
            Layering::Zstd => crate::forge::zst(tar),
            Layering::Uncompressed => tar.to_vec(),
        }
    }
}

/// Write an OCI layout at `dir`: one manifest per platform, under an index tagged `tag`
/// (an index only when there are several platforms). Returns the layer digests (diff IDs).
fn oci_layout(dir: &Path, tag: &str, platforms: &[Platform]) -> Vec<String> {
    oci_layout_as(dir, tag, platforms, Layering::Gzip)
}

/// [`oci_layout`] with the layers stored as `layering` says.
fn oci_layout_as(dir: &Path, tag: &str, platforms: &[Platform], layering: Layering) -> Vec<String> {
    let blobs = dir.join("blobs/sha256");
    std::fs::create_dir_all(&blobs).unwrap();
    let put = |data: &[u8]| {
        let d = hex(&sha2::Sha256::digest(data));
        std::fs::write(blobs.join(&d), data).unwrap();
        (format!("sha256:{d}"), data.len())
    };
    let mut manifests = Vec::new();
    let mut diff_ids_all = Vec::new();
    for p in platforms {
        let mut descs = Vec::new();
        let mut diff_ids = Vec::new();
        let mut history = Vec::new();
        for (layer, step) in &p.layers {
            diff_ids.push(format!("sha256:{}", hex(&sha2::Sha256::digest(layer))));
            let (d, n) = put(&layering.blob(layer));
            descs.push(json!({"mediaType": layering.media_type(), "digest": d, "size": n}));
            history.push(json!({"created_by": step}));
            history.push(json!({"created_by": "ENV X=1", "empty_layer": true}));
        }
        diff_ids_all.extend(diff_ids.clone());
        let config = json!({
            "architecture": p.arch, "os": "linux",
            "rootfs": {"type": "layers", "diff_ids": diff_ids},
            "history": history,
        });
        let (cd, cn) = put(config.to_string().as_bytes());
        let manifest = json!({
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cd, "size": cn},
            "layers": descs,
        });
        let (md, mn) = put(manifest.to_string().as_bytes());
        manifests.push(json!({
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": md, "size": mn,
            "platform": {"os": "linux", "architecture": p.arch},
        }));
    }
    let top = if manifests.len() == 1 {
        let mut m = manifests.remove(0);
        m["annotations"] = json!({"org.opencontainers.image.ref.name": tag});
        m
    } else {
        let index = json!({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": manifests});
        let (d, n) = put(index.to_string().as_bytes());
        json!({"mediaType": "application/vnd.oci.image.index.v1+json", "digest": d, "size": n,
               "annotations": {"org.opencontainers.image.ref.name": tag}})
    };
    std::fs::write(
        dir.join("index.json"),
        json!({"schemaVersion": 2, "manifests": [top]}).to_string(),
    )
    .unwrap();
    std::fs::write(dir.join("oci-layout"), r#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
    diff_ids_all
}

/// Push a single-platform OCI layout (from [`oci_layout_as`]) to `host/repo:tag` through the
/// distribution API (monolithic uploads), blobs and manifest exactly as they are: skopeo would
/// compress uncompressed layers on the way.
fn push(dir: &Path, host: &str, repo: &str, tag: &str) {
    let index: Value =
        serde_json::from_slice(&std::fs::read(dir.join("index.json")).unwrap()).unwrap();
    let blob =
        |d: &str| std::fs::read(dir.join("blobs/sha256").join(d.replace("sha256:", ""))).unwrap();
    let top = &index["manifests"][0];
    let manifest = blob(top["digest"].as_str().unwrap());
    let doc: Value = serde_json::from_slice(&manifest).unwrap();
    let mut digests = vec![doc["config"]["digest"].as_str().unwrap().to_string()];
    digests.extend(
        doc["layers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["digest"].as_str().unwrap().to_string()),
    );
    for d in digests {
        let started = ureq::post(format!("http://{host}/v2/{repo}/blobs/uploads/"))
            .send_empty()
            .unwrap();
        assert_eq!(started.status().as_u16(), 202);
        let location = started.headers()["location"].to_str().unwrap().to_string();
        let url = if location.starts_with('/') {
            format!("http://{host}{location}")
        } else {
            location
        };
        let sep = if url.contains('?') { '&' } else { '?' };
        let done = ureq::put(format!("{url}{sep}digest={d}"))
            .header("Content-Type", "application/octet-stream")
            .send(&blob(&d)[..])
            .unwrap();
        assert_eq!(done.status().as_u16(), 201, "blob {d}");
    }
    let done = ureq::put(format!("http://{host}/v2/{repo}/manifests/{tag}"))
        .header("Content-Type", doc["mediaType"].as_str().unwrap())
        .send(&manifest[..])
        .unwrap();
    assert_eq!(done.status().as_u16(), 201, "manifest");
}

/// The base layer (three binaries) and a layer with whiteouts over it.
fn app_layers() -> Vec<(Vec<u8>, &'static str)> {
    let lower = tar(
        &[
            file("usr/bin/fcntl64", sample("fcntl64")),
            file("usr/bin/hello-glibc", sample("hello-glibc")),
            file("opt/old/res-init", sample("res-init")),
        ],
        true,
    );
    let upper = tar(
        &[
            file("usr/bin/.wh.fcntl64", Vec::new()),
            file("opt/old/.wh..wh..opq", Vec::new()),
            file("opt/old/hello-musl", sample("hello-musl")),
        ],
        true,
    );
    vec![
        (lower, "COPY base/ /"),
        (
            upper,
            "RUN rm /usr/bin/fcntl64 && install hello-musl /opt/old/",
        ),
    ]
}

fn run(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut c = Command::new(crate::util::bin());
    c.args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env("XDG_CACHE_HOME", crate::util::own_cache());
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().unwrap()
}

fn scan(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> (Value, i32) {
    let mut all = vec!["scan", "--format", "json", "--fail-on", "never"];
    all.extend(args);
    let out = run(dir, &all, env);
    let text = String::from_utf8_lossy(&out.stdout);
    let doc = serde_json::from_str(&text).unwrap_or_else(|e| {
        panic!(
            "bad JSON ({e}): {text}\n{}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (doc, out.status.code().unwrap_or(-1))
}

/// The results with the artifact's name taken out of paths, and the fields that name how the
/// image was reached (the user's reference, the manifest digest) left out: what remains must
/// be the same however the image is read.
fn normalised(doc: &Value, artifact: &str) -> Vec<Value> {
    doc["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let mut r = r.clone();
            for k in ["path", "artifact"] {
                let s = r[k].as_str().unwrap().replacen(artifact, "ARTIFACT", 1);
                r[k] = json!(s);
            }
            if let Some(i) = r.get_mut("image").and_then(Value::as_object_mut) {
                i.remove("reference");
                i.remove("digest");
            }
            if let Some(c) = r.get_mut("closure").and_then(Value::as_array_mut) {
                for e in c {
                    if let Some(f) = e.get("found").and_then(Value::as_str) {
                        e["found"] = json!(f.replacen(artifact, "ARTIFACT", 1));
                    }
                }
            }
            r
        })
        .collect()
}

fn verdicts(doc: &Value) -> Vec<(String, String)> {
    doc["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["path"].as_str().unwrap().to_string(),
                r["verdict"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn reason(doc: &Value, i: usize) -> String {
    doc["results"][i]["reason"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

/// `scan registry:…/app:1` gives exactly the records of `scan app.tar` (its docker-save form):
/// layers applied with whiteouts, paths inside the image, the layer and build step per binary.
/// A second image sharing the base layer reads that layer once in the run.
#[test]
fn registry_pull_equals_the_docker_save_tarball() {
    if !have("docker-registry") || !have("skopeo") {
        return;
    }
    let t = temp_dir("images-registry");
    let reg = Registry::start(&t, None, None);
    let layout = t.join("layout");
    let diff_ids = oci_layout(
        &layout,
        "1",
        &[Platform {
            arch: "amd64",
            layers: app_layers(),
        }],
    );
    let oci = format!("oci:{}:1", layout.display());
    let host = &reg.host;
    skopeo(&[
        "--dest-tls-verify=false",
        &oci,
        &format!("docker://{host}/app:1"),
    ]);
    // app:2: the same base layer under a new top layer.
    let layout2 = t.join("layout2");
    let mut layers2 = app_layers();
    layers2[1] = (
        tar(&[file("usr/bin/hello-musl", sample("hello-musl"))], true),
        "COPY x /",
    );
    oci_layout(
        &layout2,
        "2",
        &[Platform {
            arch: "amd64",
            layers: layers2,
        }],
    );
    skopeo(&[
        "--dest-tls-verify=false",
        &format!("oci:{}:2", layout2.display()),
        &format!("docker://{host}/app:2"),
    ]);
    let tarball = t.join("app.tar");
    skopeo(&[&oci, &format!("docker-archive:{}:app:1", tarball.display())]);

    let reference = format!("registry:{host}/app:1");
    let insecure = ["--insecure-registry", host.as_str()];
    let (pulled, code) = scan(&t, &[insecure[0], insecure[1], &reference], &[]);
    assert_eq!(code, 0);
    let (saved, _) = scan(&t, &["app.tar"], &[]);
    assert_eq!(
        normalised(&pulled, &reference),
        normalised(&saved, "app.tar"),
        "pulled:\n{pulled:#}\nsaved:\n{saved:#}"
    );
    // The whiteouts were applied: fcntl64 is deleted, /opt/old was made opaque. Files come
    // layer by layer, bottom first.
    assert_eq!(
        verdicts(&pulled),
        vec![
            (
                format!("{reference}!/usr/bin/hello-glibc"),
                "gcompat".into()
            ),
            (format!("{reference}!/opt/old/hello-musl"), "native".into()),
        ]
    );
    let musl = &pulled["results"][1]["image"];
    assert_eq!(musl["reference"], format!("{host}/app:1"));
    assert_eq!(musl["path"], "/opt/old/hello-musl");
    assert_eq!(musl["platform"], "linux/amd64");
    assert!(musl["digest"].as_str().unwrap().starts_with("sha256:"));
    assert_eq!(musl["layer"]["index"], 1);
    assert_eq!(musl["layer"]["digest"], diff_ids[1].as_str());
    assert_eq!(
        musl["layer"]["created_by"],
        "RUN rm /usr/bin/fcntl64 && install hello-musl /opt/old/"
    );
    assert_eq!(
        pulled["results"][0]["image"]["layer"]["created_by"],
        "COPY base/ /"
    );
    // Text and SARIF carry the image and the layer too.
    let text = run(
        &t,
        &[
            "scan",
            "--fail-on",
            "never",
            insecure[0],
            insecure[1],
            &reference,
        ],
        &[],
    );
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(
        text.contains("/usr/bin/hello-glibc from layer 0 (sha256:")
            && text.contains(": COPY base/ /"),
        "{text}"
    );
    let sarif = run(
        &t,
        &[
            "scan",
            "--format",
            "sarif",
            "--fail-on",
            "never",
            insecure[0],
            insecure[1],
            &reference,
        ],
        &[],
    );
    let sarif: Value = serde_json::from_slice(&sarif.stdout).unwrap();
    assert_eq!(
        sarif["runs"][0]["results"][0]["properties"]["image"]["path"],
        "/usr/bin/hello-glibc"
    );

    // Both documents match their schemas (the report's `image` object, SARIF 2.1.0).
    let schema = |p: &str, draft| {
        let s: Value =
            serde_json::from_slice(&std::fs::read(crate::util::root().join(p)).unwrap()).unwrap();
        jsonschema::options()
            .with_draft(draft)
            .should_validate_formats(true)
            .build(&s)
            .unwrap()
    };
    let report = schema(
        "docs/schema/report.schema.json",
        jsonschema::Draft::Draft202012,
    );
    let errors: Vec<String> = report
        .iter_errors(&pulled)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:?}");
    let mut broken = pulled.clone();
    broken["results"][0]["image"]["path"] = json!("usr/bin/x");
    assert!(
        !report.is_valid(&broken),
        "the image object is really checked"
    );
    // The vendored SARIF schema, with its known defect mended (see formats.rs).
    let sarif_schema = jsonschema::options()
        .with_draft(jsonschema::Draft::Draft7)
        .should_validate_formats(true)
        .build(&crate::formats::sarif_schema())
        .unwrap();
    assert!(sarif_schema.is_valid(&sarif));
    // Two images of one run share the base layer: it is fetched once.
    let base_blob = {
        let m: Value =
            serde_json::from_slice(&std::fs::read(layout.join("index.json")).unwrap()).unwrap();
        let md = m["manifests"][0]["digest"]
            .as_str()
            .unwrap()
            .replace("sha256:", "");
        let man: Value =
            serde_json::from_slice(&std::fs::read(layout.join("blobs/sha256").join(md)).unwrap())
                .unwrap();
        man["layers"][0]["digest"].as_str().unwrap().to_string()
    };
    let before = reg.blob_gets(&base_blob);
    let two = format!("registry:{host}/app:2");
    let (both, _) = scan(&t, &[insecure[0], insecure[1], &reference, &two], &[]);
    // app:1 has 2 files left; app:2 keeps the base's 3 and adds one.
    assert_eq!(both["results"].as_array().unwrap().len(), 6, "{both:#}");
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(
        reg.blob_gets(&base_blob) - before,
        1,
        "base layer fetched once per run"
    );

    // Without --insecure-registry, a plain-HTTP registry is an error that says what to do.
    let (refused, code) = scan(&t, &[&reference], &[]);
    assert_eq!(refused["results"][0]["verdict"], "error");
    assert!(
        reason(&refused, 0).contains(&format!("--insecure-registry {host}")),
        "{refused:#}"
    );
    assert_eq!(code, 0, "--fail-on never");
    // A tag that does not exist: an error record naming it, and the batch goes on.
    let missing = format!("registry:{host}/app:nope");
    let (doc, _) = scan(&t, &[insecure[0], insecure[1], &missing, "app.tar"], &[]);
    assert_eq!(doc["results"][0]["path"], missing.as_str());
    assert_eq!(doc["results"][0]["verdict"], "error");
    assert!(reason(&doc, 0).contains("404"), "{doc:#}");
    assert_eq!(doc["results"].as_array().unwrap().len(), 3);
}

/// A multi-platform index (amd64 + arm64): the default is this machine's platform,
/// `--platform` picks one, `--platform all` makes each its own artifact — for a registry and
/// for the OCI layout it was pushed from.
/// Registries hold layers gzip'd, zstd'd (`tar+zstd`) or uncompressed (`tar`): each form, pushed
/// byte for byte to the real registry, gives exactly the records of the docker-save tarball.
#[test]
fn registry_layers_gzip_zstd_and_uncompressed() {
    if !have("docker-registry") || !have("skopeo") {
        return;
    }
    let t = temp_dir("images-layering");
    let reg = Registry::start(&t, None, None);
    let host = &reg.host;
    let image = || {
        vec![Platform {
            arch: "amd64",
            layers: app_layers(),
        }]
    };
    let gzip = t.join("gzip");
    oci_layout_as(&gzip, "1", &image(), Layering::Gzip);
    let tarball = t.join("app.tar");
    skopeo(&[
        &format!("oci:{}:1", gzip.display()),
        &format!("docker-archive:{}:app:1", tarball.display()),
    ]);
    let (saved, _) = scan(&t, &["app.tar"], &[]);
    assert_eq!(saved["results"].as_array().unwrap().len(), 2, "{saved:#}");
    for layering in [Layering::Gzip, Layering::Zstd, Layering::Uncompressed] {
        let dir = t.join(format!("{layering:?}"));
        oci_layout_as(&dir, "1", &image(), layering);
        push(&dir, host, "forms", &format!("{layering:?}").to_lowercase());
        // The registry serves the layers with the media type they were pushed with.
        let served = ureq::get(format!(
            "http://{host}/v2/forms/manifests/{}",
            format!("{layering:?}").to_lowercase()
        ))
        .header("Accept", "application/vnd.oci.image.manifest.v1+json")
        .call()
        .unwrap()
        .body_mut()
        .read_to_vec()
        .unwrap();
        let served: Value = serde_json::from_slice(&served).unwrap();
        assert_eq!(served["layers"][1]["mediaType"], layering.media_type());
        let reference = format!(
            "registry:{host}/forms:{}",
            format!("{layering:?}").to_lowercase()
        );
        let (pulled, code) = scan(&t, &["--insecure-registry", host, &reference], &[]);
        assert_eq!(code, 0, "{layering:?}: {pulled:#}");
        assert_eq!(
            normalised(&pulled, &reference),
            normalised(&saved, "app.tar"),
            "{layering:?}:\n{pulled:#}"
        );
    }
    // A blob over --max-artifact-size is a limit (a `skipped` record), as a local archive is.
    let reference = format!("registry:{host}/forms:gzip");
    let (limited, _) = scan(
        &t,
        &[
            "--insecure-registry",
            host,
            "--max-artifact-size",
            "300",
            &reference,
        ],
        &[],
    );
    assert_eq!(limited["results"][0]["verdict"], "skipped", "{limited:#}");
    assert!(
        reason(&limited, 0).contains("larger than 300 bytes"),
        "{limited:#}"
    );
}

#[test]
fn platforms_of_a_multi_arch_index() {
    if !have("docker-registry") || !have("skopeo") {
        return;
    }
    let t = temp_dir("images-platforms");
    let reg = Registry::start(&t, None, None);
    let layout = t.join("multi");
    let amd = tar(&[file("usr/bin/hello", sample("hello-glibc"))], true);
    let arm = tar(
        &[file("usr/bin/hello", sample("hello-glibc-aarch64"))],
        true,
    );
    oci_layout(
        &layout,
        "1",
        &[
            Platform {
                arch: "amd64",
                layers: vec![(amd, "COPY hello /usr/bin/")],
            },
            Platform {
                arch: "arm64",
                layers: vec![(arm, "COPY hello /usr/bin/")],
            },
        ],
    );
    let host = &reg.host;
    skopeo(&[
        "--all",
        "--dest-tls-verify=false",
        &format!("oci:{}:1", layout.display()),
        &format!("docker://{host}/multi:1"),
    ]);
    let reference = format!("registry:{host}/multi:1");
    let ins = ["--insecure-registry", host.as_str()];
    let arch_of = |doc: &Value| -> Vec<String> {
        doc["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["elf"]["arch"].as_str().unwrap_or("-").to_string())
            .collect()
    };
    let layout_arg = layout.display().to_string();
    // The same layout as a tarball: an archive the results cache (shared by every scan here)
    // replays, so the platform must be part of what it is remembered under: each scan below asks
    // another one, and the tarball is scanned twice.
    let tarball = t.join("multi.tar");
    let packed = Command::new("tar")
        .arg("-cf")
        .arg(&tarball)
        .arg("-C")
        .arg(&layout)
        .args(["index.json", "oci-layout", "blobs"])
        .status()
        .unwrap();
    assert!(packed.success());
    let tarball_arg = tarball.display().to_string();
    for input in [
        reference.as_str(),
        layout_arg.as_str(),
        tarball_arg.as_str(),
        tarball_arg.as_str(),
    ] {
        let (default, _) = scan(&t, &[ins[0], ins[1], "--cache", "c", input], &[]);
        let expect = if cfg!(target_arch = "aarch64") {
            "aarch64"
        } else {
            "x86_64"
        };
        assert_eq!(arch_of(&default), vec![expect.to_string()], "{default:#}");
        let (arm, _) = scan(
            &t,
            &[
                ins[0],
                ins[1],
                "--cache",
                "c",
                "--platform",
                "linux/arm64",
                input,
            ],
            &[],
        );
        assert_eq!(arch_of(&arm), vec!["aarch64".to_string()], "{arm:#}");
        assert_eq!(arm["results"][0]["path"], format!("{input}!/usr/bin/hello"));
        assert_eq!(arm["results"][0]["image"]["platform"], "linux/arm64");
        let (all, _) = scan(
            &t,
            &[ins[0], ins[1], "--cache", "c", "--platform", "all", input],
            &[],
        );
        let names: Vec<(String, String)> = all["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["artifact"].as_str().unwrap().into(),
                    r["path"].as_str().unwrap().into(),
                )
            })
            .collect();
        assert_eq!(
            names,
            vec![
                (
                    format!("{input}@linux/amd64"),
                    format!("{input}@linux/amd64!/usr/bin/hello")
                ),
                (
                    format!("{input}@linux/arm64"),
                    format!("{input}@linux/arm64!/usr/bin/hello")
                ),
            ]
        );
        let (none, _) = scan(
            &t,
            &[
                ins[0],
                ins[1],
                "--cache",
                "c",
                "--platform",
                "linux/s390x",
                input,
            ],
            &[],
        );
        assert_eq!(none["results"][0]["verdict"], "error");
        let why = reason(&none, 0);
        assert!(
            why.contains("linux/amd64, linux/arm64") && why.contains("--platform"),
            "{why}"
        );
    }
    let bad = run(&t, &["scan", "--platform", "arm64", &reference], &[]);
    assert_eq!(bad.status.code(), Some(2));
}

/// A test CA and a server certificate for 127.0.0.1 signed by it: (CA, certificate, key).
fn openssl_cert(dir: &Path) -> (PathBuf, PathBuf, PathBuf) {
    let openssl = |args: &[&str]| {
        let out = Command::new("openssl")
            .args(args)
            .current_dir(dir)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "openssl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    openssl(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "2",
        "-subj",
        "/CN=muslcheck test CA",
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
    ]);
    openssl(&[
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-subj",
        "/CN=127.0.0.1",
        "-keyout",
        "key.pem",
        "-out",
        "leaf.csr",
    ]);
    std::fs::write(
        dir.join("leaf.ext"),
        "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n",
    )
    .unwrap();
    openssl(&[
        "x509",
        "-req",
        "-in",
        "leaf.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-days",
        "2",
        "-extfile",
        "leaf.ext",
        "-out",
        "cert.pem",
    ]);
    (
        dir.join("ca.pem"),
        dir.join("cert.pem"),
        dir.join("key.pem"),
    )
}

/// A registry with TLS (a self-signed certificate) and htpasswd basic auth: the certificate is
/// trusted only when the user says so, credentials come from the auth file, wrong ones are a
/// clear error record.
#[test]
fn tls_and_credentials() {
    if !have("docker-registry") || !have("skopeo") || !have("htpasswd") || !have("openssl") {
        return;
    }
    let t = temp_dir("images-auth");
    let (ca_cert, cert, key) = openssl_cert(&t);
    let htpasswd = t.join("htpasswd");
    let out = Command::new("htpasswd")
        .args(["-Bbc"])
        .arg(&htpasswd)
        .args(["alice", "s3cret"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let reg = Registry::start(&t, Some(&htpasswd), Some((&cert, &key)));
    let layout = t.join("layout");
    oci_layout(
        &layout,
        "1",
        &[Platform {
            arch: "amd64",
            layers: app_layers(),
        }],
    );
    let host = &reg.host;
    skopeo(&[
        "--dest-tls-verify=false",
        "--dest-creds",
        "alice:s3cret",
        &format!("oci:{}:1", layout.display()),
        &format!("docker://{host}/private/app:1"),
    ]);
    let auth = |user: &str, pw: &str| {
        let b64 = base64_encode(format!("{user}:{pw}").as_bytes());
        let f = t.join(format!("auth-{user}-{pw}.json"));
        std::fs::write(
            &f,
            json!({"auths": {host.as_str(): {"auth": b64}}}).to_string(),
        )
        .unwrap();
        f.display().to_string()
    };
    let good = auth("alice", "s3cret");
    let wrong = auth("alice", "wrong");
    let none = t.join("none.json").display().to_string();
    std::fs::write(&none, "{}").unwrap();
    let reference = format!("registry:{host}/private/app:1");
    let ca = ca_cert.display().to_string();
    let home = t.display().to_string();
    let env = |file: &str| {
        vec![
            ("REGISTRY_AUTH_FILE", file.to_string()),
            ("HOME", home.clone()),
            ("XDG_RUNTIME_DIR", home.clone()),
        ]
    };
    let go = |args: &[&str], file: &str| {
        let e = env(file);
        let e: Vec<(&str, &str)> = e.iter().map(|(k, v)| (*k, v.as_str())).collect();
        scan(&t, args, &e)
    };
    let (ok, code) = go(&["--registry-ca", &ca, &reference], &good);
    assert_eq!(code, 0, "{ok:#}");
    assert_eq!(ok["results"].as_array().unwrap().len(), 2, "{ok:#}");
    assert_eq!(ok["results"][0]["verdict"], "gcompat");
    // SSL_CERT_FILE adds the certificate to the platform's roots.
    let e = env(&good);
    let mut e: Vec<(&str, &str)> = e.iter().map(|(k, v)| (*k, v.as_str())).collect();
    e.push(("SSL_CERT_FILE", &ca));
    let (via_env, _) = scan(&t, &[&reference], &e);
    assert_eq!(via_env["results"][0]["verdict"], "gcompat", "{via_env:#}");
    // An untrusted certificate is refused, and the message names both ways out.
    let (untrusted, _) = go(&[&reference], &good);
    assert_eq!(untrusted["results"][0]["verdict"], "error");
    assert!(
        reason(&untrusted, 0).contains("--registry-ca"),
        "{untrusted:#}"
    );
    // --insecure-registry for this host reads it without verifying the certificate.
    let (insecure, _) = go(&["--insecure-registry", host, &reference], &good);
    assert_eq!(
        insecure["results"].as_array().unwrap().len(),
        2,
        "{insecure:#}"
    );
    // Wrong and missing credentials are error records that say so.
    let (denied, _) = go(&["--registry-ca", &ca, &reference], &wrong);
    assert!(
        reason(&denied, 0).contains("access denied") && reason(&denied, 0).contains("alice"),
        "{denied:#}"
    );
    let (anonymous, _) = go(&["--registry-ca", &ca, &reference], &none);
    assert!(
        reason(&anonymous, 0).contains("docker login"),
        "{anonymous:#}"
    );
}

fn base64_encode(b: &[u8]) -> String {
    const T: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut s = String::new();
    for c in b.chunks(3) {
        let n = (u32::from(c[0]) << 16)
            | (u32::from(*c.get(1).unwrap_or(&0)) << 8)
            | u32::from(*c.get(2).unwrap_or(&0));
        for i in 0..4 {
            if i <= c.len() {
                s.push(T[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                s.push('=');
            }
        }
    }
    s
}

/// What the in-test registry does with a layer blob.
#[derive(Clone, Copy)]
enum Blob {
    Honest,
    /// Other bytes than the digest names.
    Lies,
    /// Content-Length of the whole blob, then half of it and a closed connection.
    BreaksOff,
    /// Headers, a few bytes, then silence.
    Hangs,
}

/// A registry that serves one image per repository name (`honest`, `lies`, `breaks`, `hangs`)
/// over plain HTTP, misbehaving as named.
fn bad_registry() -> (u16, std::thread::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    // Each repository its own layer (a file naming it), so that no two share a digest.
    let image = |repo: &str| {
        let plain = tar(
            &[
                file("usr/bin/hello-musl", sample("hello-musl")),
                file("etc/repo", repo.as_bytes().to_vec()),
            ],
            true,
        );
        let layer = gz(&plain);
        let ld = format!("sha256:{}", hex(&sha2::Sha256::digest(&layer)));
        let diff = format!("sha256:{}", hex(&sha2::Sha256::digest(&plain)));
        let config = json!({"architecture": "amd64", "os": "linux",
                            "rootfs": {"type": "layers", "diff_ids": [diff]}})
        .to_string();
        let cd = format!("sha256:{}", hex(&sha2::Sha256::digest(config.as_bytes())));
        let manifest = json!({
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cd, "size": config.len()},
            "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": ld, "size": layer.len()}],
        })
        .to_string();
        (manifest, cd, config, ld, layer)
    };
    let images: std::collections::HashMap<String, _> =
        ["honest", "lies", "breaks", "hangs", "tokened", "private"]
            .iter()
            .map(|r| (r.to_string(), image(r)))
            .collect();
    let handle = std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut conn) = conn else { continue };
            let mut line = String::new();
            let mut r = BufReader::new(conn.try_clone().unwrap());
            if r.read_line(&mut line).is_err() || !line.starts_with("GET ") {
                continue; // a TLS probe, or garbage: hang up
            }
            let mut authz = String::new();
            loop {
                let mut h = String::new();
                if r.read_line(&mut h).unwrap_or(0) == 0 || h == "\r\n" {
                    break;
                }
                if let Some((k, v)) = h.split_once(':') {
                    if k.eq_ignore_ascii_case("authorization") {
                        authz = v.trim().to_string();
                    }
                }
            }
            let path = line.split_whitespace().nth(1).unwrap_or("").to_string();
            let repo = path.split('/').nth(2).unwrap_or("");
            if repo == "stop" {
                return;
            }
            let mode = match repo {
                "lies" => Blob::Lies,
                "breaks" => Blob::BreaksOff,
                "hangs" => Blob::Hangs,
                _ => Blob::Honest,
            };
            let send = |conn: &mut TcpStream, ctype: &str, body: &[u8]| {
                let _ = write!(
                    conn,
                    "HTTP/1.1 200 OK\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    body.len()
                );
                let _ = conn.write_all(body);
            };
            // The token service of the Bearer flow: anonymous tokens for everyone, bob's token
            // for bob's password; `tokened` takes either, `private` only bob's.
            if let Some(query) = path.strip_prefix("/token?") {
                let scoped =
                    query.contains("service=test-service") && query.contains("scope=repository%3A");
                let token = match authz.as_str() {
                    "" => "tok-anon",
                    "Basic Ym9iOnB3" => "tok-bob",
                    _ => "",
                };
                if token.is_empty() || !scoped {
                    let _ = write!(
                        conn,
                        "HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                    );
                } else {
                    send(
                        &mut conn,
                        "application/json",
                        json!({"token": token}).to_string().as_bytes(),
                    );
                }
                continue;
            }
            let allowed = match repo {
                "tokened" => authz == "Bearer tok-anon" || authz == "Bearer tok-bob",
                "private" => authz == "Bearer tok-bob",
                _ => true,
            };
            if !allowed {
                let _ = write!(
                    conn,
                    "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Bearer realm=\"http://127.0.0.1:{port}/token\",service=\"test-service\",scope=\"repository:{repo}:pull\"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                );
                continue;
            }
            let Some((manifest, cd, config, ld, layer)) = images.get(repo) else {
                if path == "/v2/" {
                    send(&mut conn, "application/json", b"{}");
                } else {
                    let _ = write!(
                        conn,
                        "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                    );
                }
                continue;
            };
            if path.contains("/manifests/") {
                send(
                    &mut conn,
                    "application/vnd.oci.image.manifest.v1+json",
                    manifest.as_bytes(),
                );
            } else if path.ends_with(cd.as_str()) {
                send(&mut conn, "application/octet-stream", config.as_bytes());
            } else if path.ends_with(ld.as_str()) {
                match mode {
                    Blob::Honest => send(&mut conn, "application/octet-stream", layer),
                    Blob::Lies => {
                        let mut other = layer.clone();
                        let n = other.len();
                        other[n / 2] ^= 0xff;
                        send(&mut conn, "application/octet-stream", &other);
                    }
                    Blob::BreaksOff => {
                        let _ = write!(
                            conn,
                            "HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n",
                            layer.len()
                        );
                        let _ = conn.write_all(&layer[..layer.len() / 2]);
                    }
                    Blob::Hangs => {
                        let _ = write!(
                            conn,
                            "HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n",
                            layer.len()
                        );
                        let _ = conn.write_all(&layer[..16]);
                        std::thread::spawn(move || {
                            std::thread::sleep(Duration::from_secs(5));
                            drop(conn);
                        });
                    }
                }
            } else {
                let _ = write!(
                    conn,
                    "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                );
            }
        }
    });
    (port, handle)
}

/// A blob that does not match its digest, a transfer cut in the middle and a registry that
/// stops answering: each one error record with a clear reason, never a verdict for the image,
/// and the batch goes on.
#[test]
fn blobs_that_lie_break_off_or_hang() {
    let t = temp_dir("images-bad-registry");
    let (port, handle) = bad_registry();
    let host = format!("127.0.0.1:{port}");
    let name = |repo: &str| format!("registry:{host}/{repo}:1");
    let (doc, code) = scan(
        &t,
        &[
            "--insecure-registry",
            &host,
            "--network-timeout",
            "2",
            &name("lies"),
            &name("breaks"),
            &name("hangs"),
            &name("honest"),
        ],
        &[],
    );
    let got = verdicts(&doc);
    assert_eq!(
        got,
        vec![
            (name("lies"), "error".to_string()),
            (name("breaks"), "error".to_string()),
            (name("hangs"), "error".to_string()),
            (
                format!("{}!/usr/bin/hello-musl", name("honest")),
                "native".to_string()
            ),
        ],
        "{doc:#}"
    );
    assert!(
        reason(&doc, 0).contains("does not match its digest"),
        "{}",
        reason(&doc, 0)
    );
    assert!(reason(&doc, 1).contains("broke off"), "{}", reason(&doc, 1));
    let hung = reason(&doc, 2);
    assert!(
        hung.contains("broke off") && hung.to_lowercase().contains("timeout"),
        "{hung}"
    );
    assert_eq!(code, 0, "--fail-on never");
    let _ = TcpStream::connect(("127.0.0.1", port))
        .and_then(|mut c| c.write_all(b"GET /v2/stop/x HTTP/1.1\r\n\r\n"));
    let _ = handle.join();
}

/// The Bearer token flow of a registry with a token service: an anonymous token where that is
/// enough, basic credentials (from a credential helper) exchanged for a token where it is not.
#[test]
fn bearer_tokens_anonymous_and_from_a_credential_helper() {
    let t = temp_dir("images-tokens");
    let (port, handle) = bad_registry();
    let host = format!("127.0.0.1:{port}");
    let name = |repo: &str| format!("registry:{host}/{repo}:1");
    let empty = t.join("empty.json");
    std::fs::write(&empty, "{}").unwrap();
    let empty = empty.display().to_string();
    let home = t.display().to_string();
    let args = [
        "--insecure-registry",
        host.as_str(),
        "--network-timeout",
        "5",
    ];
    let with = |extra: &[&str], env: &[(&str, &str)]| {
        let mut a = args.to_vec();
        a.extend(extra);
        scan(&t, &a, env)
    };
    let anon_env = [
        ("REGISTRY_AUTH_FILE", empty.as_str()),
        ("HOME", home.as_str()),
        ("XDG_RUNTIME_DIR", home.as_str()),
    ];
    let (anon, _) = with(&[&name("tokened"), &name("private")], &anon_env);
    assert_eq!(anon["results"][0]["verdict"], "native", "{anon:#}");
    assert_eq!(anon["results"][1]["verdict"], "error");
    assert!(reason(&anon, 1).contains("needs credentials"), "{anon:#}");
    // A credential helper on PATH, named by credHelpers for this host.
    let bin = t.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let helper = bin.join("docker-credential-muslchecktest");
    std::fs::write(
        &helper,
        format!("#!/bin/sh\nread host\n[ \"$host\" = \"{host}\" ] || {{ echo 'credentials not found in native keychain'; exit 1; }}\necho '{{\"Username\":\"bob\",\"Secret\":\"pw\"}}'\n"),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&helper, std::fs::Permissions::from_mode(0o755)).unwrap();
    let docker_dir = t.join("docker");
    std::fs::create_dir_all(&docker_dir).unwrap();
    std::fs::write(
        docker_dir.join("config.json"),
        json!({"credHelpers": {host.as_str(): "muslchecktest"}}).to_string(),
    )
    .unwrap();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let docker_dir = docker_dir.display().to_string();
    let helper_env = [
        ("DOCKER_CONFIG", docker_dir.as_str()),
        ("PATH", path.as_str()),
        ("HOME", home.as_str()),
        ("XDG_RUNTIME_DIR", home.as_str()),
    ];
    let (bob, _) = with(&[&name("private")], &helper_env);
    assert_eq!(bob["results"][0]["verdict"], "native", "{bob:#}");
    assert_eq!(
        bob["results"][0]["path"],
        format!("{}!/usr/bin/hello-musl", name("private"))
    );
    let _ = TcpStream::connect(("127.0.0.1", port))
        .and_then(|mut c| c.write_all(b"GET /v2/stop/x HTTP/1.1\r\n\r\n"));
    let _ = handle.join();
}

/// podman as root with vfs storage in a temp dir, `podman load` of the tarball, and its
/// Docker-compatible API on a socket the test owns: `docker:`/`podman:` scans through the
/// socket, and `podman:` through the CLI when no socket answers, equal the tarball's records.
#[test]
fn local_engine_through_its_socket_and_its_cli() {
    if !have("podman") || !have("skopeo") {
        return;
    }
    let is_root = Command::new("id")
        .arg("-u")
        .output()
        .map(|o| o.stdout == b"0\n")
        .unwrap_or(false);
    if !is_root {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "CI runs as root"
        );
        eprintln!("skipped: podman with vfs storage needs root here");
        return;
    }
    let t = temp_dir("images-podman");
    let layout = t.join("layout");
    oci_layout(
        &layout,
        "1",
        &[Platform {
            arch: "amd64",
            layers: app_layers(),
        }],
    );
    let tarball = t.join("app.tar");
    skopeo(&[
        &format!("oci:{}:1", layout.display()),
        &format!("docker-archive:{}:app:1", tarball.display()),
    ]);
    let conf = t.join("storage.conf");
    std::fs::write(
        &conf,
        format!(
            "[storage]\ndriver = \"vfs\"\ngraphroot = \"{}\"\nrunroot = \"{}\"\n",
            t.join("graph").display(),
            t.join("run").display()
        ),
    )
    .unwrap();
    let conf = conf.display().to_string();
    let podman = |args: &[&str]| {
        let mut c = Command::new("podman");
        c.args(["--cgroup-manager", "cgroupfs"])
            .args(args)
            .env("CONTAINERS_STORAGE_CONF", &conf);
        c
    };
    let out = podman(&["load", "-i", &tarball.display().to_string()])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let sock = t.join("podman.sock");
    let service = podman(&[
        "system",
        "service",
        "--time=0",
        &format!("unix://{}", sock.display()),
    ])
    .stdout(Stdio::null())
    .stderr(Stdio::null())
    .spawn()
    .unwrap();
    let _service = Server(service);
    let until = Instant::now() + Duration::from_secs(20);
    while std::os::unix::net::UnixStream::connect(&sock).is_err() {
        assert!(
            Instant::now() < until,
            "podman system service did not start"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let url = format!("unix://{}", sock.display());
    let (saved, _) = scan(&t, &["app.tar"], &[]);
    let expected = normalised(&saved, "app.tar");
    let (docker, code) = scan(&t, &["docker:app:1"], &[("DOCKER_HOST", &url)]);
    assert_eq!(code, 0, "{docker:#}");
    assert_eq!(normalised(&docker, "docker:app:1"), expected);
    assert_eq!(docker["results"][0]["image"]["reference"], "app:1");
    let (pod, _) = scan(&t, &["podman:app:1"], &[("CONTAINER_HOST", &url)]);
    assert_eq!(normalised(&pod, "podman:app:1"), expected);
    // No socket: `podman save` as a child process (reading the same storage).
    let (cli, _) = scan(
        &t,
        &["podman:app:1"],
        &[
            ("CONTAINER_HOST", "unix:///nonexistent/podman.sock"),
            ("CONTAINERS_STORAGE_CONF", &conf),
        ],
    );
    // podman's CLI itself follows CONTAINER_HOST; without it, it reads the local storage.
    let (cli2, _) = {
        let out = Command::new(crate::util::bin())
            .env("XDG_CACHE_HOME", crate::util::own_cache())
            .args([
                "scan",
                "--format",
                "json",
                "--fail-on",
                "never",
                "podman:app:1",
            ])
            .current_dir(&t)
            .env_remove("CONTAINER_HOST")
            .env("XDG_RUNTIME_DIR", t.join("xdg"))
            .env("CONTAINERS_STORAGE_CONF", &conf)
            .output()
            .unwrap();
        (serde_json::from_slice::<Value>(&out.stdout).unwrap(), 0)
    };
    assert_eq!(normalised(&cli2, "podman:app:1"), expected, "{cli2:#}");
    assert_eq!(cli["results"][0]["verdict"], "error");
    // An image the engine does not have: its answer, as an error record.
    let (missing, _) = scan(&t, &["docker:nothing:here"], &[("DOCKER_HOST", &url)]);
    assert_eq!(missing["results"][0]["verdict"], "error");
    assert!(
        reason(&missing, 0).contains("HTTP 404") || reason(&missing, 0).contains("HTTP 500"),
        "{missing:#}"
    );
    // Neither a socket nor a CLI: a clear error.
    let out = Command::new(crate::util::bin())
        .env("XDG_CACHE_HOME", crate::util::own_cache())
        .args([
            "scan",
            "--format",
            "json",
            "--fail-on",
            "never",
            "docker:app:1",
        ])
        .current_dir(&t)
        .env("DOCKER_HOST", "unix:///nonexistent/docker.sock")
        .env("PATH", t.join("empty-path"))
        .output()
        .unwrap();
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let why = reason(&doc, 0);
    assert!(
        why.contains("cannot reach the engine API") && why.contains("no `docker` command"),
        "{why}"
    );
}

/// The path schemes state what a path is; a bare name that is no file but reads as an image
/// reference is a usage error that names the schemes.
#[test]
fn path_schemes_and_the_bare_reference_hint() {
    let t = temp_dir("images-schemes");
    let layout = t.join("layout");
    oci_layout(
        &layout,
        "1",
        &[Platform {
            arch: "amd64",
            layers: app_layers(),
        }],
    );
    let l = layout.display().to_string();
    let (bare, _) = scan(&t, &[&l], &[]);
    let (oci_dir, _) = scan(&t, &[&format!("oci-dir:{l}")], &[]);
    assert_eq!(oci_dir, bare);
    assert_eq!(bare["results"].as_array().unwrap().len(), 2);
    // dir: walks the layout as files: the gzip'd layers are archives of their own.
    let (as_dir, _) = scan(&t, &[&format!("dir:{l}")], &[]);
    assert!(
        as_dir["results"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["path"].as_str().unwrap().contains("/blobs/sha256/")),
        "{as_dir:#}"
    );
    // An OCI layout tarball and a docker-save tarball, stated.
    let oci_tar = t.join("oci.tar");
    assert!(
        Command::new("tar")
            .arg("-C")
            .arg(&layout)
            .arg("-cf")
            .arg(&oci_tar)
            .arg(".")
            .status()
            .unwrap()
            .success()
    );
    let (oa, _) = scan(&t, &["oci-archive:oci.tar"], &[]);
    assert_eq!(normalised(&oa, "oci.tar"), normalised(&bare, &l));
    let (not_image, _) = scan(&t, &["docker-archive:layout/oci-layout"], &[]);
    assert_eq!(not_image["results"][0]["verdict"], "error");
    let (not_layout, _) = scan(&t, &["oci-dir:."], &[]);
    assert!(reason(&not_layout, 0).contains("not an OCI image layout"));
    // file: reads a path whatever it looks like.
    std::fs::copy(crate::util::sample("hello-musl"), t.join("docker:x")).unwrap();
    let (f, _) = scan(&t, &["file:docker:x"], &[]);
    assert_eq!(f["results"][0]["path"], "docker:x");
    assert_eq!(f["results"][0]["verdict"], "native");
    // A bare image reference: exit 2, and the message says which scheme to use.
    let out = run(&t, &["scan", "alpine:3.20"], &[]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("registry:alpine:3.20") && err.contains("docker:alpine:3.20"),
        "{err}"
    );
    // A missing plain path is a usage error too, before any scanning (#11).
    let out = run(&t, &["scan", "no-such-file"], &[]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let out = run(&t, &["scan", "registry:Bad/Name"], &[]);
    assert_eq!(out.status.code(), Some(2));
    let help = run(&t, &["scan", "--help"], &[]);
    let help = String::from_utf8_lossy(&help.stdout);
    assert!(
        help.contains("registry:REF")
            && help.contains("oci-archive:FILE")
            && help.contains("--platform"),
        "{help}"
    );
}

/// A pulled image is content-addressed by its manifest, an OCI layout by its index: the results
/// cache replays either without reading a layer while that is unchanged, and reads it again once
/// the tag moves or the index is rewritten (#13: "an image layer whose digest is known is not
/// decompressed again").
#[test]
fn an_image_is_replayed_from_the_cache_until_it_changes() {
    if !have("docker-registry") || !have("skopeo") {
        return;
    }
    let t = temp_dir("images-cache");
    let reg = Registry::start(&t, None, None);
    let host = reg.host.clone();
    let publish = |dir: &str, layers: Vec<(Vec<u8>, &'static str)>| {
        let layout = t.join(dir);
        oci_layout(
            &layout,
            "1",
            &[Platform {
                arch: "amd64",
                layers,
            }],
        );
        skopeo(&[
            "--dest-tls-verify=false",
            &format!("oci:{}:1", layout.display()),
            &format!("docker://{host}/app:1"),
        ]);
    };
    publish("v1", app_layers());
    // The same image with another top layer.
    let changed = || {
        let mut layers = app_layers();
        layers[1] = (
            tar(&[file("usr/bin/hello-musl", sample("hello-musl"))], true),
            "COPY x /",
        );
        layers
    };
    let scan_with = |cache: &[&str], input: &[&str]| {
        let mut a = vec![
            "scan",
            "--format",
            "json",
            "--fail-on",
            "never",
            "--verbose",
        ];
        a.extend(cache);
        a.extend(input);
        let out = run(&t, &a, &[]);
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        let doc: Value =
            serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {err}"));
        (doc, err)
    };
    let reference = format!("registry:{host}/app:1");
    let pulled = ["--insecure-registry", host.as_str(), reference.as_str()];
    let cached = ["--cache", "c"];
    let (fresh, _) = scan_with(&["--no-cache"], &pulled);
    let (first, err) = scan_with(&cached, &pulled);
    assert!(err.contains("0 archives not decompressed again"), "{err}");
    assert_eq!(first, fresh);
    let (second, err) = scan_with(&cached, &pulled);
    assert!(err.contains("1 archives not decompressed again"), "{err}");
    assert_eq!(second, fresh);
    assert!(
        second["results"][0]["image"]["layer"].is_object(),
        "{second:#}"
    );
    // The tag now names another image: pulled and read again, as a fresh run reads it.
    publish("v2", changed());
    let (fresh2, _) = scan_with(&["--no-cache"], &pulled);
    assert_ne!(fresh2["results"], fresh["results"]);
    let (third, err) = scan_with(&cached, &pulled);
    assert!(err.contains("0 archives not decompressed again"), "{err}");
    assert_eq!(third, fresh2);

    // An OCI layout directory: its index.json names everything by digest, so the same index is
    // the same image; rewritten, it is read again.
    let layout = t.join("v1").display().to_string();
    let layout = [layout.as_str()];
    let (fresh, _) = scan_with(&["--no-cache"], &layout);
    let (first, _) = scan_with(&cached, &layout);
    let (second, err) = scan_with(&cached, &layout);
    assert!(err.contains("1 archives not decompressed again"), "{err}");
    assert_eq!((&first, &second), (&fresh, &fresh));
    std::fs::remove_dir_all(t.join("v1")).unwrap();
    oci_layout(
        &t.join("v1"),
        "1",
        &[Platform {
            arch: "amd64",
            layers: changed(),
        }],
    );
    let (fresh, _) = scan_with(&["--no-cache"], &layout);
    let (third, err) = scan_with(&cached, &layout);
    assert!(err.contains("0 archives not decompressed again"), "{err}");
    assert_eq!(third, fresh);
}
