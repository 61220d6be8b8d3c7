//! Finding IDs: stable, kebab-case, user-facing API (like clippy lint names).
//!
//! Renaming or removing an ID is a breaking change. Each has a default severity, a one-line
//! summary and a long explanation shown by `muslcheck explain ID`.

use serde::Serialize;

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

/// How much a finding matters on its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
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
    patchelf --set-interpreter /lib/ld-musl-<arch>.so.1 PROGRAM, which runs it without gcompat.";

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
gcompat's loader runs musl under that name (facts §2a); without gcompat the loader reports 'Error
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

    UnsupportedArch = "unsupported-arch", Note,
        "The file's architecture is not one muslcheck judges (x86_64 and aarch64).",
        "muslcheck's database covers musl and gcompat on x86_64 and aarch64 only. Files for other machines
(i386, arm, riscv, big-endian or x32 variants) are reported with their architecture and skipped,
never guessed.";

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
