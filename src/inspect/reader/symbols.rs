//! The dynamic symbol table: DT_SYMTAB read through DT_STRTAB, sized the way the loader sizes it
//! (DT_HASH's nchain, or the end of DT_GNU_HASH's last chain, or the largest index a relocation
//! names), and turned into imports and exports with their versions.

use object::elf;
use object::read::elf::{FileHeader, Sym as _};
use object::{Endianness, Pod};

use super::dynamic::{DynInfo, Strings};
use super::relocations::read_relocs;
use super::segments::Image;
use super::versions::{read_verdef, read_verneed};
use super::{InspectError, MAX_SYMBOLS, bad};
use crate::inspect::facts::*;
use crate::inspect::work::Work;

/// Symbols, versions and relocations: everything reached through DT_STRTAB and DT_SYMTAB.
pub(super) fn read_linking<Elf: FileHeader<Endian = Endianness>>(
    endian: Endianness,
    image: &Image<'_>,
    info: &DynInfo,
    facts: &mut Facts,
    tolerated: &mut Vec<String>,
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

    let relocs = read_relocs::<Elf>(endian, image, info, facts.arch, tolerated, work)?;
    // The loader never knows the symbol count either: it follows the hash table, and
    // relocations name indices directly. Take the largest index either can reach.
    let mut nsyms = symbol_count::<Elf>(endian, image, info, tolerated, work)?;
    nsyms = nsyms.max(relocs.max_sym.map_or(0, |m| m as usize + 1));
    let available = sym_bytes.len() / sym_size;
    if nsyms > available {
        tolerated.push(format!(
            "symbol table claims {nsyms} entries but only {available} are in the file"
        ));
        nsyms = available;
    }
    let nsyms = nsyms.min(MAX_SYMBOLS);
    let (syms, _) = object::pod::slice_from_bytes::<Elf::Sym>(sym_bytes, nsyms)
        .map_err(|_| bad("DT_SYMTAB truncated"))?;

    let versym: Option<&[u8]> = info.versym.and_then(|a| image.at(a));
    if info.versym.is_some() && versym.is_none() {
        tolerated.push("DT_VERSYM is not in a loaded segment; versions unknown".into());
    }
    let needs = read_verneed(
        endian,
        image,
        info,
        &strtab,
        &mut facts.version_needs,
        tolerated,
    )?;
    let defs = read_verdef(endian, image, info, &strtab, tolerated)?;

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
    facts.relocations = relocs
        .types
        .into_iter()
        .map(|(r_type, count)| RelocCount { r_type, count })
        .collect();
    Ok(())
}

pub(super) fn read_u16(endian: Endianness, b: &[u8], at: usize) -> Option<u16> {
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
    tolerated: &mut Vec<String>,
    work: &Work,
) -> Result<usize, InspectError> {
    if let Some(h) = info.hash.and_then(|a| image.at(a)) {
        if let Some(nchain) = read_u32(endian, h, 4) {
            return Ok(nchain as usize);
        }
    }
    let Some(g) = info.gnu_hash.and_then(|a| image.at(a)) else {
        if info.hash.is_some() || info.gnu_hash.is_some() {
            tolerated.push("hash table is not in a loaded segment".into());
        }
        return Ok(0);
    };
    let (Some(nbuckets), Some(symoffset), Some(bloom_size)) = (
        read_u32(endian, g, 0),
        read_u32(endian, g, 4),
        read_u32(endian, g, 8),
    ) else {
        tolerated.push("DT_GNU_HASH truncated".into());
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
                tolerated.push("DT_GNU_HASH buckets truncated".into());
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
            tolerated.push("DT_GNU_HASH chain runs past the file".into());
            return Ok(idx);
        };
        if h & 1 == 1 || idx >= MAX_SYMBOLS {
            return Ok(idx + 1);
        }
        idx += 1;
    }
}

pub(super) fn pod_at<T: Pod>(bytes: &[u8], off: usize) -> Option<&T> {
    object::pod::from_bytes::<T>(bytes.get(off..)?)
        .ok()
        .map(|(t, _)| t)
}
