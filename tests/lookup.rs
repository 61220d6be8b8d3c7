//! Look-ups and generated documentation: `db symbol|info|targets`, completions, man pages, help.

use crate::util::{muslcheck, temp_dir};

fn stdout(args: &[&str]) -> String {
    let out = muslcheck(args);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8")
}

#[test]
fn db_symbol_says_who_provides_it_and_what_to_do() {
    let t = stdout(&["db", "symbol", "fcntl64@GLIBC_2.28"]);
    assert!(t.contains("libc.so.6 fcntl64@@GLIBC_2.28 FUNC"), "{t}");
    assert!(t.contains("x86_64   not provided"), "{t}");
    assert!(t.contains("Rebuild against musl"), "{t}");
    assert!(t.contains("missing-symbol"), "{t}");

    let t = stdout(&["db", "symbol", "__printf_chk"]);
    assert!(t.contains("libgcompat.so.0"), "{t}");
    assert!(t.contains("apk add gcompat"), "{t}");

    let t = stdout(&["db", "symbol", "arc4random"]);
    assert!(
        t.contains("Alpine shim: package libbsd provides it in libbsd.so.0"),
        "{t}"
    );
    assert!(
        t.contains("apk add libbsd && patchelf --add-needed libbsd.so.0 FILE"),
        "{t}"
    );

    let t = stdout(&["db", "symbol", "basename"]);
    assert!(
        t.contains("Behaviour (warning): glibc and musl differ"),
        "{t}"
    );

    let t = stdout(&["db", "symbol", "getcontext"]);
    assert!(t.contains("stub"), "{t}");

    let t = stdout(&["db", "symbol", "stat64"]);
    assert!(t.contains("LFS64"), "{t}");
    assert!(t.contains("alpine:3.17    native   musl"), "{t}");
    assert!(t.contains("loader remap"), "{t}");

    let j: serde_json::Value =
        serde_json::from_str(&stdout(&["db", "symbol", "--json", "malloc"])).expect("JSON");
    assert_eq!(j["name"], "malloc");
    assert_eq!(j["arches"][0]["musl"].as_array().map(Vec::len), Some(4));
    assert!(
        j["targets"]
            .as_array()
            .is_some_and(|ts| ts.iter().all(|t| t["resolves"] == "musl"))
    );
    assert!(stdout(&["db", "symbol", "no_such_thing_42"]).contains("Not in any table"));
}

#[test]
fn db_info_and_targets_come_from_the_embedded_data() {
    let t = stdout(&["db", "info"]);
    assert!(t.contains("musl      1.2.3 1.2.4 1.2.5 1.2.6"), "{t}");
    assert!(
        t.contains("gcompat   1.1.0 with libucontext 1.3.2, musl-obstack 1.2.3"),
        "{t}"
    );
    assert!(t.contains("glibc     2.41"), "{t}");
    assert!(t.contains("alpine/releases.txt"), "{t}");
    assert!(t.contains("Source:"), "{t}");
    let j: serde_json::Value =
        serde_json::from_str(&stdout(&["db", "info", "--json"])).expect("JSON");
    assert!(j["files"].as_array().is_some_and(|f| f.len() > 20));

    let t = stdout(&["db", "targets"]);
    assert!(
        t.contains("alpine:3.17    1.2.3   1.1.0    verified"),
        "{t}"
    );
    assert!(t.contains("(default)"), "{t}");
    let j: serde_json::Value =
        serde_json::from_str(&stdout(&["db", "targets", "--json"])).expect("JSON");
    let rows = j.as_array().cloned().unwrap_or_default();
    assert_eq!(rows.iter().filter(|r| r["default"] == true).count(), 1);
    assert!(rows.iter().any(|r| r["target"] == "alpine:edge"));
}

#[test]
fn completions_are_generated_from_the_cli() {
    let bash = stdout(&["completions", "bash"]);
    assert!(
        bash.contains("--fail-on") && bash.contains("--write-baseline"),
        "{bash}"
    );
    let dir = temp_dir("completions");
    let file = dir.join("muslcheck.bash");
    std::fs::write(&file, &bash).expect("write");
    let check = std::process::Command::new("bash")
        .arg("-n")
        .arg(&file)
        .status();
    assert!(
        check.is_ok_and(|s| s.success()),
        "bash -n rejects the script"
    );
    for shell in ["zsh", "fish", "elvish", "powershell"] {
        assert!(stdout(&["completions", shell]).contains("scan"), "{shell}");
    }
    assert_eq!(muslcheck(["completions", "tcsh"]).status.code(), Some(2));
}

#[test]
fn man_pages_are_generated_from_the_cli() {
    let man = stdout(&["man"]);
    assert!(
        man.starts_with(".ie") || man.contains(".TH muslcheck 1"),
        "{man}"
    );
    assert!(man.contains("EXIT STATUS"), "{man}");
    assert!(man.contains("muslcheck.toml"));
    let scan = stdout(&["man", "scan"]);
    assert!(
        scan.contains(".TH muslcheck\\-scan 1") || scan.contains(".TH muslcheck-scan 1"),
        "{scan}"
    );
    assert!(scan.contains("write\\-baseline"), "{scan}");
    assert_eq!(muslcheck(["man", "nope"]).status.code(), Some(2));
    let dir = temp_dir("man-pages");
    let listed = stdout(&["man", "--dir", dir.to_str().expect("UTF-8 path")]);
    assert!(dir.join("muslcheck.1").is_file() && dir.join("muslcheck-scan.1").is_file());
    assert!(dir.join("muslcheck-verify.1").is_file());
    assert_eq!(listed.lines().count(), 7, "{listed}");
}

#[test]
fn help_has_examples_and_documents_exit_statuses() {
    let top = stdout(&["--help"]);
    assert!(
        top.contains("Examples:") && top.contains("muslcheck db symbol fcntl64"),
        "{top}"
    );
    let scan = stdout(&["scan", "--help"]);
    for s in [
        "--report sarif",
        "--write-baseline",
        "muslcheck.toml",
        "Exit status: 0 passed, 1",
        "--fail-on <VERDICT>",
    ] {
        assert!(scan.contains(s), "scan --help lacks {s}:\n{scan}");
    }
}

/// The judge's loading finding about `name` in a real glibc program (the committed sample for
/// `arch`) whose only import is a non-weak, referenced `name`, asking glibc's default version of
/// it, as a glibc link would.
fn judged_in_real_program(
    db: &muslcheck::db::Db,
    target: &muslcheck::judge::Target,
    program: &muslcheck::inspect::Facts,
    name: &str,
) -> (Option<&'static str>, muslcheck::judge::Verdict) {
    use muslcheck::inspect::{Import, SymType};
    use muslcheck::judge::{Category, Verdict, judge};
    let mut facts = program.clone();
    let glibc = db.glibc(facts.arch, name);
    // What a glibc link asks: the default version, or a compat-only name's old one.
    let default = glibc.iter().find(|g| g.default).or(glibc.first());
    facts.imports = vec![Import {
        name: name.to_string(),
        weak: false,
        sym_type: SymType::Func,
        version: default.map(|g| g.version.to_string()),
        library: Some(default.map_or("libc.so.6", |g| g.library).to_string()),
        referenced: true,
    }];
    let finding = judge(&facts, db, target).findings.into_iter().find(|f| {
        f.id.category() == Category::Loading && f.symbol.as_ref().is_some_and(|s| s.name == name)
    });
    (
        finding.as_ref().map(|f| f.id.id()),
        finding.map_or(Verdict::Native, |f| f.impact),
    )
}

/// The committed glibc programs, one per judged architecture.
fn glibc_programs() -> Vec<muslcheck::inspect::Facts> {
    ["hello-glibc", "hello-glibc-aarch64"]
        .iter()
        .map(|s| {
            muslcheck::inspect::inspect(&std::fs::read(crate::util::sample(s)).unwrap()).unwrap()
        })
        .collect()
}

#[test]
fn db_symbol_agrees_with_the_judge_on_every_symbol_and_target() {
    use muslcheck::judge::resolve::import_alone;
    let db = muslcheck::db::Db::get().unwrap();
    let targets: Vec<_> = db
        .releases()
        .iter()
        .map(|r| muslcheck::judge::Target::resolve(db, Some(r.name), None, None).unwrap())
        .collect();
    let programs = glibc_programs();
    let names = db.symbol_names();
    assert!(names.len() > 2000, "{} names", names.len());
    let mut checked = 0;
    let mut disagree = Vec::new();
    for name in &names {
        for t in &targets {
            for p in &programs {
                let alone = import_alone(db, t, p.arch, name, None).unwrap();
                let got = (alone.finding.as_ref().map(|f| f.id.id()), alone.requires);
                let want = judged_in_real_program(db, t, p, name);
                if got != want {
                    disagree.push(format!(
                        "{name} {} {}: {got:?} vs {want:?}",
                        t.name,
                        p.arch.name()
                    ));
                }
                checked += 1;
            }
        }
    }
    assert!(
        disagree.is_empty(),
        "{} of {checked}:\n{}",
        disagree.len(),
        disagree.join("\n")
    );

    // The command itself, on a spread of names (each run parses the database again).
    for name in names.iter().step_by(names.len() / 25) {
        let j: serde_json::Value =
            serde_json::from_str(&stdout(&["db", "symbol", "--json", name])).expect("JSON");
        let rows = j["targets"].as_array().cloned().unwrap_or_default();
        assert_eq!(rows.len(), targets.len() * programs.len(), "{name}");
        for row in rows {
            let t = targets
                .iter()
                .find(|t| row["target"] == t.name.as_str())
                .unwrap();
            let p = programs
                .iter()
                .find(|p| row["arch"] == p.arch.name().as_str())
                .unwrap();
            let (finding, requires) = judged_in_real_program(db, t, p, name);
            assert_eq!(row["finding"].as_str(), finding, "{name} {row}");
            assert_eq!(row["requires"], requires.as_str(), "{name} {row}");
        }
    }
}
