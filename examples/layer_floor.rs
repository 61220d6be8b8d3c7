//! The physical floor of pulling an image (bench/images.sh, BENCHMARKS.md #12): how long
//! muslcheck's own decoders (flate2 with zlib-rs, zstd) take to decompress each layer blob and
//! SHA-256 takes to hash it, in process, from memory, best of five. A gzip or zstd stream is
//! decoded on one core, so the largest layer's decompression bounds a pull however many cores
//! there are; the sum bounds it on one core.
//!
//!     cargo run --release --example layer_floor -- BLOB...

use std::error::Error;
use std::io::Read;
use std::time::Instant;

use sha2::Digest;

/// Seconds of the fastest of five runs of `f`.
fn best(
    mut f: impl FnMut() -> Result<usize, Box<dyn Error>>,
) -> Result<(f64, usize), Box<dyn Error>> {
    let mut best = f64::MAX;
    let mut n = 0;
    for _ in 0..5 {
        let t = Instant::now();
        n = f()?;
        best = best.min(t.elapsed().as_secs_f64());
    }
    Ok((best, n))
}

fn decompress(data: &[u8]) -> Result<usize, Box<dyn Error>> {
    let mut out = Vec::new();
    if data.starts_with(&[0x1f, 0x8b]) {
        flate2::read::MultiGzDecoder::new(data).read_to_end(&mut out)?;
    } else if data.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        zstd::stream::read::Decoder::new(data)?.read_to_end(&mut out)?;
    } else {
        return Ok(data.len());
    }
    Ok(out.len())
}

fn main() -> Result<(), Box<dyn Error>> {
    let mut rows = Vec::new();
    for path in std::env::args().skip(1) {
        let data = std::fs::read(&path)?;
        let (inflate, out) = best(|| decompress(&data))?;
        let (hash, _) = best(|| Ok(sha2::Sha256::digest(&data).len()))?;
        let name = path
            .rsplit('/')
            .next()
            .unwrap_or(&path)
            .chars()
            .take(16)
            .collect::<String>();
        rows.push((inflate, hash, data.len(), out, name));
    }
    rows.sort_by(|a, b| b.0.total_cmp(&a.0));
    println!("decompress   sha256      blob bytes  layer bytes  blob");
    for (inflate, hash, n, out, name) in &rows {
        println!("{inflate:8.4} s {hash:8.4} s {n:>12} {out:>12}  {name}");
    }
    let total: f64 = rows.iter().map(|r| r.0).sum();
    let hashed: f64 = rows.iter().map(|r| r.1).sum();
    let largest = rows.first().map_or(0.0, |r| r.0 + r.1);
    println!(
        "sum: decompress {total:.4} s, sha256 {hashed:.4} s; largest layer (decompress + sha256): {largest:.4} s"
    );
    Ok(())
}
