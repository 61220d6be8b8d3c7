//! Hardening posture (#6): how a file compares with what Alpine builds its own packages with —
//! PIE (gcc --enable-default-pie), SSP (--enable-default-ssp), full RELRO (-z relro -z now),
//! _FORTIFY_SOURCE=2, non-executable stacks, no text relocations (aports main/gcc). Advisory only:
//! every finding here has impact `native`.

use super::{Code, Finding, Verdict};
use crate::inspect::{Facts, Kind, Libc};

/// Functions `_FORTIFY_SOURCE` has checked variants of, and which handle caller-sized buffers:
/// evidence that a file has code worth a stack canary or a fortify check.
const BUFFER_FUNCTIONS: &[&str] = &[
    "confstr",
    "fgets",
    "fprintf",
    "fread",
    "getcwd",
    "getgroups",
    "gethostname",
    "gets",
    "mbstowcs",
    "memcpy",
    "memmove",
    "mempcpy",
    "memset",
    "pread",
    "pread64",
    "printf",
    "read",
    "readlink",
    "readlinkat",
    "realpath",
    "recv",
    "recvfrom",
    "snprintf",
    "sprintf",
    "stpcpy",
    "stpncpy",
    "strcat",
    "strcpy",
    "strncat",
    "strncpy",
    "syslog",
    "ttyname_r",
    "vfprintf",
    "vprintf",
    "vsnprintf",
    "vsprintf",
    "wcscat",
    "wcscpy",
    "wcsncpy",
    "wcstombs",
];

/// Directories that are world-writable on every Linux system.
const WORLD_WRITABLE: &[&str] = &["/tmp", "/var/tmp", "/dev/shm"];

fn advice(code: Code, msg: String, fix: &str) -> Finding {
    Finding::new(code, Verdict::Native, msg).fix(fix)
}

/// All hardening findings for one file.
pub(super) fn findings(facts: &Facts, out: &mut Vec<Finding>) {
    let dynamic = !facts.kind.is_static();
    let imports = |n: &str| facts.imports.iter().any(|i| i.name == n);
    let buffers: Vec<&str> = BUFFER_FUNCTIONS
        .iter()
        .copied()
        .filter(|f| imports(f))
        .collect();
    let sample = |v: &[&str]| v.iter().take(3).copied().collect::<Vec<_>>().join(", ");

    if facts.kind == Kind::Executable {
        out.push(advice(
            Code::NoPie,
            "ET_EXEC program: loaded at a fixed address, no ASLR for its code (Alpine builds PIE)"
                .into(),
            "build with -fPIE -pie",
        ));
    }
    if dynamic
        && !buffers.is_empty()
        && !imports("__stack_chk_fail")
        && !imports("__stack_chk_guard")
    {
        out.push(advice(
            Code::NoStackProtector,
            format!(
                "imports buffer functions ({}) but not __stack_chk_fail: built without -fstack-protector (Alpine enables it by default)",
                sample(&buffers)
            ),
            "build with -fstack-protector-strong",
        ));
    }
    if dynamic && facts.libc == Libc::Glibc && !buffers.is_empty() {
        let fortified = facts
            .imports
            .iter()
            .any(|i| i.name.starts_with("__") && i.name.ends_with("_chk"));
        if !fortified {
            out.push(advice(
                Code::NotFortified,
                format!(
                    "imports fortifiable functions ({}) but no __*_chk variant: built without _FORTIFY_SOURCE (Alpine uses =2)",
                    sample(&buffers)
                ),
                "build with -O2 -D_FORTIFY_SOURCE=2",
            ));
        }
    }
    if dynamic && facts.kind != Kind::NotLoadable {
        if !facts.relro {
            out.push(advice(
                Code::NoRelro,
                "no PT_GNU_RELRO: GOT, .init_array and vtables stay writable (Alpine links with -z relro -z now)".into(),
                "link with -Wl,-z,relro,-z,now",
            ));
        } else if !facts.bind_now {
            out.push(advice(
                Code::PartialRelro,
                "PT_GNU_RELRO without BIND_NOW (partial RELRO; Alpine links with -z relro -z now)"
                    .into(),
                "link with -Wl,-z,relro,-z,now",
            ));
        }
    }
    match facts.stack {
        Some(s) if s.exec => out.push(advice(
            Code::ExecStack,
            "PT_GNU_STACK has PF_X: executable stack requested".into(),
            "link with -Wl,-z,noexecstack (and mark assembly files with .note.GNU-stack)",
        )),
        None => out.push(advice(
            Code::ExecStack,
            "no PT_GNU_STACK: the kernel gives the process an executable stack".into(),
            "link with -Wl,-z,noexecstack (and mark assembly files with .note.GNU-stack)",
        )),
        Some(_) => {}
    }
    if facts.textrel {
        // Observed (musl 1.2.3): a kernel-mapped musl program with text relocations crashes in the
        // loader; libraries and programs musl maps itself (gcompat's way) load.
        let crash = facts.kind.has_loader() && facts.libc == Libc::Musl;
        let msg = if crash {
            "DT_TEXTREL in a musl program: musl could not relocate the kernel-mapped read-only text (SIGSEGV at startup when tested)"
        } else {
            "DT_TEXTREL: the loader must write into code pages to relocate non-PIC code"
        };
        out.push(advice(
            Code::Textrel,
            msg.into(),
            "compile every object with -fPIC (-fPIE for programs)",
        ));
    }
    rpaths(facts, out);
}

/// Empty, relative and world-writable DT_RPATH/DT_RUNPATH entries.
fn rpaths(facts: &Facts, out: &mut Vec<Finding>) {
    let tags = [("DT_RPATH", &facts.rpath), ("DT_RUNPATH", &facts.runpath)];
    for (tag, entries) in tags {
        for entry in entries.iter() {
            let origin = entry.starts_with("$ORIGIN") || entry.starts_with("${ORIGIN}");
            let why = if entry.is_empty() {
                "is empty, which means the current directory".to_string()
            } else if !entry.starts_with('/') && !origin {
                "is relative to the current directory of whoever starts the program".to_string()
            } else if let Some(dir) = WORLD_WRITABLE
                .iter()
                .find(|d| entry == *d || entry.starts_with(&format!("{d}/")))
            {
                format!(
                    "is under {dir}, which is world-writable: any local user can plant a library there"
                )
            } else {
                continue;
            };
            out.push(
                Finding::new(
                    Code::RiskyRpath,
                    Verdict::Native,
                    format!(
                        "{tag} entry '{entry}' {why} (whether other directories are world-writable can only be checked on the host that runs it)"
                    ),
                )
                .library(entry.clone())
                .fix("relink without it, or use $ORIGIN-relative paths: patchelf --set-rpath '$ORIGIN/../lib' FILE"),
            );
        }
    }
}
