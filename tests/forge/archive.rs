//! Archive builders that take names and sizes as they are given (no checks: `../x`, `/x` and
//! lying sizes too).

use std::io::Write;

/// A tar member.
pub enum Member {
    File(String, Vec<u8>),
    Link(String, String),
}

pub fn file(path: &str, data: Vec<u8>) -> Member {
    Member::File(path.to_string(), data)
}

pub fn link(path: &str, target: &str) -> Member {
    Member::Link(path.to_string(), target.to_string())
}

/// A tar stream whose member names are taken as they are (no checks: `../x` and `/x` too).
pub fn tar(members: &[Member], end: bool) -> Vec<u8> {
    let mut out = Vec::new();
    for m in members {
        let (path, kind, data, target): (&str, u8, &[u8], &str) = match m {
            Member::File(p, d) => (p, b'0', d, ""),
            Member::Link(p, t) => (p, b'2', &[], t),
        };
        out.extend(tar_header(path, kind, data.len() as u64, target));
        out.extend_from_slice(data);
        out.resize(out.len().div_ceil(512) * 512, 0);
    }
    if end {
        out.extend_from_slice(&[0u8; 1024]);
    }
    out
}

/// One ustar header, checksummed; `path` and `target` are cut at 100 bytes.
pub fn tar_header(path: &str, kind: u8, size: u64, target: &str) -> Vec<u8> {
    let mut h = vec![0u8; 512];
    let name = path.as_bytes();
    h[..name.len().min(100)].copy_from_slice(&name[..name.len().min(100)]);
    h[100..108].copy_from_slice(b"0000755\0");
    h[108..116].copy_from_slice(b"0000000\0");
    h[116..124].copy_from_slice(b"0000000\0");
    if size < 0o77777777777 {
        h[124..136].copy_from_slice(format!("{size:011o}\0").as_bytes());
    } else {
        // GNU base-256 for sizes past 8 GiB.
        h[124] = 0x80;
        h[128..136].copy_from_slice(&size.to_be_bytes());
    }
    h[136..148].copy_from_slice(b"00000000000\0");
    h[156] = kind;
    let t = target.as_bytes();
    h[157..157 + t.len().min(100)].copy_from_slice(&t[..t.len().min(100)]);
    h[257..263].copy_from_slice(b"ustar\0");
    h[263..265].copy_from_slice(b"00");
    h[148..156].fill(b' ');
    let sum: u32 = h.iter().map(|&b| u32::from(b)).sum();
    h[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
    h
}

pub fn gz(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

pub fn xz(data: &[u8]) -> Vec<u8> {
    let mut e = liblzma::write::XzEncoder::new(Vec::new(), 0);
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

pub fn zst(data: &[u8]) -> Vec<u8> {
    zstd::encode_all(data, 1).unwrap()
}

pub fn bz2(data: &[u8]) -> Vec<u8> {
    let mut e = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::fast());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

/// A compressor.
pub type Compress = fn(&[u8]) -> Vec<u8>;

/// The compressors, by name.
pub fn compressors() -> Vec<(&'static str, Compress)> {
    vec![("gz", gz), ("xz", xz), ("zst", zst), ("bz2", bz2)]
}

/// A zip archive with deflated (or stored) members, names taken as they are.
pub fn zip(members: &[(&str, Vec<u8>)]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (path, data) in members {
        w.start_file(*path, opts).unwrap();
        w.write_all(data).unwrap();
    }
    w.finish().unwrap().into_inner()
}

/// A Unix ar archive (a .deb when the first member is `debian-binary`).
pub fn ar(members: &[(&str, Vec<u8>)]) -> Vec<u8> {
    let mut out = b"!<arch>\n".to_vec();
    for (name, data) in members {
        out.extend(ar_header(name, data.len() as u64));
        out.extend_from_slice(data);
        if data.len() % 2 == 1 {
            out.push(b'\n');
        }
    }
    out
}

pub fn ar_header(name: &str, size: u64) -> Vec<u8> {
    format!(
        "{:<16}{:<12}{:<6}{:<6}{:<8}{:<10}`\n",
        format!("{name}/"),
        0,
        0,
        0,
        100644,
        size
    )
    .into_bytes()
}

/// A .deb holding `data` as its data tarball (`data.tar.gz`).
pub fn deb(data_tar_gz: Vec<u8>) -> Vec<u8> {
    ar(&[
        ("debian-binary", b"2.0\n".to_vec()),
        (
            "control.tar.gz",
            gz(&tar(&[file("./control", b"Package: x\n".to_vec())], true)),
        ),
        ("data.tar.gz", data_tar_gz),
    ])
}

/// A cpio "newc" archive; `size_override` lies about each member's size.
pub fn cpio(members: &[(&str, Vec<u8>)], size_override: Option<u64>) -> Vec<u8> {
    let mut out = Vec::new();
    let mut put_member = |name: &str, mode: u32, data: &[u8]| {
        let namesize = name.len() + 1;
        let size = size_override.unwrap_or(data.len() as u64).min(0xffff_ffff);
        let h = format!(
            "070701{:08x}{mode:08x}{:08x}{:08x}{:08x}{:08x}{size:08x}{:08x}{:08x}{:08x}{:08x}{namesize:08x}{:08x}",
            1, 0, 0, 1, 0, 0, 0, 0, 0, 0
        );
        out.extend_from_slice(h.as_bytes());
        out.extend_from_slice(name.as_bytes());
        out.push(0);
        while out.len() % 4 != 0 {
            out.push(0);
        }
        out.extend_from_slice(data);
        while out.len() % 4 != 0 {
            out.push(0);
        }
    };
    for (name, data) in members {
        put_member(name, 0o100755, data);
    }
    put_member("TRAILER!!!", 0, &[]);
    out
}

/// An RPM: lead, signature header, header (with `store` bytes each), then the payload.
pub fn rpm(payload: &[u8], nindex: u32, store: u32) -> Vec<u8> {
    let mut out = vec![0u8; 96];
    out[..4].copy_from_slice(&[0xed, 0xab, 0xee, 0xdb]);
    let header = |n: u32, size: u32| {
        let mut h = vec![0x8e, 0xad, 0xe8, 0x01, 0, 0, 0, 0];
        h.extend_from_slice(&n.to_be_bytes());
        h.extend_from_slice(&size.to_be_bytes());
        let body = (n as usize * 16 + size as usize).min(4096);
        h.extend(std::iter::repeat_n(0u8, body));
        h
    };
    out.extend(header(nindex, store));
    while out.len() % 8 != 0 {
        out.push(0);
    }
    out.extend(header(1, 3));
    out.extend_from_slice(payload);
    out
}

/// An Alpine .apk: gzip'd tar segments without end blocks, then the data tarball.
pub fn apk(members: &[Member]) -> Vec<u8> {
    let mut out = gz(&tar(&[file(".PKGINFO", b"pkgname = x\n".to_vec())], false));
    out.extend(gz(&tar(members, true)));
    out
}

/// A `docker save` tarball: manifest.json naming the layer tarballs, bottom first.
pub fn docker_save(manifest: &str, layers: &[(&str, Vec<u8>)]) -> Vec<u8> {
    let mut members = vec![file("manifest.json", manifest.as_bytes().to_vec())];
    for (name, data) in layers {
        members.push(file(name, data.clone()));
    }
    tar(&members, true)
}

/// A tarball holding an OCI layout: index.json and blobs named `sha256:NAME`.
pub fn oci_tar(index: &str, blobs: &[(&str, Vec<u8>)]) -> Vec<u8> {
    let mut members = vec![
        file("oci-layout", br#"{"imageLayoutVersion":"1.0.0"}"#.to_vec()),
        file("index.json", index.as_bytes().to_vec()),
    ];
    for (name, data) in blobs {
        members.push(file(&format!("blobs/sha256/{name}"), data.clone()));
    }
    tar(&members, true)
}
