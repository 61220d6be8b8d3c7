//! Content detection: what a stream of bytes is, from its first bytes (never its name).

/// How many leading bytes detection looks at (a tar header is 512 bytes).
pub const HEAD: usize = 512;

/// What a byte stream is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// An ELF file.
    Elf,
    /// gzip (also Alpine .apk, npm .tgz: concatenated gzip members).
    Gzip,
    /// xz.
    Xz,
    /// zstd.
    Zstd,
    /// bzip2.
    Bzip2,
    /// POSIX/GNU tar.
    Tar,
    /// zip family (zip, whl, jar, war, ear, nupkg, apk for Android).
    Zip,
    /// Unix `ar` (Debian .deb, static libraries).
    Ar,
    /// RPM package.
    Rpm,
    /// cpio (newc/crc, as in RPM payloads).
    Cpio,
    /// Anything else.
    Other,
}

/// How many leading bytes of a file are read to sniff it: enough to inflate a gzip file's first
/// [`HEAD`] bytes without a second read.
pub const SNIFF: usize = 4096;

/// What a gzip stream holds, decided from its first compressed bytes (`head`, at most [`SNIFF`])
/// by inflating at most [`HEAD`] bytes: `None` when those bytes do not tell (the caller then
/// reads the file as an archive, which decides for sure). Trees are full of small `.gz`
/// documents (man pages, changelogs); this keeps them at one short read each.
pub fn sniff_gzip(head: &[u8]) -> Option<Kind> {
    use std::io::Read;
    let mut out = Vec::with_capacity(HEAD);
    let mut z = flate2::read::GzDecoder::new(head).take(HEAD as u64);
    let mut buf = [0u8; HEAD];
    let ended = loop {
        match z.read(&mut buf) {
            Ok(0) => break true,
            Ok(n) => out.extend_from_slice(buf.get(..n)?),
            // The sniffed bytes end inside the stream (or it is damaged): what was inflated so
            // far is all we have.
            Err(_) => break false,
        }
    };
    // Tar is recognised at bytes 257..262: fewer inflated bytes than HEAD decide nothing unless
    // the whole (small) stream inflated cleanly. Damage is left to the archive reader to report.
    (out.len() >= HEAD || ended).then(|| detect(&out))
}

/// True for an ar archive whose first member is `debian-binary` (a .deb).
pub fn is_deb(head: &[u8]) -> bool {
    head.get(8..)
        .is_some_and(|h| h.starts_with(b"debian-binary"))
}

/// Detect the kind of a stream from its first bytes.
pub fn detect(head: &[u8]) -> Kind {
    let starts = |m: &[u8]| head.starts_with(m);
    if starts(b"\x7fELF") {
        Kind::Elf
    } else if starts(&[0x1f, 0x8b]) {
        Kind::Gzip
    } else if starts(&[0xfd, b'7', b'z', b'X', b'Z', 0]) {
        Kind::Xz
    } else if starts(&[0x28, 0xb5, 0x2f, 0xfd]) {
        Kind::Zstd
    } else if starts(b"BZh") && head.get(3).is_some_and(|b| (b'1'..=b'9').contains(b)) {
        Kind::Bzip2
    } else if starts(b"PK\x03\x04") || starts(b"PK\x05\x06") {
        Kind::Zip
    } else if starts(b"!<arch>\n") {
        Kind::Ar
    } else if starts(&[0xed, 0xab, 0xee, 0xdb]) {
        Kind::Rpm
    } else if starts(b"070701") || starts(b"070702") {
        Kind::Cpio
    } else if head.get(257..262) == Some(b"ustar") {
        Kind::Tar
    } else {
        Kind::Other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gzip_is_sniffed_from_its_first_bytes() {
        use std::io::Write;
        let gz = |data: &[u8]| {
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            e.write_all(data).unwrap();
            e.finish().unwrap()
        };
        let text = gz(b".TH LS 1\nsome man page text\n");
        assert_eq!(sniff_gzip(&text), Some(Kind::Other));
        assert_eq!(sniff_gzip(&gz(b"\x7fELF\x02\x01\x01")), Some(Kind::Elf));
        let mut tar = vec![0u8; 1024];
        tar[257..262].copy_from_slice(b"ustar");
        assert_eq!(sniff_gzip(&gz(&tar)), Some(Kind::Tar));
        // Incompressible data is stored 1:1, so its first 4 KiB still give HEAD bytes.
        let mut x = 0x2545_f491_4f6c_dd1du64;
        let noise: Vec<u8> = (0..20_000)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                (x >> 32) as u8
            })
            .collect();
        let big = gz(&noise);
        assert_eq!(sniff_gzip(&big[..SNIFF]), Some(detect(&noise)));
        // A cut or damaged stream decides nothing (the archive reader reports it).
        assert_eq!(sniff_gzip(&text[..12]), None);
    }

    #[test]
    fn magic_numbers() {
        assert_eq!(detect(b"\x7fELF\x02"), Kind::Elf);
        assert_eq!(detect(&[0x1f, 0x8b, 8]), Kind::Gzip);
        assert_eq!(detect(b"BZh9"), Kind::Bzip2);
        assert_eq!(detect(b"BZhx"), Kind::Other);
        assert_eq!(detect(b"!<arch>\ndebian-binary"), Kind::Ar);
        let mut tar = vec![0u8; 512];
        tar[257..262].copy_from_slice(b"ustar");
        assert_eq!(detect(&tar), Kind::Tar);
        assert_eq!(detect(b"hello"), Kind::Other);
        assert_eq!(detect(b""), Kind::Other);
    }
}
