//! Finding IDs: stable, kebab-case, user-facing API (like clippy lint names).
//!
//! Renaming or removing an ID is a breaking change. Each has a default severity, a one-line
//! summary and a long explanation shown by `muslcheck explain ID`.

use serde::{Deserialize, Serialize};

macro_rules! codes {
    ($( $variant:ident = $id:literal, $sev:ident, $summary:literal, $explain:literal; )*) => {
        /// A finding's stable identifier.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Code { $( #[doc = $summary] $variant, )* }

        impl Code {
            /// Every code, in documentation order.
            pub const ALL: &'static [Code] = &[$(Code::$variant),*];
            /// The kebab-case ID.
            pub fn id(self) -> &'static str { match self { $(Code::$variant => $id,)* } }
            /// Default severity.
            pub fn severity(self) -> Severity { match self { $(Code::$variant => Severity::$sev,)* } }
            /// One-line summary.
            pub fn summary(self) -> &'static str { match self { $(Code::$variant => $summary,)* } }
            /// Long explanation for `muslcheck explain`.
            pub fn explanation(self) -> &'static str { match self { $(Code::$variant => $explain,)* } }
            /// Look a code up by its ID.
            pub fn from_id(id: &str) -> Option<Code> { Code::ALL.iter().copied().find(|c| c.id() == id) }
        }
    };
}

impl Serialize for Code {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.id())
    }
}

/// Read back from a report (`muslcheck merge`): an unknown ID is an error, never guessed.
impl<'de> Deserialize<'de> for Code {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let id = String::deserialize(d)?;
        Code::from_id(&id)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown finding ID '{id}'")))
    }
}

/// What kind of question a finding answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Category {
    /// Whether the file loads (the verdict) or is judged at all.
    Loading,
    /// Loads, but may behave differently on musl (#6).
    Runtime,
    /// Hardening posture compared with Alpine's own packages (#6).
    Hardening,
}

impl Code {
    /// The kind of question this finding answers; advisory categories never raise the verdict
    /// (except `time64-abi`, which is a runtime ABI break).
    pub fn category(self) -> Category {
        match self {
            Code::ThreadStackSize
            | Code::MallocContention
            | Code::DnsResolver
            | Code::LocaleIconv
            | Code::GnuSemantics
            | Code::GlibcFileInternals
            | Code::DlopenGlibcLib
            | Code::Time64Abi
            | Code::StaticGlibcNss
            | Code::VersionedForeignSymbol
            | Code::InitArrayArgs => Category::Runtime,
            Code::NoPie
            | Code::NoStackProtector
            | Code::PartialRelro
            | Code::NoRelro
            | Code::ExecStack
            | Code::Textrel
            | Code::NotFortified
            | Code::RiskyRpath => Category::Hardening,
            _ => Category::Loading,
        }
    }
}

/// How much a finding matters on its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Informational.
    Note,
    /// Needs action or may misbehave.
    Warning,
    /// Stops the binary from loading.
    Error,
}

codes! {
    GlibcLoader = "glibc-loader", Warning,
        "The program's PT_INTERP is glibc's dynamic linker; on Alpine only gcompat's loader stub answers that path.",
        "A dynamically linked program names its loader in PT_INTERP. glibc programs name
/lib64/ld-linux-x86-64.so.2 (aarch64: /lib/ld-linux-aarch64.so.1). Stock Alpine has no file there, so
the kernel's execve fails with ENOENT ('not found', although the program exists).

`apk add gcompat` installs a small loader at that path which re-executes the program through musl's
loader (/lib/ld-musl-<arch>.so.1) with libgcompat.so.0 preloaded (gcompat loader/loader.c).

Fixes:
  - apk add gcompat
  - or, when musl provides every symbol the program needs (muslcheck says so in the fix text):
    patchelf --set-interpreter /lib/ld-musl-<arch>.so.1 PROGRAM, which runs it without gcompat.

gcompat's stub itself crashes for some programs (large Rust and C++ programs with thread-local
data): see `muslcheck explain gcompat-loader-crash`.";

    GcompatLoaderCrash = "gcompat-loader-crash", Error,
        "gcompat's loader stub crashes (SIGSEGV, no message) before it can start this program: its start-up copies the program's thread-local data from a wrong address.",
        "On Alpine, glibc's PT_INTERP path (/lib64/ld-linux-x86-64.so.2, /lib/ld-linux-aarch64.so.1) is
gcompat's loader stub (gcompat loader/loader.c), a musl program linked -static-pie. The kernel starts
it as the program's interpreter and hands it the *program's* program headers (AT_PHDR). The stub's own
start-up code (musl src/env/__init_tls.c, static_init_tls) walks those headers to set up TLS, but
takes the load base from the *stub's* _DYNAMIC. It then copies PT_TLS.p_filesz bytes (the program's
initialised thread-local data, .tdata) from

    stub base + offset of the stub's _DYNAMIC - (program PT_DYNAMIC.p_vaddr - program PT_TLS.p_vaddr)

When that range leaves the stub's few pages, the stub dies with SIGSEGV (or SIGBUS in the kernel's
[vvar] pages), with no message, before musl's loader or the program run. With GNU ld and lld the
distance PT_DYNAMIC - PT_TLS is about the size of .data.rel.ro + .init_array, so large Rust and C++
programs are hit (cargo, rustup and most Rust command-line tools) and small C programs are not.
Programs whose TLS is all .tbss (p_filesz 0) copy nothing and are safe.

muslcheck compares the distance with the windows of the known stub builds
(symbol-db/gcompat/loader-stub.txt, derived from stub binaries with scripts/stub-window.sh). The
finding's evidence gives tdata_size, distance, window_below/window_above (how far the mapping reaches
from _DYNAMIC on every known build), neighbours (kernel pages that may sit below the stub) and a
confidence:
  - certain: the read leaves every known build's mapping and the kernel pages next to it;
  - likely: it leaves every known build's mapping but could start in the [vdso]/[vvar] pages below
    (on Linux 6.18 reads starting in [vdso] survived, most in [vvar] did not); also a `certain`
    prediction from windows of stand-in builds only (aarch64: gcompat's own aarch64 stub and 64 KiB
    page kernels were not measured);
  - possible: only some builds or page sizes fault. `possible` is a warning and keeps the verdict
    gcompat; `certain` and `likely` are errors.

Verdict: the program does not start after `apk add gcompat` alone, so the verdict is `rebuild` (the
default --fail-on fails it) unless the fix below is applied, which does not need a rebuild.

Fix (verified by muslcheck's tests with a stub that works like gcompat's and a libgcompat stand-in):
  apk add gcompat
  patchelf --set-interpreter /lib/ld-musl-<arch>.so.1 --add-needed libgcompat.so.0 PROGRAM
    (add --remove-needed ld-linux-x86-64.so.2 when the program lists it: musl only answers that
    name when started as gcompat's stub does)
When the program needs nothing from gcompat, `patchelf --set-interpreter /lib/ld-musl-<arch>.so.1
PROGRAM` alone is the fix (muslcheck then prints that). Otherwise the patchelf line above starts
the program with musl's loader directly, and libgcompat.so.0 is first in the program's
DT_NEEDED list, so it comes before musl in symbol lookup, as the stub's --preload puts it. Or change
only the interpreter and start the program as LD_PRELOAD=/lib/libgcompat.so.0 PROGRAM. Never the
interpreter change alone when gcompat's symbols are needed: musl treats libc.so.6, libm.so.6, libpthread.so.0, ... as itself, so
gcompat's links to libgcompat are never opened and its symbols stay missing. Rust programs built
before the std fix then run but may see no arguments (init-array-args).";

    UnknownLoader = "unknown-loader", Error,
        "The program's PT_INTERP names a loader that neither musl nor gcompat installs.",
        "PT_INTERP names a path such as a Nix store path, a custom --dynamic-linker or another
architecture's loader. Neither musl (/lib/ld-musl-<arch>.so.1) nor gcompat (glibc's standard paths)
installs a file there, so execve fails with ENOENT.

Fix: patchelf --set-interpreter /lib/ld-musl-<arch>.so.1 PROGRAM (or gcompat's path), then re-check.";

    GcompatSymbol = "gcompat-symbol", Warning,
        "An imported symbol musl lacks but gcompat (libgcompat, libucontext or libobstack) provides.",
        "musl's loader binds every non-weak undefined symbol at load time, by name only (symbol versions
are ignored: ldso/dynlink.c never reads DT_VERNEED). This symbol is not exported by musl's libc.so for
the target version, but libgcompat.so.0 or one of its dependencies (libucontext.so.1, libobstack.so.1)
exports it. Typical examples: the _FORTIFY_SOURCE functions __printf_chk, __memcpy_chk, and glibc
extensions such as backtrace, error, obstack.

Fix: apk add gcompat. A program with glibc's PT_INTERP then gets libgcompat preloaded automatically.
A shared library (a Python or Node extension) is loaded by a musl process with no gcompat loader:
add the dependency with `patchelf --add-needed libgcompat.so.0 LIB`, or start the host process with
LD_PRELOAD=/lib/libgcompat.so.0.";

    GcompatStub = "gcompat-stub", Warning,
        "The symbol resolves to a gcompat implementation that is a stub or behaves differently from glibc.",
        "gcompat makes many glibc symbols resolve, but some only as stubs or with changed behaviour: `error`
never exits (glibc-compiled callers then fall through and typically crash), `getcontext` always fails
with ENOSYS and shadows libucontext's working one, `__libc_stack_end` is NULL, `mallinfo` is all
zeros, thread_local destructors of the main thread never run, and so on. The program loads; the
affected paths may misbehave. Each finding says what the stub does and which gcompat source file
implements it.

Fix: test the affected feature on Alpine; rebuild against musl if it matters.";

    MissingSymbol = "missing-symbol", Error,
        "An imported symbol that neither musl nor gcompat provides: the loader stops with 'symbol not found'.",
        "musl's loader resolves all non-weak symbols of every relocation before the program starts
(no lazy binding at startup, ldso/dynlink.c reloc_all), so a single missing symbol stops the program
with 'Error relocating FILE: NAME: symbol not found' and exit status 127, even if the code path that
uses it never runs. Common causes: glibc 2.28+ fcntl64, glibc 2.38+ __isoc23_* (C23 strtol/scanf
redirects), __res_init, arc4random, the _FloatN math variants, newer pthread and fortify functions.

Fix: rebuild the program against musl (on Alpine, or with a musl cross toolchain). Where a shim
package provides the symbol, muslcheck names it.";

    GlibcPrivate = "glibc-private", Error,
        "The file imports a GLIBC_PRIVATE symbol: an internal glibc interface with no stable meaning.",
        "GLIBC_PRIVATE symbols are glibc's internals shared between its own libraries; ordinary programs
never link to them. musl does not provide them, gcompat does not either, and they change between
glibc releases. A file that imports one was built as part of, or against the internals of, a specific
glibc.

Fix: rebuild against musl; the dependency on glibc internals has to be removed.";

    UnsupportedRelocation = "unsupported-relocation", Error,
        "The file has a relocation type musl's loader does not implement (e.g. R_X86_64_IRELATIVE).",
        "musl's do_relocs (ldso/dynlink.c with arch/<arch>/reloc.h) handles a fixed list of relocation types.
Any other type stops loading with 'Error relocating FILE: unsupported relocation type N'. The usual
culprit is IRELATIVE (x86_64 type 37, aarch64 1032), emitted when a file defines an IFUNC (GCC
`ifunc` or `target_clones` attributes, hand-written multiversioning) and uses it itself. musl
deliberately does not support IFUNC.

Fix: rebuild without IFUNC (for GCC target_clones: dispatch by hand at startup), against musl.";

    IfuncExport = "ifunc-export", Error,
        "The file exports an STT_GNU_IFUNC symbol; musl's symbol lookup cannot see it.",
        "musl's find_sym2 accepts only NOTYPE, OBJECT, FUNC, COMMON and TLS definitions: an IFUNC
definition is invisible. Every file that imports the symbol (including this file itself, if it
refers to it through a relocation) fails with 'symbol not found'.

Fix: rebuild the library without IFUNC (export a plain function that dispatches internally).";

    GcompatLibrary = "gcompat-library", Warning,
        "A DT_NEEDED library that on Alpine only gcompat provides (libcrypt.so.1, libresolv.so.2, the glibc loader).",
        "musl treats libc.*, libpthread.*, librt.*, libm.*, libdl.*, libutil.* and libxnet.* as itself and
never looks for them on disk. libcrypt.so.1 and libresolv.so.2 are searched for on disk; gcompat
installs them as symlinks to libgcompat.so.0. A DT_NEEDED ld-linux-x86-64.so.2 is satisfied because
gcompat's loader runs musl under that name (ldso/dynlink.c load_library); without gcompat the loader reports 'Error
loading shared library ...: No such file or directory'.

Fix: apk add gcompat.";

    MissingLibrary = "missing-library", Error,
        "A DT_NEEDED library nothing on the target provides (a glibc-only library, or a gcompat one without gcompat).",
        "glibc ships libraries that have no musl or Alpine counterpart: libanl.so.1, libmvec.so.1,
libBrokenLocale.so.1, libthread_db.so.1, the libnss_* modules, libc_malloc_debug.so.0 and others.
musl's loader stops with 'Error loading shared library NAME: No such file or directory'. On a target
without gcompat, the libraries only gcompat provides are missing too.

Fix: rebuild against musl, or (for gcompat libraries) install gcompat.";

    NeedsPackage = "needs-package", Note,
        "The file needs an ordinary library (libstdc++.so.6, libz.so.1, ...): install its Alpine package.",
        "Ordinary shared libraries do not change the verdict by themselves: install the Alpine package
that provides them. muslcheck names the package from a curated table; `apk add so:NAME` asks apk to
find the provider of any soname. When scanning a directory or archive that bundles the library,
muslcheck judges the bundled copy instead (closure).";

    UnavailableLibrary = "unavailable-library", Error,
        "A DT_NEEDED library that is not in the scanned unit and that no Alpine package is known to provide: the file will not load.",
        "musl's loader stops with 'Error loading shared library NAME: No such file or directory' when it
cannot find a DT_NEEDED library (ldso/dynlink.c load_direct_deps). muslcheck looks for the library
inside the scanned unit (closure), then asks what provides it on the target: musl itself, gcompat, or
an Alpine package. Package knowledge comes, best first, from an Alpine package index given with
--apkindex (or the ones apk caches on an Alpine host), then from the embedded table
symbol-db/alpine/soname-packages.txt whose entries are marked verified (checked against an aports
APKBUILD) or unverified. The finding's `confidence` says which answered:

  apkindex          the index does not provide so:NAME: apk cannot install it
  verified-table    the table records that Alpine has no package for it (checked)
  unverified-table  the table records no package, unchecked
  unknown           neither an index nor the table knows the name

'unknown' fails closed: a library nobody can vouch for cannot be promised, so the file counts as
one that will not load. Debian-private sonames (libsystemd-shared-252.so, libapt-pkg.so.6.0),
auditwheel-hashed names (libXau-00ec42fe.so.6.0.0) and another vendor's libraries land here unless
the scan finds them bundled.

Fix: bundle a musl build of the library beside the file (on its RUNPATH) and re-scan so that the
bundled copy is judged too, or rebuild without it. If your Alpine release does package it, give
its APKINDEX with --apkindex.";

    NeededPath = "needed-path", Error,
        "A DT_NEEDED name contains '/': musl opens it as a path relative to the working directory, with no $ORIGIN expansion.",
        "musl's load_library (ldso/dynlink.c) treats a needed name containing '/' as a pathname and open()s it
as-is: an absolute name is that file; a relative one is resolved against the process's current
working directory, whatever directory the binary lives in. Only fixup_rpath expands $ORIGIN, and only
in DT_RPATH/DT_RUNPATH, never in DT_NEEDED. glibc expands $ORIGIN in DT_NEEDED too, which is why
binaries such as python-build-standalone's bin/python (DT_NEEDED $ORIGIN/../lib/libpython3.12.so.1.0)
run on glibc and stop on musl with 'Error loading shared library $ORIGIN/...: No such file or
directory'.

muslcheck judges the library the name was meant to reach ($ORIGIN replaced by the file's directory)
when the scan holds it, and gives the fix that makes musl find it by name:

  patchelf --replace-needed '$ORIGIN/../lib/libX.so' libX.so FILE
  patchelf --set-rpath '$ORIGIN/../lib' FILE      (when no RUNPATH already reaches that directory)

A relative name without $ORIGIN depends on the working directory on glibc and musl alike: reported
as a warning that does not change the verdict. An absolute name is looked up in the scanned unit.";

    LibraryOffPath = "library-off-path", Warning,
        "A needed library is bundled next to the file but not on the loader's search path (no RUNPATH reaches it).",
        "The scan found a file with the needed name in the same directory as the requester, in an
auditwheel `<package>.libs`/delocate `.dylibs` directory, or in a package under node_modules, but
neither the requester's RUNPATH/RPATH chain nor /lib:/usr/local/lib:/usr/lib reaches it. Vendors
usually rely on a launcher that sets LD_LIBRARY_PATH; musl honours LD_LIBRARY_PATH like glibc. The
bundled copy is judged (its verdict counts) and is never offered to apk.

Fix: keep the launcher's LD_LIBRARY_PATH, or make the path explicit:
patchelf --set-rpath '$ORIGIN/<relative dir>' FILE.";

    AlpinePackage = "alpine-package", Note,
        "The file was installed by another distribution's package that Alpine also packages: install Alpine's build instead.",
        "When a scanned tree, archive or image records who installed a file (dpkg's
var/lib/dpkg/info/*.list and status, rpm's rpmdb.sqlite), muslcheck looks the package's name up in the target's Alpine
package index (--apkindex) or, without one, among the package names of its embedded table. When
Alpine has a package of that name, the simplest migration is to install it rather than carry the
other distribution's binary over: `apk add NAME`. The finding's `confidence` says where the name
was found; names often match for programs (jq, curl, git) and differ for libraries (Debian's
libselinux1 is Alpine's libselinux), so no match is not proof of absence.";

    OwnersUnread = "owners-unread", Note,
        "The scanned tree holds a package database muslcheck could not read: the file's package is not named.",
        "muslcheck names the package that installed each file from the package managers' records in
the scanned tree, archive or image (docs/packages.md). rpm ≥ 4.16 keeps its database in
rpmdb.sqlite, which is read; the older Berkeley DB (var/lib/rpm/Packages) and SUSE's ndb
(Packages.db) are not, and an rpmdb.sqlite that cannot be opened (damaged, cut by a size limit)
or holds headers that do not parse names nobody. This note says so on each file left without an
owner, so that a missing owner is never taken for a file no package installed. It does not change
the verdict.

Fix: nothing to do for the verdict. To have owners named, convert the database (`rpmdb
--rebuilddb` with rpm ≥ 4.16 writes rpmdb.sqlite) or scan an image built with a newer rpm.";

    Lfs64Remap = "lfs64-remap", Note,
        "An LFS64 import (open64, stat64, ...) that musl ≥ 1.2.4 resolves by remapping to the plain name.",
        "musl 1.2.4 removed the *64 symbol aliases (commit 246f1c81) and taught the loader to remap a failed
lookup of an LFS64 name to musl's plain function (get_lfs64). Binaries still load. Only dlsym() of
the *64 name fails, because dlsym does not remap. On x86_64 and aarch64 the layouts are identical, so
this is ABI-correct. musl 1.2.3 exports the names directly.";

    DtRelr = "dt-relr", Error,
        "The file uses DT_RELR packed relocations, which musl before 1.2.4 silently ignores (the program crashes).",
        "Linking with -z pack-relative-relocs (default in some newer toolchains) stores relative
relocations in a DT_RELR table. musl added support in 1.2.4 (commit d32dadd6); older musl ignores the
table, leaving pointers unrelocated: the program typically crashes with SIGSEGV at startup.

Fix: target Alpine 3.18 or newer (musl ≥ 1.2.4), or relink without -z pack-relative-relocs.";

    BundledLibrary = "bundled-library", Warning,
        "A library bundled beside the binary (found through its closure) will not run as it is.",
        "When scanning a directory, archive or image, muslcheck resolves each binary's DT_NEEDED inside the
same unit the way musl does: DT_RPATH/DT_RUNPATH of the binary and of its requesters up the chain
(with $ORIGIN), then /lib, /usr/local/lib and /usr/lib inside the unit. A binary can only run if
every library it loads can: its verdict becomes the worst of its own and its closure's, and this
finding names the bundled library to blame and what is wrong with it.

Fix: fix the named library (see its own findings), or replace it with the Alpine package.";

    ThreadStackSize = "thread-stack-size", Warning,
        "The file creates threads and its PT_GNU_STACK size is below 1 MiB: musl's default thread stack is 128 KiB.",
        "musl gives new threads a 128 KiB stack by default (DEFAULT_STACK_SIZE in musl
src/internal/pthread_impl.h), where glibc uses RLIMIT_STACK, typically 8 MiB. Code that was only
ever tested on glibc (deep recursion, large local arrays, big C++ objects on the stack) overflows and
crashes with SIGSEGV. musl raises its default to the PT_GNU_STACK p_memsz of any object loaded at
startup, up to 8 MiB (ldso/dynlink.c map_library/kernel_mapped_dso and src/env/__init_tls.c,
commit 7b3348a9, musl 1.1.21). muslcheck reports files that import pthread_create or
thrd_create (or, for static files, define them in .symtab) with PT_GNU_STACK below 1 MiB; the message
gives the size found. Threads created with pthread_attr_setstacksize are not affected, so the finding
is a note when the file imports that function.

Fix: relink with -Wl,-z,stack-size=8388608 (sets PT_GNU_STACK's size; glibc ignores it), or set the
p_memsz of PT_GNU_STACK with an ELF editor, or call pthread_attr_setstacksize /
pthread_setattr_default_np in the program.";

    MallocContention = "malloc-contention", Warning,
        "Multi-threaded and allocator-heavy, with no allocator of its own: musl's malloc may be much slower under contention.",
        "musl's allocator (mallocng since musl 1.2.1, src/malloc/mallocng/) favours small size and
hardening over multi-threaded throughput: allocations from many threads serialise on a global lock.
Large slowdowns have been reported for allocation-heavy servers (the issue that asked for this finding
cites 6x for PHP-FPM and 10-20% for Redis). muslcheck reports files that create threads
(pthread_create/thrd_create) and import the allocator (malloc, free, calloc, realloc, operator new,
...) while showing no allocator of their own: no DT_NEEDED libjemalloc/libtcmalloc/libmimalloc, no
jemalloc/tcmalloc/mimalloc strings or symbols, and no exported malloc.

Fix: link mimalloc or jemalloc into the program, or preload one: `apk add mimalloc2` then
LD_PRELOAD=/usr/lib/libmimalloc.so.2 (aports community/mimalloc2), or `apk add jemalloc` then
LD_PRELOAD=/usr/lib/libjemalloc.so.2. Measure before and after.";

    DnsResolver = "dns-resolver", Warning,
        "The file resolves host names; musl's DNS resolver behaves differently from glibc's.",
        "musl has its own stub resolver (src/network/lookup_name.c, res_msend.c) and no NSS: /etc/hosts
and DNS only, /etc/nsswitch.conf is ignored (no mdns, LDAP, sssd or systemd-resolved NSS modules).
It queries all nameservers of /etc/resolv.conf in parallel and takes the first answer (so they must
all serve the same data); it ignores options such as single-request and rotate; names with at least
`ndots` dots are never retried with the search domains (glibc retries); getaddrinfo with NULL hints
uses ai_flags 0, not glibc's AI_V4MAPPED|AI_ADDRCONFIG. Before musl 1.2.4 there was no TCP fallback:
answers larger than a UDP packet (many records, long CNAME chains, DNSSEC) fail; 1.2.4 added it
(musl 1.2.4 release notes; see also biriukov.dev, \"getaddrinfo() from musl libc\"). The message
names the imports that triggered the finding and the target's musl version. The finding is a warning
on musl < 1.2.4 and a note otherwise.

Fix: test name resolution in the target environment; keep the nameservers equivalent; use fully
qualified names (trailing dot) where search domains matter; on musl < 1.2.4 target Alpine 3.18+.";

    LocaleIconv = "locale-iconv", Warning,
        "The file depends on locales or iconv; musl implements only UTF-8/C locales and a fixed iconv set.",
        "musl's locale support is minimal by design: every locale is C or C.UTF-8 for character
classification, collation is by code point (strcoll is strcmp), LC_NUMERIC/LC_MONETARY are always
the C ones (decimal point '.'), and translated messages come only from MUSL_LOCPATH catalogs (src/locale/).
Its iconv (src/locale/iconv.c) converts between a built-in set of charsets (UTF-8/16/32, UCS-2/4,
ISO-8859-*, Windows code pages, KOI8, the main CJK encodings) with no loadable modules (no gconv),
and handles //TRANSLIT and unconvertible characters differently (it substitutes '*'). Imports of
iconv_open, strcoll/strxfrm/wcscoll, strfmon or localeconv make this a warning; setlocale/newlocale
alone, a note.

Fix: test the program's locale-dependent output (sorting, number formats, conversions) on Alpine; use
GNU libiconv (apk add gnu-libiconv, LD_PRELOAD=/usr/lib/preloadable_libiconv.so) if the iconv set is
not enough.";

    GnuSemantics = "gnu-semantics", Warning,
        "An import whose glibc (GNU) behaviour differs from musl's same-named function.",
        "Symbol versions are ignored by musl's loader, so a glibc binary's `strerror_r@GLIBC_2.2.5` binds
to musl's strerror_r even though glibc's symbol of that name is the GNU variant. The curated list in
symbol-db/runtime/gnu-semantics.txt gives, for each name, what differs and the glibc and musl source
files checked: strerror_r (GNU returns char *, musl's returns int; glibc's XSI one is __xpg_strerror_r),
basename (GNU never modifies its argument; musl's POSIX one may; libgen.h maps to __xpg_basename),
getopt (GNU permutes argv; musl stops at the first operand; glibc's POSIX one is __posix_getopt),
sigpause (glibc's symbol takes a BSD signal mask; musl's takes a signal number; glibc's XSI one is
__xpg_sigpause) and dlclose (musl never unloads). Where libgcompat exports a GNU version that
overrides musl's (strerror_r), programs started through gcompat's loader are not affected; libraries
and --gcompat none targets are.

Fix: rebuild against musl (the compiler then sees musl's prototypes), or preload libgcompat where it
provides the GNU version.";

    GlibcFileInternals = "glibc-file-internals", Note,
        "The file calls glibc stdio internals (__uflow, __overflow, _IO_*) from inlined getc/putc macros.",
        "Old glibc headers expand getc/putc (and getc_unlocked/putc_unlocked) into code that reads FILE
fields directly and calls __uflow/__overflow when the buffer is empty or full. musl lays out its FILE
so that the fields these macros touch match glibc's (rpos/rend where glibc has _IO_read_ptr/_IO_read_end,
a zero field where glibc has _IO_write_end; musl src/internal/stdio_impl.h, commit e3cd6c5c), and
exports __uflow, __overflow, _IO_getc, _IO_putc and the *_unlocked variants for them. So these
programs work: reads take the inline path, every inline putc calls __overflow (slower for
character-at-a-time output). Other direct uses of glibc's FILE (gnulib-style code reading
_IO_read_base or _flags bits beyond EOF/ERR, the _IO_2_1_stdout_ objects) are not covered; those that
name a symbol musl lacks are reported as missing-symbol.

Fix: none needed to load; rebuild against musl if stdio throughput matters.";

    DlopenGlibcLib = "dlopen-glibc-lib", Warning,
        "A string in the file names a library it may dlopen that Alpine lacks or that only exists for glibc.",
        "Libraries opened with dlopen() at run time are not DT_NEEDED entries, so the loader's view cannot
see them. muslcheck scans printable strings in the file's read-only PT_LOAD segments for names of
the form lib*.so* and reports those that Alpine cannot provide: glibc's NSS modules (libnss_*), glibc-only
libraries (libnsl.so.1, libthread_db.so.1, ...; symbol-db/loader/glibc-only-sonames.txt), libraries
Alpine does not package (libsystemd.so.0; symbol-db/alpine/soname-packages.txt) and NVIDIA's
glibc-only driver libraries (libcuda, libnvidia-*; symbol-db/runtime/dlopen-libraries.txt).
Confidence is stated in the message: high when the string is a whole C string (a soname or a path)
and the file imports dlopen; medium when it is a whole string but the file does not import dlopen
itself (another library may open it); low when the name only appears inside a message or is built
with %s. Low-confidence findings are notes. The program may handle a failed dlopen gracefully.

Fix: check what the feature needs on Alpine (a musl build of the library, a different backend), or
disable it.";

    Time64Abi = "time64-abi", Error,
        "A 32-bit glibc binary (i386, arm): musl's 32-bit ABI has a 64-bit time_t, so struct layouts differ.",
        "Since musl 1.2.0, time_t is 64 bits on every 32-bit architecture (musl 1.2.0 release notes;
src/compat/time32/ keeps only the old symbols for binaries linked against older musl). 32-bit glibc
binaries are normally built with a 32-bit time_t (and, unless _FILE_OFFSET_BITS=64, a 32-bit off_t),
so every structure that holds a time (struct timespec, timeval, stat, utmp, ...) and every call
passing one has a different layout from what musl expects; data is misread without any load error.
muslcheck has no musl/gcompat database for 32-bit architectures and judges dynamically linked 32-bit
glibc i386/arm binaries `rebuild` (other 32-bit and static files stay `skipped` with unsupported-arch).

Fix: rebuild for the target (on Alpine x86/armv7, or with a musl cross toolchain), or use the
64-bit build of the program.";

    StaticGlibcNss = "static-glibc-nss", Warning,
        "A statically linked glibc binary that uses NSS or iconv: it will try to dlopen glibc modules at run time.",
        "glibc's NSS (getpwnam, getgrnam, getaddrinfo, gethostbyname, ...) and iconv load modules
(libnss_*.so.2, gconv/*.so) with dlopen even in static binaries; glibc's linker warning says it:
\"Using 'getaddrinfo' in statically linked applications requires at runtime the shared libraries from
the glibc version used for linking\" (glibc nss/nsswitch.c loads \"libnss_%s.so%s\"; iconv/gconv_conf.c reads
gconv-modules). Alpine has no such modules, so lookups that need them fail
(users from LDAP/sssd, host names from DNS through NSS, non-built-in charsets). muslcheck recognises
static glibc by its ELF note (NT_GNU_ABI_TAG) and glibc's own strings (GLIBC_TUNABLES, 'Fatal glibc
error'), and NSS by the string /etc/nsswitch.conf or .symtab entries (getpwnam, getaddrinfo,
iconv_open, ...); stripped binaries can only show the string evidence, so iconv use is found only
when .symtab is present.

Fix: rebuild the program statically against musl (musl's getpwnam and getaddrinfo read /etc/passwd,
/etc/hosts and DNS directly: src/passwd/getpw_a.c, src/network/lookup_name.c), or dynamically.";

    VersionedForeignSymbol = "versioned-foreign-symbol", Warning,
        "A versioned import from a non-glibc library that will bind to musl's same-named function instead.",
        "musl ignores symbol versions (ldso/dynlink.c find_sym2 reads only DT_VERSYM's hidden bit) and binds a reference to the first definition of the
name in load order. A reference such as crypt@XCRYPT_2.0 asks for libxcrypt's crypt, but on Alpine
libcrypt.so.1 is gcompat's symlink to libgcompat (which has no crypt), so the call lands in musl's
crypt, which supports DES, MD5 ($1$), bcrypt ($2a$/$2b$/$2y$), SHA-256 ($5$) and SHA-512 ($6$) hashes
(musl src/crypt/crypt_r.c) but not libxcrypt's yescrypt ($y$, Debian's default for /etc/shadow since
Debian 11), gost-yescrypt, scrypt ($7$) or sha1crypt. The same happens when musl's libc comes before
the versioned library in DT_NEEDED order.

Fix: rebuild against musl with the library built for musl, or make sure the real library is loaded
before libc (DT_NEEDED order).";

    InitArrayArgs = "init-array-args", Warning,
        "The start-up code reads (argc, argv, envp) as arguments of an .init_array function, which glibc passes and musl does not.",
        "glibc calls each DT_INIT_ARRAY function with (argc, argv, envp) (glibc csu/libc-start.c,
elf/dl-init.c); the ELF gABI does not promise them and musl's loader calls them with no arguments
(musl ldso/dynlink.c do_init_fini, src/env/__libc_start_main.c libc_start_init). Code that captures the
command line there gets whatever the registers hold. A glibc program or library that does so, run on
Alpine through gcompat or musl's loader:

  - Rust std for *-linux-gnu targets (library/std/src/sys/.../args, `ARGV_INIT_ARRAY` /
    `really_init`) read the arguments only that way in programs built before rust-lang/rust#124447
    (approved 2024-04-27 at the 1.79 branch point: certainly in 1.80, perhaps in 1.79):
    std::env::args() is empty, so the program ignores every command-line argument
    (rust-lang/rust#124126). Evidence: the `.comment` string `rustc version 1.xx`, std's
    ARGV_INIT_ARRAY symbol in .symtab, Rust std's RUST_BACKTRACE string. Later Rust programs also
    take the arguments from main and are not affected. A Rust cdylib (a shared library) still
    captures them only this way, but that matters only if it calls std::env::args, which the file
    does not show: not reported.
  - Go -buildmode=c-shared libraries and c-archive code linked into a program: the Go runtime's
    .init_array entry (_rt0_<arch>_linux_lib) reads argc/argv and the environment behind them; under
    musl these are garbage and the runtime crashes (golang/go#13492, #19016; open; reproduced by
    muslcheck's tests with Go 1.19.8: SIGSEGV in the runtime right after musl's loader starts it).
    Evidence: Go build info (the bytes 0xff ' Go buildinf:') in a shared library, or _rt0_*_linux_lib in
    .symtab. Pure Go programs take their arguments from the stack and are not affected.

Severity: for Rust programs a warning (the program runs, but without its arguments: a command-line
tool does its default action or prints usage; a service ignores its flags); the verdict stays what
loading says. For Go c-shared/c-archive code an error with verdict rebuild (the runtime crashes).
The evidence names the runtime, the toolchain version when the file records it, what was seen, and a
confidence: certain with a recorded version below 1.79 or std's pre-1.77 module path; likely with Rust
std but no recorded version (rustc writes `rustc version` to .comment since about 1.75; every such
program muslcheck's validation started under musl lost its arguments); possible for 1.79 (a note).

Fix: rebuild with a fixed toolchain (Rust >= 1.80), or for musl (x86_64-unknown-linux-musl, Go
with CGO against musl); for Go c-shared there is no glibc-target fix: build the library on Alpine.";

    NoPie = "no-pie", Note,
        "The program is not position-independent (ET_EXEC); Alpine builds every program as PIE.",
        "A non-PIE program is loaded at a fixed address, so its code is not covered by address-space
layout randomisation. Alpine's gcc is configured with --enable-default-pie (gcc's configure line
in aports main/gcc/APKBUILD), so every Alpine package is PIE. This does not stop the program from
running. Static files are not reported (no loader is involved).

Fix: build with -fPIE -pie.";

    NoStackProtector = "no-stack-protector", Note,
        "The file handles buffers but imports neither __stack_chk_fail nor __stack_chk_guard; Alpine builds with SSP.",
        "Code compiled with -fstack-protector-strong calls __stack_chk_fail when a canary is overwritten;
a file that imports it has at least one protected function. Alpine's gcc is configured with
--enable-default-ssp (aports main/gcc/APKBUILD). muslcheck reports a dynamically linked file with no
such import that imports buffer functions (memcpy, strcpy, read, sprintf, ...), like checksec's
'No canary found'; a small file may legitimately have no function that needs a canary. Static files
are not judged (their libc's own protected functions would hide the program's).

Fix: build with -fstack-protector-strong.";

    PartialRelro = "partial-relro", Note,
        "RELRO without BIND_NOW (partial RELRO); Alpine links with -z relro -z now.",
        "PT_GNU_RELRO makes relocated data read-only after loading, but without BIND_NOW the PLT part of
the GOT stays writable under glibc's lazy binding. Alpine's gcc passes -z relro -z now to every link
(aports main/gcc/0003-Turn-on-Wl-z-relro-z-now-by-default.patch). musl always binds everything at
startup (no lazy binding: ldso/dynlink.c reloc_all) and applies RELRO, so on musl the GOT is protected anyway; the
flag matters where the same file runs under glibc.

Fix: link with -Wl,-z,relro,-z,now.";

    NoRelro = "no-relro", Warning,
        "No PT_GNU_RELRO: relocated pointers (GOT, vtables, init arrays) stay writable.",
        "Without PT_GNU_RELRO the loader cannot make relocated data read-only after startup, so memory
corruption bugs can overwrite function pointers in the GOT, .init_array or vtables. Alpine links
everything with -z relro -z now (aports main/gcc/0003-Turn-on-Wl-z-relro-z-now-by-default.patch).

Fix: link with -Wl,-z,relro,-z,now.";

    ExecStack = "exec-stack", Warning,
        "PT_GNU_STACK asks for an executable stack, or is missing (which also means executable).",
        "A PF_X PT_GNU_STACK (or none at all: the kernel's default for x86_64 programs) makes the stack
executable, which turns stack overflows into code execution; it usually comes from an assembly file
without a .note.GNU-stack section or from GCC nested-function trampolines. For a shared library,
glibc makes the whole process's stack executable when loading it; musl's loader never changes stack
permissions (its PT_GNU_STACK handling reads only the size; there is no equivalent of
glibc's _dl_make_stack_executable), so a library that really executes code on the stack crashes on musl. Alpine builds with -Wtrampolines and
non-executable stacks (aports main/gcc/0007-Enable-Wtrampolines-by-default.patch).

Fix: link with -Wl,-z,noexecstack (and add .section .note.GNU-stack to assembly files); remove
nested functions.";

    Textrel = "textrel", Warning,
        "The file has text relocations (DT_TEXTREL): the loader must write into its code.",
        "Text relocations come from non-PIC code in a shared library or PIE. The loader has to patch code
pages at startup, so they must be writable while it does (and are no longer shared between
processes), and W^X policies (PaX/grsecurity kernels, SELinux execmod) refuse them. Observed with
Debian's musl 1.2.3 (tests/fixtures/advice/textrel.c): a shared library with DT_TEXTREL loads, and so
does a glibc PIE started the way gcompat starts it (musl maps it itself), but a musl PIE with DT_TEXTREL
started directly by the kernel crashed with SIGSEGV during relocation. Alpine's toolchain builds PIC/PIE everywhere (--enable-default-pie in aports
main/gcc/APKBUILD), so its own packages have none.

Fix: compile every object with -fPIC (or -fPIE for programs).";

    NotFortified = "not-fortified", Note,
        "A glibc file that calls fortifiable functions but no __*_chk variant; Alpine builds with _FORTIFY_SOURCE=2.",
        "With -O2 -D_FORTIFY_SOURCE=2, glibc's headers turn calls such as memcpy, strcpy, sprintf or read
into their checked __memcpy_chk, __strcpy_chk, ... variants wherever the buffer size is known, so a
fortified glibc file imports at least one __*_chk function. Alpine's gcc defines _FORTIFY_SOURCE=2 by
default (aports main/gcc/0004-Turn-on-D_FORTIFY_SOURCE-2-by-default-for-C-C-ObjC-O.patch); on musl the
checks come from the fortify-headers package and are inlined, so musl-built files are not judged.
muslcheck reports glibc files that import fortifiable functions and no __*_chk function, like
checksec's 'Fortify: No'. Note that on Alpine the __*_chk functions come from gcompat, so a
fortified glibc binary needs gcompat.

Fix: build with -O2 -D_FORTIFY_SOURCE=2 (on Alpine, against musl, fortify-headers does it).";

    RiskyRpath = "risky-rpath", Warning,
        "DT_RPATH/DT_RUNPATH contains an empty, relative or world-writable directory.",
        "musl's loader searches DT_RPATH/DT_RUNPATH (with $ORIGIN expanded) before the system
directories (ldso/dynlink.c load_library), relative to the process's current directory for relative entries. An empty
entry means the current directory; a relative entry depends on where the program is started; a
world-writable directory such as /tmp lets any local user plant a library that the program loads.
muslcheck flags empty and relative entries and the well-known world-writable directories (/tmp,
/var/tmp, /dev/shm); whether any other directory is world-writable can only be checked on the host
that runs the program (the message says so). Alpine's packages carry no RPATH except $ORIGIN-based
ones.

Fix: relink without the entry, or use $ORIGIN-relative paths (patchelf --set-rpath '$ORIGIN/../lib'
FILE).";

    UnsupportedArch = "unsupported-arch", Note,
        "The file's architecture is not one muslcheck judges (x86_64 and aarch64).",
        "muslcheck's database covers musl and gcompat on x86_64 and aarch64 only. Files for other machines
(i386, arm, riscv, big-endian or x32 variants) are reported with their architecture and skipped,
never guessed.";

    NotJudged = "not-judged", Error,
        "The file was not judged: a limit stopped muslcheck (--max-file-size, --timeout, --max-artifact-size, --max-depth, ...).",
        "A resource limit protects a scan from hostile or huge inputs: a file larger than --max-file-size,
an analysis longer than --timeout, an archive that decompresses past --max-artifact-size or nests
deeper than --max-depth. The file then gets a skipped record with the limit that stopped it. Nothing
is known about whether it runs, so the gate fails closed on it under every --fail-on (exit status 3
when nothing else fails), including --fail-on never.

Fix: raise the limit named in the message and scan again, or accept unjudged files explicitly:
--allow-not-judged, or an allow rule with id = \"not-judged\" (and a path) in muslcheck.toml.";

    NotElf = "not-elf", Note,
        "The input is not an ELF file.",
        "The input does not start with the ELF magic bytes. It is listed as skipped so that every input
appears in the report.";

    NotLoadable = "not-loadable", Note,
        "The ELF file is not loadable (a relocatable object or core dump).",
        "ET_REL object files and ET_CORE dumps are never loaded by a dynamic linker. They are reported as
skipped.";

    MalformedElf = "malformed-elf", Error,
        "The ELF file is truncated or malformed where the loader needs it.",
        "muslcheck reads the program headers and the dynamic segment the way musl's loader does. When these
point outside the file, are truncated or are inconsistent, the loader would fail too (or crash);
the input gets an error record with the reason, and the rest of the batch goes on.";

    ToleratedDamage = "tolerated-damage", Warning,
        "Part of the file's dynamic information is damaged; muslcheck read around it, so its facts may be incomplete.",
        "Some structures the loader may not need are cut short or lie outside the file: a version table
(DT_VERNEED, DT_VERDEF, DT_VERSYM), a hash table, the end of the symbol table, an overlong relocation
table. musl's loader reads only what relocations and lookups reach (ldso/dynlink.c do_relocs,
find_sym2), so such a file may still load, and muslcheck judges what it could read instead of
rejecting the file. The finding names what was skipped: the verdict rests on the rest, and an
import whose version or symbol could not be read is judged without it.

Fix: check how the file was produced (a truncated download, a broken strip or patch tool); rebuild or
fetch it again, then re-check. `muslcheck explain malformed-elf` covers damage the loader cannot
read around.";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_kebab_case_and_documented() {
        let mut seen = std::collections::HashSet::new();
        for c in Code::ALL {
            assert!(seen.insert(c.id()), "duplicate id {}", c.id());
            assert!(
                c.id()
                    .chars()
                    .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '-')
            );
            assert!(!c.summary().is_empty() && c.explanation().len() > c.summary().len() / 2);
            assert_eq!(Code::from_id(c.id()), Some(*c));
        }
    }

    #[test]
    fn issue_6_ids_exist_cite_sources_and_are_advisory() {
        let ids = [
            "thread-stack-size",
            "malloc-contention",
            "dns-resolver",
            "locale-iconv",
            "gnu-semantics",
            "glibc-file-internals",
            "dlopen-glibc-lib",
            "time64-abi",
            "static-glibc-nss",
            "versioned-foreign-symbol",
            "no-pie",
            "no-stack-protector",
            "partial-relro",
            "no-relro",
            "exec-stack",
            "textrel",
            "not-fortified",
            "risky-rpath",
        ];
        for id in ids {
            let c = Code::from_id(id).unwrap_or_else(|| panic!("{id}"));
            assert_ne!(c.category(), Category::Loading, "{id}");
            let e = c.explanation();
            // Every explanation names where its claim comes from and what to do.
            assert!(
                e.contains("musl") || e.contains("aports") || e.contains("Alpine"),
                "{id}: sources"
            );
            assert!(e.contains("Fix:"), "{id}: fix");
        }
        assert_eq!(Code::Time64Abi.severity(), Severity::Error);
        assert_eq!(Code::MissingSymbol.category(), Category::Loading);
    }

    #[test]
    fn issue_2_ids_exist() {
        for id in [
            "glibc-loader",
            "gcompat-symbol",
            "missing-symbol",
            "gcompat-stub",
            "unsupported-relocation",
            "ifunc-export",
            "glibc-private",
            "gcompat-library",
            "needs-package",
            "lfs64-remap",
            "dt-relr",
            "unsupported-arch",
        ] {
            assert!(Code::from_id(id).is_some(), "{id}");
        }
    }
}
