//! Evidence beyond the loader's view, for advisory heuristics only (#6): the GNU ABI note,
//! printable strings in read-only PT_LOAD segments, and `.symtab` of static binaries.
//!
//! None of this decides whether a file loads: the loader view (PT_DYNAMIC) stays the only source of
//! imports. Section headers are read here, and only here, because a static binary has no dynamic
//! symbols at all; a stripped or corrupt section table just means less evidence. Every scan is
//! bounded by the file's own bytes: ranges are merged before scanning (overlapping PT_LOADs are read
//! once) and the result lists are capped.

use object::Endianness;
use object::elf;
use object::read::elf::{FileHeader, SectionHeader as _, Sym as _};
use regex::bytes::Regex;
use serde::Serialize;
use std::sync::OnceLock;

use super::reader::InspectError;
use super::work::{Work, read_name};

/// Most library-name strings kept per file.
const MAX_LIBRARY_STRINGS: usize = 256;
/// Longest C string we consider (beyond this it is data, not a name or a message).
const MAX_STRING: usize = 4096;
/// Most `.symtab` names kept.
const MAX_SYMTAB: usize = 1 << 20;

/// A text marker that identifies a bundled runtime component.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Marker {
    /// glibc's own runtime messages or tunables (`GLIBC_TUNABLES`, `Fatal glibc error`): glibc is linked in.
    GlibcRuntime,
    /// `/etc/nsswitch.conf`: glibc's NSS machinery is linked in.
    NsswitchConf,
    /// jemalloc's message prefix `<jemalloc>`.
    Jemalloc,
    /// mimalloc's messages and environment (`mimalloc`).
    Mimalloc,
    /// tcmalloc's messages (`tcmalloc`).
    Tcmalloc,
    /// Rust std's `RUST_BACKTRACE` variable name: Rust's standard library is linked in (#10).
    RustStd,
}

impl Marker {
    /// The text that was found.
    pub fn text(self) -> &'static str {
        match self {
            Marker::GlibcRuntime => "GLIBC_TUNABLES",
            Marker::NsswitchConf => "/etc/nsswitch.conf",
            Marker::Jemalloc => "<jemalloc>",
            Marker::Mimalloc => "mimalloc",
            Marker::Tcmalloc => "tcmalloc",
            Marker::RustStd => "RUST_BACKTRACE",
        }
    }
}

const MARKERS: &[(&str, Marker)] = &[
    ("GLIBC_TUNABLES", Marker::GlibcRuntime),
    ("Fatal glibc error", Marker::GlibcRuntime),
    ("/etc/nsswitch.conf", Marker::NsswitchConf),
    ("<jemalloc>", Marker::Jemalloc),
    ("mimalloc", Marker::Mimalloc),
    ("tcmalloc", Marker::Tcmalloc),
    ("RUST_BACKTRACE", Marker::RustStd),
];

/// A string in read-only data that names a shared library (a dlopen candidate).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LibraryString {
    /// The library's file name, e.g. `libnss_files.so.2` (may hold `%s` when built at run time).
    pub name: String,
    /// The whole C string is the name or a path ending in it (as dlopen's argument would be),
    /// rather than a word inside a longer message.
    pub whole: bool,
}

/// Heuristic evidence read outside the loader's view.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Extra {
    /// PT_NOTE holds NT_GNU_ABI_TAG ("GNU"): glibc's csu/crt1.o put it there; musl's crt does not.
    pub gnu_abi_tag: bool,
    /// Library names found as strings in read-only PT_LOAD segments.
    pub library_strings: Vec<LibraryString>,
    /// Markers found in read-only PT_LOAD segments, sorted.
    pub markers: Vec<Marker>,
    /// Names defined in `.symtab` (functions and objects), sorted; read for static files only.
    pub symtab: Vec<String>,
    /// True when a `.symtab` was found and read.
    pub symtab_read: bool,
    /// Start-up code evidence of glibc-built dynamic files (#10).
    pub startup: super::Startup,
}

impl Extra {
    /// True if `.symtab` defines `name`.
    pub fn defines(&self, name: &str) -> bool {
        self.symtab
            .binary_search_by(|s| s.as_str().cmp(name))
            .is_ok()
    }
    /// True if the marker was found.
    pub fn has(&self, m: Marker) -> bool {
        self.markers.contains(&m)
    }
}

/// True if a PT_NOTE segment's bytes hold the GNU ABI tag note.
pub(crate) fn has_abi_tag(endian: Endianness, mut notes: &[u8]) -> bool {
    // Elf_Nhdr: namesz, descsz, type (4 bytes each), then name and desc, each padded to 4.
    let word = |b: &[u8], at: usize| -> Option<u32> {
        let a: [u8; 4] = b.get(at..at + 4)?.try_into().ok()?;
        Some(match endian {
            Endianness::Little => u32::from_le_bytes(a),
            Endianness::Big => u32::from_be_bytes(a),
        })
    };
    let pad = |n: usize| n.checked_add(3).map(|x| x & !3);
    for _ in 0..64 {
        let (Some(namesz), Some(descsz), Some(ty)) =
            (word(notes, 0), word(notes, 4), word(notes, 8))
        else {
            return false;
        };
        let (namesz, descsz) = (namesz as usize, descsz as usize);
        let name = notes.get(12..12 + namesz.min(notes.len()));
        if ty == elf::NT_GNU_ABI_TAG && name == Some(b"GNU\0".as_slice()) {
            return true;
        }
        let Some(next) = pad(namesz)
            .and_then(|n| pad(descsz).and_then(|d| n.checked_add(d)))
            .and_then(|x| x.checked_add(12))
        else {
            return false;
        };
        match notes.get(next..) {
            Some(rest) if !rest.is_empty() => notes = rest,
            _ => return false,
        }
    }
    false
}

// The patterns are constants (checked by the tests); `None` would only mean less evidence.
fn library_regex() -> Option<&'static Regex> {
    static RE: OnceLock<Option<Regex>> = OnceLock::new();
    RE.get_or_init(|| {
        // lib<name>.so, optionally followed by version parts (.2, .1.1, %d for built names).
        Regex::new(r"lib[A-Za-z0-9_+%-][A-Za-z0-9_+%.-]*?\.so(?:\.[0-9%][0-9A-Za-z%]*)*").ok()
    })
    .as_ref()
}

fn marker_regex() -> Option<&'static Regex> {
    static RE: OnceLock<Option<Regex>> = OnceLock::new();
    RE.get_or_init(|| {
        let alts: Vec<String> = MARKERS.iter().map(|(t, _)| regex::escape(t)).collect();
        Regex::new(&alts.join("|")).ok()
    })
    .as_ref()
}

/// Merge `(offset, len)` file ranges so that each byte is scanned once.
fn merge(mut ranges: Vec<(usize, usize)>) -> Vec<(usize, usize)> {
    ranges.sort_unstable();
    let mut out: Vec<(usize, usize)> = Vec::new();
    for (start, end) in ranges {
        match out.last_mut() {
            Some(last) if start <= last.1 => last.1 = last.1.max(end),
            _ => out.push((start, end)),
        }
    }
    out
}

fn printable(b: u8) -> bool {
    (0x20..0x7f).contains(&b) || b == b'\t'
}

/// Scan read-only file ranges for library names and markers.
pub(crate) fn scan_strings(
    data: &[u8],
    ranges: Vec<(u64, u64)>,
    extra: &mut Extra,
    work: &Work,
) -> Result<(), InspectError> {
    let ranges: Vec<(usize, usize)> = ranges
        .into_iter()
        .filter_map(|(off, len)| {
            let start = usize::try_from(off).ok()?.min(data.len());
            let end = usize::try_from(off.checked_add(len)?).ok()?.min(data.len());
            (start < end).then_some((start, end))
        })
        .collect();
    let mut markers = std::collections::BTreeSet::new();
    let mut libs: Vec<LibraryString> = Vec::new();
    let (Some(marker_re), Some(library_re)) = (marker_regex(), library_regex()) else {
        return Ok(());
    };
    for (start, end) in merge(ranges) {
        // Each regex pass is linear in the range; the clock is read between ranges.
        work.check()?;
        let Some(bytes) = data.get(start..end) else {
            continue;
        };
        for m in marker_re.find_iter(bytes) {
            work.tick()?;
            if let Some((_, marker)) = MARKERS.iter().find(|(t, _)| t.as_bytes() == m.as_bytes()) {
                markers.insert(*marker);
            }
        }
        for m in library_re.find_iter(bytes) {
            work.tick()?;
            if libs.len() >= MAX_LIBRARY_STRINGS {
                break;
            }
            let name = String::from_utf8_lossy(m.as_bytes()).into_owned();
            let whole = is_whole_string(bytes, m.start(), m.end());
            match libs.iter_mut().find(|l| l.name == name) {
                Some(l) => l.whole |= whole,
                None => libs.push(LibraryString { name, whole }),
            }
        }
    }
    extra.markers = markers.into_iter().collect();
    extra.library_strings = libs;
    Ok(())
}

/// True if `bytes[start..end]` is a whole NUL-terminated string, or the file-name part of a path
/// that is (`/usr/lib/libfoo.so.1`), the way a dlopen argument is stored.
fn is_whole_string(bytes: &[u8], start: usize, end: usize) -> bool {
    if bytes.get(end).is_some_and(|&b| b != 0) {
        return false;
    }
    let lower = start.saturating_sub(MAX_STRING);
    let mut s = start;
    while s > lower && bytes.get(s - 1).is_some_and(|&b| printable(b)) {
        s -= 1;
    }
    let prefix = bytes.get(s..start).unwrap_or_default();
    if prefix.is_empty() {
        return bytes.get(s.wrapping_sub(1)).is_none_or(|&b| b == 0);
    }
    // A path: starts with '/' or '$ORIGIN', has no spaces, and ends with '/' right before the name.
    (prefix.starts_with(b"/") || prefix.starts_with(b"$ORIGIN"))
        && prefix.ends_with(b"/")
        && !prefix.contains(&b' ')
}

/// Defined function and object names of `.symtab`, if the file has one.
///
/// Names are read from the linked string section with the file's name budget (object's own
/// lookup scans to the end of the table for every name: quadratic on a hostile file).
pub(crate) fn read_symtab<Elf: FileHeader<Endian = Endianness>>(
    header: &Elf,
    endian: Endianness,
    data: &[u8],
    extra: &mut Extra,
    warnings: &mut Vec<String>,
    work: &Work,
) -> Result<(), InspectError> {
    let sections = match header.sections(endian, data) {
        Ok(s) => s,
        Err(e) => {
            warnings.push(format!(
                "section headers unreadable ({e}); .symtab not used"
            ));
            return Ok(());
        }
    };
    if !sections
        .iter()
        .any(|s| s.sh_type(endian) == elf::SHT_SYMTAB)
    {
        return Ok(());
    }
    let symbols = match sections.symbols(endian, data, elf::SHT_SYMTAB) {
        Ok(s) => s,
        Err(e) => {
            warnings.push(format!(".symtab unreadable ({e}); not used"));
            return Ok(());
        }
    };
    let strings = match sections
        .section(symbols.string_section())
        .and_then(|s| s.data(endian, data))
    {
        Ok(s) => s,
        Err(e) => {
            warnings.push(format!(".symtab string table unreadable ({e}); not used"));
            return Ok(());
        }
    };
    let mut names = Vec::new();
    for sym in symbols.iter().take(MAX_SYMTAB) {
        work.tick()?;
        let defined = sym.st_shndx(endian) != elf::SHN_UNDEF;
        let kind = matches!(
            sym.st_type(),
            elf::STT_FUNC | elf::STT_OBJECT | elf::STT_GNU_IFUNC
        );
        if !defined || !kind {
            continue;
        }
        match read_name(work, strings, sym.st_name(endian) as usize) {
            Ok(Some(name)) if !name.is_empty() => names.push(name),
            Ok(_) => {}
            Err(e) => {
                // Advisory evidence only: keep what was read, say why the rest is missing.
                warnings.push(format!(".symtab names: {e}; the rest were not read"));
                break;
            }
        }
    }
    names.sort_unstable();
    names.dedup();
    extra.symtab = names;
    extra.symtab_read = true;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scan(bytes: &[u8]) -> Extra {
        let mut e = Extra::default();
        let work = Work::new(bytes.len(), None);
        scan_strings(bytes, vec![(0, bytes.len() as u64)], &mut e, &work).unwrap();
        e
    }

    #[test]
    fn library_names_whole_paths_and_messages() {
        let e = scan(
            b"\0libnss_files.so.2\0/usr/lib/libcuda.so.1\0cannot open libfoo.so: error\0libnss_%s.so%s\0",
        );
        let get = |n: &str| e.library_strings.iter().find(|l| l.name == n).cloned();
        assert!(get("libnss_files.so.2").unwrap().whole);
        assert!(get("libcuda.so.1").unwrap().whole);
        assert!(!get("libfoo.so").unwrap().whole);
        assert!(get("libnss_%s.so").is_some());
    }

    #[test]
    fn markers_found_once_and_sorted() {
        let e = scan(b"x<jemalloc>: y\0/etc/nsswitch.conf\0<jemalloc>\0GLIBC_TUNABLES\0");
        assert_eq!(
            e.markers,
            vec![Marker::GlibcRuntime, Marker::NsswitchConf, Marker::Jemalloc]
        );
        assert!(scan(b"nothing here\0").markers.is_empty());
    }

    #[test]
    fn overlapping_and_hostile_ranges_are_bounded() {
        let data = b"\0libz.so.1\0".repeat(3);
        let mut e = Extra::default();
        let ranges = vec![(0, 1 << 40), (u64::MAX, 5), (5, 10), (0, 33)];
        scan_strings(&data, ranges, &mut e, &Work::new(0, None)).unwrap();
        assert_eq!(e.library_strings.len(), 1);
        assert_eq!(
            merge(vec![(0, 5), (3, 9), (20, 30)]),
            vec![(0, 9), (20, 30)]
        );
    }

    #[test]
    fn abi_tag_note_is_recognised_and_truncation_is_safe() {
        let mut note = Vec::new();
        for w in [4u32, 16, elf::NT_GNU_BUILD_ID] {
            note.extend_from_slice(&w.to_le_bytes());
        }
        note.extend_from_slice(b"GNU\0");
        note.extend_from_slice(&[0; 16]);
        assert!(!has_abi_tag(Endianness::Little, &note));
        for w in [4u32, 16, elf::NT_GNU_ABI_TAG] {
            note.extend_from_slice(&w.to_le_bytes());
        }
        note.extend_from_slice(b"GNU\0");
        note.extend_from_slice(&[0; 16]);
        assert!(has_abi_tag(Endianness::Little, &note));
        for cut in 0..note.len() {
            let _ = has_abi_tag(Endianness::Little, &note[..cut]);
        }
        let huge = [0xffu8; 24];
        assert!(!has_abi_tag(Endianness::Little, &huge));
    }
}
