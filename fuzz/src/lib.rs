//! Shared harness of muslcheck's fuzz targets (see fuzz/README.md).
//!
//! Every target ends in [`scan_bytes`]: the input is read by `muslcheck::input::visit_bytes`
//! (the readers `muslcheck scan` uses, fed from memory), every ELF member is inspected and judged,
//! and invariants that hold for any input are asserted. A panic, an abort, an allocation over
//! libFuzzer's `-malloc_limit_mb` or an input slower than `-timeout` is a finding.
//!
//! Formats with checksums or compression would waste most mutations, so some targets build their
//! input from the fuzz bytes first (the seed writer in tests/hostile.rs uses the same encoding):
//!
//! * [`fix_tar`] rewrites each tar header checksum, following the header chain;
//! * [`segments`] splits bytes into parts, each prefixed by a little-endian `u16` length;
//! * [`compress`] applies gzip, xz, zstd or bzip2, chosen by a byte.

use std::collections::HashSet;
use std::io::Write;
use std::sync::OnceLock;

use muslcheck::db::Db;
use muslcheck::input::{self, Data, Item, Limits, Options, Units};
use muslcheck::judge::Target;

/// The name every fuzz input is scanned under.
pub const NAME: &str = "fuzz.input";

/// Small limits: each execution stays fast and any allocation beyond them is a bug.
pub fn limits() -> Limits {
    Limits {
        max_depth: 3,
        max_file_bytes: 1 << 20,
        max_artifact_bytes: 16 << 20,
        max_in_flight_bytes: 64 << 20,
        // No deadline: libFuzzer's -timeout finds slow inputs, which a deadline would hide.
        timeout: None,
    }
}

/// The embedded database and the default target, built once.
pub fn db_target() -> (&'static Db, &'static Target) {
    static TARGET: OnceLock<Target> = OnceLock::new();
    let db = Db::get().expect("embedded db");
    let target = TARGET.get_or_init(|| Target::resolve(db, None, None, None).expect("target"));
    (db, target)
}

/// Inspect and judge bytes as one ELF file, and check the record.
pub fn analyse(name: &str, data: &[u8]) {
    let (db, target) = db_target();
    let record = muslcheck::analyse(name, NAME, data, db, target);
    assert_eq!(record.path, name);
    assert_eq!(record.size, Some(data.len() as u64));
}

fn in_input(name: &str) -> bool {
    name == NAME || name.starts_with(&format!("{NAME}!/"))
}

/// A normalised absolute path inside a unit: no `.`, `..` or empty components.
fn normalised(path: &str) -> bool {
    path == "/"
        || (path.starts_with('/')
            && path
                .get(1..)
                .unwrap_or_default()
                .split('/')
                .all(|c| !c.is_empty() && c != "." && c != ".."))
}

/// Read `data` as `muslcheck scan` reads an input, analyse its ELF files, check invariants.
pub fn scan_bytes(data: &[u8]) {
    let limits = limits();
    let max_file = limits.max_file_bytes;
    let opts = Options {
        limits,
        ..Options::default()
    };
    let units = Units::default();
    let mut seen_units = HashSet::new();
    let mut sink = |item: Item| match item {
        Item::Unit { id, name } => {
            assert!(seen_units.insert(id), "unit id {id} handed out twice");
            assert!(in_input(&name), "unit name {name:?} escapes the input");
        }
        Item::Elf(src) => {
            assert!(in_input(&src.name), "{:?}", src.name);
            assert_eq!(src.artifact, NAME);
            assert!(seen_units.contains(&src.unit), "ELF in an unannounced unit");
            assert!(normalised(&src.unit_path), "{:?}", src.unit_path);
            let Data::Bytes(bytes) = &src.data else {
                panic!("an in-memory input produced a path");
            };
            assert!(bytes.len() as u64 <= max_file, "member over --max-file-size");
            analyse(&src.name, bytes);
        }
        Item::Link { unit, path, target } => {
            assert!(seen_units.contains(&unit));
            assert!(normalised(&path), "{path:?}");
            assert!(normalised(&target), "{target:?}");
        }
        Item::Other { name, .. } | Item::Problem { name, .. } => {
            assert!(in_input(&name), "{name:?}");
        }
        Item::Meta {
            unit, path, data, ..
        } => {
            assert!(seen_units.contains(&unit));
            assert!(normalised(&path), "{path:?}");
            assert!(data.len() as u64 <= muslcheck::inspect::owners::MAX_METADATA_BYTES);
        }
        Item::Archive { .. } => panic!("an in-memory input announced an archive file"),
        Item::Subtree(_) => panic!("an in-memory input announced a directory"),
    };
    input::visit_bytes(data, NAME, &opts, &units, &mut sink);
}

/// Rewrite the checksum of every tar header, following sizes from one header to the next (as
/// far as they can be parsed), so that mutations reach the reader instead of its checksum test.
pub fn fix_tar(buf: &mut [u8]) {
    let mut pos = 0usize;
    while let Some(header) = buf.get_mut(pos..pos + 512) {
        if header.iter().all(|&b| b == 0) {
            pos += 512;
            continue;
        }
        header[148..156].fill(b' ');
        let sum: u32 = header.iter().map(|&b| u32::from(b)).sum();
        let field = format!("{sum:06o}\0 ");
        header[148..156].copy_from_slice(field.as_bytes());
        let Some(size) = tar_size(&header[124..136]) else {
            return;
        };
        let Some(next) = size
            .checked_add(511)
            .map(|s| s / 512 * 512)
            .and_then(|s| s.checked_add(512))
            .and_then(|s| usize::try_from(s).ok())
            .and_then(|s| pos.checked_add(s))
        else {
            return;
        };
        pos = next;
    }
}

fn tar_size(field: &[u8]) -> Option<u64> {
    if field.first().is_some_and(|b| b & 0x80 != 0) {
        // GNU base-256: big-endian, high bit set on the first byte.
        let mut v: u64 = u64::from(field[0] & 0x7f);
        for &b in &field[1..] {
            v = v.checked_mul(256)?.checked_add(u64::from(b))?;
        }
        return Some(v);
    }
    let text: String = field
        .iter()
        .take_while(|&&b| b != 0 && b != b' ')
        .map(|&b| b as char)
        .collect();
    u64::from_str_radix(text.trim(), 8).ok()
}

/// Split `data` into parts, each a little-endian `u16` length then that many bytes (the last
/// part takes what is left when the length runs past the end).
pub fn segments(mut data: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    while data.len() >= 2 {
        let len = usize::from(u16::from_le_bytes([data[0], data[1]]));
        let rest = &data[2..];
        let (part, tail) = rest.split_at(len.min(rest.len()));
        out.push(part);
        data = tail;
    }
    out
}

/// The inverse of [`segments`], for seed writers.
pub fn join_segments(parts: &[&[u8]]) -> Vec<u8> {
    let mut out = Vec::new();
    for p in parts {
        let len = u16::try_from(p.len()).expect("segment under 64 KiB");
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(p);
    }
    out
}

/// A gzip member holding `data` in stored (uncompressed) deflate blocks: what the readers see
/// is a real gzip stream, and building it costs no compressor state (under ASan, a deflate
/// encoder's tables made each execution ten times slower). Mutated compressed blocks reach the
/// decoders through the seeds, which are really compressed.
pub fn gzip_stored(data: &[u8]) -> Vec<u8> {
    let mut out = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];
    let mut chunks = data.chunks(0xffff).peekable();
    if chunks.peek().is_none() {
        out.extend_from_slice(&[1, 0, 0, 0xff, 0xff]);
    }
    while let Some(chunk) = chunks.next() {
        let last = u8::from(chunks.peek().is_none());
        let len = chunk.len() as u16;
        out.push(last);
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&(!len).to_le_bytes());
        out.extend_from_slice(chunk);
    }
    let mut crc = flate2::Crc::new();
    crc.update(data);
    out.extend_from_slice(&crc.sum().to_le_bytes());
    out.extend_from_slice(&(data.len() as u32).to_le_bytes());
    out
}

/// Compress with the method chosen by `how % 5`: gzip (stored blocks), xz, zstd, bzip2, or
/// none.
pub fn compress(how: u8, data: &[u8]) -> Vec<u8> {
    match how % 5 {
        0 => gzip_stored(data),
        1 => {
            let mut e = liblzma::write::XzEncoder::new(Vec::new(), 0);
            e.write_all(data).expect("xz");
            e.finish().expect("xz")
        }
        2 => zstd::encode_all(data, 1).expect("zstd"),
        3 => {
            let mut e = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::fast());
            e.write_all(data).expect("bzip2");
            e.finish().expect("bzip2")
        }
        _ => data.to_vec(),
    }
}

/// Append one tar member (valid header) to `out`.
pub fn tar_member(out: &mut Vec<u8>, path: &str, data: &[u8]) {
    let mut b = tar::Builder::new(Vec::new());
    let mut h = tar::Header::new_gnu();
    h.set_size(data.len() as u64);
    h.set_mode(0o644);
    h.set_entry_type(tar::EntryType::Regular);
    b.append_data(&mut h, path, data).expect("tar member");
    out.extend_from_slice(b.get_ref());
}

/// End a tar stream (two zero blocks).
pub fn tar_end(out: &mut Vec<u8>) {
    out.extend_from_slice(&[0u8; 1024]);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_gzip_decodes() {
        use std::io::Read;
        for n in [0usize, 1, 65535, 65536, 200_000] {
            let data: Vec<u8> = (0..n).map(|i| i as u8).collect();
            let mut out = Vec::new();
            flate2::read::GzDecoder::new(gzip_stored(&data).as_slice())
                .read_to_end(&mut out)
                .unwrap();
            assert_eq!(out, data);
        }
    }

    #[test]
    fn segments_round_trip() {
        let parts: [&[u8]; 3] = [b"one", b"", b"three"];
        assert_eq!(segments(&join_segments(&parts)), parts.to_vec());
    }

    #[test]
    fn fix_tar_repairs_checksums() {
        let mut t = Vec::new();
        tar_member(&mut t, "a", b"hello");
        tar_member(&mut t, "b", b"world");
        tar_end(&mut t);
        let names = |t: &[u8]| -> Result<Vec<String>, std::io::Error> {
            let mut a = tar::Archive::new(t);
            a.entries()?
                .map(|e| Ok(e?.path()?.display().to_string()))
                .collect()
        };
        t[148] = b'7';
        t[512 + 512 + 148] = b'7';
        assert!(names(&t).is_err(), "checksums broken");
        fix_tar(&mut t);
        assert_eq!(names(&t).unwrap(), ["a", "b"]);
    }
}
