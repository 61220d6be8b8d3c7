//! Symbol versions: DT_VERNEED (what a file asks of each library) and DT_VERDEF (what it
//! defines). musl reads neither (docs/loader.md §3); the judge uses them as evidence of how a
//! file was built and to name what an import asks for.

use std::collections::BTreeMap;

use object::Endianness;
use object::elf;

use super::dynamic::{DynInfo, Strings};
use super::segments::Image;
use super::symbols::pod_at;
use super::{InspectError, MAX_VERSION_ENTRIES};

/// Version index → (library, version name), from DT_VERNEED.
///
/// Chains only move forward (`vn_next`/`vna_next` are unsigned offsets), so they cannot loop;
/// every step is still counted and capped, and each name is charged to the file's budget.
pub(super) fn read_verneed(
    endian: Endianness,
    image: &Image<'_>,
    info: &DynInfo,
    strtab: &Strings<'_>,
    version_needs: &mut Vec<(String, Vec<String>)>,
    tolerated: &mut Vec<String>,
) -> Result<BTreeMap<u16, (String, String)>, InspectError> {
    let mut out = BTreeMap::new();
    let Some((bytes, count)) = table(
        image,
        info.verneed,
        info.verneednum,
        "DT_VERNEED",
        tolerated,
    ) else {
        return Ok(out);
    };
    let mut off = 0usize;
    let mut steps = 0usize;
    for _ in 0..count {
        strtab.work.tick()?;
        let Some(vn) = pod_at::<elf::Verneed<Endianness>>(bytes, off) else {
            tolerated.push("DT_VERNEED entry outside the file".into());
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
                tolerated.push("DT_VERNEED has too many entries; the rest were not read".into());
                break;
            }
            let Some(a) = aux.and_then(|a| pod_at::<elf::Vernaux<Endianness>>(bytes, a)) else {
                tolerated.push("DT_VERNEED auxiliary entry outside the file".into());
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
            let step = a.vna_next.get(endian);
            if step == 0 {
                break;
            }
            aux = aux.and_then(|x| next(x, step));
        }
        version_needs.push((file, versions));
        match next(off, vn.vn_next.get(endian)) {
            Some(n) => off = n,
            None => break,
        }
    }
    Ok(out)
}

/// Version index → version name, from DT_VERDEF (the first Verdaux names the version).
pub(super) fn read_verdef(
    endian: Endianness,
    image: &Image<'_>,
    info: &DynInfo,
    strtab: &Strings<'_>,
    tolerated: &mut Vec<String>,
) -> Result<BTreeMap<u16, String>, InspectError> {
    let mut out = BTreeMap::new();
    let Some((bytes, count)) = table(image, info.verdef, info.verdefnum, "DT_VERDEF", tolerated)
    else {
        return Ok(out);
    };
    let mut off = 0usize;
    for _ in 0..count {
        strtab.work.tick()?;
        let Some(vd) = pod_at::<elf::Verdef<Endianness>>(bytes, off) else {
            tolerated.push("DT_VERDEF entry outside the file".into());
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
        match next(off, vd.vd_next.get(endian)) {
            Some(n) => off = n,
            None => break,
        }
    }
    Ok(out)
}

/// A version table's bytes (from `addr` to the end of its segment) and its DT_*NUM entry count;
/// `None` when the file has none, or when it lies outside every loaded segment (tolerated).
fn table<'a>(
    image: &Image<'a>,
    addr: Option<u64>,
    num: Option<u64>,
    tag: &str,
    tolerated: &mut Vec<String>,
) -> Option<(&'a [u8], usize)> {
    let bytes = image.at(addr?);
    if bytes.is_none() {
        tolerated.push(format!("{tag} is not in a loaded segment"));
    }
    let count = usize::try_from(num.unwrap_or(0)).unwrap_or(usize::MAX);
    Some((bytes?, count.min(MAX_VERSION_ENTRIES)))
}

/// The offset of the next entry of a chain (`vn_next`, `vd_next`: relative, 0 ends it).
fn next(off: usize, next: u32) -> Option<usize> {
    match next {
        0 => None,
        n => off.checked_add(n as usize),
    }
}
