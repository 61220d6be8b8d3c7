//! Container images: `docker save` tarballs and OCI layouts in a tarball, built from parts so
//! that the JSON documents and the layers are mutated, not the tar around them.
//!
//! Input: a mode byte, then segments (u16 length + bytes). Mode bit 0: 0 = docker save
//! (segment 0 is manifest.json, segment i ≥ 1 is layer file `l{i}.tar`), 1 = OCI layout
//! (segment 0 is index.json, segment i ≥ 1 is blob `blobs/sha256/b{i}`). Bits 1-3 (`% 5`) pick
//! the compression of layer-like segments (those that start as a tar after checksum repair).
#![no_main]

use libfuzzer_sys::fuzz_target;
use muslcheck_fuzz::{compress, fix_tar, segments, tar_end, tar_member};

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let oci = mode & 1 == 1;
    let parts = segments(rest);
    let mut image = Vec::new();
    if oci {
        tar_member(&mut image, "oci-layout", br#"{"imageLayoutVersion":"1.0.0"}"#);
    }
    for (i, part) in parts.iter().enumerate() {
        let path = match (i, oci) {
            (0, false) => "manifest.json".to_string(),
            (0, true) => "index.json".to_string(),
            (i, false) => format!("l{i}.tar"),
            (i, true) => format!("blobs/sha256/b{i}"),
        };
        let mut bytes = part.to_vec();
        let layer = bytes.get(257..262) == Some(b"ustar".as_slice());
        if layer {
            fix_tar(&mut bytes);
            bytes = compress((mode >> 1) & 7, &bytes);
        }
        tar_member(&mut image, &path, &bytes);
    }
    tar_end(&mut image);
    muslcheck_fuzz::scan_bytes(&image);
});
