//! `scan --shard K/N` (#13): a deterministic share of the top-level inputs, so that N job-engine
//! workers together scan everything exactly once. A top-level input is never split: a directory
//! root, an archive or an image is a unit whose closure must be seen whole.
//!
//! An input goes to shard `fnv1a64(name) mod N`, where `name` is the input exactly as given (a
//! path, or a line of the `-` list). FNV-1a is fixed and documented, so the assignment is the same
//! on every machine and in every muslcheck version.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Shard `index` of `count` (0-based, as Kubernetes' `JOB_COMPLETION_INDEX`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    /// Which share, `0..count`.
    pub index: u32,
    /// How many shares the inputs are split into.
    pub count: u32,
}

impl Shard {
    /// True when the input named `name` belongs to this shard.
    pub fn takes(&self, name: &[u8]) -> bool {
        fnv1a64(name) % u64::from(self.count) == u64::from(self.index)
    }
}

/// 64-bit FNV-1a (offset basis 0xcbf29ce484222325, prime 0x100000001b3).
pub fn fnv1a64(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// What a shard's report says about its share, so that `muslcheck merge` can check that the
/// shards are complete and put the records back in the order of one run over everything.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Part {
    /// Which shard.
    #[serde(flatten)]
    pub shard: Shard,
    /// The inputs it took: (position among all inputs, name).
    pub inputs: Vec<(usize, String)>,
}

impl Part {
    /// Take this shard's share of `names` (all inputs, in order).
    pub fn of(shard: Shard, names: &[String]) -> Part {
        let inputs = names
            .iter()
            .enumerate()
            .filter(|(_, n)| shard.takes(n.as_bytes()))
            .map(|(i, n)| (i, n.clone()))
            .collect();
        Part { shard, inputs }
    }
}

impl FromStr for Shard {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || format!("'{s}' is not a shard such as 0/4 (K/N with 0 <= K < N)");
        let (k, n) = s.split_once('/').ok_or_else(bad)?;
        let index: u32 = k.trim().parse().map_err(|_| bad())?;
        let count: u32 = n.trim().parse().map_err(|_| bad())?;
        if count == 0 || index >= count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_refuses() {
        assert_eq!("1/4".parse(), Ok(Shard { index: 1, count: 4 }));
        for bad in ["4/4", "0/0", "x/2", "3", "-1/2"] {
            assert!(bad.parse::<Shard>().is_err(), "{bad}");
        }
    }

    #[test]
    fn every_input_goes_to_exactly_one_shard() {
        // FNV-1a reference values (draft-eastlake-fnv): "" and "a".
        assert_eq!(fnv1a64(b""), 0xcbf29ce484222325);
        assert_eq!(fnv1a64(b"a"), 0xaf63dc4c8601ec8c);
        for n in 1..6u32 {
            for name in ["a", "dist/x.tar", "/usr/lib", "pkg.deb"] {
                let takers = (0..n)
                    .filter(|&k| Shard { index: k, count: n }.takes(name.as_bytes()))
                    .count();
                assert_eq!(takers, 1, "{name} over {n}");
            }
        }
    }
}
