//! Evidence about a file's start-up code (#10): which toolchain built it and whether its runtime
//! captures the command line in an `.init_array` function, which glibc calls with
//! (argc, argv, envp) and musl calls with nothing. Advisory evidence read from section headers
//! (`.comment`, `.go.buildinfo`, `.symtab`); a stripped or damaged section table just means less
//! evidence, never an error.

use object::Endianness;
use object::elf;
use object::read::elf::{FileHeader, SectionHeader as _, Sym as _};
use serde::Serialize;

use super::reader::InspectError;
use super::work::Work;

/// Most `.comment` strings kept.
const MAX_COMMENTS: usize = 16;
/// Longest `.comment` string kept.
const MAX_COMMENT_LEN: usize = 256;
/// Most bytes of `.comment` read.
const MAX_COMMENT_BYTES: usize = 64 << 10;
/// Longest `.symtab` name compared with the markers (theirs are far shorter).
const MAX_MARKER_NAME: usize = 256;
/// Most marker symbols kept.
const MAX_MARKERS: usize = 8;

/// Go's build-info header (cmd/go/internal/version, debug/buildinfo): 14 bytes of magic, then the
/// pointer size and a flags byte; with flags bit 1 the version string follows inline at 32.
const GO_BUILDINFO_MAGIC: &[u8] = b"\xff Go buildinf:";

/// `.symtab` names that show start-up code reading `.init_array` arguments.
const MARKERS: &[&str] = &[
    // Rust std's `.init_array` entry that captures (argc, argv, envp) on glibc targets
    // (library/std/src/sys/.../args: `ARGV_INIT_ARRAY`), by module path across releases.
    "ARGV_INIT_ARRAY",
    // Go's `.init_array` entry of c-shared and c-archive builds (runtime/rt0_linux_*.s).
    "_rt0_amd64_linux_lib",
    "_rt0_arm64_linux_lib",
];

/// What the start-up code of a file is made of.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct Startup {
    /// `.comment` strings: `rustc version 1.77.0 (aedd173a2 2024-03-17)`, `GCC: (Debian 12.2.0-14) 12.2.0`.
    pub comments: Vec<String>,
    /// `.symtab` symbols that name start-up code reading `.init_array` arguments (demangled
    /// enough to read: the raw name is kept).
    pub markers: Vec<String>,
    /// The file carries Go build info (`.go.buildinfo`).
    pub go: bool,
    /// The Go version from the build info (`go1.22.1`), when recorded inline (Go 1.18+).
    pub go_version: Option<String>,
}

impl Startup {
    /// The Rust compiler version from `.comment` (`1.77.0`, `1.80.0-nightly`).
    pub fn rustc_version(&self) -> Option<&str> {
        self.comments.iter().find_map(|c| {
            let rest = c.strip_prefix("rustc version ")?;
            rest.split_whitespace().next()
        })
    }
}

/// Read the start-up evidence of a file with usable section headers.
pub(crate) fn read<Elf: FileHeader<Endian = Endianness>>(
    header: &Elf,
    endian: Endianness,
    data: &[u8],
    work: &Work,
) -> Result<Startup, InspectError> {
    let mut out = Startup::default();
    let Ok(sections) = header.sections(endian, data) else {
        return Ok(out);
    };
    for section in sections.iter() {
        work.tick()?;
        let Ok(name) = sections.section_name(endian, section) else {
            continue;
        };
        match name {
            b".comment" => {
                if let Ok(bytes) = section.data(endian, data) {
                    out.comments = comments(bytes);
                }
            }
            b".go.buildinfo" => {
                if let Ok(bytes) = section.data(endian, data) {
                    if bytes.starts_with(GO_BUILDINFO_MAGIC) {
                        out.go = true;
                        out.go_version = go_version(bytes);
                    }
                }
            }
            _ => {}
        }
    }
    out.markers = symtab_markers(&sections, endian, data, work)?;
    Ok(out)
}

fn comments(bytes: &[u8]) -> Vec<String> {
    let bytes = bytes.get(..MAX_COMMENT_BYTES).unwrap_or(bytes);
    let mut out: Vec<String> = Vec::new();
    for s in bytes.split(|&b| b == 0) {
        if s.is_empty() || s.len() > MAX_COMMENT_LEN {
            continue;
        }
        let s = String::from_utf8_lossy(s).into_owned();
        if !out.contains(&s) {
            out.push(s);
        }
        if out.len() >= MAX_COMMENTS {
            break;
        }
    }
    out
}

/// The inline version string of Go 1.18+ build info: a uvarint length at offset 32, then bytes.
fn go_version(bytes: &[u8]) -> Option<String> {
    let flags = *bytes.get(15)?;
    if flags & 2 == 0 {
        return None;
    }
    let mut len: usize = 0;
    let mut at = 32;
    for shift in (0..35).step_by(7) {
        let b = *bytes.get(at)?;
        at += 1;
        len |= usize::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            break;
        }
    }
    let v = bytes.get(at..at.checked_add(len)?)?;
    (v.starts_with(b"go") && v.len() < 64).then(|| String::from_utf8_lossy(v).into_owned())
}

fn symtab_markers<Elf: FileHeader<Endian = Endianness>>(
    sections: &object::read::elf::SectionTable<'_, Elf>,
    endian: Endianness,
    data: &[u8],
    work: &Work,
) -> Result<Vec<String>, InspectError> {
    let mut found = Vec::new();
    let Ok(symbols) = sections.symbols(endian, data, elf::SHT_SYMTAB) else {
        return Ok(found);
    };
    let Ok(strings) = sections
        .section(symbols.string_section())
        .and_then(|s| s.data(endian, data))
    else {
        return Ok(found);
    };
    for sym in symbols.iter() {
        work.tick()?;
        if sym.st_shndx(endian) == elf::SHN_UNDEF {
            continue;
        }
        let Some(tail) = strings.get(sym.st_name(endian) as usize..) else {
            continue;
        };
        let tail = tail.get(..MAX_MARKER_NAME).unwrap_or(tail);
        let name = tail.split(|&b| b == 0).next().unwrap_or_default();
        let hit = MARKERS
            .iter()
            .any(|m| name.windows(m.len()).any(|w| w == m.as_bytes()));
        if hit {
            let name = String::from_utf8_lossy(name).into_owned();
            if !found.contains(&name) {
                found.push(name);
            }
            if found.len() >= MAX_MARKERS {
                break;
            }
        }
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rustc_versions_come_from_comment_strings() {
        let s = Startup {
            comments: comments(
                b"\0GCC: (Debian 12.2.0-14) 12.2.0\0rustc version 1.77.0 (aedd173a2 2024-03-17)\0",
            ),
            ..Startup::default()
        };
        assert_eq!(s.rustc_version(), Some("1.77.0"));
        assert_eq!(Startup::default().rustc_version(), None);
    }

    #[test]
    fn go_versions_are_read_inline_and_bounded() {
        let mut b = GO_BUILDINFO_MAGIC.to_vec();
        b.extend([8u8, 2]);
        b.resize(32, 0);
        b.push(8);
        b.extend(b"go1.22.1");
        assert_eq!(go_version(&b).as_deref(), Some("go1.22.1"));
        b[32] = 0xff; // a length running off the end
        assert_eq!(go_version(&b), None);
        assert_eq!(go_version(&b[..20]), None);
    }
}
