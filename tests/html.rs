//! The HTML report rendered by a real browser: headless Chromium (Debian's `chromium`, which
//! .ci/run installs) loads the file and dumps the DOM its inline script built.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::util::{copy_samples, json_of, muslcheck_in, temp_dir};

fn chromium() -> PathBuf {
    let candidates = ["chromium", "chromium-browser"];
    for c in candidates {
        for dir in std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()) {
            let p = dir.join(c);
            if p.is_file() {
                return p;
            }
        }
    }
    panic!(
        "headless Chromium is required for the HTML report test and was not found on PATH \
         (looked for {candidates:?}). Install Debian's package: apt-get install -y chromium \
         (.ci/run does this)."
    );
}

/// Load `file` in headless Chromium and return the DOM after its scripts ran.
pub fn rendered_dom(file: &Path, scratch: &Path) -> String {
    let profile = scratch.join("chromium-profile");
    let dom_path = scratch.join("dom.html");
    let dom = std::fs::File::create(&dom_path).expect("create dom file");
    let err = std::fs::File::create(scratch.join("chromium.log")).expect("create log");
    let url = format!("file://{}", file.display());
    let mut child = Command::new(chromium())
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(["--dump-dom", &url])
        .stdin(Stdio::null())
        .stdout(dom)
        .stderr(err)
        .spawn()
        .expect("start chromium");
    let deadline = Instant::now() + Duration::from_secs(120);
    let status = loop {
        if let Some(s) = child.try_wait().expect("wait for chromium") {
            break s;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "chromium did not finish in 120 s; log in {}",
                scratch.display()
            );
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let dom = std::fs::read_to_string(&dom_path).unwrap_or_default();
    assert!(
        status.success() && !dom.is_empty(),
        "chromium failed ({status}); log: {}",
        std::fs::read_to_string(scratch.join("chromium.log")).unwrap_or_default()
    );
    dom
}

/// The number shown in the element carrying `attr="value"`, e.g. `data-count="rebuild"`.
pub fn number_in(dom: &str, attr: &str) -> Option<u64> {
    let at = dom.find(attr)?;
    let rest = &dom[at..];
    let text = &rest[rest.find('>')? + 1..];
    text[..text.find('<')?].trim().parse().ok()
}

#[test]
fn html_report_renders_verdict_counts_and_blockers_in_chromium() {
    let dir = temp_dir("html-chromium");
    copy_samples(
        &dir,
        "dist",
        &[
            "fcntl64",
            "res-init",
            "glibc-private",
            "hello-glibc",
            "fortify",
            "hello-musl",
            "truncated-elf",
        ],
    );
    std::fs::write(
        dir.join("muslcheck.toml"),
        "[[allow]]\nid = \"glibc-private\"\nreason = \"old exception\"\nexpires = 2021-06-30\n",
    )
    .expect("config");
    let out = muslcheck_in(
        &dir,
        ["scan", "--format", "html", "-o", "report.html", "dist"],
    );
    assert_eq!(out.status.code(), Some(1));
    let doc = json_of(&muslcheck_in(&dir, ["scan", "--format", "json", "dist"]));
    let html = std::fs::read_to_string(dir.join("report.html")).expect("report written");
    // Everything checked below is built by the page's script, not present in the file.
    assert!(!html.contains("data-count=\"rebuild\">"));
    assert!(!html.contains("class=\"blocker\""));

    let dom = rendered_dom(&dir.join("report.html"), &dir);
    for v in ["native", "gcompat", "rebuild", "skipped", "error"] {
        let want = doc["totals"][v].as_u64();
        assert_eq!(
            number_in(&dom, &format!("data-count=\"{v}\"")),
            want,
            "{v} count in the DOM"
        );
    }
    assert_eq!(doc["totals"]["rebuild"], 3);
    assert_eq!(
        number_in(&dom, "data-gate=\"failing\""),
        Some(4),
        "3 rebuild + 1 unreadable"
    );
    assert!(dom.contains("data-status=\"failed\""));
    let blockers = doc["summary"]["blockers"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(blockers.len() >= 3);
    for b in &blockers {
        let name = b["name"].as_str().unwrap_or_default();
        assert!(
            dom.contains(&format!(">{name}</code>")),
            "blocker {name} is not on the rendered page"
        );
    }
    for path in ["dist/fcntl64", "dist/hello-musl", "dist/truncated-elf"] {
        assert!(
            dom.contains(&format!(">{path}</code>")),
            "{path} is not listed"
        );
    }
    assert!(
        dom.contains("expired on 2021-06-30"),
        "expired rule is shown"
    );
    let n = doc["results"].as_array().map_or(0, Vec::len);
    assert!(
        dom.contains(&format!("showing {n} of {n} matching files")),
        "{n} files"
    );
}
