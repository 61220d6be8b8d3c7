//! `init-array-args` (#10): start-up code that takes the command line from the arguments glibc
//! passes to `.init_array` functions (argc, argv, envp). musl's loader calls them with none
//! (ldso/dynlink.c do_init_fini), so such code sees an empty or garbage command line.
//!
//! Known cases, from what the file carries (inspect's `Startup`):
//! - Rust std for `*-linux-gnu` before rust-lang/rust#124447 (certainly in Rust 1.80) read
//!   `std::env::args` only that way: the program runs with no arguments (rust-lang/rust#124126).
//! - Go `-buildmode=c-shared`/`c-archive` code: the runtime's `_rt0_<arch>_linux_lib` reads them and
//!   crashes (golang/go#13492, open; reproduced with Go 1.19.8 in tests/runtime.rs).

use super::evidence::{Confidence, Detail, Evidence, InitArgs};
use super::{Code, Finding, Severity, Verdict};
use crate::inspect::{Facts, Kind, Libc, Marker};

/// The first Rust release whose std also takes the arguments from `main` on glibc targets.
const RUST_FIXED_MINOR: u64 = 80;
/// The release that may or may not have it (the fix was approved as 1.79 branched).
const RUST_UNSURE_MINOR: u64 = 79;

/// The finding for a glibc-built dynamic file whose start-up code needs `.init_array` arguments.
pub(super) fn init_args(facts: &Facts) -> Option<Finding> {
    if facts.kind.is_static() || facts.libc != Libc::Glibc {
        return None;
    }
    go(facts).or_else(|| rust(facts))
}

fn go(facts: &Facts) -> Option<Finding> {
    let s = &facts.extra.startup;
    let entry = s
        .markers
        .iter()
        .find(|m| m.starts_with("_rt0_") && m.ends_with("_linux_lib"));
    let c_shared = s.go && facts.kind == Kind::SharedLibrary;
    if entry.is_none() && !c_shared {
        return None;
    }
    let mut seen = Vec::new();
    if s.go {
        seen.push(".go.buildinfo".to_string());
    }
    seen.extend(entry.cloned());
    let what = if c_shared {
        "a Go -buildmode=c-shared library"
    } else {
        "Go -buildmode=c-archive code linked into this program"
    };
    let version = s
        .go_version
        .as_deref()
        .map_or(String::new(), |v| format!(" ({v})"));
    let message = format!(
        "{what}{version}: the Go runtime's .init_array entry reads (argc, argv, envp), which musl's loader does not pass; \
         the runtime reads garbage and crashes when musl loads it (golang/go#13492)"
    );
    Some(Finding {
        evidence: Some(Evidence {
            confidence: Confidence::Likely,
            detail: Detail::InitArgs(InitArgs {
                runtime: "go",
                toolchain: s.go_version.clone(),
                seen,
            }),
        }),
        ..Finding::new(Code::InitArrayArgs, Verdict::Rebuild, message)
            .severity(Severity::Error)
            .fix("build the library on Alpine (Go with CGO against musl); no glibc-target Go release avoids it")
    })
}

/// (minor) of a `1.xx.y[-channel]` version.
fn rust_minor(v: &str) -> Option<u64> {
    let mut parts = v.split(['.', '-']);
    (parts.next()? == "1").then_some(())?;
    parts.next()?.parse().ok()
}

fn rust(facts: &Facts) -> Option<Finding> {
    if !facts.kind.has_loader() {
        // A cdylib's std also captures the arguments this way, in every release, but it only
        // matters if the library calls std::env::args, which the file does not show: not reported.
        return None;
    }
    let s = &facts.extra.startup;
    let symbol = s.markers.iter().find(|m| m.contains("ARGV_INIT_ARRAY"));
    let rustc = s.rustc_version();
    let has_std = symbol.is_some() || facts.extra.has(Marker::RustStd);
    if !has_std {
        return None;
    }
    // std's module path dates the code: sys::unix::args (legacy mangling `3sys4unix4args`) is
    // older than 1.77, long before the fix. Without a recorded version the file is most likely
    // old too: rustc records `rustc version` in .comment since about 1.75 (uv 0.1.0, built by
    // 1.75.0, has it; ruff 0.1.0 and Debian 12's Rust programs, built by 1.63 to 1.73, do not),
    // and every such program started in docs/validation.md lost its arguments.
    let old_path = symbol.is_some_and(|m| m.contains("3sys4unix4args"));
    let confidence = match rustc.map(rust_minor) {
        Some(Some(m)) if m >= RUST_FIXED_MINOR => return None,
        Some(Some(m)) if m == RUST_UNSURE_MINOR => Confidence::Possible,
        Some(Some(_)) => Confidence::Certain,
        _ if old_path => Confidence::Certain,
        _ => Confidence::Likely,
    };
    let mut seen: Vec<String> = s
        .comments
        .iter()
        .filter(|c| c.starts_with("rustc version"))
        .cloned()
        .collect();
    seen.extend(symbol.cloned());
    if facts.extra.has(Marker::RustStd) {
        seen.push(Marker::RustStd.text().to_string());
    }
    let built = match rustc {
        Some(v) => format!("built by rustc {v}"),
        None => "Rust with no recorded rustc version (rustc records it since about 1.75, so most likely older)".to_string(),
    };
    let message = format!(
        "{built}: its std for glibc targets takes the command line only from .init_array arguments, which musl's loader does not pass, \
         so under gcompat the program runs with an empty std::env::args() (rust-lang/rust#124126; fixed in Rust 1.{RUST_FIXED_MINOR})"
    );
    let severity = if confidence == Confidence::Possible {
        Severity::Note
    } else {
        Severity::Warning
    };
    Some(Finding {
        evidence: Some(Evidence {
            confidence,
            detail: Detail::InitArgs(InitArgs {
                runtime: "rust-std",
                toolchain: rustc.map(|v| format!("rustc {v}")),
                seen,
            }),
        }),
        ..Finding::new(Code::InitArrayArgs, Verdict::Native, message)
            .severity(severity)
            .fix(format!(
                "rebuild with Rust 1.{RUST_FIXED_MINOR} or later, or for x86_64-unknown-linux-musl / aarch64-unknown-linux-musl"
            ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rust_versions_parse_to_their_minor() {
        assert_eq!(rust_minor("1.77.0"), Some(77));
        assert_eq!(rust_minor("1.80.0-nightly"), Some(80));
        assert_eq!(rust_minor("2.0.0"), None);
        assert_eq!(rust_minor("garbage"), None);
    }
}
