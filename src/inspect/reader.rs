//! The loader's-eye ELF reader behind [`inspect`](super::inspect).

use std::collections::BTreeMap;
use std::fmt;
use std::time::Instant;

use object::elf;
use object::read::elf::{Dyn as _, FileHeader, ProgramHeader as _, Rel as _, Rela as _, Sym as _};
use object::{Endianness, Pod};

use super::extra::{self, Extra};
use super::facts::*;
use super::work::{Work, read_name};

/// Most symbols we read from one file (a large libLLVM has ~100k dynamic symbols).
const MAX_SYMBOLS: usize = 4 << 20;
/// Most version needs/definitions and auxiliary entries we follow.
const MAX_VERSION_ENTRIES: usize = 1 << 16;
/// Most relocations we classify per table (the rest are counted as a warning).
const MAX_RELOCS: usize = 64 << 20;

/// Index of the class byte in `e_ident`.
const EI_CLASS: usize = 4;

/// DT_RELR tags (gABI 2022; not yet named by object 0.37).
const DT_RELRSZ: u32 = 35;
const DT_RELR: u32 = 36;

/// Why a file could not be inspected.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum InspectError {
    /// Not an ELF file at all (becomes a `skipped` record).
    NotElf,
    /// ELF, but truncated or malformed where the loader needs it (an `error` record).
    Malformed(String),
    /// The deadline passed before the file was read (a limit: a `skipped` record).
    TimedOut,
}

impl fmt::Display for InspectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InspectError::NotElf => f.write_str("not an ELF file"),
            InspectError::Malformed(m) => write!(f, "malformed ELF: {m}"),
            InspectError::TimedOut => f.write_str("inspection did not finish in time"),
        }
    }
}

impl std::error::Error for InspectError {}

fn bad(msg: impl Into<String>) -> InspectError {
    InspectError::Malformed(msg.into())
}

/// True if `data` starts with the ELF magic.
pub fn is_elf(data: &[u8]) -> bool {
    data.starts_with(&elf::ELFMAG)
}

/// Read the loader-relevant facts of one ELF file.
pub fn inspect(data: &[u8]) -> Result<Facts, InspectError> {
    inspect_until(data, None)
}

/// Like [`inspect`], giving up with [`InspectError::TimedOut`] once `deadline` has passed.
///
/// The deadline is checked on entry and every thousand steps of the loops over symbols,
/// relocations, versions, hash chains and strings, so a hostile file cannot hold a worker.
pub fn inspect_until(data: &[u8], deadline: Option<Instant>) -> Result<Facts, InspectError> {
    let work = Work::new(data.len(), deadline);
    work.check()?;
    inspect_with(data, &work)
}

fn inspect_with(data: &[u8], work: &Work) -> Result<Facts, InspectError> {
    if !is_elf(data) {
        return Err(InspectError::NotElf);
    }
    if data.len() < 16 {
        return Err(bad("truncated ELF identification"));
    }
    match data.get(EI_CLASS) {
        Some(&elf::ELFCLASS64) => read::<elf::FileHeader64<Endianness>>(data, work),
        Some(&elf::ELFCLASS32) => read::<elf::FileHeader32<Endianness>>(data, work),
        c => Err(bad(format!(
            "unknown ELF class {}",
            c.copied().unwrap_or(0)
        ))),
    }
}

/// A PT_LOAD mapping from virtual addresses to file bytes.
struct Load {
    vaddr: u64,
    offset: u64,
    filesz: u64,
    /// PF_W: data the program writes; only read-only segments are scanned for strings.
    writable: bool,
    exec: bool,
}

/// The file plus its address map: what the loader would have in memory.
struct Image<'a> {
    data: &'a [u8],
    loads: Vec<Load>,
}

impl<'a> Image<'a> {
    /// File bytes from virtual address `addr` to the end of the segment holding it.
    fn at(&self, addr: u64) -> Option<&'a [u8]> {
        let seg = self
            .loads
            .iter()
            .find(|l| addr >= l.vaddr && addr - l.vaddr < l.filesz)?;
        let start = seg.offset.checked_add(addr - seg.vaddr)?;
        let end = seg
            .offset
            .checked_add(seg.filesz)?
            .min(self.data.len() as u64);
        self.data
            .get(usize::try_from(start).ok()?..usize::try_from(end).ok()?)
    }

    /// `len` bytes at virtual address `addr`, or None if they are not all in the file.
    fn range(&self, addr: u64, len: u64) -> Option<&'a [u8]> {
        self.at(addr)?.get(..usize::try_from(len).ok()?)
    }
}

/// A string table: NUL-terminated names at offsets, read within the file's name budget.
struct Strings<'a> {
    bytes: &'a [u8],
    work: &'a Work,
}

impl Strings<'_> {
    fn get(&self, off: u64) -> Result<String, InspectError> {
        let at = usize::try_from(off).unwrap_or(usize::MAX);
        match read_name(self.work, self.bytes, at) {
            Ok(Some(name)) => Ok(name),
            Ok(None) => Err(bad(format!("string offset {off} outside DT_STRTAB"))),
            Err(e) => Err(bad(format!("DT_STRTAB: {e}"))),
        }
    }
}

/// The DT_* values we use, collected from PT_DYNAMIC.
#[derive(Default)]
struct DynInfo {
    needed: Vec<u64>,
    soname: Option<u64>,
    rpath: Option<u64>,
    runpath: Option<u64>,
    strtab: Option<u64>,
    strsz: Option<u64>,
    symtab: Option<u64>,
    syment: Option<u64>,
    hash: Option<u64>,
    gnu_hash: Option<u64>,
    versym: Option<u64>,
    verneed: Option<u64>,
    verneednum: Option<u64>,
    verdef: Option<u64>,
    verdefnum: Option<u64>,
    rela: Option<u64>,
    relasz: u64,
    rel: Option<u64>,
    relsz: u64,
    jmprel: Option<u64>,
    pltrelsz: u64,
    pltrel: Option<u64>,
    relrsz: u64,
    relr: bool,
    flags: u64,
    flags_1: u64,
    bind_now: bool,
    textrel: bool,
}

fn read<Elf: FileHeader<Endian = Endianness>>(
    data: &[u8],
    work: &Work,
) -> Result<Facts, InspectError> {
    let header = Elf::parse(data).map_err(|e| bad(format!("ELF header: {e}")))?;
    let endian = header
        .endian()
        .map_err(|e| bad(format!("ELF header: {e}")))?;
    // The kernel and musl's loader take e_phnum as it is: PN_XNUM (the count kept in section
    // 0, which object would follow) and zero both mean nothing they can map.
    let e_type = header.e_type(endian);
    match header.e_phnum(endian) {
        elf::PN_XNUM => {
            return Err(bad(
                "e_phnum is PN_XNUM (0xffff): the loader does not read a count from section 0",
            ));
        }
        0 if matches!(e_type, elf::ET_EXEC | elf::ET_DYN) => {
            return Err(bad("no program headers: nothing for the loader to map"));
        }
        _ => {}
    }
    let phdrs = header
        .program_headers(endian, data)
        .map_err(|e| bad(format!("program headers: {e}")))?;
    let bits = if header.is_class_64() { 64 } else { 32 };
    let little_endian = header.is_little_endian();
    let machine = header.e_machine(endian);
    let arch = match (machine, bits, little_endian) {
        (elf::EM_X86_64, 64, true) => Arch::X86_64,
        (elf::EM_AARCH64, 64, true) => Arch::Aarch64,
        // x32, big-endian aarch64 and friends are different ABIs: never judged as the 64-bit LE one.
        _ => Arch::Other(machine),
    };

    let mut loads = Vec::new();
    let mut interpreter = None;
    let mut dynamic = None;
    let mut stack = None;
    let mut relro = false;
    let mut tls = None;
    let mut dynamic_vaddr = None;
    let mut gnu_abi_tag = false;
    let mut warnings = Vec::new();
    for ph in phdrs {
        work.tick()?;
        match ph.p_type(endian) {
            elf::PT_LOAD => loads.push(Load {
                vaddr: ph.p_vaddr(endian).into(),
                offset: ph.p_offset(endian).into(),
                filesz: ph.p_filesz(endian).into(),
                writable: ph.p_flags(endian) & elf::PF_W != 0,
                exec: ph.p_flags(endian) & elf::PF_X != 0,
            }),
            elf::PT_NOTE => {
                if let Ok(notes) = ph.data(endian, data) {
                    gnu_abi_tag |= extra::has_abi_tag(endian, notes);
                }
            }
            elf::PT_INTERP => {
                let bytes = ph
                    .data(endian, data)
                    .map_err(|_| bad("PT_INTERP outside the file"))?;
                let path = bytes.split(|&b| b == 0).next().unwrap_or_default();
                interpreter = Some(String::from_utf8_lossy(path).into_owned());
            }
            elf::PT_DYNAMIC => {
                let bytes = ph
                    .data(endian, data)
                    .map_err(|_| bad("PT_DYNAMIC outside the file"))?;
                dynamic = Some(bytes);
                dynamic_vaddr = Some(ph.p_vaddr(endian).into());
            }
            elf::PT_GNU_STACK => {
                stack = Some(Stack {
                    size: ph.p_memsz(endian).into(),
                    exec: ph.p_flags(endian) & elf::PF_X != 0,
                })
            }
            elf::PT_GNU_RELRO => relro = true,
            elf::PT_TLS => {
                tls = Some(TlsSegment {
                    vaddr: ph.p_vaddr(endian).into(),
                    filesz: ph.p_filesz(endian).into(),
                    memsz: ph.p_memsz(endian).into(),
                })
            }
            _ => {}
        }
    }

    let image = Image { data, loads };
    let mut info = DynInfo::default();
    if let Some(bytes) = dynamic {
        info = read_dynamic::<Elf>(endian, bytes, work)?;
    }
    let kind = match (e_type, interpreter.is_some(), dynamic.is_some()) {
        (elf::ET_EXEC, true, _) => Kind::Executable,
        (elf::ET_EXEC, false, _) => Kind::Static,
        (elf::ET_DYN, true, _) => Kind::Pie,
        (elf::ET_DYN, false, _) if info.flags_1 & u64::from(elf::DF_1_PIE) != 0 => Kind::StaticPie,
        (elf::ET_DYN, false, _) => Kind::SharedLibrary,
        _ => Kind::NotLoadable,
    };

    let mut facts = Facts {
        bits,
        little_endian,
        arch,
        kind,
        libc: Libc::Unknown,
        interpreter,
        needed: Vec::new(),
        soname: None,
        rpath: Vec::new(),
        runpath: Vec::new(),
        flags: info.flags,
        flags_1: info.flags_1,
        stack,
        relro,
        bind_now: info.bind_now,
        relr: info.relr,
        textrel: info.textrel,
        tls: tls.is_some(),
        tls_segment: tls,
        dynamic_vaddr,
        imports: Vec::new(),
        exports: Vec::new(),
        unsupported_relocs: Vec::new(),
        copy_relocs: Vec::new(),
        self_referenced: Vec::new(),
        version_needs: Vec::new(),
        warnings: Vec::new(),
        extra: Extra {
            gnu_abi_tag,
            ..Extra::default()
        },
    };

    if dynamic.is_some() && kind != Kind::NotLoadable {
        read_linking::<Elf>(endian, &image, &info, &mut facts, &mut warnings, work)?;
    }
    facts.libc = libc_flavour(&facts, dynamic.is_some());
    // Heuristic evidence for the advisory findings (#6), never for the verdict.
    extra::scan_strings(
        data,
        string_ranges(header, endian, data, &image),
        &mut facts.extra,
        work,
    )?;
    if dynamic.is_some() && matches!(facts.libc, Libc::Glibc | Libc::Unknown) {
        facts.extra.startup = super::startup::read(header, endian, data, work)?;
    }
    if facts.kind.is_static() {
        extra::read_symtab(header, endian, data, &mut facts.extra, &mut warnings, work)?;
    }
    facts.warnings = warnings;
    Ok(facts)
}

/// Most bytes scanned for strings per file: the evidence is heuristic, its cost must be bounded.
const MAX_STRING_SCAN: u64 = 32 << 20;

/// Where string constants are: the read-only, non-executable allocated sections (.rodata*) when
/// section headers are usable (heuristics only; the loader's view never uses them), else the
/// read-only segments without code, else all read-only segments; at most MAX_STRING_SCAN bytes.
fn string_ranges<Elf: FileHeader<Endian = Endianness>>(
    header: &Elf,
    endian: Endianness,
    data: &[u8],
    image: &Image<'_>,
) -> Vec<(u64, u64)> {
    use object::read::elf::SectionHeader as _;
    let mut ranges: Vec<(u64, u64)> = Vec::new();
    if let Ok(sections) = header.sections(endian, data) {
        for sh in sections.iter() {
            let flags: u64 = sh.sh_flags(endian).into();
            let alloc_ro = flags & u64::from(elf::SHF_ALLOC) != 0
                && flags & u64::from(elf::SHF_WRITE | elf::SHF_EXECINSTR) == 0;
            if sh.sh_type(endian) == elf::SHT_PROGBITS && alloc_ro {
                ranges.push((sh.sh_offset(endian).into(), sh.sh_size(endian).into()));
            }
        }
    }
    if ranges.is_empty() {
        let rodata_only = image.loads.iter().any(|l| !l.writable && !l.exec);
        ranges = image
            .loads
            .iter()
            .filter(|l| !l.writable && (!rodata_only || !l.exec))
            .map(|l| (l.offset, l.filesz))
            .collect();
    }
    let mut budget = MAX_STRING_SCAN;
    for r in &mut ranges {
        r.1 = r.1.min(budget);
        budget -= r.1;
    }
    ranges.retain(|r| r.1 > 0);
    ranges
}

fn read_dynamic<Elf: FileHeader<Endian = Endianness>>(
    endian: Endianness,
    bytes: &[u8],
    work: &Work,
) -> Result<DynInfo, InspectError> {
    let count = bytes.len() / std::mem::size_of::<Elf::Dyn>();
    let (dyns, _) = object::pod::slice_from_bytes::<Elf::Dyn>(bytes, count)
        .map_err(|_| bad("PT_DYNAMIC is not a table of Elf_Dyn"))?;
    let mut d = DynInfo::default();
    for entry in dyns {
        work.tick()?;
        let tag: u64 = entry.d_tag(endian).into();
        let val: u64 = entry.d_val(endian).into();
        // Tags are signed in the ABI; compare the low 32 bits for the standard ones.
        let Ok(tag) = u32::try_from(tag) else {
            continue;
        };
        match tag {
            elf::DT_NULL => break,
            elf::DT_NEEDED => d.needed.push(val),
            elf::DT_SONAME => d.soname = Some(val),
            elf::DT_RPATH => d.rpath = Some(val),
            elf::DT_RUNPATH => d.runpath = Some(val),
            elf::DT_STRTAB => d.strtab = Some(val),
            elf::DT_STRSZ => d.strsz = Some(val),
            elf::DT_SYMTAB => d.symtab = Some(val),
            elf::DT_SYMENT => d.syment = Some(val),
            elf::DT_HASH => d.hash = Some(val),
            elf::DT_GNU_HASH => d.gnu_hash = Some(val),
            elf::DT_VERSYM => d.versym = Some(val),
            elf::DT_VERNEED => d.verneed = Some(val),
            elf::DT_VERNEEDNUM => d.verneednum = Some(val),
            elf::DT_VERDEF => d.verdef = Some(val),
            elf::DT_VERDEFNUM => d.verdefnum = Some(val),
            elf::DT_RELA => d.rela = Some(val),
            elf::DT_RELASZ => d.relasz = val,
            elf::DT_REL => d.rel = Some(val),
            elf::DT_RELSZ => d.relsz = val,
            elf::DT_JMPREL => d.jmprel = Some(val),
            elf::DT_PLTRELSZ => d.pltrelsz = val,
            elf::DT_PLTREL => d.pltrel = Some(val),
            DT_RELR => d.relr = true,
            DT_RELRSZ => d.relrsz = val,
            elf::DT_FLAGS => {
                d.flags = val;
                d.bind_now |= val & u64::from(elf::DF_BIND_NOW) != 0;
                d.textrel |= val & u64::from(elf::DF_TEXTREL) != 0;
            }
            elf::DT_FLAGS_1 => {
                d.flags_1 = val;
                d.bind_now |= val & u64::from(elf::DF_1_NOW) != 0;
            }
            elf::DT_BIND_NOW => d.bind_now = true,
            elf::DT_TEXTREL => d.textrel = true,
            _ => {}
        }
    }
    // An empty DT_RELR table relocates nothing: it cannot break an old loader.
    d.relr = d.relr && d.relrsz > 0;
    Ok(d)
}

/// Symbols, versions and relocations: everything reached through DT_STRTAB and DT_SYMTAB.
fn read_linking<Elf: FileHeader<Endian = Endianness>>(
    endian: Endianness,
    image: &Image<'_>,
    info: &DynInfo,
    facts: &mut Facts,
    warnings: &mut Vec<String>,
    work: &Work,
) -> Result<(), InspectError> {
    let strtab = match info.strtab {
        Some(addr) => {
            let all = image
                .at(addr)
                .ok_or_else(|| bad("DT_STRTAB is not in a loaded segment"))?;
            let len = info
                .strsz
                .and_then(|n| usize::try_from(n).ok())
                .unwrap_or(all.len());
            Strings {
                bytes: all.get(..len).unwrap_or(all),
                work,
            }
        }
        None if info.needed.is_empty() && info.symtab.is_none() => Strings { bytes: &[], work },
        None => return Err(bad("dynamic segment has no DT_STRTAB")),
    };
    for &off in &info.needed {
        work.tick()?;
        facts.needed.push(strtab.get(off)?);
    }
    if let Some(off) = info.soname {
        facts.soname = Some(strtab.get(off)?);
    }
    let split = |s: String| -> Vec<String> { s.split(':').map(str::to_string).collect() };
    if let Some(off) = info.rpath {
        facts.rpath = split(strtab.get(off)?);
    }
    if let Some(off) = info.runpath {
        facts.runpath = split(strtab.get(off)?);
    }

    let Some(symtab_addr) = info.symtab else {
        return Ok(());
    };
    let sym_size = std::mem::size_of::<Elf::Sym>();
    if let Some(ent) = info.syment {
        if ent != sym_size as u64 {
            return Err(bad(format!("DT_SYMENT is {ent}, expected {sym_size}")));
        }
    }
    let sym_bytes = image
        .at(symtab_addr)
        .ok_or_else(|| bad("DT_SYMTAB is not in a loaded segment"))?;

    let relocs = read_relocs::<Elf>(endian, image, info, facts.arch, warnings, work)?;
    // The loader never knows the symbol count either: it follows the hash table, and
    // relocations name indices directly. Take the largest index either can reach.
    let mut nsyms = symbol_count::<Elf>(endian, image, info, warnings, work)?;
    nsyms = nsyms.max(relocs.max_sym.map_or(0, |m| m as usize + 1));
    let available = sym_bytes.len() / sym_size;
    if nsyms > available {
        warnings.push(format!(
            "symbol table claims {nsyms} entries but only {available} are in the file"
        ));
        nsyms = available;
    }
    let nsyms = nsyms.min(MAX_SYMBOLS);
    let (syms, _) = object::pod::slice_from_bytes::<Elf::Sym>(sym_bytes, nsyms)
        .map_err(|_| bad("DT_SYMTAB truncated"))?;

    let versym: Option<&[u8]> = info.versym.and_then(|a| image.at(a));
    if info.versym.is_some() && versym.is_none() {
        warnings.push("DT_VERSYM is not in a loaded segment; versions unknown".into());
    }
    let needs = read_verneed(endian, image, info, &strtab, facts, warnings)?;
    let defs = read_verdef(endian, image, info, &strtab, warnings)?;

    for (idx, sym) in syms.iter().enumerate().skip(1) {
        work.tick()?;
        let name = strtab.get(sym.st_name(endian).into())?;
        if name.is_empty() {
            continue;
        }
        let raw_ver = versym.and_then(|v| read_u16(endian, v, idx.saturating_mul(2)));
        let bind = sym.st_bind();
        let sym_type = SymType::from_st_type(sym.st_type());
        let copied = relocs.copy.contains(&(idx as u32));
        // A COPY relocation is an import in disguise: the symbol is defined in the program's
        // .bss, but musl looks the initial value up in the other loaded objects.
        if sym.st_shndx(endian) == elf::SHN_UNDEF || copied {
            if copied {
                facts.copy_relocs.push(name.clone());
            }
            let (version, library) = match raw_ver.map(|v| v & elf::VERSYM_VERSION) {
                Some(n) if n > 1 => match needs.get(&n) {
                    Some((lib, ver)) => (Some(ver.clone()), Some(lib.clone())),
                    None => (None, None),
                },
                _ => (None, None),
            };
            facts.imports.push(Import {
                name: name.clone(),
                weak: bind == elf::STB_WEAK,
                sym_type,
                version,
                library,
                referenced: relocs.referenced.contains(&(idx as u32)),
            });
        }
        if sym.st_shndx(endian) != elf::SHN_UNDEF
            && matches!(bind, elf::STB_GLOBAL | elf::STB_WEAK | elf::STB_GNU_UNIQUE)
        {
            let n = raw_ver.unwrap_or(1);
            let version = defs.get(&(n & elf::VERSYM_VERSION)).cloned();
            if relocs.referenced.contains(&(idx as u32)) {
                facts.self_referenced.push(name.clone());
            }
            facts.exports.push(Export {
                name,
                sym_type,
                version,
                hidden: n & elf::VERSYM_HIDDEN != 0,
                weak: bind == elf::STB_WEAK,
            });
        }
    }
    facts.unsupported_relocs = relocs
        .unsupported
        .into_iter()
        .map(|(r_type, count)| RelocCount {
            r_type,
            name: reloc_name(facts.arch, r_type),
            count,
        })
        .collect();
    Ok(())
}

fn read_u16(endian: Endianness, b: &[u8], at: usize) -> Option<u16> {
    let arr: [u8; 2] = b.get(at..at.checked_add(2)?)?.try_into().ok()?;
    Some(match endian {
        Endianness::Little => u16::from_le_bytes(arr),
        Endianness::Big => u16::from_be_bytes(arr),
    })
}

fn read_u32(endian: Endianness, b: &[u8], at: usize) -> Option<u32> {
    let arr: [u8; 4] = b.get(at..at.checked_add(4)?)?.try_into().ok()?;
    Some(match endian {
        Endianness::Little => u32::from_le_bytes(arr),
        Endianness::Big => u32::from_be_bytes(arr),
    })
}

/// Number of dynamic symbols, from DT_HASH's nchain or by walking DT_GNU_HASH.
fn symbol_count<Elf: FileHeader<Endian = Endianness>>(
    endian: Endianness,
    image: &Image<'_>,
    info: &DynInfo,
    warnings: &mut Vec<String>,
    work: &Work,
) -> Result<usize, InspectError> {
    if let Some(h) = info.hash.and_then(|a| image.at(a)) {
        if let Some(nchain) = read_u32(endian, h, 4) {
            return Ok(nchain as usize);
        }
    }
    let Some(g) = info.gnu_hash.and_then(|a| image.at(a)) else {
        if info.hash.is_some() || info.gnu_hash.is_some() {
            warnings.push("hash table is not in a loaded segment".into());
        }
        return Ok(0);
    };
    let (Some(nbuckets), Some(symoffset), Some(bloom_size)) = (
        read_u32(endian, g, 0),
        read_u32(endian, g, 4),
        read_u32(endian, g, 8),
    ) else {
        warnings.push("DT_GNU_HASH truncated".into());
        return Ok(0);
    };
    let word: usize = if Elf::is_type_64_sized() { 8 } else { 4 };
    let buckets_at = (bloom_size as usize)
        .saturating_mul(word)
        .saturating_add(16);
    let mut max = 0u32;
    // Bounded by the table's bytes: a bucket past the file ends the loop.
    for i in 0..nbuckets as usize {
        work.tick()?;
        match read_u32(endian, g, buckets_at.saturating_add(i.saturating_mul(4))) {
            Some(b) => max = max.max(b),
            None => {
                warnings.push("DT_GNU_HASH buckets truncated".into());
                return Ok(0);
            }
        }
    }
    if max < symoffset {
        return Ok(symoffset as usize);
    }
    let chains_at = buckets_at.saturating_add((nbuckets as usize).saturating_mul(4));
    let mut idx = max as usize;
    // Follow the last chain to its end marker (low bit set); bounded by the table's size.
    loop {
        work.tick()?;
        let at = (idx - symoffset as usize)
            .saturating_mul(4)
            .saturating_add(chains_at);
        let Some(h) = read_u32(endian, g, at) else {
            warnings.push("DT_GNU_HASH chain runs past the file".into());
            return Ok(idx);
        };
        if h & 1 == 1 || idx >= MAX_SYMBOLS {
            return Ok(idx + 1);
        }
        idx += 1;
    }
}

/// Version index → (library, version name), from DT_VERNEED.
///
/// Chains only move forward (`vn_next`/`vna_next` are unsigned offsets), so they cannot loop;
/// every step is still counted and capped, and each name is charged to the file's budget.
fn read_verneed(
    endian: Endianness,
    image: &Image<'_>,
    info: &DynInfo,
    strtab: &Strings<'_>,
    facts: &mut Facts,
    warnings: &mut Vec<String>,
) -> Result<BTreeMap<u16, (String, String)>, InspectError> {
    let mut out = BTreeMap::new();
    let Some(base) = info.verneed else {
        return Ok(out);
    };
    let Some(bytes) = image.at(base) else {
        warnings.push("DT_VERNEED is not in a loaded segment".into());
        return Ok(out);
    };
    let count = usize::try_from(info.verneednum.unwrap_or(0)).unwrap_or(usize::MAX);
    let mut off = 0usize;
    let mut steps = 0usize;
    for _ in 0..count.min(MAX_VERSION_ENTRIES) {
        strtab.work.tick()?;
        let Some(vn) = pod_at::<elf::Verneed<Endianness>>(bytes, off) else {
            warnings.push("DT_VERNEED entry outside the file".into());
            break;
        };
        let file = strtab
            .get(vn.vn_file.get(endian).into())
            .unwrap_or_default();
        let mut versions = Vec::new();
        let mut aux = off.checked_add(vn.vn_aux.get(endian) as usize);
        for _ in 0..vn.vn_cnt.get(endian) {
            strtab.work.tick()?;
            steps += 1;
            if steps > MAX_VERSION_ENTRIES {
                warnings.push("DT_VERNEED has too many entries; the rest were not read".into());
                break;
            }
            let Some(a) = aux.and_then(|a| pod_at::<elf::Vernaux<Endianness>>(bytes, a)) else {
                warnings.push("DT_VERNEED auxiliary entry outside the file".into());
                break;
            };
            let name = strtab
                .get(a.vna_name.get(endian).into())
                .unwrap_or_default();
            out.insert(
                a.vna_other.get(endian) & elf::VERSYM_VERSION,
                (file.clone(), name.clone()),
            );
            versions.push(name);
            let next = a.vna_next.get(endian) as usize;
            if next == 0 {
                break;
            }
            aux = aux.and_then(|x| x.checked_add(next));
        }
        facts.version_needs.push((file, versions));
        let next = vn.vn_next.get(endian) as usize;
        if next == 0 {
            break;
        }
        match off.checked_add(next) {
            Some(n) => off = n,
            None => break,
        }
    }
    Ok(out)
}

/// Version index → version name, from DT_VERDEF (the first Verdaux names the version).
fn read_verdef(
    endian: Endianness,
    image: &Image<'_>,
    info: &DynInfo,
    strtab: &Strings<'_>,
    warnings: &mut Vec<String>,
) -> Result<BTreeMap<u16, String>, InspectError> {
    let mut out = BTreeMap::new();
    let Some(base) = info.verdef else {
        return Ok(out);
    };
    let Some(bytes) = image.at(base) else {
        warnings.push("DT_VERDEF is not in a loaded segment".into());
        return Ok(out);
    };
    let count = usize::try_from(info.verdefnum.unwrap_or(0)).unwrap_or(usize::MAX);
    let mut off = 0usize;
    for _ in 0..count.min(MAX_VERSION_ENTRIES) {
        strtab.work.tick()?;
        let Some(vd) = pod_at::<elf::Verdef<Endianness>>(bytes, off) else {
            warnings.push("DT_VERDEF entry outside the file".into());
            break;
        };
        let aux = off.checked_add(vd.vd_aux.get(endian) as usize);
        if let Some(a) = aux.and_then(|a| pod_at::<elf::Verdaux<Endianness>>(bytes, a)) {
            if vd.vd_flags.get(endian) & elf::VER_FLG_BASE == 0 {
                if let Ok(name) = strtab.get(a.vda_name.get(endian).into()) {
                    out.insert(vd.vd_ndx.get(endian) & elf::VERSYM_VERSION, name);
                }
            }
        }
        let next = vd.vd_next.get(endian) as usize;
        if next == 0 {
            break;
        }
        match off.checked_add(next) {
            Some(n) => off = n,
            None => break,
        }
    }
    Ok(out)
}

fn pod_at<T: Pod>(bytes: &[u8], off: usize) -> Option<&T> {
    object::pod::from_bytes::<T>(bytes.get(off..)?)
        .ok()
        .map(|(t, _)| t)
}

#[derive(Default)]
struct Relocs {
    referenced: std::collections::HashSet<u32>,
    max_sym: Option<u32>,
    copy: std::collections::HashSet<u32>,
    unsupported: Vec<(u32, u64)>,
}

/// Classify every dynamic relocation (DT_RELA, DT_REL, DT_JMPREL) the loader will process.
fn read_relocs<Elf: FileHeader<Endian = Endianness>>(
    endian: Endianness,
    image: &Image<'_>,
    info: &DynInfo,
    arch: Arch,
    warnings: &mut Vec<String>,
    work: &Work,
) -> Result<Relocs, InspectError> {
    let mut out = Relocs::default();
    let mut unsupported: BTreeMap<u32, u64> = BTreeMap::new();
    let mut note = |r_type: u32, sym: u32, out: &mut Relocs| {
        if sym != 0 {
            out.referenced.insert(sym);
            out.max_sym = Some(out.max_sym.map_or(sym, |m| m.max(sym)));
        }
        match reloc_class(arch, r_type) {
            RelocClass::Supported => {}
            RelocClass::Copy => {
                out.copy.insert(sym);
            }
            RelocClass::Unsupported => *unsupported.entry(r_type).or_default() += 1,
            RelocClass::Unknown => {}
        }
    };
    let rela_is_plt = info.pltrel == Some(u64::from(elf::DT_RELA));
    let mut tables: Vec<(Option<u64>, u64, bool)> = vec![
        (info.rela, info.relasz, true),
        (info.rel, info.relsz, false),
    ];
    tables.push((
        info.jmprel,
        info.pltrelsz,
        info.pltrel.is_none() || rela_is_plt,
    ));
    for (addr, size, is_rela) in tables {
        let Some(addr) = addr else { continue };
        if size == 0 {
            continue;
        }
        let Some(bytes) = image.range(addr, size) else {
            return Err(bad(format!(
                "relocation table at {addr:#x} ({size} bytes) is not in the file"
            )));
        };
        if is_rela {
            let n = bytes.len() / std::mem::size_of::<Elf::Rela>();
            let (rs, _) = object::pod::slice_from_bytes::<Elf::Rela>(bytes, n.min(MAX_RELOCS))
                .map_err(|_| bad("relocation table truncated"))?;
            for r in rs {
                work.tick()?;
                note(r.r_type(endian, false), r.r_sym(endian, false), &mut out);
            }
        } else {
            let n = bytes.len() / std::mem::size_of::<Elf::Rel>();
            let (rs, _) = object::pod::slice_from_bytes::<Elf::Rel>(bytes, n.min(MAX_RELOCS))
                .map_err(|_| bad("relocation table truncated"))?;
            for r in rs {
                work.tick()?;
                note(r.r_type(endian), r.r_sym(endian), &mut out);
            }
        }
        if bytes.len() / std::mem::size_of::<Elf::Rel>() > MAX_RELOCS {
            warnings.push(format!(
                "more than {MAX_RELOCS} relocations; the rest were not read"
            ));
        }
    }
    out.unsupported = unsupported.into_iter().collect();
    Ok(out)
}

enum RelocClass {
    Supported,
    Copy,
    Unsupported,
    /// Architecture we do not judge.
    Unknown,
}

/// The relocation types musl's `do_relocs` handles (arch/*/reloc.h); anything else fails to load.
fn reloc_class(arch: Arch, r_type: u32) -> RelocClass {
    use object::elf::*;
    match arch {
        Arch::X86_64 => match r_type {
            R_X86_64_COPY => RelocClass::Copy,
            R_X86_64_NONE | R_X86_64_64 | R_X86_64_PC32 | R_X86_64_GLOB_DAT
            | R_X86_64_JUMP_SLOT | R_X86_64_RELATIVE | R_X86_64_DTPMOD64 | R_X86_64_DTPOFF64
            | R_X86_64_TPOFF64 | R_X86_64_TLSDESC => RelocClass::Supported,
            _ => RelocClass::Unsupported,
        },
        Arch::Aarch64 => match r_type {
            R_AARCH64_COPY => RelocClass::Copy,
            R_AARCH64_NONE | R_AARCH64_ABS64 | R_AARCH64_GLOB_DAT | R_AARCH64_JUMP_SLOT
            | R_AARCH64_RELATIVE | R_AARCH64_TLS_DTPMOD | R_AARCH64_TLS_DTPREL
            | R_AARCH64_TLS_TPREL | R_AARCH64_TLSDESC => RelocClass::Supported,
            _ => RelocClass::Unsupported,
        },
        Arch::Other(_) => RelocClass::Unknown,
    }
}

fn reloc_name(arch: Arch, r_type: u32) -> String {
    use object::elf::*;
    let name = match (arch, r_type) {
        (Arch::X86_64, R_X86_64_IRELATIVE) => "R_X86_64_IRELATIVE",
        (Arch::X86_64, R_X86_64_32) => "R_X86_64_32",
        (Arch::X86_64, R_X86_64_32S) => "R_X86_64_32S",
        (Arch::X86_64, R_X86_64_PC64) => "R_X86_64_PC64",
        (Arch::X86_64, R_X86_64_DTPOFF32) => "R_X86_64_DTPOFF32",
        (Arch::X86_64, R_X86_64_TPOFF32) => "R_X86_64_TPOFF32",
        (Arch::Aarch64, R_AARCH64_IRELATIVE) => "R_AARCH64_IRELATIVE",
        (Arch::Aarch64, R_AARCH64_ABS32) => "R_AARCH64_ABS32",
        _ => return format!("type {r_type}"),
    };
    name.to_string()
}

/// True for relocation types that apply an IFUNC resolver (IRELATIVE).
pub fn is_irelative(arch: Arch, r_type: u32) -> bool {
    matches!(
        (arch, r_type),
        (Arch::X86_64, elf::R_X86_64_IRELATIVE) | (Arch::Aarch64, elf::R_AARCH64_IRELATIVE)
    )
}

/// The C library the file was linked against, from the strongest evidence present.
fn libc_flavour(f: &Facts, dynamic: bool) -> Libc {
    if f.kind.is_static() {
        return Libc::Static;
    }
    if let Some(interp) = &f.interpreter {
        if interp.contains("ld-musl-") {
            return Libc::Musl;
        }
        if interp.contains("ld-linux") {
            return Libc::Glibc;
        }
    }
    let glibc_versions = f
        .version_needs
        .iter()
        .any(|(lib, vs)| is_glibc_library(lib) && vs.iter().any(|v| v.starts_with("GLIBC_")));
    if glibc_versions || f.needed.iter().any(|n| n == "libc.so.6") {
        return Libc::Glibc;
    }
    if f.needed
        .iter()
        .any(|n| n == "libc.so" || n.starts_with("libc.musl-"))
    {
        return Libc::Musl;
    }
    if !dynamic {
        return Libc::Static;
    }
    Libc::Unknown
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn sample(name: &str) -> Vec<u8> {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        std::fs::read(root.join("samples/bin").join(name)).unwrap()
    }

    /// The deadline is looked at inside the reading, not only on entry: with a deadline already
    /// past and the entry check skipped, reading stops with TimedOut.
    #[test]
    fn reading_stops_at_the_deadline() {
        let past = Instant::now().checked_sub(Duration::from_millis(1));
        let big = sample("hello-static-glibc");
        let work = Work::new(big.len(), past);
        assert_eq!(
            inspect_with(&big, &work).err(),
            Some(InspectError::TimedOut)
        );
        let small = sample("hello-aarch64-nolibc");
        assert_eq!(
            inspect_until(&small, past).err(),
            Some(InspectError::TimedOut),
            "the entry check"
        );
        assert!(inspect_until(&big, None).is_ok());
    }
}
