//! Stage 2 output: plain, owned facts about one ELF file, as musl's loader would see them.
//!
//! Nothing here knows about musl versions, gcompat or verdicts; `judge` does that.

use serde::Serialize;

/// CPU architecture of the file. Only x86_64 and aarch64 are judged.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Arch {
    /// x86_64 (EM_X86_64, 64-bit, little-endian).
    X86_64,
    /// aarch64 (EM_AARCH64, 64-bit, little-endian).
    Aarch64,
    /// Anything else: reported, never judged.
    #[serde(untagged)]
    Other(u16),
}

impl Arch {
    /// Name used in the symbol database and in loader paths.
    pub fn name(self) -> String {
        match self {
            Arch::X86_64 => "x86_64".into(),
            Arch::Aarch64 => "aarch64".into(),
            Arch::Other(m) => {
                machine_name(m).map_or_else(|| format!("e_machine {m}"), str::to_string)
            }
        }
    }
}

fn machine_name(m: u16) -> Option<&'static str> {
    use object::elf::*;
    Some(match m {
        EM_386 => "i386",
        EM_ARM => "arm",
        EM_X86_64 => "x86_64",
        EM_AARCH64 => "aarch64",
        EM_PPC => "powerpc",
        EM_PPC64 => "powerpc64",
        EM_S390 => "s390x",
        EM_RISCV => "riscv",
        EM_MIPS => "mips",
        EM_LOONGARCH => "loongarch",
        EM_SPARCV9 => "sparc64",
        _ => return None,
    })
}

/// How the kernel and loader treat the file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// ET_EXEC with PT_INTERP.
    Executable,
    /// ET_DYN with PT_INTERP.
    Pie,
    /// ET_DYN without PT_INTERP (a library or plugin).
    SharedLibrary,
    /// ET_EXEC without PT_INTERP.
    Static,
    /// ET_DYN without PT_INTERP, marked DF_1_PIE: relocates itself.
    StaticPie,
    /// ET_REL, ET_CORE and others: not loadable.
    NotLoadable,
}

impl Kind {
    /// Kebab-case name, as in the JSON report.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Executable => "executable",
            Kind::Pie => "pie",
            Kind::SharedLibrary => "shared-library",
            Kind::Static => "static",
            Kind::StaticPie => "static-pie",
            Kind::NotLoadable => "not-loadable",
        }
    }
    /// True for kinds whose startup involves no dynamic loader at all.
    pub fn is_static(self) -> bool {
        matches!(self, Kind::Static | Kind::StaticPie)
    }
    /// True for programs started through PT_INTERP.
    pub fn has_loader(self) -> bool {
        matches!(self, Kind::Executable | Kind::Pie)
    }
}

/// Which C library the file was built against, from evidence in the file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Libc {
    /// glibc loader, `GLIBC_*` version needs or `libc.so.6`.
    Glibc,
    /// musl loader or musl's libc soname.
    Musl,
    /// No dynamic linking at all.
    Static,
    /// Dynamic, but no evidence either way.
    Unknown,
}

impl Libc {
    /// Lower-case name, as in the JSON report.
    pub fn as_str(self) -> &'static str {
        match self {
            Libc::Glibc => "glibc",
            Libc::Musl => "musl",
            Libc::Static => "static",
            Libc::Unknown => "unknown",
        }
    }
}

/// Symbol type, as far as the loader cares.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SymType {
    /// STT_NOTYPE.
    Notype,
    /// STT_OBJECT.
    Object,
    /// STT_FUNC.
    Func,
    /// STT_COMMON.
    Common,
    /// STT_TLS.
    Tls,
    /// STT_GNU_IFUNC: invisible to musl's symbol lookup.
    Ifunc,
    /// Any other type.
    Other,
}

impl SymType {
    pub(crate) fn from_st_type(t: u8) -> Self {
        use object::elf::*;
        match t {
            STT_NOTYPE => SymType::Notype,
            STT_OBJECT => SymType::Object,
            STT_FUNC => SymType::Func,
            STT_COMMON => SymType::Common,
            STT_TLS => SymType::Tls,
            STT_GNU_IFUNC => SymType::Ifunc,
            _ => SymType::Other,
        }
    }
}

/// An undefined dynamic symbol: something the loader must find elsewhere.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Import {
    /// Symbol name.
    pub name: String,
    /// STB_WEAK: musl leaves an unresolved weak reference at 0 instead of failing.
    pub weak: bool,
    /// Symbol type of the reference.
    #[serde(rename = "type")]
    pub sym_type: SymType,
    /// Version asked for (`GLIBC_2.28`), from DT_VERSYM + DT_VERNEED.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Library the version belongs to (`libc.so.6`), from DT_VERNEED.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub library: Option<String>,
    /// Named by at least one relocation: musl only looks up symbols a relocation needs.
    pub referenced: bool,
}

impl Import {
    /// `name@VERSION`, or the bare name.
    pub fn display(&self) -> String {
        match &self.version {
            Some(v) => format!("{}@{}", self.name, v),
            None => self.name.clone(),
        }
    }
}

/// A defined, global or weak dynamic symbol.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Export {
    /// Symbol name.
    pub name: String,
    /// Symbol type (IFUNC included).
    #[serde(rename = "type")]
    pub sym_type: SymType,
    /// Version defined (from DT_VERDEF), if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Hidden version (`name@VER`, not `@@`): musl's lookup skips it.
    pub hidden: bool,
    /// STB_WEAK.
    pub weak: bool,
}

/// A relocation type the file's dynamic relocation tables use, with how often.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RelocCount {
    /// Raw r_type.
    pub r_type: u32,
    /// Number of relocations of this type.
    pub count: u64,
}

/// PT_GNU_STACK: musl raises its default thread stack to p_memsz when larger.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Stack {
    /// p_memsz (0 = unspecified).
    pub size: u64,
    /// PF_X: executable stack requested.
    pub exec: bool,
}

/// PT_TLS: the thread-local storage image.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct TlsSegment {
    /// p_vaddr of the image.
    pub vaddr: u64,
    /// p_filesz: initialised TLS (`.tdata`), copied into each thread's block.
    pub filesz: u64,
    /// p_memsz: `.tdata` plus zeroed `.tbss`.
    pub memsz: u64,
}

/// Everything the later stages need to know about one ELF file.
#[derive(Clone, Debug, Serialize)]
pub struct Facts {
    /// 32 or 64.
    pub bits: u8,
    /// CPU architecture (already accounts for class/endianness: a 32-bit EM_X86_64 is `Other`).
    pub arch: Arch,
    /// Executable, PIE, shared library, static…
    pub kind: Kind,
    /// libc flavour from evidence.
    pub libc: Libc,
    /// PT_INTERP.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interpreter: Option<String>,
    /// DT_NEEDED, in order.
    pub needed: Vec<String>,
    /// DT_SONAME.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub soname: Option<String>,
    /// DT_RPATH entries (split on ':').
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub rpath: Vec<String>,
    /// DT_RUNPATH entries (split on ':').
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub runpath: Vec<String>,
    /// PT_GNU_STACK, if present.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stack: Option<Stack>,
    /// PT_GNU_RELRO present.
    pub relro: bool,
    /// DT_BIND_NOW / DF_BIND_NOW / DF_1_NOW.
    pub bind_now: bool,
    /// DT_RELR present and non-empty.
    pub relr: bool,
    /// DT_TEXTREL or DF_TEXTREL.
    pub textrel: bool,
    /// PT_TLS as the loader sees it: where the initialisation image is and how much of it is
    /// `.tdata` (copied) rather than `.tbss` (zeroed).
    #[serde(skip)]
    pub tls_segment: Option<TlsSegment>,
    /// PT_DYNAMIC's p_vaddr.
    #[serde(skip)]
    pub dynamic_vaddr: Option<u64>,
    /// Undefined dynamic symbols.
    pub imports: Vec<Import>,
    /// Defined global/weak dynamic symbols.
    #[serde(skip)]
    pub exports: Vec<Export>,
    /// The dynamic relocation types used, by type (which musl accepts is the judge's call).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub relocations: Vec<RelocCount>,
    /// Names of exported symbols some relocation of this file refers to (self-references).
    #[serde(skip)]
    pub self_referenced: Vec<String>,
    /// Libraries named by DT_VERNEED with the versions asked of each.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub version_needs: Vec<(String, Vec<String>)>,
    /// Damage the reading tolerated (a table cut short or outside the file): what was read
    /// around it may be incomplete. Reported as `tolerated-damage`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tolerated: Vec<String>,
    /// Heuristic evidence outside the loader's view (strings, notes, `.symtab`), for advice only.
    #[serde(skip)]
    pub extra: super::Extra,
}

impl Facts {
    /// A 64-bit file of `kind` with nothing in it: the start of facts written by
    /// hand (the model program of `muslcheck db symbol`, tests of the judge's decisions).
    pub fn empty(arch: Arch, kind: Kind) -> Facts {
        Facts {
            bits: 64,
            arch,
            kind,
            libc: Libc::Unknown,
            interpreter: None,
            needed: Vec::new(),
            soname: None,
            rpath: Vec::new(),
            runpath: Vec::new(),
            stack: None,
            relro: false,
            bind_now: false,
            relr: false,
            textrel: false,
            tls_segment: None,
            dynamic_vaddr: None,
            imports: Vec::new(),
            exports: Vec::new(),
            relocations: Vec::new(),
            self_referenced: Vec::new(),
            version_needs: Vec::new(),
            tolerated: Vec::new(),
            extra: super::Extra::default(),
        }
    }
}

/// Libraries whose versioned symbols are glibc's (the C library, its split-out parts, the loader
/// and libxcrypt's libcrypt, which glibc used to ship). A version node belongs to the library its
/// DT_VERNEED entry names, whatever it is called: libgcc_s defines `GLIBC_2.0` on i386.
pub fn is_glibc_library(lib: &str) -> bool {
    lib.starts_with("libc.so.")
        || lib.starts_with("ld-linux")
        || [
            "libm.so.6",
            "libpthread.so.0",
            "libdl.so.2",
            "librt.so.1",
            "libutil.so.1",
            "libresolv.so.2",
            "libcrypt.so.1",
            "libanl.so.1",
            "libnsl.so.1",
            "libmvec.so.1",
        ]
        .contains(&lib)
}
