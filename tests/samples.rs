//! Exact verdicts and finding IDs for every committed sample (see samples/README.md).

use muslcheck::judge::{Category, Code};

use crate::util::{ids, sample, scan_json};

/// Finding IDs that say whether a file loads or runs: hardening advice (#6) is tested on its own
/// (tests/advice.rs), since every sample is built without Alpine's hardening flags.
fn loading_and_runtime(ids: Vec<String>) -> Vec<String> {
    ids.into_iter()
        .filter(|id| Code::from_id(id).is_some_and(|c| c.category() != Category::Hardening))
        .collect()
}

/// (sample, verdict, finding IDs) on one target.
type Expectation = (&'static str, &'static str, &'static [&'static str]);

fn check(args: &[&str], table: &[Expectation]) {
    let paths: Vec<_> = table.iter().map(|(n, _, _)| sample(n)).collect();
    let refs: Vec<_> = paths.iter().map(|p| p.as_path()).collect();
    let (doc, _) = scan_json(args, &refs);
    let results = doc["results"].as_array().expect("results");
    assert_eq!(results.len(), table.len(), "one record per input");
    let mut failures = Vec::new();
    for ((name, verdict, want), r) in table.iter().zip(results) {
        assert!(r["path"].as_str().unwrap().ends_with(name), "order kept");
        let got = loading_and_runtime(ids(r));
        let mut want: Vec<String> = want.iter().map(|s| s.to_string()).collect();
        want.sort();
        if r["verdict"] != *verdict || got != want {
            failures.push(format!(
                "{name}: want {verdict} {want:?}, got {} {got:?}",
                r["verdict"]
            ));
        }
        assert_eq!(
            r["verdict"], r["own_verdict"],
            "no closures for single files"
        );
    }
    assert!(failures.is_empty(), "{args:?}:\n{}", failures.join("\n"));
}

#[test]
fn default_target() {
    check(
        &[],
        &[
            ("hello-musl", "native", &[]),
            ("hello-musl-static", "native", &[]),
            ("hello-static-glibc", "native", &[]),
            ("hello-aarch64-nolibc", "native", &[]),
            ("plugin-native.so", "native", &[]),
            ("liblfs64.so", "native", &["lfs64-remap"]),
            ("hello-glibc", "gcompat", &["glibc-loader"]),
            ("weak-missing", "gcompat", &["glibc-loader"]),
            ("relr", "gcompat", &["glibc-loader"]),
            ("hello-glibc-aarch64", "gcompat", &["glibc-loader"]),
            ("fortify", "gcompat", &["glibc-loader", "gcompat-symbol"]),
            ("plugin-fortify.so", "gcompat", &["gcompat-symbol"]),
            ("error-stub", "gcompat", &["glibc-loader", "gcompat-stub"]),
            // crypt@XCRYPT_2.0 binds to musl's crypt through gcompat's libcrypt.so.1 symlink (#6).
            (
                "uses-crypt",
                "gcompat",
                &[
                    "glibc-loader",
                    "gcompat-library",
                    "versioned-foreign-symbol",
                ],
            ),
            ("hello-cxx", "gcompat", &["glibc-loader", "needs-package"]),
            ("needs-zlib", "gcompat", &["glibc-loader", "needs-package"]),
            ("fcntl64", "rebuild", &["glibc-loader", "missing-symbol"]),
            ("res-init", "rebuild", &["glibc-loader", "missing-symbol"]),
            (
                "ifunc-local",
                "rebuild",
                &["glibc-loader", "unsupported-relocation"],
            ),
            ("libifunc.so", "rebuild", &["ifunc-export"]),
            (
                "glibc-private",
                "rebuild",
                &["glibc-loader", "glibc-private", "gcompat-library"],
            ),
            (
                "glibc-private-copy",
                "rebuild",
                &["glibc-loader", "glibc-private", "gcompat-library"],
            ),
            // 32-bit glibc: musl's 64-bit time_t breaks the ABI (#6).
            ("hello-i386", "rebuild", &["time64-abi"]),
            ("hello-riscv64", "skipped", &["unsupported-arch"]),
            ("not-elf.txt", "skipped", &["not-elf"]),
            ("truncated-elf", "error", &["malformed-elf"]),
        ],
    );
}

#[test]
fn plain_musl_without_gcompat() {
    check(
        &["--gcompat", "none"],
        &[
            ("hello-musl", "native", &[]),
            ("plugin-native.so", "native", &[]),
            ("liblfs64.so", "native", &["lfs64-remap"]),
            ("hello-glibc", "rebuild", &["glibc-loader"]),
            ("fortify", "rebuild", &["glibc-loader", "missing-symbol"]),
            ("plugin-fortify.so", "rebuild", &["missing-symbol"]),
            ("error-stub", "rebuild", &["glibc-loader", "missing-symbol"]),
            (
                "uses-crypt",
                "rebuild",
                &["glibc-loader", "missing-library"],
            ),
        ],
    );
}

#[test]
fn musl_1_2_3() {
    check(
        &["--musl", "1.2.3"],
        &[
            // 1.2.3 still exports the LFS64 names: no remapping involved.
            ("liblfs64.so", "native", &[]),
            // 1.2.3 ignores DT_RELR: the program would crash.
            ("relr", "rebuild", &["glibc-loader", "dt-relr"]),
            ("hello-glibc", "gcompat", &["glibc-loader"]),
        ],
    );
}

#[test]
fn alpine_3_17_is_musl_1_2_3() {
    let (doc, _) = scan_json(&["--target", "alpine:3.17"], &[&sample("relr")]);
    assert_eq!(doc["target"]["musl"], "1.2.3");
    assert_eq!(doc["results"][0]["verdict"], "rebuild");
}

#[test]
fn messages_name_symbol_version_and_fix() {
    let (doc, _) = scan_json(
        &[],
        &[
            &sample("fcntl64"),
            &sample("plugin-fortify.so"),
            &sample("hello-glibc"),
        ],
    );
    let f = &doc["results"][0]["findings"];
    let missing = f
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == "missing-symbol")
        .unwrap();
    assert_eq!(missing["symbol"], "fcntl64@GLIBC_2.28");
    assert_eq!(missing["library"], "libc.so.6");
    assert_eq!(missing["severity"], "error");
    let plugin = &doc["results"][1]["findings"][0];
    assert!(
        plugin["fix"]
            .as_str()
            .unwrap()
            .contains("patchelf --add-needed libgcompat.so.0"),
        "{plugin}"
    );
    let loader = &doc["results"][2]["findings"][0];
    assert!(
        loader["message"].as_str().unwrap().contains("only gap"),
        "{loader}"
    );
    assert!(
        loader["fix"]
            .as_str()
            .unwrap()
            .contains("patchelf --set-interpreter /lib/ld-musl-x86_64.so.1")
    );
}

#[test]
fn json_has_the_documented_fields() {
    let (doc, _) = scan_json(&[], &[&sample("hello-glibc"), &sample("not-elf.txt")]);
    assert_eq!(doc["schema_version"], 1);
    assert!(doc["schema"].as_str().unwrap().contains("report"));
    assert_eq!(doc["target"]["musl"], "1.2.5");
    assert_eq!(doc["target"]["gcompat"], "1.1.0");
    let r = &doc["results"][0];
    for key in [
        "path",
        "artifact",
        "sha256",
        "verdict",
        "own_verdict",
        "findings",
    ] {
        assert!(!r[key].is_null(), "missing {key}");
    }
    assert_eq!(r["sha256"].as_str().unwrap().len(), 64);
    assert_eq!(doc["results"][1]["verdict"], "skipped");
    assert!(
        doc["results"][1]["reason"]
            .as_str()
            .unwrap()
            .contains("not an ELF")
    );
    assert_eq!(doc["totals"]["gcompat"], 1);
    assert_eq!(doc["totals"]["skipped"], 1);
}
