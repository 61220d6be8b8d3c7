//! `gcompat/loader-stub.txt`: where gcompat's static-pie loader stub keeps its `_DYNAMIC`, per
//! architecture and build, and what the kernel maps next to it (#10). The judge's
//! `gcompat-loader-crash` rule reads these windows; `scripts/stub-window.sh` derives a line from
//! a stub binary.

use super::parse::ParseError;
use crate::inspect::Arch;

/// One build of the loader stub.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StubBuild {
    /// Architecture.
    pub arch: Arch,
    /// Page size the window was computed for.
    pub page: u64,
    /// PT_DYNAMIC.p_vaddr: `_DYNAMIC`'s offset from the stub's load base.
    pub dynamic: u64,
    /// Start of the mapped run of pages around `_DYNAMIC` (offset from the load base).
    pub lo: u64,
    /// End (exclusive) of that run.
    pub hi: u64,
    /// True for a build of gcompat's own loader.c, false for the project's stand-in stub.
    pub gcompat: bool,
}

/// The kernel pages directly below the stub (`[vdso]`, `[vvar]`): a read that starts in them
/// may survive.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StubNeighbours {
    /// Architecture.
    pub arch: Arch,
    /// Bytes directly below the stub that are readable (`[vdso]`).
    pub readable: u64,
    /// Bytes directly below the stub that are mapped, readable or not (`[vdso]` + `[vvar]`).
    pub mapped: u64,
    /// True when measured, false when assumed.
    pub measured: bool,
}

fn hex(s: &str) -> Option<u64> {
    u64::from_str_radix(s.strip_prefix("0x")?, 16).ok()
}

fn arch(s: &str) -> Option<Arch> {
    match s {
        "x86_64" => Some(Arch::X86_64),
        "aarch64" => Some(Arch::Aarch64),
        _ => None,
    }
}

/// Parse the file into its builds and neighbour sizes.
pub(crate) fn parse(
    file: &'static str,
    text: &'static str,
) -> Result<(Vec<StubBuild>, Vec<StubNeighbours>), ParseError> {
    let err = |line: usize, message: &str| ParseError {
        file,
        line,
        message: message.into(),
    };
    let mut builds = Vec::new();
    let mut neighbours = Vec::new();
    let data = text
        .lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim()))
        .filter(|(_, l)| !l.is_empty() && !l.starts_with('#'));
    for (n, line) in data {
        match line.split_whitespace().collect::<Vec<_>>()[..] {
            ["build", a, page, dynamic, lo, hi, source] => {
                let build = (|| {
                    Some(StubBuild {
                        arch: arch(a)?,
                        page: page.parse().ok()?,
                        dynamic: hex(dynamic)?,
                        lo: hex(lo)?,
                        hi: hex(hi)?,
                        gcompat: match source {
                            "standin" => false,
                            s => s.starts_with("gcompat-"),
                        },
                    })
                })()
                .ok_or_else(|| err(n, "bad build line"))?;
                if !(build.lo <= build.dynamic && build.dynamic < build.hi) {
                    return Err(err(n, "DYNAMIC outside [LO, HI)"));
                }
                builds.push(build);
            }
            ["neighbours", a, readable, mapped, source] => {
                let entry = (|| {
                    Some(StubNeighbours {
                        arch: arch(a)?,
                        readable: hex(readable)?,
                        mapped: hex(mapped)?,
                        measured: match source {
                            "measured" => true,
                            "assumed" => false,
                            _ => return None,
                        },
                    })
                })()
                .ok_or_else(|| err(n, "bad neighbours line"))?;
                neighbours.push(entry);
            }
            _ => return Err(err(n, "expected a build or neighbours line")),
        }
    }
    Ok((builds, neighbours))
}
