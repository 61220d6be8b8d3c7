//! Compressed tar streams (gzip, xz, zstd, bzip2) and raw compressed bytes.
//! First byte: `% 5` picks the compressor applied to the rest (4 = feed the rest as it is, so
//! the decoders see mutated compressed data); bit 7 = repair tar checksums first.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let mut tar = rest.to_vec();
    if mode & 0x80 != 0 {
        muslcheck_fuzz::fix_tar(&mut tar);
    }
    muslcheck_fuzz::scan_bytes(&muslcheck_fuzz::compress(mode & 0x7f, &tar));
});
