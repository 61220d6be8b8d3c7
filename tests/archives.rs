//! Every archive kind, built here from the committed samples: names, closure inside archives,
//! nesting, images with whiteouts, dedupe and deterministic order.

use std::io::Write;
use std::path::Path;

use crate::forge;
use crate::util::{Tmp, command, muslcheck, root, scan_json};

fn bin(name: &str) -> Vec<u8> {
    std::fs::read(root().join("samples/bin").join(name)).unwrap()
}

fn vendor(rel: &str) -> Vec<u8> {
    std::fs::read(root().join("samples/vendor").join(rel)).unwrap()
}

/// (member path, bytes) or (link path, target) for building archives.
enum Entry {
    File(&'static str, Vec<u8>),
    Link(&'static str, &'static str),
}

fn vendor_tree(prefix: &'static str) -> Vec<Entry> {
    let p =
        |s: &'static str| -> &'static str { Box::leak(format!("{prefix}{s}").into_boxed_str()) };
    vec![
        Entry::File(p("bin/tool"), vendor("bin/tool")),
        Entry::File(p("lib/libbundled.so.1.0"), vendor("lib/libbundled.so.1.0")),
        Entry::Link(p("lib/libbundled.so.1"), "libbundled.so.1.0"),
        Entry::File(p("lib/libok.so"), vendor("lib/libok.so")),
    ]
}

// Archive builders: the forge's (tests/forge/archive.rs), fed from this file's entries.

fn tar_bytes(entries: &[Entry], end_marker: bool) -> Vec<u8> {
    let members: Vec<forge::Member> = entries
        .iter()
        .map(|e| match e {
            Entry::File(path, data) => forge::file(path, data.clone()),
            Entry::Link(path, target) => forge::link(path, target),
        })
        .collect();
    forge::tar(&members, end_marker)
}

use forge::{bz2, gz, xz, zst};

fn zip_bytes(entries: &[Entry]) -> Vec<u8> {
    let files: Vec<(&str, Vec<u8>)> = entries
        .iter()
        .filter_map(|e| match e {
            Entry::File(path, data) => Some((*path, data.clone())),
            Entry::Link(..) => None,
        })
        .collect();
    forge::zip(&files)
}

fn ar_bytes(members: &[(&str, Vec<u8>)]) -> Vec<u8> {
    forge::ar(members)
}

fn cpio_newc(entries: &[(&str, Vec<u8>)]) -> Vec<u8> {
    forge::cpio(entries, None)
}

fn rpm_bytes(payload: &[u8]) -> Vec<u8> {
    forge::rpm(payload, 1, 5)
}

fn verdicts(doc: &serde_json::Value) -> Vec<(String, String)> {
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

fn assert_vendor_closure(doc: &serde_json::Value, prefix: &str) {
    let rs = doc["results"].as_array().unwrap();
    let tool = rs
        .iter()
        .find(|r| r["path"].as_str().unwrap().ends_with("bin/tool"))
        .expect("tool reported");
    assert_eq!(tool["path"], format!("{prefix}bin/tool"));
    assert_eq!(tool["own_verdict"], "gcompat");
    assert_eq!(
        tool["verdict"], "rebuild",
        "a bundled library needs fcntl64"
    );
    let closure = tool["closure"].as_array().unwrap();
    assert_eq!(closure[0]["library"], "libbundled.so.1");
    assert_eq!(
        closure[0]["found"],
        format!("{prefix}lib/libbundled.so.1.0"),
        "found through the symlink"
    );
    assert_eq!(closure[0]["verdict"], "rebuild");
    assert!(
        tool["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["id"] == "bundled-library" && f["library"] == "libbundled.so.1")
    );
    assert_eq!(
        rs.len(),
        3,
        "three ELF files, nothing else: {:?}",
        verdicts(doc)
    );
}

#[test]
fn tar_with_every_compression() {
    let t = Tmp::new("tars");
    let plain = tar_bytes(&vendor_tree("vendor/"), true);
    let kinds: Vec<(&str, Vec<u8>)> = vec![
        ("v.tar", plain.clone()),
        ("v.tar.gz", gz(&plain)),
        ("v.tar.xz", xz(&plain)),
        ("v.tar.zst", zst(&plain)),
        ("v.tar.bz2", bz2(&plain)),
        ("misleading.zip", gz(&plain)), // detected by content, not by name
    ];
    for (name, data) in kinds {
        let p = t.path(name);
        std::fs::write(&p, data).unwrap();
        let (doc, _) = scan_json(&[], &[&p]);
        assert_vendor_closure(&doc, &format!("{}!/vendor/", p.display()));
        assert_eq!(doc["results"][0]["artifact"], p.display().to_string());
    }
}

#[test]
fn zip_family_deb_rpm_apk_and_npm() {
    let t = Tmp::new("pkgs");
    let whl = t.path("pkg-1.0-py3-none-manylinux_2_17_x86_64.whl");
    std::fs::write(
        &whl,
        zip_bytes(&[
            Entry::File("pkg/_native.so", bin("plugin-fortify.so")),
            Entry::File("pkg/__init__.py", b"x=1\n".to_vec()),
        ]),
    )
    .unwrap();
    let deb = t.path("tool_1.0_amd64.deb");
    let data = xz(&tar_bytes(
        &[Entry::File("./usr/bin/fcntl64", bin("fcntl64"))],
        true,
    ));
    let control = gz(&tar_bytes(
        &[Entry::File("./control", b"Package: tool\n".to_vec())],
        true,
    ));
    std::fs::write(
        &deb,
        ar_bytes(&[
            ("debian-binary", b"2.0\n".to_vec()),
            ("control.tar.gz", control),
            ("data.tar.xz", data),
        ]),
    )
    .unwrap();
    let rpm = t.path("tool-1.0.x86_64.rpm");
    std::fs::write(
        &rpm,
        rpm_bytes(&gz(&cpio_newc(&[(
            "./usr/bin/hello-glibc",
            bin("hello-glibc"),
        )]))),
    )
    .unwrap();
    let apk = t.path("tool-1.0-r0.apk");
    let mut apk_bytes = gz(&tar_bytes(
        &[Entry::File(".PKGINFO", b"pkgname = tool\n".to_vec())],
        false,
    ));
    apk_bytes.extend(gz(&tar_bytes(
        &[Entry::File("usr/bin/hello-musl", bin("hello-musl"))],
        true,
    )));
    std::fs::write(&apk, apk_bytes).unwrap();
    let npm = t.path("tool-1.0.0.tgz");
    std::fs::write(
        &npm,
        gz(&tar_bytes(
            &[Entry::File(
                "package/bin/tool.node",
                bin("plugin-native.so"),
            )],
            true,
        )),
    )
    .unwrap();
    let jar = t.path("app.jar");
    std::fs::write(
        &jar,
        zip_bytes(&[Entry::File(
            "native/linux-x86_64/libx.so",
            bin("libifunc.so"),
        )]),
    )
    .unwrap();

    let (doc, _) = scan_json(&[], &[&whl, &deb, &rpm, &apk, &npm, &jar]);
    let got = verdicts(&doc);
    let want = vec![
        (format!("{}!/pkg/_native.so", whl.display()), "gcompat"),
        (format!("{}!/usr/bin/fcntl64", deb.display()), "rebuild"),
        (format!("{}!/usr/bin/hello-glibc", rpm.display()), "gcompat"),
        (format!("{}!/usr/bin/hello-musl", apk.display()), "native"),
        (
            format!("{}!/package/bin/tool.node", npm.display()),
            "native",
        ),
        (
            format!("{}!/native/linux-x86_64/libx.so", jar.display()),
            "rebuild",
        ),
    ];
    let want: Vec<(String, String)> = want.into_iter().map(|(a, b)| (a, b.to_string())).collect();
    assert_eq!(got, want);
    let arts: Vec<_> = doc["summary"]["artifacts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["artifact"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(arts.len(), 6, "one roll-up per artifact");
}

#[test]
fn nested_archives_are_named_with_bangs_and_limited_in_depth() {
    let t = Tmp::new("nested");
    let whl = zip_bytes(&[Entry::File("mod/x.so", bin("plugin-native.so"))]);
    let outer = tar_bytes(&[Entry::File("dist/inner.whl", whl.clone())], true);
    let p = t.path("outer.tar");
    std::fs::write(&p, &outer).unwrap();
    let (doc, _) = scan_json(&[], &[&p]);
    assert_eq!(
        verdicts(&doc),
        vec![(
            format!("{}!/dist/inner.whl!/mod/x.so", p.display()),
            "native".to_string()
        )]
    );

    // Six levels of tar-in-tar: past the default depth limit of 4 the record says why.
    let mut data = tar_bytes(&[Entry::File("x.so", bin("plugin-native.so"))], true);
    for _ in 0..6 {
        let leaked: &'static [u8] = Box::leak(data.into_boxed_slice());
        data = tar_bytes(&[Entry::File("n.tar", leaked.to_vec())], true);
    }
    let deep = t.path("deep.tar");
    std::fs::write(&deep, data).unwrap();
    let (doc, code) = scan_json(&[], &[&deep]);
    let r = &doc["results"][0];
    assert_eq!(r["verdict"], "skipped", "{r}");
    assert!(
        r["reason"]
            .as_str()
            .unwrap()
            .contains("nested deeper than 4"),
        "{r}"
    );
    // #11: what a limit kept from being judged fails the gate closed (exit 3).
    assert_eq!(code, 3, "a limit fails closed");
    assert_eq!(r["findings"][0]["id"], "not-judged", "{r}");
}

fn oci_layout(dir: &Path, layers: &[Vec<u8>]) {
    use sha2::Digest;
    let blobs = dir.join("blobs/sha256");
    std::fs::create_dir_all(&blobs).unwrap();
    let put = |data: &[u8]| {
        let d = hex(&sha2::Sha256::digest(data));
        std::fs::write(blobs.join(&d), data).unwrap();
        (format!("sha256:{d}"), data.len())
    };
    let layer_descs: Vec<_> = layers
        .iter()
        .map(|l| {
            let (d, n) = put(&gz(l));
            serde_json::json!({"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": d, "size": n})
        })
        .collect();
    let (cfg, cfg_n) = put(b"{}");
    let manifest = serde_json::json!({
        "schemaVersion": 2,
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cfg, "size": cfg_n},
        "layers": layer_descs,
    });
    let (md, mn) = put(manifest.to_string().as_bytes());
    let index = serde_json::json!({"schemaVersion": 2, "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": md, "size": mn}]});
    std::fs::write(dir.join("index.json"), index.to_string()).unwrap();
    std::fs::write(dir.join("oci-layout"), r#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn image_layers() -> Vec<Vec<u8>> {
    let lower = tar_bytes(
        &[
            Entry::File("usr/bin/fcntl64", bin("fcntl64")),
            Entry::File("usr/bin/hello-glibc", bin("hello-glibc")),
            Entry::File("opt/old/res-init", bin("res-init")),
        ],
        true,
    );
    let upper = tar_bytes(
        &[
            Entry::File("usr/bin/.wh.fcntl64", Vec::new()),
            Entry::File("opt/old/.wh..wh..opq", Vec::new()),
            Entry::File("opt/old/hello-musl", bin("hello-musl")),
        ],
        true,
    );
    vec![lower, upper]
}

#[test]
fn oci_layout_applies_layers_and_whiteouts() {
    let t = Tmp::new("oci");
    let dir = t.path("image");
    oci_layout(&dir, &image_layers());
    let (doc, _) = scan_json(&[], &[&dir]);
    let d = dir.display();
    // fcntl64 is whited out, /opt/old is opaque: only the upper layer's file survives there.
    assert_eq!(
        verdicts(&doc),
        vec![
            (format!("{d}!/usr/bin/hello-glibc"), "gcompat".to_string()),
            (format!("{d}!/opt/old/hello-musl"), "native".to_string())
        ]
    );
}

#[test]
fn docker_save_tarball_is_one_image() {
    let t = Tmp::new("docker");
    let layers = image_layers();
    let manifest = serde_json::json!([{"Config": "c.json", "RepoTags": ["tool:1"], "Layers": ["l1/layer.tar", "l2/layer.tar"]}]);
    let leak = |v: Vec<u8>| -> Vec<u8> { v };
    let entries = vec![
        Entry::File("manifest.json", manifest.to_string().into_bytes()),
        Entry::File("c.json", b"{}".to_vec()),
        Entry::File("l1/layer.tar", leak(layers[0].clone())),
        Entry::File("l2/layer.tar", leak(layers[1].clone())),
    ];
    let p = t.path("image.tar");
    std::fs::write(&p, tar_bytes(&entries, true)).unwrap();
    let (doc, _) = scan_json(&[], &[&p]);
    let names: Vec<String> = verdicts(&doc).into_iter().map(|(n, _)| n).collect();
    // Reported layer by layer, bottom first.
    assert_eq!(
        names,
        vec![
            format!("{}!/usr/bin/hello-glibc", p.display()),
            format!("{}!/opt/old/hello-musl", p.display())
        ]
    );
}

#[test]
fn identical_files_are_analysed_once() {
    use muslcheck::scan::{Observer, ScanOptions, scan};
    use std::sync::atomic::{AtomicUsize, Ordering};
    struct Count(AtomicUsize, AtomicUsize);
    impl Observer for Count {
        fn analysed(&self, _: u64) {
            self.0.fetch_add(1, Ordering::Relaxed);
        }
        fn inspected(&self) {
            self.1.fetch_add(1, Ordering::Relaxed);
        }
    }
    let t = Tmp::new("dedupe");
    for i in 0..5 {
        std::fs::write(t.path(&format!("copy{i}")), bin("fcntl64")).unwrap();
    }
    std::fs::write(t.path("other"), bin("hello-musl")).unwrap();
    let db = muslcheck::db::Db::get().unwrap();
    let target = muslcheck::judge::Target::resolve(db, None, None, None).unwrap();
    let count = Count(AtomicUsize::new(0), AtomicUsize::new(0));
    let mut records = Vec::new();
    scan(
        std::slice::from_ref(&t.0),
        db,
        &target,
        &ScanOptions::default(),
        &count,
        &mut |rs| records.extend(rs.input()),
    )
    .unwrap();
    assert_eq!(records.len(), 6);
    assert_eq!(count.0.load(Ordering::Relaxed), 6, "every file read");
    assert_eq!(
        count.1.load(Ordering::Relaxed),
        2,
        "two distinct contents judged"
    );
    assert!(
        records[..5]
            .iter()
            .all(|r| r.sha256 == records[0].sha256 && r.verdict == records[0].verdict)
    );
    assert!(
        records[..5]
            .iter()
            .enumerate()
            .all(|(i, r)| r.path.ends_with(&format!("copy{i}")))
    );
}

#[test]
fn output_order_does_not_depend_on_threads() {
    let t = Tmp::new("order");
    let plain = tar_bytes(&vendor_tree("v/"), true);
    std::fs::write(t.path("a.tar.gz"), gz(&plain)).unwrap();
    std::fs::write(t.path("b.tar.zst"), zst(&plain)).unwrap();
    let dir = root().join("samples/bin");
    let args = |j: &str| {
        let out = muslcheck([
            "scan",
            "--format",
            "json",
            "--jobs",
            j,
            t.path("a.tar.gz").to_str().unwrap(),
            dir.to_str().unwrap(),
            t.path("b.tar.zst").to_str().unwrap(),
            root().join("samples/vendor").to_str().unwrap(),
        ]);
        String::from_utf8(out.stdout).unwrap()
    };
    let one = args("1");
    assert!(one.len() > 1000);
    assert_eq!(one, args("2"));
    assert_eq!(one, args("7"));
}

#[test]
fn stdin_list_exclude_symlink_loop_and_jsonl() {
    let t = Tmp::new("misc");
    std::fs::create_dir_all(t.path("tree/sub")).unwrap();
    std::fs::write(t.path("tree/sub/a"), bin("fcntl64")).unwrap();
    std::fs::write(t.path("tree/sub/b.so"), bin("plugin-native.so")).unwrap();
    std::os::unix::fs::symlink("..", t.path("tree/sub/loop")).unwrap();
    let tree = t.path("tree");
    // --follow-symlinks must not loop forever; the loop becomes a record.
    let out = muslcheck([
        "scan",
        "--format",
        "json",
        "--follow-symlinks",
        tree.to_str().unwrap(),
    ]);
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        doc["results"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["reason"].as_str().is_some_and(|s| s.contains("loop"))),
        "{doc}"
    );
    // --exclude by file-name glob
    let (doc, _) = scan_json(&["--exclude", "*.so"], &[&tree]);
    assert_eq!(doc["results"].as_array().unwrap().len(), 1);
    // `-` reads paths from standard input; jsonl has a header, one line per record, a summary
    let mut child = command()
        .args(["scan", "--format", "jsonl", "-"])
        .env("XDG_CACHE_HOME", crate::util::own_cache())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let list = format!(
        "{}\n{}\n",
        t.path("tree/sub/a").display(),
        t.path("tree/sub/b.so").display()
    );
    child
        .stdin
        .take()
        .unwrap()
        .write_all(list.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let lines: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 4, "header, two records, summary");
    assert_eq!(lines[0]["type"], "header");
    assert_eq!(lines[0]["schema_version"], 1);
    assert_eq!(lines[1]["verdict"], "rebuild");
    assert_eq!(lines[2]["verdict"], "native");
    assert_eq!(lines[3]["type"], "summary");
    assert_eq!(lines[3]["gate"]["status"], "failed");
    assert_eq!(out.status.code(), Some(1));
}
