//! `gcompat-loader-crash` (#10): gcompat's loader stub dies before it can start the program.
//!
//! gcompat answers glibc's PT_INTERP with a musl static-pie (gcompat loader/loader.c). Its
//! start-up (musl src/env/__init_tls.c, `static_init_tls`) walks the program headers the kernel
//! passes in AT_PHDR, which are the *program's*, but computes the load base from its own
//! `_DYNAMIC`. It then copies the program's `.tdata` (PT_TLS.p_filesz bytes) from
//! `stub base + stub _DYNAMIC - (program PT_DYNAMIC - program PT_TLS)`. When that range leaves the
//! stub's mapping, the stub faults with no message, before musl's loader runs. The windows of the
//! known stub builds are in `symbol-db/gcompat/loader-stub.txt`.

use super::evidence::{Confidence, Detail, Evidence, StubTls};
use super::{Code, Finding, Fix, Severity, Verdict};
use crate::db::{Db, StubBuild, StubNeighbours};
use crate::inspect::Facts;

/// Where a read of `len` bytes starting `distance` bytes below `_DYNAMIC` lands in one build.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Landing {
    /// Inside the stub's mapping: the copy succeeds.
    Inside,
    /// Starts in the readable kernel pages directly below the stub (`[vdso]`): survives where the
    /// kernel puts them there.
    Readable,
    /// Starts in the partly readable kernel pages below those (`[vvar]`): usually faults.
    Mapped,
    /// Outside everything that may be mapped: the copy faults.
    Outside,
}

fn landing(b: &StubBuild, distance: i128, len: i128, below: Option<&StubNeighbours>) -> Landing {
    let start = i128::from(b.dynamic) - distance;
    let end = start + len;
    let (lo, hi) = (i128::from(b.lo), i128::from(b.hi));
    let (readable, mapped) =
        below.map_or((0, 0), |n| (i128::from(n.readable), i128::from(n.mapped)));
    if end > hi {
        Landing::Outside
    } else if start >= lo {
        Landing::Inside
    } else if start >= lo - readable {
        Landing::Readable
    } else if start >= lo - mapped {
        Landing::Mapped
    } else {
        Landing::Outside
    }
}

/// The finding, for a program started through gcompat's stub whose `.tdata` copy leaves it.
pub(super) fn loader_crash(
    facts: &Facts,
    db: &Db,
    musl_loader: &str,
    needs_gcompat: bool,
) -> Option<Finding> {
    let tls = facts.tls_segment?;
    let dynamic = facts.dynamic_vaddr?;
    if tls.filesz == 0 {
        return None; // .tbss only: nothing is copied
    }
    let builds: Vec<&StubBuild> = db.stub_builds(facts.arch).collect();
    if builds.is_empty() {
        return None;
    }
    let neighbours = db.stub_neighbours(facts.arch);
    let distance = i128::from(dynamic) - i128::from(tls.vaddr);
    let len = i128::from(tls.filesz);
    let landings: Vec<Landing> = builds
        .iter()
        .map(|b| landing(b, distance, len, neighbours))
        .collect();
    let faulting = landings.iter().filter(|l| **l != Landing::Inside).count();
    if faulting == 0 {
        return None;
    }
    let measured = builds.iter().any(|b| b.gcompat) && neighbours.is_some_and(|n| n.measured);
    let mut confidence = if landings.iter().all(|l| *l == Landing::Outside) {
        Confidence::Certain
    } else if landings.iter().all(|l| *l >= Landing::Mapped) {
        Confidence::Likely
    } else {
        Confidence::Possible
    };
    if !measured {
        // The windows are those of stand-in builds: one step less sure.
        confidence = match confidence {
            Confidence::Certain => Confidence::Likely,
            _ => Confidence::Possible,
        };
    }
    let evidence = StubTls {
        tdata_size: tls.filesz,
        distance: i64::try_from(distance).unwrap_or(i64::MAX),
        window_below: builds.iter().map(|b| b.dynamic - b.lo).min().unwrap_or(0),
        window_above: builds.iter().map(|b| b.hi - b.dynamic).min().unwrap_or(0),
        neighbours: neighbours.map_or(0, |n| n.mapped),
        builds_faulting: faulting,
        builds: builds.len(),
        measured,
    };
    let interp = facts.interpreter.as_deref().unwrap_or("glibc's loader");
    let how = match confidence {
        Confidence::Certain => "crashes (SIGSEGV, no message) on every known build of the stub",
        Confidence::Likely => {
            "leaves the stub's mapping on every known build of the stub and may at most start in the kernel's [vvar] pages: it crashes unless those happen to be readable"
        }
        Confidence::Possible => {
            "leaves the stub's mapping on some builds of the stub, or only reaches into the kernel's [vdso] pages below it: it may crash, depending on gcompat's exact build and the kernel"
        }
    };
    let measured_note = if measured {
        ""
    } else {
        " (windows of stand-in stub builds; gcompat's own stub for this architecture was not measured)"
    };
    let message = format!(
        "gcompat's loader stub ({interp}) copies this program's {} bytes of .tdata from {:#x} bytes below its own _DYNAMIC (PT_DYNAMIC − PT_TLS), \
         outside its {:#x}-byte window: it {how}{measured_note}",
        tls.filesz, distance, evidence.window_below
    );
    let (impact, severity) = if confidence == Confidence::Possible {
        (Verdict::Gcompat, Severity::Warning)
    } else {
        (Verdict::Rebuild, Severity::Error)
    };
    let fix = if needs_gcompat {
        let mut steps =
            format!("patchelf --set-interpreter {musl_loader} --add-needed libgcompat.so.0");
        for lib in facts.needed.iter().filter(|l| l.starts_with("ld-linux")) {
            steps.push_str(&format!(" --remove-needed {lib}"));
        }
        Fix::install("gcompat")
            .then(format!(
                "start it without the stub: {steps} FILE (musl's loader, with libgcompat ahead of musl as the stub's --preload puts it)"
            ))
            .or(format!(
                "after `patchelf --set-interpreter {musl_loader} FILE` run it as LD_PRELOAD=/lib/libgcompat.so.0 FILE; \
                 never the interpreter change alone (musl treats libc.so.6 as itself, so libgcompat would not load)"
            ))
    } else {
        let mut steps = format!("patchelf --set-interpreter {musl_loader}");
        for lib in facts.needed.iter().filter(|l| l.starts_with("ld-linux")) {
            steps.push_str(&format!(" --remove-needed {lib}"));
        }
        Fix::step(format!(
            "{steps} FILE: musl provides everything else the program needs, so it runs without gcompat and its stub"
        ))
    };
    Some(Finding {
        evidence: Some(Evidence {
            confidence,
            detail: Detail::StubTls(evidence),
        }),
        ..Finding::new(Code::GcompatLoaderCrash, impact, message)
            .severity(severity)
            .library(interp)
            .fix(fix)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inspect::{Arch, Kind, TlsSegment};

    /// A glibc PIE whose PT_DYNAMIC lies `distance` bytes above its PT_TLS.
    fn program(arch: Arch, distance: u64, tdata: u64) -> Facts {
        let mut f = Facts::empty(arch, Kind::Pie);
        f.interpreter = Some("/lib64/ld-linux-x86-64.so.2".into());
        f.tls_segment = Some(TlsSegment {
            vaddr: 0x10000,
            filesz: tdata,
            memsz: tdata + 64,
        });
        f.dynamic_vaddr = Some(0x10000 + distance);
        f
    }

    fn confidence(arch: Arch, distance: u64, tdata: u64) -> Option<Confidence> {
        let db = Db::get().unwrap();
        let f = loader_crash(
            &program(arch, distance, tdata),
            db,
            "/lib/ld-musl.so.1",
            true,
        )?;
        f.evidence.map(|e| e.confidence)
    }

    #[test]
    fn x86_64_bands_follow_the_known_builds_and_the_kernel_pages_below() {
        // Inside every build (the smallest _DYNAMIC offset is 0x4e18).
        assert_eq!(confidence(Arch::X86_64, 0x1a08, 0x100), None);
        // .tbss only: nothing is copied, whatever the distance.
        assert_eq!(confidence(Arch::X86_64, 0x100000, 0), None);
        // Starts in [vdso] below the stub on every build: survives there, so only possible.
        assert_eq!(
            confidence(Arch::X86_64, 0x6440, 8),
            Some(Confidence::Possible)
        );
        // [vvar] on every build: likely.
        assert_eq!(
            confidence(Arch::X86_64, 0x8400, 8),
            Some(Confidence::Likely)
        );
        // Past everything the kernel maps below: certain (cargo-sized distances).
        assert_eq!(
            confidence(Arch::X86_64, 0x20018, 8),
            Some(Confidence::Certain)
        );
        // A .tdata copy that runs off the top of the stub faults as well.
        assert_eq!(
            confidence(Arch::X86_64, 0, 0x3000),
            Some(Confidence::Certain)
        );
    }

    #[test]
    fn aarch64_windows_are_stand_ins_and_never_certain() {
        // 64 KiB-aligned aarch64 stubs leave only 0xe08 bytes below _DYNAMIC on 4 KiB pages.
        assert_eq!(confidence(Arch::Aarch64, 0x800, 8), None);
        assert_eq!(
            confidence(Arch::Aarch64, 0x1a08, 8),
            Some(Confidence::Possible)
        );
        // Within the assumed kernel pages below a 64 KiB-page stub: only possible.
        assert_eq!(
            confidence(Arch::Aarch64, 0x265e0, 8),
            Some(Confidence::Possible)
        );
        // Beyond every window and the assumed pages: likely, not certain (nothing measured).
        assert_eq!(
            confidence(Arch::Aarch64, 0x56b48, 8),
            Some(Confidence::Likely)
        );
        let db = Db::get().unwrap();
        let f = loader_crash(
            &program(Arch::Aarch64, 0x56b48, 8),
            db,
            "/lib/ld-musl.so.1",
            true,
        )
        .unwrap();
        let Some(Evidence {
            detail: Detail::StubTls(e),
            ..
        }) = f.evidence
        else {
            panic!("stub evidence");
        };
        assert!(!e.measured);
        assert_eq!(f.severity, Severity::Error);
    }
}
