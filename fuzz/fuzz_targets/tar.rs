//! Plain tar. First byte: bit 0 set = repair header checksums before reading.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let mut bytes = rest.to_vec();
    if mode & 1 == 1 {
        muslcheck_fuzz::fix_tar(&mut bytes);
    }
    muslcheck_fuzz::scan_bytes(&bytes);
});
