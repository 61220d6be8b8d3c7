//! Resource limits for untrusted inputs: hitting one yields a record with the reason, and the
//! batch goes on.

/// Limits applied while reading inputs.
#[derive(Clone, Debug)]
pub struct Limits {
    /// How deep archives may nest inside archives (a wheel in a tarball is depth 1).
    pub max_depth: u32,
    /// Largest file (on disk or as an archive member) that is analysed, in bytes.
    pub max_file_bytes: u64,
    /// Most bytes decompressed from one artifact (decompression bombs stop here).
    pub max_artifact_bytes: u64,
    /// Most bytes of archive members held in memory at once, across the whole run.
    pub max_in_flight_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_depth: 4,
            max_file_bytes: 1 << 30,
            max_artifact_bytes: 16 << 30,
            max_in_flight_bytes: 64 << 20,
        }
    }
}
