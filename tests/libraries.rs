//! Needed libraries that cannot be had, names with a slash, package indexes and bundled
//! siblings (#11). Every forged binary is a real musl build, so that musl's own loader can
//! confirm the prediction.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::util::{muslcheck, result_at, scan_json, temp_dir};

const LDSO: &str = "/lib/ld-musl-x86_64.so.1";

fn run(cmd: &mut Command) {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `dir/lib/libfoo.so` (a musl library) and `dir/bin/app` linked against it.
fn app_with_libfoo(dir: &Path) -> (PathBuf, PathBuf) {
    std::fs::create_dir_all(dir.join("lib")).unwrap();
    std::fs::create_dir_all(dir.join("bin")).unwrap();
    let src = dir.join("foo.c");
    std::fs::write(&src, "int foo(void) { return 7; }\n").unwrap();
    let lib = dir.join("lib/libfoo.so");
    run(Command::new("musl-gcc")
        .args(["-shared", "-fPIC", "-Wl,-soname,libfoo.so", "-o"])
        .arg(&lib)
        .arg(&src));
    let main = dir.join("main.c");
    std::fs::write(
        &main,
        "int foo(void);\nint main(void) { return foo() - 7; }\n",
    )
    .unwrap();
    let app = dir.join("bin/app");
    run(Command::new("musl-gcc")
        .arg(&main)
        .arg("-o")
        .arg(&app)
        .arg(format!("-L{}", dir.join("lib").display()))
        .arg("-lfoo"));
    let _ = std::fs::remove_file(&src);
    let _ = std::fs::remove_file(&main);
    (app, lib)
}

/// A copy of the musl hello sample that also needs `libs`.
fn hello_needing(dir: &Path, name: &str, libs: &[&str]) -> PathBuf {
    let p = dir.join(name);
    std::fs::copy(crate::util::sample("hello-musl"), &p).unwrap();
    for l in libs {
        run(Command::new("patchelf").arg("--add-needed").arg(l).arg(&p));
    }
    p
}

fn findings<'a>(r: &'a serde_json::Value, id: &str) -> Vec<&'a serde_json::Value> {
    r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["id"] == id)
        .collect()
}

/// A plain-text APKINDEX: one package per paragraph.
fn apkindex(packages: &[(&str, &str, &[&str])]) -> String {
    let mut s = String::new();
    for (name, version, provides) in packages {
        s.push_str(&format!("C:Q1abc=\nP:{name}\nV:{version}\nA:x86_64\n"));
        if !provides.is_empty() {
            let p: Vec<String> = provides.iter().map(|so| format!("so:{so}=1")).collect();
            s.push_str(&format!("p:{}\n", p.join(" ")));
        }
        s.push('\n');
    }
    s
}

#[test]
fn a_library_no_one_provides_blocks_the_binary() {
    let dir = temp_dir("lib-unavailable");
    // Issue 11: Debian's libsystemd-shared is private to systemd; no Alpine package has it.
    let bin = hello_needing(&dir, "uses-systemd", &["libsystemd-shared-252.so"]);
    let (doc, _) = scan_json(&[], &[&bin]);
    let r = &doc["results"][0];
    assert_eq!(r["verdict"], "rebuild", "{r}");
    let f = findings(r, "unavailable-library");
    assert_eq!(f.len(), 1, "{r}");
    assert_eq!(f[0]["library"], "libsystemd-shared-252.so");
    assert_eq!(f[0]["requires"], "rebuild");
    assert_eq!(f[0]["confidence"], "unknown");
    assert!(f[0]["fix"].as_str().unwrap().contains("bundle"), "{r}");
    assert!(findings(r, "needs-package").is_empty(), "{r}");
    // And musl's loader agrees: nothing provides it.
    let out = Command::new(LDSO).arg("--list").arg(&bin).output().unwrap();
    assert_ne!(out.status.code(), Some(0));
    // It is not offered to apk.
    let install = doc["summary"]["install"].as_array().unwrap();
    assert!(
        !install
            .iter()
            .any(|p| p.as_str().unwrap().contains("systemd")),
        "{install:?}"
    );
    let bundle = doc["summary"]["bundle_or_rebuild"].as_array().unwrap();
    assert!(
        bundle
            .iter()
            .any(|b| b["library"] == "libsystemd-shared-252.so"),
        "{bundle:?}"
    );
}

#[test]
fn libselinux_is_packaged_by_alpine() {
    let dir = temp_dir("lib-selinux");
    let bin = hello_needing(&dir, "ls-like", &["libselinux.so.1"]);
    let (doc, _) = scan_json(&[], &[&bin]);
    let r = &doc["results"][0];
    assert_eq!(r["verdict"], "native", "{r}");
    let f = findings(r, "needs-package");
    assert_eq!(f.len(), 1, "{r}");
    assert_eq!(f[0]["package"], "libselinux");
    assert_eq!(f[0]["confidence"], "verified-table");
    assert_eq!(doc["summary"]["install"][0], "libselinux");
}

#[test]
fn an_apkindex_decides_what_apk_can_install() {
    let dir = temp_dir("lib-apkindex");
    let bin = hello_needing(&dir, "app", &["libvendored.so.3", "libz.so.1"]);
    // The index provides libvendored (under its own package name) and no zlib.
    let index = dir.join("APKINDEX");
    std::fs::write(
        &index,
        apkindex(&[
            ("vendored-libs", "3.1-r0", &["libvendored.so.3"]),
            ("busybox", "1.37.0-r0", &[]),
        ]),
    )
    .unwrap();
    let idx = index.display().to_string();
    let (doc, _) = scan_json(&["--apkindex", &idx], &[&bin]);
    let r = &doc["results"][0];
    assert_eq!(r["verdict"], "rebuild", "{r}");
    let pkg = findings(r, "needs-package");
    assert_eq!(pkg.len(), 1, "{r}");
    assert_eq!(pkg[0]["package"], "vendored-libs");
    assert_eq!(pkg[0]["confidence"], "apkindex");
    let un = findings(r, "unavailable-library");
    assert_eq!(un.len(), 1, "{r}");
    assert_eq!(un[0]["library"], "libz.so.1");
    assert_eq!(un[0]["confidence"], "apkindex");

    // The same index as Alpine ships it: a gzip'd tar holding APKINDEX (and DESCRIPTION).
    let text = std::fs::read(&index).unwrap();
    let mut b = tar::Builder::new(Vec::new());
    for (name, data) in [("DESCRIPTION", &b"v3.22"[..]), ("APKINDEX", &text[..])] {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        b.append_data(&mut h, name, data).unwrap();
    }
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut gz, &b.into_inner().unwrap()).unwrap();
    let indexes = dir.join("indexes");
    std::fs::create_dir_all(&indexes).unwrap();
    std::fs::write(indexes.join("APKINDEX.abcd.tar.gz"), gz.finish().unwrap()).unwrap();
    let d = indexes.display().to_string();
    let (doc2, _) = scan_json(&["--apkindex", &d], &[&bin]);
    assert_eq!(doc2["results"][0]["findings"], r["findings"]);
    // Nothing to install for a binary that cannot run; zlib is listed to bundle or rebuild.
    assert_eq!(doc2["summary"]["install"], serde_json::json!([]));
    assert_eq!(
        doc2["summary"]["bundle_or_rebuild"][0]["library"],
        "libz.so.1"
    );
    let runs = hello_needing(&dir, "runs", &["libvendored.so.3"]);
    let (doc3, _) = scan_json(&["--apkindex", &d], &[&runs]);
    assert_eq!(doc3["results"][0]["verdict"], "native");
    assert_eq!(
        doc3["summary"]["install"],
        serde_json::json!(["vendored-libs"])
    );
    assert_eq!(doc3["target"]["apkindex"]["packages"], 2);

    // A file that is not an index is a usage error, before any scanning.
    let out = muslcheck([
        "scan",
        "--apkindex",
        bin.to_str().unwrap(),
        "samples/bin/hello-musl",
    ]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn origin_in_dt_needed_is_a_literal_path_for_musl() {
    let dir = temp_dir("lib-origin");
    // Under /opt, so that musl's default directories (/lib, /usr/lib) do not reach the library.
    let (app, lib) = app_with_libfoo(&dir.join("opt/py"));
    let needed = "$ORIGIN/../lib/libfoo.so";
    run(Command::new("patchelf")
        .args(["--replace-needed", "libfoo.so", needed])
        .arg(&app));

    // musl opens the name as a path relative to the working directory: no $ORIGIN expansion.
    let out = Command::new(LDSO)
        .arg("--list")
        .arg(&app)
        .current_dir(&dir)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_ne!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("Error loading shared library $ORIGIN/../lib/libfoo.so"),
        "{stderr}"
    );
    // ... which a directory literally named `$ORIGIN` under the working directory satisfies.
    let literal = dir.join("cwd");
    std::fs::create_dir_all(literal.join("$ORIGIN")).unwrap();
    std::fs::create_dir_all(literal.join("lib")).unwrap();
    std::fs::copy(&lib, literal.join("lib/libfoo.so")).unwrap();
    let out = Command::new(LDSO)
        .arg("--list")
        .arg(&app)
        .current_dir(&literal)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::remove_dir_all(&literal).unwrap();

    // muslcheck: the tree's app will not load; the library it meant is judged; the fix is given.
    let (doc, _) = scan_json(&["--gcompat", "none"], &[&dir]);
    let r = doc["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["path"].as_str().unwrap().ends_with("bin/app"))
        .unwrap();
    assert_eq!(r["verdict"], "rebuild", "{r}");
    let f = findings(r, "needed-path");
    assert_eq!(f.len(), 1, "{r}");
    assert_eq!(f[0]["library"], needed);
    let fix = f[0]["fix"].as_str().unwrap();
    assert!(
        fix.contains("patchelf --replace-needed '$ORIGIN/../lib/libfoo.so' libfoo.so"),
        "{fix}"
    );
    assert!(fix.contains("--set-rpath '$ORIGIN/../lib'"), "{fix}");
    let entry = &r["closure"][0];
    assert_eq!(entry["library"], needed);
    assert!(entry["found"].is_null(), "{entry}");
    assert!(
        entry["intended"]
            .as_str()
            .unwrap()
            .ends_with("lib/libfoo.so"),
        "{entry}"
    );
    assert_eq!(entry["verdict"], "native");
    // Nothing is offered to apk for it.
    assert!(findings(r, "needs-package").is_empty(), "{r}");
    assert!(doc["summary"]["install"].as_array().unwrap().is_empty());

    // Applying the fix makes musl load it, as the finding promises.
    let patched = app.clone();
    run(Command::new("patchelf")
        .args(["--replace-needed", needed, "libfoo.so"])
        .arg(&patched));
    run(Command::new("patchelf")
        .args(["--set-rpath", "$ORIGIN/../lib"])
        .arg(&patched));
    let out = Command::new(LDSO)
        .arg("--list")
        .arg(&patched)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (doc, _) = scan_json(&["--gcompat", "none"], &[&dir]);
    for r in doc["results"].as_array().unwrap() {
        assert_eq!(r["verdict"], "native", "{r}");
    }
}

#[test]
fn bundled_siblings_are_found_not_packaged() {
    // An auditwheel-style wheel tree: the extension needs a hashed library that sits in
    // `<pkg>.libs/`, without an rpath to it (so musl would not find it on its own).
    let dir = temp_dir("lib-siblings");
    let (app, lib) = app_with_libfoo(&dir.join("build"));
    let site = dir.join("site");
    std::fs::create_dir_all(site.join("pkg")).unwrap();
    std::fs::create_dir_all(site.join("pkg.libs")).unwrap();
    let hashed = "libfoo-00ec42fe.so.1.0.0";
    std::fs::copy(&lib, site.join("pkg.libs").join(hashed)).unwrap();
    let ext = site.join("pkg/_ext.so");
    std::fs::copy(&app, &ext).unwrap();
    run(Command::new("patchelf")
        .args(["--replace-needed", "libfoo.so", hashed])
        .arg(&ext));
    let (doc, _) = scan_json(&[], &[&site]);
    let r = doc["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["path"].as_str().unwrap().ends_with("_ext.so"))
        .unwrap();
    assert!(findings(r, "needs-package").is_empty(), "{r}");
    assert!(findings(r, "unavailable-library").is_empty(), "{r}");
    let off = findings(r, "library-off-path");
    assert_eq!(off.len(), 1, "{r}");
    assert!(
        off[0]["fix"]
            .as_str()
            .unwrap()
            .contains("$ORIGIN/../pkg.libs"),
        "{r}"
    );
    assert!(
        r["closure"][0]["found"].as_str().unwrap().ends_with(hashed),
        "{r}"
    );
    let install = doc["summary"]["install"].as_array().unwrap();
    assert!(install.is_empty(), "{install:?}");
}

#[test]
fn one_unit_judges_two_packages_as_installed_together() {
    // sharp + @img/sharp-libvips: the addon in one npm package needs the library shipped in
    // another. Packed separately (npm pack), each tarball alone lacks the library.
    let dir = temp_dir("lib-one-unit");
    let (app, lib) = app_with_libfoo(&dir.join("build"));
    // As `npm pack` writes them: everything under `package/`, with its package.json.
    let pack = |name: &str, pkg: &str, members: &[(&str, &[u8])]| {
        let mut b = tar::Builder::new(Vec::new());
        let json = format!(r#"{{"name": "{pkg}", "version": "1.0.0"}}"#);
        let mut all: Vec<(&str, &[u8])> = vec![("package/package.json", json.as_bytes())];
        all.extend_from_slice(members);
        for (member, data) in all {
            let mut h = tar::Header::new_gnu();
            h.set_size(data.len() as u64);
            h.set_mode(0o755);
            b.append_data(&mut h, member, data).unwrap();
        }
        let p = dir.join(name);
        std::fs::write(&p, b.into_inner().unwrap()).unwrap();
        p
    };
    let addon = pack(
        "sharp-linux-x64.tgz",
        "@img/sharp-linux-x64",
        &[("package/lib/sharp.node", &std::fs::read(&app).unwrap())],
    );
    let vips = pack(
        "sharp-libvips.tgz",
        "@img/sharp-libvips-linux-x64",
        &[("package/lib/libfoo.so", &std::fs::read(&lib).unwrap())],
    );
    let js_only = pack("sharp.tgz", "sharp", &[]);
    let verdict_of_addon = |doc: &serde_json::Value| {
        doc["results"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["path"].as_str().unwrap().ends_with("sharp.node"))
            .unwrap()
            .clone()
    };
    let (apart, _) = scan_json(&[], &[&addon, &vips]);
    let r = verdict_of_addon(&apart);
    assert_eq!(r["verdict"], "rebuild", "{r}");
    assert_eq!(findings(&r, "unavailable-library").len(), 1, "{r}");
    let (together, _) = scan_json(&["--one-unit"], &[&addon, &vips, &js_only]);
    let r = verdict_of_addon(&together);
    // Each package keeps its owner although both tarballs hold /package/package.json.
    assert_eq!(r["owner"]["name"], "@img/sharp-linux-x64", "{r}");
    let results = together["results"].as_array().unwrap();
    let libfoo = results
        .iter()
        .find(|r| r["path"].as_str().unwrap().ends_with("libfoo.so"))
        .unwrap();
    assert_eq!(libfoo["owner"]["name"], "@img/sharp-libvips-linux-x64");
    // Every input is in the report, the one without ELF files too.
    assert_eq!(results.len(), 3, "{results:?}");
    assert!(
        results.iter().any(
            |r| r["path"].as_str().unwrap().ends_with("sharp.tgz") && r["verdict"] == "skipped"
        )
    );
    assert!(findings(&r, "unavailable-library").is_empty(), "{r}");
    assert!(
        r["closure"][0]["found"]
            .as_str()
            .unwrap()
            .ends_with("libfoo.so"),
        "{r}"
    );
}

#[test]
fn owners_come_from_the_package_managers_records() {
    // A Debian-like tree: dpkg says jq 1.6 installed /usr/bin/jq; Alpine's index has jq.
    let dir = temp_dir("lib-owners");
    let root = dir.join("rootfs");
    std::fs::create_dir_all(root.join("usr/bin")).unwrap();
    std::fs::create_dir_all(root.join("var/lib/dpkg/info")).unwrap();
    std::fs::copy(crate::util::sample("fcntl64"), root.join("usr/bin/jq")).unwrap();
    std::fs::write(
        root.join("var/lib/dpkg/status"),
        "Package: jq\nStatus: install ok installed\nVersion: 1.6-2.1\n\n",
    )
    .unwrap();
    std::fs::write(root.join("var/lib/dpkg/info/jq.list"), "/.\n/usr/bin/jq\n").unwrap();
    // A wheel unpacked beside it: 2 ELF files, one of them needs a rebuild.
    let site = root.join("usr/lib/python3/site-packages");
    std::fs::create_dir_all(site.join("demo")).unwrap();
    std::fs::create_dir_all(site.join("demo-1.0.dist-info")).unwrap();
    std::fs::copy(crate::util::sample("fcntl64"), site.join("demo/_a.so")).unwrap();
    std::fs::copy(crate::util::sample("hello-musl"), site.join("demo/_b.so")).unwrap();
    std::fs::write(
        site.join("demo-1.0.dist-info/RECORD"),
        "demo/_a.so,sha256=x,1\ndemo/_b.so,sha256=y,2\ndemo-1.0.dist-info/RECORD,,\n",
    )
    .unwrap();
    let index = dir.join("APKINDEX");
    std::fs::write(&index, apkindex(&[("jq", "1.7.1-r0", &[])])).unwrap();
    let idx = index.display().to_string();
    let (doc, _) = scan_json(&["--apkindex", &idx], &[&root]);
    let jq = &result_at(&doc, "usr/bin/jq");
    assert_eq!(
        jq["owner"],
        serde_json::json!({"ecosystem": "deb", "name": "jq", "version": "1.6-2.1"})
    );
    let f = findings(jq, "alpine-package");
    assert_eq!(f.len(), 1, "{jq}");
    assert_eq!(f[0]["package"], "jq");
    assert_eq!(f[0]["confidence"], "apkindex");
    assert!(
        f[0]["message"].as_str().unwrap().contains("1.7.1-r0"),
        "{jq}"
    );
    let packages = doc["summary"]["packages"].as_array().unwrap();
    let wheel = packages.iter().find(|p| p["ecosystem"] == "wheel").unwrap();
    assert_eq!(wheel["name"], "demo");
    assert_eq!(wheel["version"], "1.0");
    assert_eq!(wheel["verdict"], "rebuild");
    assert_eq!(wheel["totals"]["rebuild"], 1);
    assert_eq!(wheel["totals"]["native"], 1);
    // The text report says it in one line.
    let out = muslcheck(["scan", "--apkindex", &idx, root.to_str().unwrap()]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("wheel demo 1.0 runs on musl? no: 1 of 2 ELF files need a rebuild"),
        "{text}"
    );
    // Without an index the name is not known to Alpine: no replacement is promised.
    let (doc, _) = scan_json(&[], &[&root]);
    let jq = &result_at(&doc, "usr/bin/jq");
    assert!(findings(jq, "alpine-package").is_empty(), "{jq}");
}

#[test]
fn an_images_apk_database_is_package_knowledge() {
    // An Alpine image (or its tree) records the packages it has in lib/apk/db/installed: real
    // Alpine packages, so their `so:` provides (and library files) are known, where the
    // embedded table knows neither name.
    let dir = temp_dir("lib-installed-db");
    let tree = dir.join("tree");
    std::fs::create_dir_all(tree.join("usr/bin")).unwrap();
    std::fs::create_dir_all(tree.join("lib/apk/db")).unwrap();
    let app = hello_needing(&dir, "app", &["libexample.so.7", "libother.so.2"]);
    std::fs::copy(&app, tree.join("usr/bin/app")).unwrap();
    let stuck = hello_needing(&dir, "stuck", &["libexample.so.7", "libnowhere.so.1"]);
    std::fs::copy(&stuck, tree.join("usr/bin/stuck")).unwrap();
    let db = "C:Q1abc=\nP:example-libs\nV:7.1-r0\nA:x86_64\np:so:libexample.so.7=7.1\n\
              F:usr/lib\nR:libexample.so.7.1.0\n\n\
              C:Q1def=\nP:other-libs\nV:2.0-r3\nA:x86_64\nF:usr/lib\nR:libother.so.2\n\n";
    let scan_tree = || {
        let (doc, _) = scan_json(&[], &[&tree]);
        (
            result_at(&doc, "/usr/bin/app"),
            result_at(&doc, "/usr/bin/stuck"),
            doc,
        )
    };

    // Without the database neither name is known: both binaries fail closed.
    let (app, _, _) = scan_tree();
    assert_eq!(app["verdict"], "rebuild", "{app}");
    assert_eq!(findings(&app, "unavailable-library").len(), 2, "{app}");

    std::fs::write(tree.join("lib/apk/db/installed"), db).unwrap();
    let (app, stuck, doc) = scan_tree();
    assert_eq!(app["verdict"], "native", "{app}");
    assert!(findings(&app, "unavailable-library").is_empty(), "{app}");
    let pkgs: Vec<(&str, &str)> = findings(&app, "needs-package")
        .iter()
        .map(|f| {
            assert_eq!(f["confidence"], "installed-db", "{f}");
            (
                f["library"].as_str().unwrap(),
                f["package"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(pkgs.len(), 2, "a `so:` provide and a library file: {app}");
    assert!(
        pkgs.contains(&("libexample.so.7", "example-libs")),
        "{pkgs:?}"
    );
    assert!(pkgs.contains(&("libother.so.2", "other-libs")), "{pkgs:?}");
    assert_eq!(
        doc["summary"]["install"],
        serde_json::json!(["example-libs", "other-libs"])
    );
    // A name nothing provides still blocks, and is listed to bundle or rebuild.
    assert_eq!(stuck["verdict"], "rebuild", "{stuck}");
    let un = findings(&stuck, "unavailable-library");
    assert_eq!(un.len(), 1, "{stuck}");
    assert_eq!(un[0]["library"], "libnowhere.so.1");
    let bundle = doc["summary"]["bundle_or_rebuild"].as_array().unwrap();
    assert_eq!(bundle.len(), 1, "{bundle:?}");
    assert_eq!(bundle[0]["library"], "libnowhere.so.1");

    // The text report's action line names the packages, and only them.
    let out = muslcheck(["scan", tree.to_str().unwrap()]);
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text
        .lines()
        .find(|l| l.starts_with("To run the rest: "))
        .unwrap_or_else(|| panic!("{text}"));
    assert_eq!(line, "To run the rest: apk add example-libs other-libs");
    assert!(
        text.contains("Bundle or rebuild (no Alpine package provides them): libnowhere.so.1"),
        "{text}"
    );
}

/// An npm tarball as `npm pack` writes it, gzip'd: `members` below `package/`, in that order.
fn npm_tarball(path: &Path, members: &[(&str, &[u8])]) {
    let mut b = tar::Builder::new(Vec::new());
    for (member, data) in members {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o755);
        b.append_data(&mut h, format!("package/{member}"), *data)
            .unwrap();
    }
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut gz, &b.into_inner().unwrap()).unwrap();
    std::fs::write(path, gz.finish().unwrap()).unwrap();
}

#[test]
fn one_unit_installs_npm_tarballs_under_node_modules() {
    // sharp's addon finds libvips through RUNPATH $ORIGIN/../../sharp-libvips-linux-x64/lib:
    // a path that exists only once both packages are installed under one node_modules. As
    // packed, both files are in package/lib/, which is not where npm puts them.
    let dir = temp_dir("lib-npm-install");
    let src = dir.join("vips.c");
    std::fs::write(&src, "int vips_init(void) { return 0; }\n").unwrap();
    let vips = dir.join("libvips-cpp.so.42");
    run(Command::new("musl-gcc")
        .args(["-shared", "-fPIC", "-Wl,-soname,libvips-cpp.so.42", "-o"])
        .arg(&vips)
        .arg(&src));
    let addon = hello_needing(&dir, "sharp-linux-x64.node", &["libvips-cpp.so.42"]);
    run(Command::new("patchelf")
        .args(["--set-rpath", "$ORIGIN/../../sharp-libvips-linux-x64/lib"])
        .arg(&addon));
    let addon = std::fs::read(&addon).unwrap();
    let vips = std::fs::read(&vips).unwrap();
    let json = |name: &str| format!(r#"{{"name": "{name}", "version": "1.0.4"}}"#);
    let sharp_json = json("@img/sharp-linux-x64");
    let vips_json = json("@img/sharp-libvips-linux-x64");
    let sharp_tgz = dir.join("img-sharp-linux-x64-0.33.5.tgz");
    npm_tarball(
        &sharp_tgz,
        &[
            ("package.json", sharp_json.as_bytes()),
            ("lib/sharp-linux-x64.node", &addon),
        ],
    );
    // package.json after the library: the name is still known before the library's path is.
    let vips_tgz = dir.join("img-sharp-libvips-linux-x64-1.0.4.tgz");
    npm_tarball(
        &vips_tgz,
        &[
            ("lib/libvips-cpp.so.42", &vips),
            ("package.json", vips_json.as_bytes()),
        ],
    );
    let addon_of = |doc: &serde_json::Value| {
        doc["results"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["path"].as_str().unwrap().ends_with(".node"))
            .unwrap_or_else(|| panic!("{doc}"))
            .clone()
    };

    // Alone, the addon's library is nowhere.
    let (alone, _) = scan_json(&[], &[&sharp_tgz]);
    let r = addon_of(&alone);
    assert_eq!(r["verdict"], "rebuild", "{r}");
    assert_eq!(findings(&r, "unavailable-library").len(), 1, "{r}");

    // Installed together, the RUNPATH reaches it: found on the loader's path, not off it.
    let (together, _) = scan_json(&["--one-unit"], &[&sharp_tgz, &vips_tgz]);
    let r = addon_of(&together);
    assert_eq!(r["verdict"], "native", "{r}");
    assert!(findings(&r, "unavailable-library").is_empty(), "{r}");
    assert!(findings(&r, "library-off-path").is_empty(), "{r}");
    assert!(
        r["closure"][0]["found"]
            .as_str()
            .unwrap()
            .ends_with("img-sharp-libvips-linux-x64-1.0.4.tgz!/package/lib/libvips-cpp.so.42"),
        "report paths stay as archived: {r}"
    );
    assert_eq!(r["owner"]["name"], "@img/sharp-linux-x64", "{r}");
    // The results cache remembers each tarball as read alone (files where they were packed);
    // installed together, the same tarballs are not replayed from that.
    let cache = dir.join("cache").display().to_string();
    scan_json(&["--cache", &cache], &[&sharp_tgz, &vips_tgz]);
    let (cached, _) = scan_json(&["--cache", &cache, "--one-unit"], &[&sharp_tgz, &vips_tgz]);
    assert_eq!(cached, together);

    // Without a package.json the tarball's name (version dropped) names the directory.
    let bare = dir.join("bare");
    std::fs::create_dir_all(&bare).unwrap();
    let sharp_bare = bare.join("sharp-linux-x64-0.33.5.tgz");
    npm_tarball(&sharp_bare, &[("lib/sharp-linux-x64.node", &addon)]);
    let vips_bare = bare.join("sharp-libvips-linux-x64-1.0.4.tgz");
    npm_tarball(&vips_bare, &[("lib/libvips-cpp.so.42", &vips)]);
    let (doc, _) = scan_json(&["--one-unit"], &[&sharp_bare, &vips_bare]);
    let r = addon_of(&doc);
    assert_eq!(r["verdict"], "native", "{r}");
    assert!(findings(&r, "library-off-path").is_empty(), "{r}");
}

#[test]
fn rpms_own_database_names_the_package() {
    if !crate::util::tools_present(&["rpm", "rpmbuild"], &[]) {
        return;
    }
    // A tiny package built by rpmbuild, recorded by rpm itself (--justdb) in a tree's
    // var/lib/rpm/rpmdb.sqlite: the database a Fedora ≥ 33 or RHEL 9 image holds.
    let dir = temp_dir("lib-rpmdb");
    let tree = dir.join("tree");
    std::fs::create_dir_all(tree.join("usr/bin")).unwrap();
    std::fs::copy(crate::util::sample("hello-musl"), dir.join("hello")).unwrap();
    std::fs::copy(
        crate::util::sample("hello-musl"),
        tree.join("usr/bin/hello"),
    )
    .unwrap();
    std::fs::copy(
        crate::util::sample("hello-musl"),
        tree.join("usr/bin/stray"),
    )
    .unwrap();
    let spec = dir.join("hello-tool.spec");
    std::fs::write(
        &spec,
        "Name: hello-tool\nVersion: 1.2\nRelease: 3\nSummary: t\nLicense: MIT\n\
         BuildArch: x86_64\n%description\nt\n%install\nmkdir -p %{buildroot}/usr/bin\n\
         cp %{_sourcedir}/hello %{buildroot}/usr/bin/hello\n%files\n/usr/bin/hello\n",
    )
    .unwrap();
    let top = dir.join("rpmbuild");
    run(Command::new("rpmbuild")
        .arg("--define")
        .arg(format!("_topdir {}", top.display()))
        .arg("--define")
        .arg(format!("_sourcedir {}", dir.display()))
        .args([
            "--define",
            "__strip /bin/true",
            "--define",
            "_build_id_links none",
            "--define",
            "debug_package %{nil}",
            "-bb",
        ])
        .arg(&spec));
    let rpm = top.join("RPMS/x86_64/hello-tool-1.2-3.x86_64.rpm");
    run(Command::new("rpm")
        .arg("--root")
        .arg(&tree)
        .args([
            "--dbpath",
            "/var/lib/rpm",
            "--define",
            "_db_backend sqlite",
            "-i",
            "--nodeps",
            "--justdb",
            "--noscripts",
        ])
        .arg(&rpm));
    let db = tree.join("var/lib/rpm/rpmdb.sqlite");
    assert!(db.is_file(), "rpm wrote no rpmdb.sqlite");
    let scan = || {
        let (doc, _) = scan_json(&[], &[&tree]);
        (
            result_at(&doc, "/usr/bin/hello"),
            result_at(&doc, "/usr/bin/stray"),
        )
    };
    let (hello, stray) = scan();
    assert_eq!(
        hello["owner"],
        serde_json::json!({"ecosystem": "rpm", "name": "hello-tool", "version": "1.2-3"}),
        "{hello}"
    );
    assert!(findings(&hello, "owners-unread").is_empty(), "{hello}");
    assert!(stray["owner"].is_null(), "{stray}");

    // A header blob that is not a header: no panic, the owner is unknown, and the report says why.
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.execute("UPDATE Packages SET blob = X'0000FFFF00000010DEADBEEF'", [])
        .unwrap();
    drop(conn);
    let (hello, _) = scan();
    assert_eq!(hello["verdict"], "native", "{hello}");
    assert!(hello["owner"].is_null(), "{hello}");
    let notes = findings(&hello, "owners-unread");
    assert_eq!(notes.len(), 1, "{hello}");
    assert!(
        notes[0]["message"]
            .as_str()
            .unwrap()
            .contains("1 package header(s) could not be read"),
        "{hello}"
    );

    // Berkeley DB (rpm < 4.16) is noted as not read, not silently ignored.
    std::fs::remove_file(&db).unwrap();
    std::fs::write(tree.join("var/lib/rpm/Packages"), [0u8; 4096]).unwrap();
    let (hello, _) = scan();
    assert!(hello["owner"].is_null(), "{hello}");
    let notes = findings(&hello, "owners-unread");
    assert_eq!(notes.len(), 1, "{hello}");
    assert!(
        notes[0]["message"]
            .as_str()
            .unwrap()
            .contains("Berkeley DB"),
        "{hello}"
    );
}
