//! The host `verify` runs on: its musl loader and version, gcompat, and how runs are isolated.
//!
//! Everything is found on the host itself (`/lib/ld-musl-<arch>.so.1`, `/lib/libgcompat.so.0`,
//! gcompat's ELF interpreter at glibc's loader path); flags and `MUSLCHECK_*` environment
//! variables point elsewhere for tests and unusual layouts (docs/verify.md).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde::Serialize;

use crate::inspect::{Arch, Kind, inspect};

/// Where to look, as the user asked (`None` = detect).
#[derive(Clone, Debug, Default)]
pub struct HostOptions {
    /// musl's dynamic loader (`--loader`, `MUSLCHECK_LOADER`).
    pub loader: Option<PathBuf>,
    /// libgcompat to preload (`--gcompat-preload`, `MUSLCHECK_GCOMPAT_PRELOAD`); `none` turns
    /// gcompat off.
    pub gcompat_preload: Option<String>,
    /// gcompat's ELF interpreter (`--gcompat-loader`, `MUSLCHECK_GCOMPAT_LOADER`).
    pub gcompat_loader: Option<PathBuf>,
    /// Whether runs will happen (only then is network isolation probed).
    pub run: bool,
    /// A user-mode emulator to run the loader and programs through, as words
    /// (`qemu-aarch64-static -L /`; `--emulator`, `MUSLCHECK_EMULATOR`): checks another
    /// architecture's loader on this machine.
    pub emulator: Option<String>,
}

/// What was found on the host; serialised into the report's `verify.host`.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Host {
    /// Architecture of the loader (files of another architecture are not checked).
    pub arch: Arch,
    /// musl's loader, as given or found.
    pub loader: PathBuf,
    /// The version musl's loader prints (`Version 1.2.3`).
    pub musl: String,
    /// libgcompat preloaded for glibc programs, when gcompat is present.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gcompat_preload: Option<PathBuf>,
    /// gcompat's ELF interpreter (the stub at glibc's loader path), when present.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gcompat_loader: Option<PathBuf>,
    /// How runs are kept off the network (`unshare -n`, …), or None when nothing works here.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub network_isolation: Option<String>,
    /// The emulator the loader and programs run under, when one was asked for.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub emulator: Vec<String>,
}

/// Why there is nothing to verify against.
#[derive(Debug)]
pub struct NoMuslHost(pub String);

impl std::fmt::Display for NoMuslHost {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for NoMuslHost {}

/// glibc's loader path for an architecture: the PT_INTERP of glibc programs, where Alpine's
/// gcompat package puts its ELF interpreter (gcompat's Makefile, `LOADER_NAME`).
pub fn glibc_loader_path(arch: Arch) -> Option<&'static str> {
    match arch {
        Arch::X86_64 => Some("/lib64/ld-linux-x86-64.so.2"),
        Arch::Aarch64 => Some("/lib/ld-linux-aarch64.so.1"),
        Arch::Other(_) => None,
    }
}

/// Alpine installs gcompat's interpreter here (and links /lib64/… to it on x86_64).
fn gcompat_loader_default(arch: Arch) -> Option<&'static str> {
    match arch {
        Arch::X86_64 => Some("/lib/ld-linux-x86-64.so.2"),
        Arch::Aarch64 => Some("/lib/ld-linux-aarch64.so.1"),
        Arch::Other(_) => None,
    }
}

fn env_path(name: &str) -> Option<PathBuf> {
    std::env::var_os(name)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
}

impl Host {
    /// Find musl's loader, its version, gcompat and network isolation.
    pub fn detect(opts: &HostOptions) -> Result<Host, NoMuslHost> {
        let loader = opts
            .loader
            .clone()
            .or_else(|| env_path("MUSLCHECK_LOADER"))
            .unwrap_or_else(|| {
                PathBuf::from(format!("/lib/ld-musl-{}.so.1", std::env::consts::ARCH))
            });
        if !loader.exists() {
            return Err(NoMuslHost(format!(
                "no musl loader at {}: this host does not run musl programs (a glibc host?). \
                 Run `muslcheck verify` where the binaries will run (Alpine, a musl container), \
                 or name the loader with --loader",
                loader.display()
            )));
        }
        let arch = std::fs::read(&loader)
            .ok()
            .and_then(|b| inspect(&b).ok())
            .map(|f| f.arch)
            .ok_or_else(|| {
                NoMuslHost(format!("{} is not a readable ELF loader", loader.display()))
            })?;
        let emulator: Vec<String> = opts
            .emulator
            .clone()
            .or_else(|| std::env::var("MUSLCHECK_EMULATOR").ok())
            .map(|e| e.split_whitespace().map(str::to_string).collect())
            .unwrap_or_default();
        let musl = musl_version(&emulator, &loader)?;
        let gcompat_preload = match opts.gcompat_preload.clone().or_else(|| {
            std::env::var("MUSLCHECK_GCOMPAT_PRELOAD")
                .ok()
                .filter(|v| !v.is_empty())
        }) {
            Some(v) if v == "none" => None,
            Some(v) => {
                let p = PathBuf::from(v);
                if !p.is_file() {
                    return Err(NoMuslHost(format!(
                        "gcompat preload {} does not exist",
                        p.display()
                    )));
                }
                Some(p)
            }
            None => Some(PathBuf::from("/lib/libgcompat.so.0")).filter(|p| p.is_file()),
        };
        let gcompat_loader = match opts
            .gcompat_loader
            .clone()
            .or_else(|| env_path("MUSLCHECK_GCOMPAT_LOADER"))
        {
            Some(p) if p.is_file() => Some(p),
            Some(p) => {
                return Err(NoMuslHost(format!(
                    "gcompat loader {} does not exist",
                    p.display()
                )));
            }
            None => gcompat_loader_default(arch)
                .map(PathBuf::from)
                .filter(|p| is_gcompat_stub(p)),
        };
        Ok(Host {
            arch,
            loader,
            musl,
            gcompat_preload,
            gcompat_loader,
            network_isolation: if opts.run { network_isolation() } else { None },
            emulator,
        })
    }

    /// argv for running `program` on this host: through the emulator, if any.
    pub fn command(&self, program: &Path) -> Vec<String> {
        let mut v = self.emulator.clone();
        v.push(program.display().to_string());
        v
    }

    /// True when gcompat is installed (its library can be preloaded).
    pub fn has_gcompat(&self) -> bool {
        self.gcompat_preload.is_some()
    }

    /// What the kernel would start for a program whose PT_INTERP is `interp`.
    pub fn interpreter(&self, interp: &str) -> Interp {
        let path = Path::new(interp);
        if same_file(path, &self.loader) {
            return Interp::Musl;
        }
        if self
            .gcompat_loader
            .as_deref()
            .is_some_and(|g| same_file(path, g))
        {
            return Interp::Gcompat;
        }
        if !path.exists() {
            return Interp::Missing;
        }
        if is_glibc_ldso(path) {
            return Interp::Glibc;
        }
        Interp::Other
    }
}

/// What sits at a program's PT_INTERP on this host.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Interp {
    /// musl's loader: the kernel starts musl.
    Musl,
    /// gcompat's ELF interpreter, which re-executes musl's loader with libgcompat preloaded.
    Gcompat,
    /// glibc's own loader: on this host the program would run on glibc, not musl.
    Glibc,
    /// Nothing: the kernel refuses to start the program (ENOENT).
    Missing,
    /// Some other file.
    Other,
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(x), Ok(y)) => x == y,
        _ => false,
    }
}

/// glibc's ld.so names itself `ld-linux-*` (DT_SONAME); gcompat's interpreter is a static-pie
/// with no DT_SONAME (gcompat's Makefile links it with `-static-pie`).
fn is_glibc_ldso(path: &Path) -> bool {
    std::fs::read(path)
        .ok()
        .and_then(|b| inspect(&b).ok())
        .is_some_and(|f| f.soname.is_some_and(|s| s.starts_with("ld-linux")))
}

fn is_gcompat_stub(path: &Path) -> bool {
    std::fs::read(path)
        .ok()
        .and_then(|b| inspect(&b).ok())
        .is_some_and(|f| {
            matches!(f.kind, Kind::StaticPie | Kind::Static | Kind::SharedLibrary)
                && !f.soname.is_some_and(|s| s.starts_with("ld-linux"))
        })
}

/// musl's loader run with no arguments prints `musl libc (ARCH)` and `Version X.Y.Z` on
/// standard error (ldso/dynlink.c `__dls3`, the usage message) and exits 1.
fn musl_version(emulator: &[String], loader: &Path) -> Result<String, NoMuslHost> {
    let mut cmd = match emulator.split_first() {
        Some((prog, args)) => {
            let mut c = Command::new(prog);
            c.args(args).arg(loader);
            c
        }
        None => Command::new(loader),
    };
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .map_err(|e| NoMuslHost(format!("cannot run {}: {e}", loader.display())))?;
    let text = String::from_utf8_lossy(&out.stderr);
    if !text.contains("musl libc") {
        return Err(NoMuslHost(format!(
            "{} does not say it is musl's loader (a glibc host?)",
            loader.display()
        )));
    }
    text.lines()
        .find_map(|l| l.trim().strip_prefix("Version "))
        .map(|v| v.trim().to_string())
        .ok_or_else(|| NoMuslHost(format!("{} printed no version", loader.display())))
}

/// The first way to start a process without network that works here: a new network namespace
/// through util-linux's or BusyBox's `unshare`, as root, or unprivileged in a user namespace.
fn network_isolation() -> Option<String> {
    let candidates: &[&[&str]] = &[
        &["unshare", "-n"],
        &["unshare", "--map-current-user", "-n"],
        &["unshare", "-rn"],
    ];
    candidates.iter().find_map(|args| {
        let (prog, rest) = args.split_first()?;
        let ok = Command::new(prog)
            .args(rest)
            .arg("true")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        ok.then(|| args.join(" "))
    })
}
