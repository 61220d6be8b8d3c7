//! Decompression bombs, built without ever holding the expanded bytes: concatenated streams
//! (gzip members, xz streams, zstd frames, bzip2 streams are each valid when concatenated) and
//! a deflate block repeated (every back-reference points at zeros, so each copy decodes alike).

use super::archive::{Compress, tar_header, zip};

pub const MIB: usize = 1 << 20;

/// `prefix` followed by `mib` MiB of zeros, compressed with `c`, in about `mib` small streams.
pub fn bomb(c: Compress, prefix: &[u8], mib: usize) -> Vec<u8> {
    let zeros = vec![0u8; MIB];
    let one = c(&zeros);
    let mut out = c(prefix);
    for _ in 0..mib {
        out.extend_from_slice(&one);
    }
    out
}

/// A tar stream of one member `name` whose header claims `mib` MiB and whose data starts with
/// `head`, all of it zeros after: compressed as a bomb.
pub fn tar_bomb(c: Compress, name: &str, head: &[u8], mib: usize) -> Vec<u8> {
    let mut prefix = tar_header(name, b'0', (mib * MIB) as u64, "");
    prefix.extend_from_slice(head);
    // The member's data is `head` then zeros; the stream ends with the data (no end blocks).
    bomb(c, &prefix, mib)
}

/// A zip with one deflated member `name`: `head` then `mib` MiB of zeros, with true sizes and
/// CRC (computed over the zeros without materialising them).
pub fn zip_bomb(name: &str, head: &[u8], mib: usize) -> Vec<u8> {
    use flate2::{Compression, FlushCompress, Status};
    let mut c = flate2::Compress::new(Compression::fast(), false);
    let mut deflated = Vec::with_capacity(4 * MIB);
    let run = |c: &mut flate2::Compress, input: &[u8], flush: FlushCompress, out: &mut Vec<u8>| {
        let mut at = 0;
        loop {
            out.reserve(64 * 1024);
            let before = c.total_in();
            let st = c.compress_vec(&input[at..], out, flush).unwrap();
            at += (c.total_in() - before) as usize;
            if at == input.len() && (st == Status::StreamEnd || out.len() < out.capacity()) {
                break;
            }
        }
    };
    let zeros = vec![0u8; MIB];
    run(&mut c, head, FlushCompress::Sync, &mut deflated);
    run(&mut c, &zeros, FlushCompress::Sync, &mut deflated);
    let warm = deflated.len();
    run(&mut c, &zeros, FlushCompress::Sync, &mut deflated);
    let block = deflated[warm..].to_vec();
    for _ in 2..mib {
        deflated.extend_from_slice(&block);
    }
    run(&mut c, &[], FlushCompress::Finish, &mut deflated);
    let mut head_crc = flate2::Crc::new();
    head_crc.update(head);
    let crc = crc32_append_zeros(head_crc.sum(), (mib * MIB) as u64);
    let size = (head.len() + mib * MIB) as u32;
    let mut out = Vec::new();
    let mut local = Vec::new();
    local.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
    local.extend_from_slice(&[20, 0, 0, 0, 8, 0, 0, 0, 0x21, 0]);
    local.extend_from_slice(&crc.to_le_bytes());
    local.extend_from_slice(&(deflated.len() as u32).to_le_bytes());
    local.extend_from_slice(&size.to_le_bytes());
    local.extend_from_slice(&(name.len() as u16).to_le_bytes());
    local.extend_from_slice(&0u16.to_le_bytes());
    local.extend_from_slice(name.as_bytes());
    out.extend_from_slice(&local);
    out.extend_from_slice(&deflated);
    let cd_at = out.len() as u32;
    let mut cd = Vec::new();
    cd.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
    cd.extend_from_slice(&[20, 3, 20, 0, 0, 0, 8, 0, 0, 0, 0x21, 0]);
    cd.extend_from_slice(&crc.to_le_bytes());
    cd.extend_from_slice(&(deflated.len() as u32).to_le_bytes());
    cd.extend_from_slice(&size.to_le_bytes());
    cd.extend_from_slice(&(name.len() as u16).to_le_bytes());
    cd.extend_from_slice(&[0; 8]);
    cd.extend_from_slice(&(0o100644u32 << 16).to_le_bytes());
    cd.extend_from_slice(&0u32.to_le_bytes());
    cd.extend_from_slice(name.as_bytes());
    out.extend_from_slice(&cd);
    out.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
    out.extend_from_slice(&[0, 0, 0, 0, 1, 0, 1, 0]);
    out.extend_from_slice(&(cd.len() as u32).to_le_bytes());
    out.extend_from_slice(&cd_at.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out
}

/// The CRC-32 of a message whose CRC is `crc`, followed by `n` zero bytes, in O(log n): each
/// zero byte is a linear map of the CRC register, raised to the n-th power by squaring.
pub fn crc32_append_zeros(crc: u32, n: u64) -> u32 {
    type M = [u32; 32];
    let apply = |m: &M, v: u32| (0..32).filter(|i| v >> i & 1 == 1).fold(0, |a, i| a ^ m[i]);
    let square = |m: &M| -> M { std::array::from_fn(|i| apply(m, m[i])) };
    // One zero byte: eight shifts of the reflected register with the polynomial 0xEDB88320.
    let mut byte: M = std::array::from_fn(|i| {
        (0..8).fold(1u32 << i, |r, _| {
            if r & 1 == 1 {
                (r >> 1) ^ 0xEDB8_8320
            } else {
                r >> 1
            }
        })
    });
    let mut reg = !crc;
    let mut n = n;
    while n > 0 {
        if n & 1 == 1 {
            reg = apply(&byte, reg);
        }
        byte = square(&byte);
        n >>= 1;
    }
    !reg
}

/// A zip whose `n` central-directory entries all point at the same local member (different
/// names): the overlapping-files zip bomb.
pub fn zip_overlapping(member: &[u8], n: usize) -> Vec<u8> {
    let z = zip(&[("m0", member.to_vec())]);
    // Central directory entry: find it, then repeat it with new names.
    let cd_at = u32::from_le_bytes(z[z.len() - 6..z.len() - 2].try_into().unwrap()) as usize;
    let eocd_at = z.len() - 22;
    let entry = z[cd_at..eocd_at].to_vec();
    let name_len = u16::from_le_bytes([entry[28], entry[29]]) as usize;
    let fixed = &entry[..46];
    let extra_and_comment = &entry[46 + name_len..];
    let mut out = z[..cd_at].to_vec();
    let mut cd = Vec::new();
    for i in 0..n {
        let name = format!("m{i}");
        let mut e = fixed.to_vec();
        e[28..30].copy_from_slice(&(name.len() as u16).to_le_bytes());
        e.extend_from_slice(name.as_bytes());
        e.extend_from_slice(extra_and_comment);
        cd.extend(e);
    }
    let new_cd_at = out.len() as u32;
    out.extend_from_slice(&cd);
    out.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
    out.extend_from_slice(&[0, 0, 0, 0]);
    out.extend_from_slice(&(n as u16).to_le_bytes());
    out.extend_from_slice(&(n as u16).to_le_bytes());
    out.extend_from_slice(&(cd.len() as u32).to_le_bytes());
    out.extend_from_slice(&new_cd_at.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out
}
