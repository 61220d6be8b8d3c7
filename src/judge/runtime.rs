//! Runtime risks (#6): the file loads (or not), but may behave differently on musl. Each finding
//! names the evidence it saw (imports, PT_GNU_STACK, strings, `.symtab`) and a concrete fix.
//! Advisory: impact `native`, except `time64-abi`, which is an ABI break (`rebuild`).

use std::collections::{BTreeMap, HashSet};

use super::{Code, Finding, Fix, Severity, ShimFix, Symbol, Target, Verdict};
use crate::db::{Db, GcompatLib};
use crate::inspect::{Arch, Facts, Libc, Marker, is_glibc_library};

/// musl's default thread stack (src/internal/pthread_impl.h DEFAULT_STACK_SIZE).
const MUSL_DEFAULT_STACK: u64 = 128 << 10;
/// Below this PT_GNU_STACK size, deep-stack code that was fine on glibc (8 MiB) may overflow.
const STACK_WARN_BELOW: u64 = 1 << 20;
/// musl caps the PT_GNU_STACK-raised default at DEFAULT_STACK_MAX.
const MUSL_STACK_MAX: u64 = 8 << 20;

const THREAD_CREATE: &[&str] = &["pthread_create", "thrd_create"];
const ALLOCATOR: &[&str] = &[
    "malloc",
    "calloc",
    "realloc",
    "free",
    "posix_memalign",
    "aligned_alloc",
    "memalign",
    "_Znwm",
    "_Znam",
    "_ZdlPv",
    "_ZdaPv",
];
const OWN_ALLOCATOR_LIBS: &[&str] = &["libjemalloc.", "libtcmalloc", "libmimalloc"];
const OWN_ALLOCATOR_SYMS: &[&str] = &["je_malloc", "mi_malloc", "tc_malloc"];
const RESOLVER: &[&str] = &[
    "getaddrinfo",
    "getaddrinfo_a",
    "gethostbyname",
    "gethostbyname2",
    "gethostbyname_r",
    "gethostbyname2_r",
    "gethostbyaddr",
    "gethostbyaddr_r",
    "getnameinfo",
    "res_query",
    "res_search",
    "res_send",
    "res_nquery",
    "res_nsearch",
    "res_nsend",
    "res_mkquery",
    "__res_query",
    "__res_search",
    "__res_send",
    "__res_nquery",
    "__res_nsearch",
    "__res_nsend",
    "__res_mkquery",
];
const LOCALE_STRONG: &[&str] = &[
    "iconv_open",
    "strcoll",
    "strcoll_l",
    "strxfrm",
    "strxfrm_l",
    "wcscoll",
    "wcsxfrm",
    "strfmon",
    "localeconv",
];
const LOCALE_WEAK: &[&str] = &["setlocale", "newlocale", "uselocale"];
const NSS: &[&str] = &[
    "getpwnam",
    "getpwnam_r",
    "getpwuid",
    "getpwuid_r",
    "getpwent",
    "getgrnam",
    "getgrnam_r",
    "getgrgid",
    "getgrgid_r",
    "getgrouplist",
    "initgroups",
    "getspnam",
    "getaddrinfo",
    "gethostbyname",
    "gethostbyname_r",
    "gethostbyaddr",
    "getnameinfo",
    "getservbyname",
];
const DLOPEN: &[&str] = &["dlopen", "dlmopen", "__libc_dlopen_mode"];
/// Imports that show time_t crossing the ABI boundary in a 32-bit binary.
const TIME_FUNCTIONS: &[&str] = &[
    "time",
    "gettimeofday",
    "clock_gettime",
    "localtime",
    "localtime_r",
    "gmtime",
    "gmtime_r",
    "mktime",
    "difftime",
    "nanosleep",
    "stat",
    "fstat",
    "lstat",
    "__xstat",
    "__fxstat",
    "__lxstat",
    "utime",
    "utimes",
    "futimens",
    "select",
    "pselect",
    "ctime",
    "strftime",
];

/// What the runtime checks need to know about the file and the target.
pub(super) struct Runtime<'a> {
    pub facts: &'a Facts,
    pub db: &'a Db,
    pub target: &'a Target,
    pub arch: Arch,
    /// musl's exports, when known (absent for static files, which never bind to musl).
    pub musl: Option<&'a HashSet<&'static str>>,
    /// libgcompat is preloaded (a glibc program on a gcompat target): it overrides musl.
    pub gcompat_in_process: bool,
}

impl Runtime<'_> {
    /// The file calls `name`: a referenced, non-weak import, or (static files) a `.symtab` definition.
    fn calls(&self, name: &str) -> bool {
        let f = self.facts;
        f.imports
            .iter()
            .any(|i| i.name == name && i.referenced && !i.weak)
            || (f.kind.is_static() && f.extra.defines(name))
    }

    fn called<'n>(&self, names: &[&'n str]) -> Vec<&'n str> {
        names.iter().copied().filter(|n| self.calls(n)).collect()
    }

    fn musl_has(&self, name: &str) -> bool {
        self.musl.is_some_and(|m| m.contains(name))
    }

    /// True when musl will run this file's threads, allocations, lookups and stdio: a dynamically
    /// linked file not built against musl. (A static glibc file brings its own glibc; a musl-built
    /// file already expects musl's behaviour.)
    fn on_musl_runtime(&self) -> bool {
        !self.facts.kind.is_static() && self.facts.libc != Libc::Musl
    }

    /// Every runtime finding for the file.
    pub fn findings(&self, out: &mut Vec<Finding>) {
        if self.on_musl_runtime() {
            self.thread_stack(out);
            self.malloc(out);
            self.dns(out);
            self.locale_iconv(out);
            self.gnu_semantics(out);
            self.file_internals(out);
        }
        self.dlopen_libs(out);
        self.static_nss(out);
        self.versioned_foreign(out);
    }

    fn thread_stack(&self, out: &mut Vec<Finding>) {
        let creates = self.called(THREAD_CREATE);
        if creates.is_empty() || self.calls("pthread_setattr_default_np") {
            return;
        }
        let size = self.facts.stack.map_or(0, |s| s.size);
        if size >= STACK_WARN_BELOW {
            return;
        }
        let effective = size.clamp(MUSL_DEFAULT_STACK, MUSL_STACK_MAX);
        let stack = match (self.facts.stack, size) {
            (None, _) => "there is no PT_GNU_STACK".to_string(),
            (Some(_), 0) => "PT_GNU_STACK's size is 0 (unset)".to_string(),
            (Some(_), n) => format!("PT_GNU_STACK's size is {} KiB", n >> 10),
        };
        let mut f = Finding::new(
            Code::ThreadStackSize,
            Verdict::Native,
            format!(
                "calls {} and {stack}: new threads get musl's {} KiB default stack (glibc: RLIMIT_STACK, typically 8 MiB)",
                creates.join(", "),
                effective >> 10
            ),
        )
        .fix("relink with -Wl,-z,stack-size=8388608 (or set PT_GNU_STACK's p_memsz), or call pthread_attr_setstacksize");
        if self.calls("pthread_attr_setstacksize") {
            f.message.push_str(
                "; it also calls pthread_attr_setstacksize, so some threads set their own size",
            );
            f = f.severity(Severity::Note);
        }
        out.push(f);
    }

    fn malloc(&self, out: &mut Vec<Finding>) {
        let f = self.facts;
        let creates = self.called(THREAD_CREATE);
        let allocs = self.called(ALLOCATOR);
        if creates.is_empty() || allocs.len() < 2 {
            return;
        }
        let own_lib = f
            .needed
            .iter()
            .any(|n| OWN_ALLOCATOR_LIBS.iter().any(|p| n.starts_with(p)));
        let own_marker = [Marker::Jemalloc, Marker::Mimalloc, Marker::Tcmalloc]
            .iter()
            .any(|m| f.extra.has(*m));
        let own_sym = OWN_ALLOCATOR_SYMS.iter().any(|s| f.extra.defines(s));
        let interposes = f.exports.iter().any(|e| e.name == "malloc") && !f.kind.is_static();
        if own_lib || own_marker || own_sym || interposes {
            return;
        }
        out.push(
            Finding::new(
                Code::MallocContention,
                Verdict::Native,
                format!(
                    "multi-threaded ({}) and allocating ({}) with musl's malloc (no jemalloc/tcmalloc/mimalloc found): allocation-heavy threads contend on its lock",
                    creates.join(", "),
                    allocs.iter().take(4).copied().collect::<Vec<_>>().join(", ")
                ),
            )
            .fix("link mimalloc or jemalloc, or preload one: apk add mimalloc2 and LD_PRELOAD=/usr/lib/libmimalloc.so.2 (or apk add jemalloc, LD_PRELOAD=/usr/lib/libjemalloc.so.2); measure"),
        );
    }

    fn dns(&self, out: &mut Vec<Finding>) {
        let used = self.called(RESOLVER);
        if used.is_empty() {
            return;
        }
        let musl = &self.target.musl;
        let evidence = used.iter().take(4).copied().collect::<Vec<_>>().join(", ");
        let f = if self.target.musl_at_least(1, 2, 4) {
            // The big failure mode (no TCP) is gone: what remains are behaviour differences,
            // described by `explain`; a note without a fix stays out of the default report.
            Finding::new(
                Code::DnsResolver,
                Verdict::Native,
                format!(
                    "resolves names ({evidence}) with musl {musl}'s resolver: no NSS (nsswitch.conf ignored), nameservers queried in parallel, no search-domain retry for names with ndots or more dots"
                ),
            )
            .severity(Severity::Note)
        } else {
            Finding::new(
                Code::DnsResolver,
                Verdict::Native,
                format!(
                    "resolves names ({evidence}) with musl {musl}'s resolver, which has no TCP fallback (added in 1.2.4): answers larger than one UDP packet fail; also no NSS, parallel nameserver queries"
                ),
            )
            .fix("target musl ≥ 1.2.4 (Alpine 3.18+) for DNS over TCP; test name resolution in the target environment")
        };
        out.push(f);
    }

    fn locale_iconv(&self, out: &mut Vec<Finding>) {
        let strong = self.called(LOCALE_STRONG);
        let weak = self.called(LOCALE_WEAK);
        if strong.is_empty() && weak.is_empty() {
            return;
        }
        let f = if strong.is_empty() {
            Finding::new(
                Code::LocaleIconv,
                Verdict::Native,
                format!(
                    "sets locales ({}): on musl every locale is C/C.UTF-8 for collation and number formats",
                    weak.join(", ")
                ),
            )
            .severity(Severity::Note)
        } else {
            let mut evidence = strong.clone();
            evidence.extend(weak.iter().copied());
            Finding::new(
                Code::LocaleIconv,
                Verdict::Native,
                format!(
                    "depends on locale data or iconv ({}): musl collates by code point, has C number formats only and a fixed, module-less iconv set",
                    evidence.join(", ")
                ),
            )
            .fix("test sorting, number formats and conversions on Alpine; for more charsets: apk add gnu-libiconv and LD_PRELOAD=/usr/lib/preloadable_libiconv.so")
        };
        out.push(f);
    }

    fn gnu_semantics(&self, out: &mut Vec<Finding>) {
        if self.facts.libc != Libc::Glibc {
            return;
        }
        for imp in &self.facts.imports {
            if imp.weak || !imp.referenced || !self.musl_has(&imp.name) {
                continue;
            }
            let Some(g) = self.db.gnu_semantics(&imp.name) else {
                continue;
            };
            let gcompat_lib = self.db.gcompat_provider(self.arch, &imp.name);
            if g.gcompat_fixes
                && self.gcompat_in_process
                && gcompat_lib == Some(GcompatLib::Gcompat)
            {
                continue; // libgcompat comes first in lookup order and has the GNU version
            }
            let mut f = Finding::new(
                Code::GnuSemantics,
                Verdict::Native,
                format!(
                    "{} binds to musl's {} (versions are ignored): {}",
                    imp.display(),
                    imp.name,
                    g.effect
                ),
            )
            .symbol(Symbol::from(imp));
            if g.level == crate::db::Level::Note {
                f = f.severity(Severity::Note);
            } else if g.gcompat_fixes {
                f = f.fix("rebuild against musl, or preload libgcompat (its GNU version overrides musl's): patchelf --add-needed libgcompat.so.0 FILE");
            } else {
                f = f.fix("rebuild against musl");
            }
            out.push(f);
        }
    }

    fn file_internals(&self, out: &mut Vec<Finding>) {
        let names: Vec<String> = self
            .facts
            .imports
            .iter()
            .filter(|i| i.referenced && !i.weak)
            .filter(|i| {
                matches!(i.name.as_str(), "__uflow" | "__overflow") || i.name.starts_with("_IO_")
            })
            .filter(|i| {
                self.musl_has(&i.name)
                    || (self.target.gcompat.is_some()
                        && self.db.gcompat_provider(self.arch, &i.name).is_some())
            })
            .map(|i| i.display())
            .collect();
        if names.is_empty() {
            return;
        }
        // musl lays out FILE so that glibc's inline getc/putc work (stdio_impl.h, e3cd6c5c):
        // nothing to fix, so a note without a fix.
        out.push(Finding::new(
            Code::GlibcFileInternals,
            Verdict::Native,
            format!(
                "imports glibc stdio internals ({}) used by inlined getc/putc: musl's FILE layout matches the fields they touch, so they work; every inline putc takes the slow path",
                names.join(", ")
            ),
        ));
    }

    fn dlopen_libs(&self, out: &mut Vec<Finding>) {
        let f = self.facts;
        let has_dlopen = DLOPEN.iter().any(|d| self.calls(d));
        let static_nss = self.is_static_glibc() && f.extra.has(Marker::NsswitchConf);
        for s in &f.extra.library_strings {
            let name = s.name.as_str();
            let linked = f.needed.iter().any(|n| n == name) || f.soname.as_deref() == Some(name);
            if linked || (static_nss && name.starts_with("libnss_")) {
                continue;
            }
            let Some(why) = self.db.dlopen_unavailable(name) else {
                continue;
            };
            let built = name.contains('%');
            let (confidence, how) = match (s.whole && !built, has_dlopen) {
                (true, true) => ("high", "a whole string, and the file calls dlopen"),
                (true, false) => (
                    "medium",
                    "a whole string, but the file does not call dlopen itself",
                ),
                (false, true) if !built => {
                    ("medium", "inside a longer string; the file calls dlopen")
                }
                _ => ("low", "inside a longer string or built at run time"),
            };
            let mut finding = Finding::new(
                Code::DlopenGlibcLib,
                Verdict::Native,
                format!("string '{name}' ({how}; confidence {confidence}) names a library it may dlopen: {why}"),
            )
            .library(name);
            if confidence == "low" {
                finding = finding.severity(Severity::Note);
            } else {
                finding = finding.fix("check which feature opens it and what replaces it on Alpine, or disable that feature");
            }
            out.push(finding);
        }
    }

    fn is_static_glibc(&self) -> bool {
        let f = self.facts;
        f.kind.is_static() && (f.extra.gnu_abi_tag || f.extra.has(Marker::GlibcRuntime))
    }

    fn static_nss(&self, out: &mut Vec<Finding>) {
        if !self.is_static_glibc() {
            return;
        }
        let f = self.facts;
        let mut uses = Vec::new();
        if f.extra.has(Marker::NsswitchConf) {
            uses.push("the string /etc/nsswitch.conf".to_string());
        }
        let nss = self.called(NSS);
        if !nss.is_empty() {
            uses.push(format!(
                "{} in .symtab",
                nss.iter().take(3).copied().collect::<Vec<_>>().join(", ")
            ));
        }
        if self.calls("iconv_open") {
            uses.push("iconv_open in .symtab".to_string());
        }
        if uses.is_empty() {
            return;
        }
        let mut glibc = Vec::new();
        if f.extra.gnu_abi_tag {
            glibc.push("NT_GNU_ABI_TAG note");
        }
        if f.extra.has(Marker::GlibcRuntime) {
            glibc.push("glibc runtime strings (GLIBC_TUNABLES)");
        }
        out.push(
            Finding::new(
                Code::StaticGlibcNss,
                Verdict::Native,
                format!(
                    "statically linked glibc ({}) that uses NSS or iconv ({}): at run time it dlopens libnss_*/gconv modules of the glibc it was built with, which Alpine lacks",
                    glibc.join(", "),
                    uses.join("; ")
                ),
            )
            .fix("rebuild statically against musl (musl reads /etc/passwd, /etc/group, /etc/hosts and DNS directly)"),
        );
    }

    fn versioned_foreign(&self, out: &mut Vec<Finding>) {
        let needed = &self.facts.needed;
        let first_musl = needed.iter().position(|n| self.db.is_musl_itself(n));
        for imp in &self.facts.imports {
            let (Some(version), Some(lib)) = (&imp.version, &imp.library) else {
                continue;
            };
            if imp.weak
                || !imp.referenced
                || (is_glibc_library(lib) && version.starts_with("GLIBC_"))
                || !self.musl_has(&imp.name)
            {
                continue;
            }
            let why = if self.db.is_gcompat_soname(self.arch, lib) {
                if self.target.gcompat.is_none()
                    || self.db.gcompat_provider(self.arch, &imp.name) == Some(GcompatLib::Gcompat)
                {
                    continue; // not loadable without gcompat / gcompat's own definition wins
                }
                format!(
                    "on Alpine {lib} is gcompat's symlink to libgcompat, which does not define it"
                )
            } else {
                match (first_musl, needed.iter().position(|n| n == lib)) {
                    (Some(m), Some(l)) if m < l => {
                        format!("musl's libc comes before {lib} in DT_NEEDED order")
                    }
                    _ => continue,
                }
            };
            let mut msg = format!(
                "{} asks {lib} for version {version}, but {why}, so it binds to musl's {}",
                imp.display(),
                imp.name
            );
            if matches!(imp.name.as_str(), "crypt" | "crypt_r") {
                msg.push_str(": musl's crypt knows DES, $1$, $2a$/$2b$, $5$ and $6$ hashes, not libxcrypt's yescrypt ($y$, Debian's default) or scrypt ($7$)");
            }
            out.push(
                Finding::new(Code::VersionedForeignSymbol, Verdict::Native, msg)
                    .symbol(Symbol::from(imp))
                    .library(lib.clone())
                    .fix("rebuild against musl, or make the real library load before libc"),
            );
        }
    }
}

/// A dynamically linked 32-bit glibc binary for i386 or arm (#6): musl's 64-bit time_t makes it an
/// ABI break, whatever its symbols.
pub(super) fn time64(facts: &Facts) -> Option<Finding> {
    let Arch::Other(machine) = facts.arch else {
        return None;
    };
    let name = match machine {
        object::elf::EM_386 => "i386",
        object::elf::EM_ARM => "arm",
        _ => return None,
    };
    if facts.bits != 32 || facts.kind.is_static() || facts.libc != crate::inspect::Libc::Glibc {
        return None;
    }
    let time: Vec<String> = facts
        .imports
        .iter()
        .filter(|i| TIME_FUNCTIONS.contains(&i.name.as_str()))
        .take(4)
        .map(|i| i.display())
        .collect();
    let evidence = if time.is_empty() {
        "no time functions imported directly, but every time_t-carrying structure it shares with libc differs".to_string()
    } else {
        format!("imports {}", time.join(", "))
    };
    Some(
        Finding::new(
            Code::Time64Abi,
            Verdict::Rebuild,
            format!(
                "32-bit {name} glibc binary: glibc's 32-bit ABI has a 32-bit time_t, musl's (since 1.2.0) a 64-bit one, so struct timespec/stat/... layouts differ ({evidence}); not otherwise judged"
            ),
        )
        .fix("rebuild for the target against musl, or use the program's 64-bit build"),
    )
}

/// Extend the fixes of `missing-symbol` findings with the shim recipe when Alpine packages export
/// every missing symbol (#6). The verdict stays `rebuild`: the shim is an alternative to try.
pub(super) fn shim_advice(db: &Db, findings: &mut [Finding]) {
    let missing: Vec<&str> = findings
        .iter()
        .filter(|f| f.id == Code::MissingSymbol)
        .filter_map(|f| f.symbol.as_ref())
        .map(|s| s.name.as_str())
        .collect();
    if missing.is_empty() {
        return;
    }
    let mut by_package: BTreeMap<(&str, &str), Vec<&str>> = BTreeMap::new();
    for name in &missing {
        let Some(shim) = db.shim(name) else {
            return; // one symbol without a shim: rebuilding is the only way
        };
        by_package
            .entry((shim.package, shim.soname))
            .or_default()
            .push(name);
    }
    let shim = ShimFix {
        packages: by_package.keys().map(|(p, _)| p.to_string()).collect(),
        sonames: by_package.keys().map(|(_, s)| s.to_string()).collect(),
    };
    for f in findings.iter_mut().filter(|f| f.id == Code::MissingSymbol) {
        if let Some(shim) = f.symbol.as_ref().and_then(|s| db.shim(&s.name)) {
            f.message.push_str(&format!(
                "; Alpine's {} ({}) exports it",
                shim.package, shim.soname
            ));
        }
        let fix = f
            .fix
            .get_or_insert_with(|| Fix::step("rebuild against musl"));
        fix.shim = Some(shim.clone());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inspect::{Import, Kind, Stack, SymType};

    /// A dynamic glibc PIE importing `names` (referenced, non-weak).
    fn glibc_program(names: &[&str]) -> Facts {
        let mut f = Facts::empty(Arch::X86_64, Kind::Pie);
        f.libc = Libc::Glibc;
        f.needed = vec!["libc.so.6".into()];
        for n in names {
            f.imports.push(Import {
                name: n.to_string(),
                weak: false,
                sym_type: SymType::Func,
                version: None,
                library: None,
                referenced: true,
            });
        }
        f
    }

    fn run(f: &Facts, musl: &str, gcompat: bool) -> Vec<Finding> {
        let db = Db::get().unwrap();
        let g = if gcompat { None } else { Some("none") };
        let target = Target::resolve(db, None, Some(musl), g).unwrap();
        let exports = db.musl_exports(&target.musl, f.arch);
        let rt = Runtime {
            facts: f,
            db,
            target: &target,
            arch: f.arch,
            musl: exports,
            gcompat_in_process: gcompat,
        };
        let mut out = Vec::new();
        rt.findings(&mut out);
        assert!(
            out.iter().all(|x| x.impact == Verdict::Native),
            "advice only"
        );
        out
    }

    fn ids(out: &[Finding]) -> Vec<Code> {
        out.iter().map(|f| f.id).collect()
    }

    #[test]
    fn thread_stacks_below_1_mib_are_reported_unless_raised() {
        let mut f = glibc_program(&["pthread_create"]);
        let out = run(&f, "1.2.5", true);
        assert_eq!(ids(&out), [Code::ThreadStackSize]);
        assert!(out[0].message.contains("128 KiB"), "{}", out[0].message);
        f.stack = Some(Stack {
            size: 512 << 10,
            exec: false,
        });
        let out = run(&f, "1.2.5", true);
        assert!(out[0].message.contains("512 KiB"), "{}", out[0].message);
        f.stack = Some(Stack {
            size: 8 << 20,
            exec: false,
        });
        assert_eq!(ids(&run(&f, "1.2.5", true)), []);
        // Setting its own stack sizes makes it a note.
        let f = glibc_program(&["pthread_create", "pthread_attr_setstacksize"]);
        assert_eq!(run(&f, "1.2.5", true)[0].severity, Severity::Note);
        let f = glibc_program(&["pthread_create", "pthread_setattr_default_np"]);
        assert_eq!(ids(&run(&f, "1.2.5", true)), []);
    }

    #[test]
    fn threads_that_allocate_contend_on_musls_malloc_unless_they_bring_their_own() {
        let f = glibc_program(&["pthread_create", "malloc", "free"]);
        assert!(ids(&run(&f, "1.2.5", true)).contains(&Code::MallocContention));
        let mut own = f.clone();
        own.needed.push("libjemalloc.so.2".into());
        assert!(!ids(&run(&own, "1.2.5", true)).contains(&Code::MallocContention));
        let single = glibc_program(&["malloc", "free"]);
        assert!(!ids(&run(&single, "1.2.5", true)).contains(&Code::MallocContention));
    }

    #[test]
    fn dns_is_a_warning_before_musl_1_2_4_and_a_note_after() {
        let f = glibc_program(&["getaddrinfo"]);
        let old = run(&f, "1.2.3", true);
        let new = run(&f, "1.2.5", true);
        let dns = |o: &[Finding]| o.iter().find(|x| x.id == Code::DnsResolver).cloned();
        let (old, new) = (dns(&old).unwrap(), dns(&new).unwrap());
        assert_eq!(
            (old.severity, new.severity),
            (Severity::Warning, Severity::Note)
        );
        assert!(old.fix.is_some() && new.fix.is_none());
    }

    #[test]
    fn locales_collation_is_a_warning_and_setlocale_alone_a_note() {
        let strong = run(&glibc_program(&["strcoll", "setlocale"]), "1.2.5", true);
        let weak = run(&glibc_program(&["setlocale"]), "1.2.5", true);
        let sev = |o: &[Finding]| {
            o.iter()
                .find(|x| x.id == Code::LocaleIconv)
                .map(|x| x.severity)
        };
        assert_eq!(sev(&strong), Some(Severity::Warning));
        assert_eq!(sev(&weak), Some(Severity::Note));
    }

    #[test]
    fn musl_built_and_static_files_expect_musls_behaviour() {
        let mut f = glibc_program(&["pthread_create", "malloc", "free", "getaddrinfo", "strcoll"]);
        f.libc = Libc::Musl;
        assert_eq!(ids(&run(&f, "1.2.3", true)), []);
        f.libc = Libc::Static;
        f.kind = Kind::Static;
        assert_eq!(ids(&run(&f, "1.2.3", true)), []);
    }

    #[test]
    fn gnu_semantics_apply_unless_gcompat_overrides_them() {
        let f = glibc_program(&["strerror_r", "basename"]);
        let bound = |gcompat| {
            run(&f, "1.2.5", gcompat)
                .iter()
                .filter(|x| x.id == Code::GnuSemantics)
                .filter_map(|x| x.symbol.as_ref().map(|s| s.name.clone()))
                .collect::<Vec<_>>()
        };
        // libgcompat's GNU strerror_r wins once it is in the process; basename has no GNU twin there.
        assert_eq!(bound(false), ["strerror_r", "basename"]);
        assert_eq!(bound(true), ["basename"]);
    }

    #[test]
    fn time64_is_a_rebuild_for_dynamic_32_bit_glibc_only() {
        let mut f = glibc_program(&["time"]);
        f.arch = Arch::Other(object::elf::EM_386);
        f.bits = 32;
        let t = time64(&f).unwrap();
        assert_eq!((t.id, t.impact), (Code::Time64Abi, Verdict::Rebuild));
        assert!(t.message.contains("imports time"), "{}", t.message);
        f.kind = Kind::Static;
        assert!(time64(&f).is_none(), "static: brings its own glibc");
        let mut musl = glibc_program(&[]);
        musl.arch = Arch::Other(object::elf::EM_386);
        musl.bits = 32;
        musl.libc = Libc::Musl;
        assert!(time64(&musl).is_none());
        assert!(time64(&glibc_program(&["time"])).is_none(), "64-bit");
    }

    #[test]
    fn shim_advice_only_when_every_missing_symbol_has_one() {
        let db = Db::get().unwrap();
        let missing = |name: &str| {
            Finding::new(Code::MissingSymbol, Verdict::Rebuild, "m")
                .symbol(Symbol::new(name, Some("GLIBC_2.36".into())))
                .fix(Fix::step("rebuild against musl"))
        };
        let mut one = vec![missing("arc4random")];
        shim_advice(db, &mut one);
        let shim = one[0].fix.as_ref().and_then(|f| f.shim.clone()).unwrap();
        assert_eq!(shim.packages, ["libbsd"]);
        let mut two = vec![missing("arc4random"), missing("fcntl64")];
        shim_advice(db, &mut two);
        assert!(
            two.iter()
                .all(|f| f.fix.as_ref().is_some_and(|x| x.shim.is_none()))
        );
    }
}
