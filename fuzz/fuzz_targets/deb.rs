//! Debian packages (ar with control and data tarballs): any bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    muslcheck_fuzz::scan_bytes(data);
});
