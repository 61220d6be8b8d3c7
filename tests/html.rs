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

/// Load `file` in headless Chromium (a 1400×900 window) and return the DOM after its scripts ran.
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
        .arg("--window-size=1400,900")
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
    // Paths are shown relative to their scan root (the artifact), the full path as a title.
    for name in ["fcntl64", "hello-musl", "truncated-elf"] {
        assert!(
            dom.contains(&format!("title=\"dist/{name}\""))
                && dom.contains(&format!(">{name}</code>")),
            "{name} is not listed relative to dist"
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

/// The bottom edge, in CSS pixels, of the element with `id` as the page measured it.
fn bottom_of(dom: &str, id: &str) -> f64 {
    let key = format!("data-bottom-{id}=\"");
    let at = dom
        .find(&key)
        .unwrap_or_else(|| panic!("{id} not measured"));
    let rest = &dom[at + key.len()..];
    rest[..rest.find('"').unwrap()].parse().unwrap()
}

/// #11: at 1400 px the first screen tells the story: counts, ranked blockers with their fixes,
/// and one action per artifact (musllinux wheel, -musl npm package, apk add, rebuild).
#[test]
fn html_first_screen_shows_counts_blockers_and_actions() {
    let dir = temp_dir("html-first-screen");
    copy_samples(
        &dir,
        "dist",
        &[
            "fcntl64",
            "res-init",
            "hello-glibc",
            "hello-cxx",
            "hello-musl",
        ],
    );
    let sharp = dir.join("app/node_modules/@img/sharp-linux-x64/lib");
    std::fs::create_dir_all(&sharp).unwrap();
    std::fs::copy(
        crate::util::sample("fcntl64"),
        sharp.join("sharp-linux-x64.node"),
    )
    .unwrap();
    // A manylinux wheel with one extension module that needs a rebuild.
    let wheel = dir.join("numpy-2.1.0-cp312-cp312-manylinux_2_17_x86_64.whl");
    {
        use std::io::Write;
        let mut z = zip::ZipWriter::new(std::fs::File::create(&wheel).unwrap());
        z.start_file("numpy/_core.so", zip::write::SimpleFileOptions::default())
            .unwrap();
        z.write_all(&std::fs::read(crate::util::sample("glibc-private")).unwrap())
            .unwrap();
        z.finish().unwrap();
    }
    let out = muslcheck_in(
        &dir,
        [
            "scan",
            "--format",
            "html",
            "-o",
            "report.html",
            "dist",
            "app",
            "numpy-2.1.0-cp312-cp312-manylinux_2_17_x86_64.whl",
        ],
    );
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Measure where the first-screen sections end once laid out.
    let mut html = std::fs::read_to_string(dir.join("report.html")).unwrap();
    html = html.replace(
        "</body>",
        "<script>['overview','blockers','actions'].forEach(function (id) {\
         var r = document.getElementById(id).getBoundingClientRect();\
         document.body.setAttribute('data-bottom-' + id, String(r.bottom)); });</script></body>",
    );
    std::fs::write(dir.join("measured.html"), html).unwrap();
    let dom = rendered_dom(&dir.join("measured.html"), &dir);
    for id in ["overview", "blockers", "actions"] {
        let b = bottom_of(&dom, id);
        assert!(
            b > 0.0 && b <= 900.0,
            "#{id} ends at {b}px, below the first 900px screen"
        );
    }
    assert_eq!(number_in(&dom, "data-count=\"native\""), Some(1));
    assert_eq!(number_in(&dom, "data-count=\"gcompat\""), Some(2));
    assert_eq!(number_in(&dom, "data-count=\"rebuild\""), Some(4));
    let action = |kind: &str| {
        let key = format!("data-action=\"{kind}\">");
        let at = dom.find(&key).unwrap_or_else(|| panic!("no {kind} action"));
        let rest = &dom[at + key.len()..];
        rest[..rest.find('<').unwrap()].to_string()
    };
    assert_eq!(
        action("musllinux-wheel"),
        "use the musllinux wheel of numpy (or build it from source)"
    );
    assert_eq!(
        action("musl-npm-package"),
        "use the -musl npm package @img/sharp-linuxmusl-x64"
    );
    assert_eq!(action("rebuild"), "rebuild against musl");
    // Blockers come with their fixes, most binaries first.
    let blockers = dom.find("id=\"blockers\"").unwrap();
    let fcntl = dom[blockers..].find(">fcntl64</code>").unwrap();
    assert!(dom[blockers + fcntl..].contains("rebuild against musl"));
    // hello-musl has advice only (hardening notes): it has no problem.
    let musl = dom.find(">hello-musl</code>").expect("hello-musl listed");
    let line = &dom[musl..musl + dom[musl..].find("</summary>").unwrap()];
    assert!(line.contains("no problem"), "{line}");
}
