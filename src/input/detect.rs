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
