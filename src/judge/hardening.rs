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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inspect::{Arch, Import, Stack, SymType};

    /// A dynamic glibc PIE with full RELRO and a non-executable stack: nothing to say yet.
    fn hardened() -> Facts {
        let mut f = Facts::empty(Arch::X86_64, Kind::Pie);
        f.libc = Libc::Glibc;
        f.relro = true;
        f.bind_now = true;
        f.stack = Some(Stack {
            size: 0,
            exec: false,
        });
        f
    }

    fn import(f: &mut Facts, name: &str) {
        f.imports.push(Import {
            name: name.into(),
            weak: false,
            sym_type: SymType::Func,
            version: None,
            library: None,
            referenced: true,
        });
    }

    fn ids(f: &Facts) -> Vec<Code> {
        let mut out = Vec::new();
        findings(f, &mut out);
        assert!(
            out.iter().all(|x| x.impact == Verdict::Native),
            "advice only"
        );
        out.iter().map(|x| x.id).collect()
    }

    #[test]
    fn a_hardened_file_gets_no_advice() {
        assert_eq!(ids(&hardened()), []);
    }

    #[test]
    fn pie_relro_and_stack_each_decide_one_finding() {
        let mut f = hardened();
        f.kind = Kind::Executable;
        assert_eq!(ids(&f), [Code::NoPie]);
        let mut f = hardened();
        f.bind_now = false;
        assert_eq!(ids(&f), [Code::PartialRelro]);
        f.relro = false;
        assert_eq!(ids(&f), [Code::NoRelro], "no RELRO at all outranks partial");
        let mut f = hardened();
        f.stack = Some(Stack {
            size: 0,
            exec: true,
        });
        assert_eq!(ids(&f), [Code::ExecStack]);
        f.stack = None;
        assert_eq!(
            ids(&f),
            [Code::ExecStack],
            "no PT_GNU_STACK means executable"
        );
        // Static files have no RELRO to speak of: only the stack counts.
        let mut f = hardened();
        f.kind = Kind::Static;
        f.relro = false;
        assert_eq!(ids(&f), []);
    }

    #[test]
    fn buffer_functions_without_ssp_or_fortify_are_reported() {
        let mut f = hardened();
        import(&mut f, "memcpy");
        assert_eq!(ids(&f), [Code::NoStackProtector, Code::NotFortified]);
        import(&mut f, "__stack_chk_fail");
        assert_eq!(ids(&f), [Code::NotFortified]);
        import(&mut f, "__memcpy_chk");
        assert_eq!(ids(&f), []);
        // Fortify is glibc's: a musl file is not asked for it.
        let mut f = hardened();
        f.libc = Libc::Musl;
        import(&mut f, "strcpy");
        assert_eq!(ids(&f), [Code::NoStackProtector]);
        // No buffer functions: nothing to protect.
        let mut f = hardened();
        import(&mut f, "puts");
        assert_eq!(ids(&f), []);
    }

    #[test]
    fn text_relocations_crash_only_kernel_mapped_musl_programs() {
        let mut out = Vec::new();
        let mut f = hardened();
        f.textrel = true;
        f.libc = Libc::Musl;
        findings(&f, &mut out);
        assert!(
            out.iter()
                .any(|x| x.id == Code::Textrel && x.message.contains("SIGSEGV"))
        );
        out.clear();
        f.kind = Kind::SharedLibrary;
        findings(&f, &mut out);
        let t = out
            .iter()
            .find(|x| x.id == Code::Textrel)
            .map(|x| x.message.clone());
        assert!(t.is_some_and(|m| !m.contains("SIGSEGV")));
    }

    #[test]
    fn rpath_entries_empty_relative_or_world_writable_are_risky() {
        let mut f = hardened();
        f.rpath = vec!["".into(), "lib".into(), "/tmp/x".into(), "/usr/lib".into()];
        f.runpath = vec![
            "$ORIGIN/../lib".into(),
            "${ORIGIN}".into(),
            "/var/tmp".into(),
        ];
        let mut out = Vec::new();
        findings(&f, &mut out);
        let risky: Vec<&str> = out
            .iter()
            .filter(|x| x.id == Code::RiskyRpath)
            .filter_map(|x| x.library.as_deref())
            .collect();
        assert_eq!(risky, ["", "lib", "/tmp/x", "/var/tmp"]);
    }
}
