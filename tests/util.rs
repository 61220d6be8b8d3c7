//! Shared helpers: run the built binary, load the samples.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Path of a committed sample binary.
pub fn sample(name: &str) -> PathBuf {
    root().join("samples/bin").join(name)
}

/// Run `muslcheck` with arguments, from the repository root.
pub fn muslcheck<I, S>(args: I) -> Output
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    Command::new(env!("CARGO_BIN_EXE_muslcheck"))
        .args(args)
        .current_dir(root())
        .env("NO_COLOR", "1")
        .output()
        .expect("run muslcheck")
}

/// Run `muslcheck scan --format json ARGS` and parse the document.
pub fn scan_json(args: &[&str], paths: &[&Path]) -> (serde_json::Value, i32) {
    let mut all: Vec<std::ffi::OsString> = vec!["scan".into(), "--format".into(), "json".into()];
    all.extend(args.iter().map(|a| a.into()));
    all.extend(paths.iter().map(|p| p.as_os_str().to_owned()));
    let out = muslcheck(all);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let doc: serde_json::Value = serde_json::from_str(&stdout).unwrap_or_else(|e| {
        panic!(
            "bad JSON ({e}): {stdout}\nstderr: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (doc, out.status.code().unwrap_or(-1))
}

/// The sorted, de-duplicated finding IDs of a JSON result.
pub fn ids(result: &serde_json::Value) -> Vec<String> {
    let mut v: Vec<String> = result["findings"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|f| f["id"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v.dedup();
    v
}
