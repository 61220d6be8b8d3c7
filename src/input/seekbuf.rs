//! A buffered reader for random access that keeps its buffer across seeks.
//!
//! The zip crate seeks to every member's local header, then to its data. `std::io::BufReader`
//! throws its buffer away on every seek, so a jar of 10,000 small classes was read as 20,000
//! buffer fills of 64 KiB for a few KiB each (profiles of `/usr` showed that copy as the largest
//! kernel cost, #13). Here a seek that lands inside the buffered window only moves the position:
//! a zip's members, visited in order, are read about once.

use std::io::{self, Read, Seek, SeekFrom};

/// Buffer size: a few small members' headers and first compressed bytes.
const CAPACITY: usize = 32 << 10;

/// `inner` behind a window of bytes that survives seeks.
pub(crate) struct SeekBuf<R> {
    inner: R,
    buf: Vec<u8>,
    /// File offset of `buf[0]`.
    start: u64,
    /// Current position.
    pos: u64,
    /// Where `inner` is positioned (None: unknown, seek before reading).
    at: Option<u64>,
}

impl<R: Read + Seek> SeekBuf<R> {
    pub(crate) fn new(mut inner: R) -> io::Result<Self> {
        let pos = inner.stream_position()?;
        Ok(SeekBuf {
            inner,
            buf: Vec::with_capacity(CAPACITY),
            start: pos,
            pos,
            at: Some(pos),
        })
    }

    /// Position `inner` at `pos`.
    fn seek_inner(&mut self, pos: u64) -> io::Result<()> {
        if self.at != Some(pos) {
            self.at = None;
            self.inner.seek(SeekFrom::Start(pos))?;
            self.at = Some(pos);
        }
        Ok(())
    }

    /// The buffered bytes from the current position on, if the position is inside the window.
    fn buffered(&self) -> &[u8] {
        let off = self.pos.checked_sub(self.start).map(usize::try_from);
        match off {
            Some(Ok(off)) => self.buf.get(off..).unwrap_or_default(),
            _ => &[],
        }
    }
}

impl<R: Read + Seek> Read for SeekBuf<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if self.buffered().is_empty() {
            self.seek_inner(self.pos)?;
            if out.len() >= CAPACITY {
                // A large read goes straight through (no copy into the buffer).
                let n = self.inner.read(out).inspect_err(|_| self.at = None)?;
                self.at = self.at.map(|a| a + n as u64);
                self.pos += n as u64;
                self.start = self.pos;
                self.buf.clear();
                return Ok(n);
            }
            self.buf.clear();
            self.start = self.pos;
            let n = (&mut self.inner)
                .take(CAPACITY as u64)
                .read_to_end(&mut self.buf);
            let n = match n {
                Ok(n) => n,
                Err(e) => {
                    self.at = None;
                    return Err(e);
                }
            };
            self.at = self.at.map(|a| a + n as u64);
        }
        let avail = self.buffered();
        let n = avail.len().min(out.len());
        if let (Some(dst), Some(src)) = (out.get_mut(..n), avail.get(..n)) {
            dst.copy_from_slice(src);
        }
        self.pos += n as u64;
        Ok(n)
    }
}

impl<R: Read + Seek> Seek for SeekBuf<R> {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let target = match to {
            SeekFrom::Start(p) => Some(p),
            SeekFrom::Current(d) => self.pos.checked_add_signed(d),
            SeekFrom::End(d) => {
                self.at = None;
                let end = self.inner.seek(SeekFrom::End(0))?;
                self.at = Some(end);
                end.checked_add_signed(d)
            }
        };
        let Some(target) = target else {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "invalid seek to a negative or overflowing position",
            ));
        };
        self.pos = target;
        Ok(target)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    /// Reads and seeks in any order give the bytes of the underlying stream.
    #[test]
    fn reads_after_any_seek_are_the_streams_bytes() {
        let data: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        let mut r = SeekBuf::new(Cursor::new(data.clone())).unwrap();
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        for _ in 0..2000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let pos = x % 210_000;
            let len = ((x >> 20) % 70_000) as usize;
            let at = match x % 3 {
                0 => r.seek(SeekFrom::Start(pos)).unwrap(),
                1 => {
                    let cur = r.stream_position().unwrap();
                    r.seek(SeekFrom::Current(pos as i64 - cur as i64)).unwrap()
                }
                _ => r
                    .seek(SeekFrom::End(pos as i64 - data.len() as i64))
                    .unwrap(),
            };
            assert_eq!(at, pos);
            let mut got = Vec::new();
            (&mut r).take(len as u64).read_to_end(&mut got).unwrap();
            let start = (pos as usize).min(data.len());
            let end = (start + len).min(data.len());
            assert_eq!(got, &data[start..end], "at {pos} len {len}");
        }
        assert!(r.seek(SeekFrom::Current(-1_000_000)).is_err());
    }
}
