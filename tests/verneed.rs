//! A version node spelled like glibc's belongs to the library whose DT_VERNEED entry names it
//! (#10): libgcc_s versions `__register_frame` as GLIBC_2.0 on i386. musl ignores versions, so the
//! import is that library's to provide; muslcheck must follow the Verneed file, never the spelling.

use std::path::{Path, PathBuf};
use std::process::Command;

fn fixture(name: &str) -> PathBuf {
    crate::util::root()
        .join("tests/fixtures/verneed")
        .join(name)
}

fn ok(cmd: &mut Command) {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// libgcc_s.so.1 (glibc-named versions), a glibc program and a musl library that use it.
fn build(name: &str) -> PathBuf {
    let dir = crate::util::temp_dir(name);
    let map = format!(
        "-Wl,--version-script={}",
        fixture("glibc-named.map").display()
    );
    ok(Command::new("gcc")
        .args([
            "-shared",
            "-fPIC",
            "-O2",
            "-Wl,-soname,libgcc_s.so.1",
            &map,
            "-o",
        ])
        .arg(dir.join("libgcc_s.so.1"))
        .arg(fixture("libgcc-like.c")));
    let link = |cc: &str, out: &str, extra: &[&str]| {
        ok(Command::new(cc)
            .args(["-O2", "-o"])
            .arg(dir.join(out))
            .args(extra)
            .arg(fixture("register-frame.c"))
            .arg("-L")
            .arg(&dir)
            .arg("-l:libgcc_s.so.1"));
    };
    link("gcc", "register-frame", &[]);
    link("musl-gcc", "libuser.so", &["-shared", "-fPIC"]);
    dir
}

fn result(path: &Path) -> serde_json::Value {
    let (doc, _) = crate::util::scan_json(&[], &[path]);
    doc["results"][0].clone()
}

#[test]
fn glibc_named_versions_of_another_library_are_that_librarys() {
    let dir = build("verneed-10-glibc");
    let prog = dir.join("register-frame");
    let r = result(&prog);
    assert_eq!(r["verdict"], "gcompat", "{r}");
    assert!(
        !crate::util::ids(&r).contains(&"missing-symbol".to_string()),
        "{r}"
    );
    // musl's loader agrees: with the library on the path, list mode binds both symbols.
    let out = Command::new("/lib/ld-musl-x86_64.so.1")
        .arg("--list")
        .arg(&prog)
        .env("LD_LIBRARY_PATH", &dir)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    // GLIBC_2.0 from libgcc_s is no glibc requirement: the floor comes from libc.so.6 alone.
    let floor = r["glibc_floor"]["set_by"].to_string();
    assert!(!floor.contains("register_frame"), "{floor}");
}

#[test]
fn a_musl_library_using_glibc_named_versions_is_still_musl() {
    let dir = build("verneed-10-musl");
    let r = result(&dir.join("libuser.so"));
    assert_eq!(r["elf"]["libc"], "musl", "{r}");
    assert_eq!(r["verdict"], "native", "{r}");
    assert!(r["glibc_floor"].is_null(), "{r}");
}
