//! Agreement with musl's real loader: `/lib/ld-musl-x86_64.so.1 --list FILE` loads the file and
//! performs every relocation without running it (docs/loader.md §8). Debian's musl package (installed by
//! .ci/run) is 1.2.3 built by Debian: it also exports fts_* and lacks crypt/crypt_r/encrypt/setkey,
//! and its /etc/ld-musl-x86_64.path lists only musl directories. We judge each sample for plain
//! musl 1.2.3 and translate the verdict into what list mode must do.

use std::path::Path;
use std::process::Command;

use muslcheck::db::Db;
use muslcheck::inspect::{Arch, inspect};
use muslcheck::judge::{Code, Target, Verdict, judge};

const LDSO: &str = "/lib/ld-musl-x86_64.so.1";
const DEBIAN_LACKS: &[&str] = &["crypt", "crypt_r", "encrypt", "setkey"];

fn musl_dirs(arch: &str) -> Vec<String> {
    let mut dirs: Vec<String> = std::fs::read_to_string(format!("/etc/ld-musl-{arch}.path"))
        .map(|s| {
            s.split([':', '\n'])
                .filter(|d| !d.is_empty())
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_else(|_| vec!["/lib".into(), "/usr/local/lib".into(), "/usr/lib".into()]);
    dirs.dedup();
    dirs
}

/// Would list mode succeed, according to muslcheck?
fn predicted_to_load(data: &[u8]) -> Option<bool> {
    predicted_to_load_on(data, Arch::X86_64)
}

/// Would list mode of Debian's musl 1.2.3 for `arch` succeed, according to muslcheck? None for
/// files of another architecture and static files (list mode refuses them).
pub fn predicted_to_load_on(data: &[u8], arch: Arch) -> Option<bool> {
    let db = Db::get().unwrap();
    let facts = inspect(data).ok()?;
    if facts.arch != arch || facts.kind.is_static() {
        return None;
    }
    let target = Target::resolve(db, None, Some("1.2.3"), Some("none")).unwrap();
    let j = judge(&facts, db, &target);
    let dirs = musl_dirs(&arch.name());
    for f in &j.findings {
        match f.id {
            // List mode is musl started as a command: it never looks at PT_INTERP. DT_RELR is
            // silently ignored by 1.2.3, so loading "succeeds" (the program would crash later).
            Code::GlibcLoader | Code::UnknownLoader | Code::DtRelr => {}
            // An exported IFUNC breaks the library's users, not the library itself, unless the
            // library refers to it (tested with a real user below).
            Code::IfuncExport if !f.message.contains("refers to it itself") => {}
            // Debian's build adds fts_*.
            Code::MissingSymbol
                if f.symbol
                    .as_ref()
                    .is_some_and(|s| s.name.starts_with("fts_")) => {}
            Code::NeedsPackage => {
                let lib = f.library.as_deref().unwrap();
                if !dirs.iter().any(|d| Path::new(d).join(lib).exists()) {
                    return Some(false);
                }
            }
            _ if f.impact >= Verdict::Rebuild => return Some(false),
            _ => {}
        }
    }
    let debian_missing = facts
        .imports
        .iter()
        .any(|i| !i.weak && i.referenced && DEBIAN_LACKS.contains(&i.name.as_str()));
    Some(!debian_missing)
}

#[test]
fn list_mode_agrees_with_predictions_on_every_sample() {
    if !Path::new(LDSO).exists() {
        panic!("{LDSO} missing: install Debian's musl package (.ci/run does)");
    }
    let dir = crate::util::root().join("samples/bin");
    let mut checked = 0;
    let mut disagreements = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let data = std::fs::read(&path).unwrap();
        let Some(predicted) = predicted_to_load(&data) else {
            continue;
        };
        let out = Command::new(LDSO)
            .arg("--list")
            .arg(&path)
            .output()
            .unwrap();
        let loaded = out.status.code() == Some(0);
        if loaded != predicted {
            disagreements.push(format!(
                "{}: predicted {predicted}, musl said {loaded}: {}",
                path.display(),
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        checked += 1;
    }
    assert!(checked >= 15, "only {checked} samples checked");
    assert!(disagreements.is_empty(), "{}", disagreements.join("\n"));
}

#[test]
fn list_mode_symbol_errors_are_the_predicted_symbols() {
    assert_eq!(musl_version(LDSO, &[]), "1.2.3", "Debian's musl package");
    // The exact names the loader reports as missing are the names muslcheck reports.
    let db = Db::get().unwrap();
    let target = Target::resolve(db, None, Some("1.2.3"), Some("none")).unwrap();
    for name in ["fcntl64", "res-init", "fortify"] {
        let path = crate::util::sample(name);
        let facts = inspect(&std::fs::read(&path).unwrap()).unwrap();
        let mut predicted: Vec<String> = judge(&facts, db, &target)
            .findings
            .iter()
            .filter(|f| f.id == Code::MissingSymbol)
            .map(|f| f.symbol.clone().unwrap().name)
            .collect();
        predicted.sort();
        let out = Command::new(LDSO)
            .arg("--list")
            .arg(&path)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        let mut reported: Vec<String> = stderr
            .lines()
            .filter(|l| l.ends_with(": symbol not found"))
            .filter_map(|l| l.rsplit(": ").nth(1).map(str::to_string))
            .collect();
        reported.sort();
        assert_eq!(predicted, reported, "{name}: {stderr}");
    }
}

#[test]
fn exported_ifunc_breaks_its_users_under_musl() {
    // A musl program importing lib_add from samples/bin/libifunc.so: muslcheck says the library
    // is unusable (ifunc-export); musl's loader must fail to bind the user's reference.
    let tmp = crate::util::temp_dir("loader-ifunc");
    let src = tmp.join("user.c");
    std::fs::write(
        &src,
        "int lib_add(int, int);\nint main(void) { return lib_add(1, 2); }\n",
    )
    .unwrap();
    let exe = tmp.join("user");
    let bin = crate::util::root().join("samples/bin");
    let built = Command::new("musl-gcc")
        .arg(&src)
        .arg("-o")
        .arg(&exe)
        .arg(bin.join("libifunc.so"))
        .status()
        .expect("musl-gcc (Debian musl-tools, installed by .ci/run)");
    assert!(built.success());
    let out = Command::new(LDSO)
        .arg("--list")
        .arg(&exe)
        .env("LD_LIBRARY_PATH", &bin)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(127), "{stderr}");
    assert!(stderr.contains("lib_add: symbol not found"), "{stderr}");
    let _ = std::fs::remove_dir_all(&tmp);
}

#[test]
fn closure_verdicts_agree_with_list_mode_on_the_vendor_bundle() {
    // musl's loader follows RUNPATH $ORIGIN/../lib and the libbundled.so.1 symlink exactly as
    // muslcheck's closure does; a bundled library's missing symbol fails the program.
    let dir = crate::util::root().join("samples/vendor");
    let (doc, _) = crate::util::scan_json(&["--musl", "1.2.3", "--gcompat", "none"], &[&dir]);
    let results = doc["results"].as_array().unwrap();
    assert_eq!(results.len(), 3);
    for r in results {
        let path = r["path"].as_str().unwrap();
        let blocking = r["findings"].as_array().unwrap().iter().any(|f| {
            f["requires"] == "rebuild"
                && !["glibc-loader", "unknown-loader", "dt-relr"]
                    .contains(&f["id"].as_str().unwrap())
        });
        let out = Command::new(LDSO).arg("--list").arg(path).output().unwrap();
        let loaded = out.status.code() == Some(0);
        assert_eq!(
            loaded,
            !blocking,
            "{path}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        if path.ends_with("bin/tool") {
            let blame = r["findings"]
                .as_array()
                .unwrap()
                .iter()
                .any(|f| f["id"] == "bundled-library" && f["requires"] == "rebuild");
            assert!(!loaded && blame, "the closure blocks it: {r}");
            assert!(
                String::from_utf8_lossy(&out.stderr)
                    .contains("libbundled.so.1.0: fcntl64: symbol not found")
                    || String::from_utf8_lossy(&out.stderr).contains("fcntl64: symbol not found")
            );
        }
    }
}

/// The version musl's loader prints when run without arguments (through `runner`, e.g. qemu).
pub fn musl_version(ldso: &str, runner: &[&str]) -> String {
    let (prog, pre) = match runner.split_first() {
        Some((p, rest)) => (*p, rest.to_vec()),
        None => (ldso, vec![]),
    };
    let mut cmd = Command::new(prog);
    cmd.args(pre);
    if !runner.is_empty() {
        cmd.arg(ldso);
    }
    let out = cmd.output().unwrap();
    String::from_utf8_lossy(&out.stderr)
        .lines()
        .find_map(|l| l.strip_prefix("Version "))
        .unwrap_or_default()
        .trim()
        .to_string()
}

/// The names list mode reports missing (`Error relocating F: NAME: symbol not found`).
pub fn reported_missing(stderr: &str) -> Vec<String> {
    let mut v: Vec<String> = stderr
        .lines()
        .filter(|l| l.ends_with(": symbol not found"))
        .filter_map(|l| l.rsplit(": ").nth(1).map(str::to_string))
        .collect();
    v.sort();
    v
}

/// The names muslcheck predicts missing for plain musl 1.2.3.
pub fn predicted_missing(data: &[u8]) -> Vec<String> {
    let db = Db::get().unwrap();
    let target = Target::resolve(db, None, Some("1.2.3"), Some("none")).unwrap();
    let facts = inspect(data).unwrap();
    let mut v: Vec<String> = judge(&facts, db, &target)
        .findings
        .iter()
        .filter(|f| f.id == Code::MissingSymbol)
        .map(|f| f.symbol.clone().unwrap().name)
        .collect();
    v.sort();
    v
}
