//! The loader's-eye ELF reader behind [`inspect`](super::inspect), cut the way the `object`
//! crate cuts its ELF reader: [`segments`] (program headers, the address map), [`dynamic`]
//! (PT_DYNAMIC and its string table), [`symbols`] (DT_SYMTAB sized by the hash tables),
//! [`versions`] (DT_VERNEED, DT_VERDEF) and [`relocations`]. This file reads the header and
//! puts the facts together.
//!
//! Damage the loader would not trip over (a version table cut short, a hash table outside the
//! file) does not stop the reading: it is collected in `Facts::tolerated`, and the judge reports
//! it (`tolerated-damage`).

mod dynamic;
mod relocations;
mod segments;
mod symbols;
mod versions;

use std::fmt;
use std::time::Instant;

use object::Endianness;
use object::elf;
use object::read::elf::FileHeader;

use super::extra;
use super::facts::*;
use super::work::Work;

/// Most symbols we read from one file (a large libLLVM has ~100k dynamic symbols).
const MAX_SYMBOLS: usize = 4 << 20;
/// Most version needs/definitions and auxiliary entries we follow.
const MAX_VERSION_ENTRIES: usize = 1 << 16;

/// Index of the class byte in `e_ident`.
const EI_CLASS: usize = 4;

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
    let bits = if header.is_class_64() { 64 } else { 32 };
    let machine = header.e_machine(endian);
    let arch = match (machine, bits, header.is_little_endian()) {
        (elf::EM_X86_64, 64, true) => Arch::X86_64,
        (elf::EM_AARCH64, 64, true) => Arch::Aarch64,
        // x32, big-endian aarch64 and friends are different ABIs: never judged as the 64-bit LE one.
        _ => Arch::Other(machine),
    };
    let seg = segments::read_segments(header, endian, data, work)?;
    let info = match seg.dynamic {
        Some(bytes) => dynamic::read_dynamic::<Elf>(endian, bytes, work)?,
        None => dynamic::DynInfo::default(),
    };
    let kind = match (e_type, seg.interpreter.is_some()) {
        (elf::ET_EXEC, true) => Kind::Executable,
        (elf::ET_EXEC, false) => Kind::Static,
        (elf::ET_DYN, true) => Kind::Pie,
        (elf::ET_DYN, false) if info.flags_1 & u64::from(elf::DF_1_PIE) != 0 => Kind::StaticPie,
        (elf::ET_DYN, false) => Kind::SharedLibrary,
        _ => Kind::NotLoadable,
    };
    let mut facts = Facts::empty(arch, kind);
    facts.bits = bits;
    facts.interpreter = seg.interpreter.clone();
    facts.stack = seg.stack;
    facts.tls_segment = seg.tls;
    facts.dynamic_vaddr = seg.dynamic_vaddr;
    facts.relro = seg.relro;
    facts.bind_now = info.bind_now;
    facts.relr = info.relr;
    facts.textrel = info.textrel;
    facts.extra.gnu_abi_tag = seg.gnu_abi_tag;
    let mut tolerated = Vec::new();
    if seg.dynamic.is_some() && kind != Kind::NotLoadable {
        symbols::read_linking::<Elf>(endian, &seg.image, &info, &mut facts, &mut tolerated, work)?;
    }
    facts.libc = libc_flavour(&facts, seg.dynamic.is_some());
    // Heuristic evidence for the advisory findings (#6), never for the verdict.
    extra::scan_strings(
        data,
        segments::string_ranges(header, endian, data, &seg.image),
        &mut facts.extra,
        work,
    )?;
    if seg.dynamic.is_some() && matches!(facts.libc, Libc::Glibc | Libc::Unknown) {
        facts.extra.startup = crate::inspect::startup::read(header, endian, data, work)?;
    }
    if facts.kind.is_static() {
        extra::read_symtab(header, endian, data, &mut facts.extra, &mut tolerated, work)?;
    }
    facts.tolerated = tolerated;
    Ok(facts)
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
