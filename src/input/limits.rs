//! Resource limits for untrusted inputs: hitting one yields a record with the reason, and the
//! batch goes on.
//!
//! A limit that is hit is reported as an [`io::Error`] of kind [`io::ErrorKind::FileTooLarge`]
//! (see [`limit_error`]), which becomes a `skipped` record; any other error is damage and becomes
//! an `error` record. The readers here enforce the limits on streams whose sizes come from the
//! input: [`Counted`] caps decompressed bytes per artifact, [`TarHeaders`] caps what the tar
//! crate may buffer between two members (GNU long names and pax records are read whole).

use std::cell::Cell;
use std::io::{self, Read, Seek, SeekFrom};
use std::rc::Rc;
use std::time::Duration;

/// Limits applied while reading and analysing inputs. `muslcheck scan --help` and the README
/// ("Limits") document the defaults and the flags that change them.
#[derive(Clone, Debug)]
pub struct Limits {
    /// How deep archives may nest inside archives (a wheel in a tarball is depth 1).
    pub max_depth: u32,
    /// Largest file analysed, in bytes: a file on disk, or an archive member once decompressed
    /// (members are held in memory while they are analysed).
    pub max_file_bytes: u64,
    /// Most bytes decompressed from one artifact, every member and nesting level together
    /// (decompression bombs stop here).
    pub max_artifact_bytes: u64,
    /// Most bytes of archive members held in memory at once, across the whole run.
    pub max_in_flight_bytes: u64,
    /// Longest time one file's analysis may take (checked cooperatively); `None`: no limit.
    pub timeout: Option<Duration>,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_depth: 4,
            max_file_bytes: 1 << 30,
            max_artifact_bytes: 16 << 30,
            max_in_flight_bytes: 64 << 20,
            timeout: Some(Duration::from_secs(60)),
        }
    }
}

/// Most bytes the tar reader may consume between two members: headers, GNU long names, pax
/// records and zero padding. Real archives use a few KiB; the tar crate holds long names and pax
/// records in memory whole, so this bounds that allocation.
pub const MAX_TAR_HEADER_BYTES: u64 = 16 << 20;

/// An error that means "a limit was hit" (a `skipped` record), not "the input is damaged".
pub(crate) fn limit_error(msg: String) -> io::Error {
    io::Error::new(io::ErrorKind::FileTooLarge, msg)
}

/// True for errors made by [`limit_error`].
pub(crate) fn is_limit(e: &io::Error) -> bool {
    e.kind() == io::ErrorKind::FileTooLarge
}

/// Counts bytes read (decompressed) against an artifact's limit, shared by all its readers.
pub(crate) struct Counted<R> {
    pub inner: R,
    pub total: Rc<Cell<u64>>,
    pub max: u64,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        let total = self.total.get().saturating_add(n as u64);
        self.total.set(total);
        if total > self.max {
            return Err(limit_error(format!(
                "more than {} bytes decompressed from this artifact (--max-artifact-size); possible decompression bomb",
                self.max
            )));
        }
        Ok(n)
    }
}

/// Wraps the stream under a `tar::Archive` and counts the bytes read since [`TarHeaders::reset`].
///
/// Callers reset the count before asking for the next entry and read (or drain) each entry they
/// get, so what is counted is only what the tar crate reads on its own: headers, long names, pax
/// records and padding. Seeks are free (an indexed image tarball seeks over member data).
pub(crate) struct TarHeaders<R> {
    inner: R,
    used: Rc<Cell<u64>>,
}

impl<R> TarHeaders<R> {
    /// The wrapper, and the handle that resets its count.
    pub(crate) fn new(inner: R) -> (TarHeaders<R>, TarHeaderCount) {
        let used = Rc::new(Cell::new(0));
        (
            TarHeaders {
                inner,
                used: used.clone(),
            },
            TarHeaderCount(used),
        )
    }
}

/// Resets a [`TarHeaders`] count.
pub(crate) struct TarHeaderCount(Rc<Cell<u64>>);

impl TarHeaderCount {
    /// Start counting afresh (call before asking for the next entry).
    pub(crate) fn reset(&self) {
        self.0.set(0);
    }
}

impl<R: Read> Read for TarHeaders<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        let used = self.used.get().saturating_add(n as u64);
        self.used.set(used);
        if used > MAX_TAR_HEADER_BYTES {
            return Err(io::Error::other(format!(
                "more than {MAX_TAR_HEADER_BYTES} bytes of tar headers, long names or pax records before one member"
            )));
        }
        Ok(n)
    }
}

impl<R: Seek> Seek for TarHeaders<R> {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        self.inner.seek(pos)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counted_stops_at_the_artifact_limit() {
        let total = Rc::new(Cell::new(0));
        let mut r = Counted {
            inner: io::repeat(0),
            total: total.clone(),
            max: 10_000,
        };
        let err = io::copy(&mut r, &mut io::sink()).unwrap_err();
        assert!(is_limit(&err), "{err}");
        assert!(total.get() > 10_000 && total.get() < 10_000 + 65_536);
    }

    #[test]
    fn tar_headers_count_reads_between_resets_only() {
        let (mut r, count) = TarHeaders::new(io::repeat(1).take(4 * MAX_TAR_HEADER_BYTES));
        let mut buf = vec![0u8; 1 << 20];
        for _ in 0..40 {
            r.read_exact(&mut buf).unwrap();
            count.reset();
        }
        let err = io::copy(&mut r, &mut io::sink()).unwrap_err();
        assert!(!is_limit(&err));
        assert!(err.to_string().contains("tar headers"), "{err}");
    }
}
