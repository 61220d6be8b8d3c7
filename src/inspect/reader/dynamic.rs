//! PT_DYNAMIC: the DT_* entries the loader reads (ldso/dynlink.c `decode_dyn`), and the
//! dynamic string table they point into.

use object::Endianness;
use object::elf;
use object::read::elf::{Dyn as _, FileHeader};

use super::{InspectError, bad};
use crate::inspect::work::{Work, read_name};

/// DT_RELR tags (gABI 2022; not yet named by object 0.37).
const DT_RELRSZ: u32 = 35;
const DT_RELR: u32 = 36;

/// A string table: NUL-terminated names at offsets, read within the file's name budget.
pub(super) struct Strings<'a> {
    pub(super) bytes: &'a [u8],
    pub(super) work: &'a Work,
}

impl Strings<'_> {
    pub(super) fn get(&self, off: u64) -> Result<String, InspectError> {
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
pub(super) struct DynInfo {
    pub(super) needed: Vec<u64>,
    pub(super) soname: Option<u64>,
    pub(super) rpath: Option<u64>,
    pub(super) runpath: Option<u64>,
    pub(super) strtab: Option<u64>,
    pub(super) strsz: Option<u64>,
    pub(super) symtab: Option<u64>,
    pub(super) syment: Option<u64>,
    pub(super) hash: Option<u64>,
    pub(super) gnu_hash: Option<u64>,
    pub(super) versym: Option<u64>,
    pub(super) verneed: Option<u64>,
    pub(super) verneednum: Option<u64>,
    pub(super) verdef: Option<u64>,
    pub(super) verdefnum: Option<u64>,
    pub(super) rela: Option<u64>,
    pub(super) relasz: u64,
    pub(super) rel: Option<u64>,
    pub(super) relsz: u64,
    pub(super) jmprel: Option<u64>,
    pub(super) pltrelsz: u64,
    pub(super) pltrel: Option<u64>,
    pub(super) relrsz: u64,
    pub(super) relr: bool,
    pub(super) flags_1: u64,
    pub(super) bind_now: bool,
    pub(super) textrel: bool,
}

pub(super) fn read_dynamic<Elf: FileHeader<Endian = Endianness>>(
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
