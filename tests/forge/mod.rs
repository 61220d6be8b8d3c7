//! Hostile inputs, forged at test time from the committed samples (#5): ELF files truncated at
//! every structure boundary, with absurd header values, looping or escaping version chains,
//! unterminated string tables and overlapping segments; archives that are truncated, lie about
//! sizes, expand without bound, name paths outside themselves, loop through links, nest deeply
//! or repeat names. Nothing here runs muslcheck: `hostile.rs` does. The fuzz seed writer and the
//! measuring script (scripts/hostile-suite.sh) use the same forge.

use crate::util::root;

mod archive;
mod bombs;
mod cases;
mod elf;

pub use archive::*;
pub use bombs::*;
pub use cases::*;
pub use elf::*;

/// A sample binary's bytes.
pub fn sample(name: &str) -> Vec<u8> {
    std::fs::read(root().join("samples/bin").join(name)).unwrap()
}

/// Samples with a dynamic segment, in every class and machine the samples cover.
pub const DYNAMIC_SAMPLES: &[&str] = &[
    "hello-glibc",
    "fcntl64",
    "hello-cxx",
    "libifunc.so",
    "relr",
    "hello-musl",
    "glibc-private-copy",
    "uses-crypt",
    "hello-i386",
    "hello-glibc-aarch64",
];

/// Every ELF sample.
pub const ELF_SAMPLES: &[&str] = &[
    "error-stub",
    "fcntl64",
    "fortify",
    "glibc-private",
    "glibc-private-copy",
    "hello-aarch64-nolibc",
    "hello-cxx",
    "hello-glibc",
    "hello-glibc-aarch64",
    "hello-i386",
    "hello-musl",
    "hello-musl-static",
    "hello-static-glibc",
    "ifunc-local",
    "libifunc.so",
    "liblfs64.so",
    "needs-zlib",
    "plugin-fortify.so",
    "plugin-native.so",
    "relr",
    "res-init",
    "uses-crypt",
    "weak-missing",
];

/// An input and what the report must say about it.
#[derive(Clone, Debug)]
pub struct Case {
    /// File name (unique within a batch).
    pub name: String,
    pub bytes: Vec<u8>,
    pub expect: Expect,
}

/// The documented outcome of an input.
#[derive(Clone, Debug, PartialEq)]
pub enum Expect {
    /// Exactly one record, of any verdict.
    One,
    /// Exactly one record, and it is an `error`.
    OneError,
    /// Exactly one record with this verdict (the original file's; only headers the loader
    /// ignores were damaged).
    OneVerdict(String),
    /// Exactly one `skipped` record whose reason contains the text (a limit).
    OneSkipped(&'static str),
    /// At least one record; at least one is an `error` (damage is never silent).
    SomeError,
    /// At least one record (an archive: the members read, plus what stopped the reading).
    Some,
    /// At least one record; one is `skipped` with a reason containing the text.
    SomeSkipped(&'static str),
    /// Exactly this many records, all `skipped`, one with a reason containing the text.
    AllSkipped(usize, &'static str),
    /// Exactly this many records.
    Exactly(usize),
}

pub fn case(name: String, bytes: Vec<u8>, expect: Expect) -> Case {
    Case {
        name,
        bytes,
        expect,
    }
}

/// Deterministic pseudo-random numbers (xorshift64*), so that failures reproduce.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.max(1))
    }
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}
