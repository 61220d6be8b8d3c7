//! The ELF inspector and the judge: any bytes, read as one file.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    muslcheck_fuzz::analyse("fuzz.elf", data);
    // `muslcheck db extract` reads the same facts another way.
    let _ = muslcheck::extract_exports(data, true);
});
