//! Dynamic relocations (DT_RELA, DT_REL, DT_JMPREL): which symbols they name (musl looks up
//! only those, docs/loader.md §5), which are COPY relocations (imports in disguise), and how
//! many of each type there are. Which types musl accepts is the judge's business
//! (`judge::relocations`).

use std::collections::{BTreeMap, HashSet};

use object::Endianness;
use object::elf;
use object::read::elf::{FileHeader, Rel as _, Rela as _};

use super::dynamic::DynInfo;
use super::segments::Image;
use super::{InspectError, bad};
use crate::inspect::facts::Arch;
use crate::inspect::work::Work;

/// Most relocations we read per table (the rest are left, and said so).
const MAX_RELOCS: usize = 64 << 20;

/// What the relocation tables say.
#[derive(Default)]
pub(super) struct Relocs {
    /// Symbol indices some relocation names.
    pub(super) referenced: HashSet<u32>,
    /// The largest of them.
    pub(super) max_sym: Option<u32>,
    /// Symbol indices with a COPY relocation.
    pub(super) copy: HashSet<u32>,
    /// Relocation type → count.
    pub(super) types: BTreeMap<u32, u64>,
}

/// The COPY relocation type of the architecture's psABI.
fn is_copy(arch: Arch, r_type: u32) -> bool {
    matches!(
        (arch, r_type),
        (Arch::X86_64, elf::R_X86_64_COPY) | (Arch::Aarch64, elf::R_AARCH64_COPY)
    )
}

/// Read every dynamic relocation (DT_RELA, DT_REL, DT_JMPREL) the loader will process.
pub(super) fn read_relocs<Elf: FileHeader<Endian = Endianness>>(
    endian: Endianness,
    image: &Image<'_>,
    info: &DynInfo,
    arch: Arch,
    tolerated: &mut Vec<String>,
    work: &Work,
) -> Result<Relocs, InspectError> {
    let mut out = Relocs::default();
    let note = |r_type: u32, sym: u32, out: &mut Relocs| {
        if sym != 0 {
            out.referenced.insert(sym);
            out.max_sym = Some(out.max_sym.map_or(sym, |m| m.max(sym)));
        }
        if is_copy(arch, r_type) {
            out.copy.insert(sym);
        }
        *out.types.entry(r_type).or_default() += 1;
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
            tolerated.push(format!(
                "more than {MAX_RELOCS} relocations; the rest were not read"
            ));
        }
    }
    Ok(out)
}
