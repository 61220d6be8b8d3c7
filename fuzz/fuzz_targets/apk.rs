//! Alpine .apk: concatenated gzip streams, each a tar segment without end blocks.
//! Input: segments (u16 length + bytes); each is checksum-repaired and gzipped.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut apk = Vec::new();
    for seg in muslcheck_fuzz::segments(data) {
        let mut tar = seg.to_vec();
        muslcheck_fuzz::fix_tar(&mut tar);
        apk.extend(muslcheck_fuzz::compress(0, &tar));
    }
    muslcheck_fuzz::scan_bytes(&apk);
});
