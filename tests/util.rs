//! Shared helpers, the one set every test module uses: [`command`] is the one way to run the
//! built binary (every other runner starts from it), [`temp_dir`] and [`Tmp`] the one temp-dir
//! scheme (fresh directories under Cargo's per-target temporary directory, named per test).

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

/// The `muslcheck` binary the tests run: the one Cargo built, or the one `MUSLCHECK_BIN` names.
///
/// The override is for tests only: it runs this suite against another build (an older commit's,
/// to show that a test fails without the fix it covers — docs/testing.md).
pub fn bin() -> PathBuf {
    std::env::var_os("MUSLCHECK_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_muslcheck")))
}

/// The built `muslcheck` ([`bin`]), to be run from the repository root without colours: the
/// start of every run of the binary in the tests.
pub fn command() -> Command {
    let mut c = Command::new(bin());
    c.current_dir(root())
        .env("NO_COLOR", "1")
        .env("XDG_CACHE_HOME", own_cache());
    c
}

/// A results-cache home of its own for one muslcheck run (#13): no test sees another's cache or
/// the user's, and each run starts from an empty cache. Tests of the cache pass `--cache`.
pub fn own_cache() -> PathBuf {
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("xdg-cache")
        .join(format!("{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// Run `muslcheck` with arguments, from the repository root.
pub fn muslcheck<I, S>(args: I) -> Output
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    command().args(args).output().expect("run muslcheck")
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

/// The JSON report's result whose path ends with `suffix` (the test fails if there is none).
pub fn result_at(doc: &serde_json::Value, suffix: &str) -> serde_json::Value {
    doc["results"]
        .as_array()
        .and_then(|rs| {
            rs.iter()
                .find(|r| r["path"].as_str().is_some_and(|p| p.ends_with(suffix)))
        })
        .cloned()
        .unwrap_or_else(|| panic!("no result ends with {suffix}: {doc}"))
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

/// Where test `name` keeps its files: under Cargo's per-target temporary directory.
pub fn temp_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name)
}

/// A fresh, empty directory for one test ([`temp_path`]).
pub fn temp_dir(name: &str) -> PathBuf {
    let dir = temp_path(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create test directory");
    dir
}

/// A fresh directory for one test ([`temp_dir`]), removed when dropped.
pub struct Tmp(pub PathBuf);

impl Tmp {
    pub fn new(name: &str) -> Tmp {
        Tmp(temp_dir(name))
    }
    pub fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for Tmp {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Run `muslcheck` with arguments in `dir`.
pub fn muslcheck_in<I, S>(dir: &Path, args: I) -> Output
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    command()
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run muslcheck")
}

/// Copy samples into `dir/sub/` under the same names.
pub fn copy_samples(dir: &Path, sub: &str, names: &[&str]) {
    let to = dir.join(sub);
    std::fs::create_dir_all(&to).expect("create sample directory");
    for n in names {
        std::fs::copy(sample(n), to.join(n)).expect("copy sample");
    }
}

/// Parse standard output as JSON, with stderr in the panic message.
pub fn json_of(out: &Output) -> serde_json::Value {
    let stdout = String::from_utf8_lossy(&out.stdout);
    serde_json::from_str(&stdout).unwrap_or_else(|e| {
        panic!(
            "bad JSON ({e}): {stdout}\nstderr: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

/// True when the tools are here. Outside CI a missing tool skips the test with a message; in CI
/// (`CI=true`) it fails it.
pub fn tools_present(tools: &[&str], files: &[&str]) -> bool {
    let missing: Vec<&str> = tools
        .iter()
        .filter(|t| {
            Command::new("sh")
                .args(["-c", &format!("command -v {t}")])
                .output()
                .map_or(true, |o| !o.status.success())
        })
        .chain(files.iter().filter(|f| !Path::new(f).exists()))
        .copied()
        .collect();
    if missing.is_empty() {
        return true;
    }
    let msg = format!("missing {} (.ci/run installs them)", missing.join(", "));
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("{msg}");
    }
    eprintln!("SKIPPED: {msg}");
    false
}
