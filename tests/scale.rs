//! Fleet scale (#13): the results cache (second runs, two processes at once, a corrupt or
//! foreign cache file) and `scan --shard` + `merge` (equal to one run, refusals).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

use crate::forge;
use crate::util::{copy_samples, json_of, sample, temp_dir};

/// Run muslcheck in `dir` with no cache of its own unless `args` names one.
fn run(dir: &Path, args: &[&str]) -> Output {
    Command::new(crate::util::bin())
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env("XDG_CACHE_HOME", crate::util::own_cache())
        .output()
        .unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A tree, a gzip'd tarball and two loose files: four inputs of three kinds.
fn inputs(dir: &Path) -> Vec<String> {
    copy_samples(dir, "tree/bin", &["hello-glibc", "hello-musl", "fcntl64"]);
    copy_samples(dir, "tree/lib", &["libifunc.so", "liblfs64.so"]);
    let tar = forge::tar(
        &[
            forge::file("usr/bin/app", std::fs::read(sample("needs-zlib")).unwrap()),
            forge::file(
                "usr/lib/plugin.so",
                std::fs::read(sample("plugin-fortify.so")).unwrap(),
            ),
            forge::file("usr/share/doc/readme", b"text".to_vec()),
        ],
        true,
    );
    std::fs::write(dir.join("pkg.tar.gz"), forge::gz(&tar)).unwrap();
    std::fs::copy(sample("weak-missing"), dir.join("weak-missing")).unwrap();
    std::fs::copy(sample("not-elf.txt"), dir.join("notes.txt")).unwrap();
    ["tree", "pkg.tar.gz", "weak-missing", "notes.txt"]
        .map(String::from)
        .to_vec()
}

#[test]
fn a_second_run_answers_from_the_cache_with_the_same_report() {
    let dir = temp_dir("scale-cache-rerun");
    let names = inputs(&dir);
    // Timestamps are trusted only when clearly older than the hashing (racy git).
    std::thread::sleep(std::time::Duration::from_millis(2100));
    let mut args = vec!["scan", "--format", "json", "--verbose", "--cache", "c"];
    args.extend(names.iter().map(String::as_str));
    let first = run(&dir, &args);
    let second = run(&dir, &args);
    let fresh = run(
        &dir,
        &[&["scan", "--format", "json", "--no-cache"][..], &args[6..]].concat(),
    );
    assert_eq!(json_of(&first), json_of(&fresh), "{}", stderr(&first));
    assert_eq!(json_of(&second), json_of(&fresh));
    assert_eq!(first.status.code(), fresh.status.code());
    assert_eq!(second.status.code(), fresh.status.code());
    assert!(
        stderr(&first).contains(
            "0 contents not judged again, 0 more not inspected again, 0 files not hashed again, \
             0 files not opened again, 0 archives"
        ),
        "{}",
        stderr(&first)
    );
    // Second run: 5 tree files + 1 loose ELF known by inode and times; the tarball too, and the
    // judgements of its two members and of the 6 files for this target. The text file is known
    // as not ELF: not even opened.
    assert!(
        stderr(&second).contains(
            "8 contents not judged again, 0 more not inspected again, 7 files not hashed again, \
             1 files not opened again, 1 archives not decompressed again"
        ),
        "{}",
        stderr(&second)
    );
    // Another target: judged again from the same facts, the same as a fresh run for it.
    let mut other = args.clone();
    other.splice(0..1, ["scan", "--target", "alpine:3.17"]);
    let cached = run(&dir, &other);
    assert!(
        stderr(&cached).contains("0 contents not judged again, 8 more not inspected again"),
        "{}",
        stderr(&cached)
    );
    other.retain(|a| *a != "--cache" && *a != "c");
    other.insert(1, "--no-cache");
    let uncached = run(&dir, &other);
    assert_eq!(json_of(&cached), json_of(&uncached));
    // `cache info` sees what was stored; `cache clear` empties it.
    let info = run(&dir, &["cache", "info", "--json", "--cache", "c"]);
    let info = json_of(&info);
    assert_eq!(info["archives"], 1, "{info}");
    assert!(info["facts"].as_u64().unwrap() >= 7, "{info}");
    // One judgement per content and target: 8 for the default target, 8 for alpine:3.17.
    assert_eq!(info["judged"], 16, "{info}");
    assert!(
        run(&dir, &["cache", "clear", "--cache", "c"])
            .status
            .success()
    );
    let info = json_of(&run(&dir, &["cache", "info", "--json", "--cache", "c"]));
    assert_eq!(
        (
            info["facts"].as_u64(),
            info["judged"].as_u64(),
            info["files"].as_u64()
        ),
        (Some(0), Some(0), Some(0))
    );
}

/// A needs-package finding is part of a file's own judgement, and it depends on the package
/// index: a judgement cached without an index must not answer a run with one (#13).
#[test]
fn a_cached_judgement_answers_only_the_same_target_and_package_index() {
    let dir = temp_dir("scale-cache-index");
    copy_samples(&dir, "tree/bin", &["needs-zlib"]);
    std::thread::sleep(std::time::Duration::from_millis(2100));
    // An index in which no package provides zlib: the binary cannot get it from apk.
    std::fs::write(
        dir.join("APKINDEX"),
        "C:Q1abc=\nP:busybox\nV:1.37.0-r0\nA:x86_64\n\n",
    )
    .unwrap();
    let cached = |extra: &[&str]| {
        let mut a = vec!["scan", "--format", "json", "--verbose", "--cache", "c"];
        a.extend(extra);
        a.push("tree");
        run(&dir, &a)
    };
    let fresh = |extra: &[&str]| {
        let mut a = vec!["scan", "--format", "json", "--no-cache"];
        a.extend(extra);
        a.push("tree");
        json_of(&run(&dir, &a))
    };
    let index = ["--apkindex", "APKINDEX"];
    let without = cached(&[]);
    assert_eq!(json_of(&without), fresh(&[]));
    let with = cached(&index);
    assert!(
        stderr(&with).contains("0 contents not judged again, 1 more not inspected again"),
        "{}",
        stderr(&with)
    );
    let report = json_of(&with);
    assert_eq!(report, fresh(&index));
    assert_ne!(report["results"], json_of(&without)["results"]);
    let again = cached(&index);
    assert!(
        stderr(&again).contains("1 contents not judged again"),
        "{}",
        stderr(&again)
    );
    assert_eq!(json_of(&again), report);
}

#[test]
fn two_scans_at_once_neither_corrupt_nor_lose_the_cache() {
    let dir = temp_dir("scale-cache-concurrent");
    copy_samples(
        &dir,
        "a",
        &[
            "hello-glibc",
            "hello-musl",
            "fcntl64",
            "libifunc.so",
            "relr",
        ],
    );
    copy_samples(
        &dir,
        "b",
        &[
            "needs-zlib",
            "hello-cxx",
            "uses-crypt",
            "res-init",
            "fortify",
        ],
    );
    for round in 0..2 {
        // Both start together on an empty cache (round 0: both create it), then on a full one.
        let spawn = |sub: &str| {
            Command::new(crate::util::bin())
                .args([
                    "scan",
                    "--format",
                    "json",
                    "--fail-on",
                    "never",
                    "--cache",
                    "c",
                    sub,
                ])
                .current_dir(&dir)
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        };
        let (a, b) = (spawn("a"), spawn("b"));
        for out in [a.wait_with_output().unwrap(), b.wait_with_output().unwrap()] {
            assert_eq!(
                out.status.code(),
                Some(0),
                "round {round}: {}",
                stderr(&out)
            );
            assert!(
                !stderr(&out).contains("warning"),
                "round {round}: {}",
                stderr(&out)
            );
        }
    }
    let conn = rusqlite::Connection::open(dir.join("c/muslcheck-cache.sqlite3")).unwrap();
    let check: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok");
    let facts: i64 = conn
        .query_row("SELECT count(*) FROM facts", [], |r| r.get(0))
        .unwrap();
    assert_eq!(facts, 10, "every content of both scans is there");
}

#[test]
fn a_corrupt_or_foreign_cache_file_is_reported_and_ignored() {
    let dir = temp_dir("scale-cache-corrupt");
    copy_samples(&dir, "t", &["hello-glibc", "hello-musl"]);
    let expected = run(&dir, &["scan", "--format", "json", "--no-cache", "t"]);
    std::fs::create_dir_all(dir.join("c")).unwrap();
    let file = dir.join("c/muslcheck-cache.sqlite3");
    let foreign = {
        let p = dir.join("foreign.db");
        let conn = rusqlite::Connection::open(&p).unwrap();
        conn.execute_batch("CREATE TABLE facts (key BLOB, data BLOB);")
            .unwrap();
        drop(conn);
        std::fs::read(p).unwrap()
    };
    let garbage = b"SQLite format 3\0 but then nothing that makes sense ".repeat(100);
    for bytes in [garbage, foreign] {
        std::fs::write(&file, &bytes).unwrap();
        let out = run(&dir, &["scan", "--format", "json", "--cache", "c", "t"]);
        assert_eq!(
            out.status.code(),
            expected.status.code(),
            "{}",
            stderr(&out)
        );
        assert_eq!(json_of(&out), json_of(&expected));
        let err = stderr(&out);
        assert!(
            err.contains("warning") && err.contains("muslcheck-cache.sqlite3"),
            "{err}"
        );
        assert_eq!(std::fs::read(&file).unwrap(), bytes, "never changed");
    }
}

/// `scan --shard K/N --format jsonl` for every K, into files; returns their names.
fn shards(dir: &Path, n: u32, extra: &[&str], names: &[String]) -> Vec<String> {
    (0..n)
        .map(|k| {
            let file = format!("shard-{k}.jsonl");
            let shard = format!("{k}/{n}");
            let mut args = vec!["scan", "--format", "jsonl", "-o", &file, "--shard", &shard];
            args.extend_from_slice(extra);
            args.extend(names.iter().map(String::as_str));
            let out = run(dir, &args);
            assert!(out.status.code().is_some_and(|c| c < 2), "{}", stderr(&out));
            file
        })
        .collect()
}

#[test]
fn a_merge_of_shards_equals_one_run_over_everything() {
    let dir = temp_dir("scale-merge");
    let names = inputs(&dir);
    for gate in [&["--fail-on", "gcompat"][..], &["--fail-on", "rebuild"][..]] {
        let mut one = vec!["scan", "--format", "json"];
        one.extend_from_slice(gate);
        one.extend(names.iter().map(String::as_str));
        let single = run(&dir, &one);
        // Eight shards for four inputs: at least four shards get no input at all.
        let files = shards(&dir, 8, &[], &names);
        let empty = files
            .iter()
            .filter(|f| {
                let text = std::fs::read_to_string(dir.join(f)).unwrap();
                let header: Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
                header["shard"]["inputs"].as_array().unwrap().is_empty()
            })
            .count();
        assert!(empty >= 4, "{empty}");
        let mut m = vec!["merge", "--format", "json"];
        m.extend_from_slice(gate);
        m.extend(files.iter().map(String::as_str));
        let merged = run(&dir, &m);
        assert_eq!(
            merged.status.code(),
            single.status.code(),
            "{}",
            stderr(&merged)
        );
        assert_eq!(json_of(&merged), json_of(&single));
        // Any format: the text report's totals line is the single run's.
        let text = |o: &Output| String::from_utf8_lossy(&o.stdout).into_owned();
        let mut m = vec!["merge", "--format", "markdown"];
        m.extend_from_slice(gate);
        m.extend(files.iter().map(String::as_str));
        let mut one = vec!["scan", "--format", "markdown"];
        one.extend_from_slice(gate);
        one.extend(names.iter().map(String::as_str));
        assert_eq!(text(&run(&dir, &m)), text(&run(&dir, &one)));
    }
}

#[test]
fn merge_refuses_shards_that_do_not_make_one_run() {
    let dir = temp_dir("scale-merge-refuse");
    let names = inputs(&dir);
    let files = shards(&dir, 2, &[], &names);
    let refused = |args: &[&str], what: &str| {
        let out = run(&dir, &[&["merge", "--format", "json"][..], args].concat());
        assert_eq!(out.status.code(), Some(2), "{what}: {}", stderr(&out));
        assert!(stderr(&out).contains(what), "{what}: {}", stderr(&out));
    };
    refused(&[&files[0]], "shard 1/2 missing");
    refused(&[&files[0], &files[0]], "both shard 0/2");
    // A shard judged for another target.
    let other: Vec<PathBuf> = shards(&dir, 2, &["--target", "alpine:3.17"], &names)
        .into_iter()
        .map(PathBuf::from)
        .collect();
    std::fs::rename(dir.join(&other[1]), dir.join("other-1.jsonl")).unwrap();
    let files = shards(&dir, 2, &[], &names);
    refused(&[&files[0], "other-1.jsonl"], "one target");
    // A shard that died before its summary line.
    let text = std::fs::read_to_string(dir.join(&files[1])).unwrap();
    let cut: Vec<&str> = text.lines().collect();
    std::fs::write(dir.join("cut.jsonl"), cut[..cut.len() - 1].join("\n")).unwrap();
    refused(&[&files[0], "cut.jsonl"], "did not finish");
    // Made by another symbol database.
    let forged = text.replacen("\"symbol_db\":\"", "\"symbol_db\":\"0", 1);
    std::fs::write(dir.join("forged.jsonl"), forged).unwrap();
    refused(&[&files[0], "forged.jsonl"], "symbol database");
}

/// `--apkindex` (#13): a merge keeps the description of the package index the shards were
/// judged with, as one run states it, and refuses shards made with another index.
#[test]
fn a_merge_keeps_the_package_index_and_refuses_another() {
    let dir = temp_dir("scale-merge-apkindex");
    let names = inputs(&dir);
    let index = |file: &str, zlib: &str| {
        let text = format!(
            "C:Q1abc=\nP:zlib\nV:{zlib}\nA:x86_64\np:so:libz.so.1=1\n\nC:Q1abd=\nP:musl\nV:1.2.5-r0\nA:x86_64\n\n"
        );
        std::fs::write(dir.join(file), text).unwrap();
    };
    index("APKINDEX.one", "1.3.1-r0");
    index("APKINDEX.two", "1.3.1-r1");
    let mut one = vec!["scan", "--format", "json", "--apkindex", "APKINDEX.one"];
    one.extend(names.iter().map(String::as_str));
    let single = json_of(&run(&dir, &one));
    let described = &single["target"]["apkindex"];
    assert_eq!(described["packages"], 2, "{described}");
    let files = shards(&dir, 2, &["--apkindex", "APKINDEX.one"], &names);
    let mut m = vec!["merge", "--format", "json"];
    m.extend(files.iter().map(String::as_str));
    let merged = json_of(&run(&dir, &m));
    assert_eq!(&merged["target"]["apkindex"], described);
    assert_eq!(merged, single);
    // One shard judged with another index: refused, naming what differs.
    let other = shards(&dir, 2, &["--apkindex", "APKINDEX.two"], &names);
    std::fs::rename(dir.join(&other[1]), dir.join("other-index-1.jsonl")).unwrap();
    let files = shards(&dir, 2, &["--apkindex", "APKINDEX.one"], &names);
    let out = run(
        &dir,
        &[
            "merge",
            "--format",
            "json",
            &files[0],
            "other-index-1.jsonl",
        ],
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("package index"), "{}", stderr(&out));
}

/// A file of a tree known from an earlier run as "not ELF" is not opened again while its
/// device, inode, size, mtime and ctime stay the same; once any of them changes it is read
/// again, and the report is a fresh run's.
#[test]
fn a_file_known_as_not_elf_is_read_again_once_it_changes() {
    let dir = temp_dir("scale-cache-other");
    copy_samples(&dir, "tree/bin", &["hello-musl"]);
    let text = dir.join("tree/bin/tool");
    std::fs::write(&text, b"#!/bin/sh\necho placeholder\n").unwrap();
    std::thread::sleep(std::time::Duration::from_millis(2100));
    let cached = [
        "scan",
        "--format",
        "json",
        "--verbose",
        "--cache",
        "c",
        "tree",
    ];
    let fresh = ["scan", "--format", "json", "--no-cache", "tree"];
    let first = run(&dir, &cached);
    assert!(
        stderr(&first).contains("0 files not opened again"),
        "{}",
        stderr(&first)
    );
    let second = run(&dir, &cached);
    assert!(
        stderr(&second).contains("1 files not opened again"),
        "{}",
        stderr(&second)
    );
    assert_eq!(json_of(&second), json_of(&run(&dir, &fresh)));
    // The script is replaced by a binary (same inode, new size and times): judged, not skipped.
    std::fs::write(&text, std::fs::read(sample("hello-glibc")).unwrap()).unwrap();
    let third = run(&dir, &cached);
    assert!(
        stderr(&third).contains("0 files not opened again"),
        "{}",
        stderr(&third)
    );
    let report = json_of(&third);
    assert_eq!(report, json_of(&run(&dir, &fresh)));
    let paths: Vec<&str> = report["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["path"].as_str().unwrap())
        .collect();
    assert!(paths.contains(&"tree/bin/tool"), "{paths:?}");
}

/// An image tarball and a wheel carry records of owners (dpkg's status, a wheel's RECORD) and,
/// for the image, where in it each file is: both are remembered with the archive, so a second
/// run replays them without decompressing anything and gives the fresh report (#13: "an
/// archive or image layer whose digest is known is not decompressed again").
#[test]
fn image_tarballs_and_wheels_are_replayed_with_their_owners() {
    let dir = temp_dir("scale-cache-image");
    let elf = |name: &str| std::fs::read(sample(name)).unwrap();
    let base = forge::tar(
        &[
            forge::file("usr/bin/jq", elf("fcntl64")),
            forge::file(
                "var/lib/dpkg/status",
                b"Package: jq\nStatus: install ok installed\nVersion: 1.6-2.1\n\n".to_vec(),
            ),
            forge::file("var/lib/dpkg/info/jq.list", b"/.\n/usr/bin/jq\n".to_vec()),
        ],
        true,
    );
    let app = forge::tar(&[forge::file("opt/app/hello", elf("hello-musl"))], true);
    let manifest = r#"[{"Config":"c.json","RepoTags":["tool:1"],"Layers":["l1.tar","l2.tar"]}]"#;
    std::fs::write(
        dir.join("image.tar"),
        forge::docker_save(manifest, &[("l1.tar", base), ("l2.tar", forge::gz(&app))]),
    )
    .unwrap();
    std::fs::write(
        dir.join("demo-1.0-py3-none-any.whl"),
        forge::zip(&[
            ("demo/_a.so", elf("fcntl64")),
            (
                "demo-1.0.dist-info/RECORD",
                b"demo/_a.so,sha256=x,1\ndemo-1.0.dist-info/RECORD,,\n".to_vec(),
            ),
            (
                "demo-1.0.dist-info/METADATA",
                b"Name: demo\nVersion: 1.0\n".to_vec(),
            ),
        ]),
    )
    .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(2100));
    let inputs = ["image.tar", "demo-1.0-py3-none-any.whl"];
    let cached = || {
        let mut a = vec!["scan", "--format", "json", "--verbose", "--cache", "c"];
        a.extend(inputs);
        run(&dir, &a)
    };
    let mut fresh = vec!["scan", "--format", "json", "--no-cache"];
    fresh.extend(inputs);
    let fresh = json_of(&run(&dir, &fresh));
    let first = cached();
    assert_eq!(json_of(&first), fresh, "{}", stderr(&first));
    let second = cached();
    assert!(
        stderr(&second).contains("2 archives not decompressed again"),
        "{}",
        stderr(&second)
    );
    let report = json_of(&second);
    assert_eq!(report, fresh);
    // What the replay had to carry: the owners and the image origin.
    let results = report["results"].as_array().unwrap();
    let jq = results
        .iter()
        .find(|r| r["path"].as_str().unwrap().ends_with("!/usr/bin/jq"))
        .unwrap();
    assert!(jq["owner"].is_object(), "{jq}");
    assert_eq!(jq["image"]["reference"], "tool:1", "{jq}");
    assert_eq!(jq["image"]["layer"]["index"], 0, "{jq}");
    let so = results
        .iter()
        .find(|r| r["path"].as_str().unwrap().ends_with("!/demo/_a.so"))
        .unwrap();
    assert!(so["owner"].is_object(), "{so}");
}
