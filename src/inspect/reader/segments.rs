//! Program headers: what the kernel and the loader map (PT_LOAD), and the segments they read
//! (PT_INTERP, PT_DYNAMIC, PT_TLS, PT_GNU_STACK, PT_GNU_RELRO, PT_NOTE). Addresses are turned into file
//! bytes through PT_LOAD, as the loader maps them into memory.

use object::Endianness;
use object::elf;
use object::read::elf::{FileHeader, ProgramHeader as _};

use super::{InspectError, bad};
use crate::inspect::extra;
use crate::inspect::facts::{Stack, TlsSegment};
use crate::inspect::work::Work;

/// What the program headers say.
pub(super) struct Segments<'a> {
    pub(super) image: Image<'a>,
    pub(super) interpreter: Option<String>,
    pub(super) dynamic: Option<&'a [u8]>,
    /// PT_DYNAMIC's p_vaddr.
    pub(super) dynamic_vaddr: Option<u64>,
    /// PT_TLS.
    pub(super) tls: Option<TlsSegment>,
    pub(super) stack: Option<Stack>,
    pub(super) relro: bool,
    pub(super) gnu_abi_tag: bool,
}

/// Read the program headers.
pub(super) fn read_segments<'a, Elf: FileHeader<Endian = Endianness>>(
    header: &Elf,
    endian: Endianness,
    data: &'a [u8],
    work: &Work,
) -> Result<Segments<'a>, InspectError> {
    let phdrs = header
        .program_headers(endian, data)
        .map_err(|e| bad(format!("program headers: {e}")))?;
    let mut s = Segments {
        image: Image {
            data,
            loads: Vec::new(),
        },
        interpreter: None,
        dynamic: None,
        dynamic_vaddr: None,
        tls: None,
        stack: None,
        relro: false,
        gnu_abi_tag: false,
    };
    for ph in phdrs {
        work.tick()?;
        match ph.p_type(endian) {
            elf::PT_LOAD => s.image.loads.push(Load {
                vaddr: ph.p_vaddr(endian).into(),
                offset: ph.p_offset(endian).into(),
                filesz: ph.p_filesz(endian).into(),
                writable: ph.p_flags(endian) & elf::PF_W != 0,
                exec: ph.p_flags(endian) & elf::PF_X != 0,
            }),
            elf::PT_NOTE => {
                if let Ok(notes) = ph.data(endian, data) {
                    s.gnu_abi_tag |= extra::has_abi_tag(endian, notes);
                }
            }
            elf::PT_INTERP => {
                let bytes = ph
                    .data(endian, data)
                    .map_err(|_| bad("PT_INTERP outside the file"))?;
                let path = bytes.split(|&b| b == 0).next().unwrap_or_default();
                s.interpreter = Some(String::from_utf8_lossy(path).into_owned());
            }
            elf::PT_DYNAMIC => {
                let bytes = ph
                    .data(endian, data)
                    .map_err(|_| bad("PT_DYNAMIC outside the file"))?;
                s.dynamic = Some(bytes);
                s.dynamic_vaddr = Some(ph.p_vaddr(endian).into());
            }
            elf::PT_TLS => {
                s.tls = Some(TlsSegment {
                    vaddr: ph.p_vaddr(endian).into(),
                    filesz: ph.p_filesz(endian).into(),
                    memsz: ph.p_memsz(endian).into(),
                })
            }
            elf::PT_GNU_STACK => {
                s.stack = Some(Stack {
                    size: ph.p_memsz(endian).into(),
                    exec: ph.p_flags(endian) & elf::PF_X != 0,
                })
            }
            elf::PT_GNU_RELRO => s.relro = true,
            _ => {}
        }
    }
    Ok(s)
}

/// A PT_LOAD mapping from virtual addresses to file bytes.
pub(super) struct Load {
    vaddr: u64,
    offset: u64,
    filesz: u64,
    /// PF_W: data the program writes; only read-only segments are scanned for strings.
    writable: bool,
    exec: bool,
}

/// The file plus its address map: what the loader would have in memory.
pub(super) struct Image<'a> {
    pub(super) data: &'a [u8],
    pub(super) loads: Vec<Load>,
}

impl<'a> Image<'a> {
    /// File bytes from virtual address `addr` to the end of the segment holding it.
    pub(super) fn at(&self, addr: u64) -> Option<&'a [u8]> {
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
    pub(super) fn range(&self, addr: u64, len: u64) -> Option<&'a [u8]> {
        self.at(addr)?.get(..usize::try_from(len).ok()?)
    }
}

/// Most bytes scanned for strings per file: the evidence is heuristic, its cost must be bounded.
const MAX_STRING_SCAN: u64 = 32 << 20;

/// Where string constants are: the read-only, non-executable allocated sections (.rodata*) when
/// section headers are usable (heuristics only; the loader's view never uses them), else the
/// read-only segments without code, else all read-only segments; at most MAX_STRING_SCAN bytes.
pub(super) fn string_ranges<Elf: FileHeader<Endian = Endianness>>(
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
