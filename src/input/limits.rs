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
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
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

/// Most memory one xz decoder may use. `xz -9` streams need 65 MiB; the format allows
/// dictionaries of 1.5 GiB, which a hostile header could ask for in every archive at once.
pub const MAX_XZ_MEMORY: u64 = 256 << 20;

/// An error that means "a limit was hit" (a `skipped` record), not "the input is damaged".
pub(crate) fn limit_error(msg: String) -> io::Error {
    io::Error::new(io::ErrorKind::FileTooLarge, msg)
}

/// True for errors made by [`limit_error`].
pub(crate) fn is_limit(e: &io::Error) -> bool {
    e.kind() == io::ErrorKind::FileTooLarge
}

/// A decoder for concatenated xz streams that refuses, as a limit, streams needing more than
/// [`MAX_XZ_MEMORY`].
pub(crate) fn xz_decoder<R: Read>(r: R) -> io::Result<XzLimited<R>> {
    let stream =
        liblzma::stream::Stream::new_stream_decoder(MAX_XZ_MEMORY, liblzma::stream::CONCATENATED)
            .map_err(io::Error::from)?;
    Ok(XzLimited(liblzma::read::XzDecoder::new_stream(r, stream)))
}

/// An xz decoder whose memory-limit error is a limit error.
pub(crate) struct XzLimited<R: Read>(liblzma::read::XzDecoder<R>);

impl<R: Read> Read for XzLimited<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.read(buf).map_err(|e| {
            let over = e
                .get_ref()
                .and_then(|inner| inner.downcast_ref::<liblzma::stream::Error>())
                .is_some_and(|x| matches!(x, liblzma::stream::Error::MemLimit));
            match over {
                true => limit_error(format!(
                    "xz stream needs more than {} MiB to decode",
                    MAX_XZ_MEMORY >> 20
                )),
                false => e,
            }
        })
    }
}

/// Counts bytes read (decompressed) against an artifact's limit, shared by all its readers.
pub(crate) struct Counted<R> {
    pub inner: R,
    /// Shared by every reader of the artifact (layers of an image are read in parallel).
    pub total: Arc<AtomicU64>,
    pub max: u64,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        let total = self
            .total
            .fetch_add(n as u64, Ordering::Relaxed)
            .saturating_add(n as u64);
        if total > self.max {
            return Err(limit_error(format!(
                "more than {} bytes decompressed from this artifact (--max-artifact-size); possible decompression bomb",
                self.max
            )));
        }
        Ok(n)
    }
}

/// Wraps the stream under a `tar::Archive` and counts the bytes read while the tar crate looks
/// for the next member ([`TarHeaderCount::next`]): headers, GNU long names, pax records, padding
/// and the skipped rest of the previous member (callers drain each member they are handed, so
/// that is only padding). Member data read by the caller is not counted, and seeks are free (an
/// indexed image tarball seeks over member data).
pub(crate) struct TarHeaders<R> {
    inner: R,
    state: Rc<HeaderCount>,
}

#[derive(Default)]
struct HeaderCount {
    used: Cell<u64>,
    counting: Cell<bool>,
}

impl<R> TarHeaders<R> {
    /// The wrapper, and the handle that counts through it.
    pub(crate) fn new(inner: R) -> (TarHeaders<R>, TarHeaderCount) {
        let state = Rc::new(HeaderCount::default());
        (
            TarHeaders {
                inner,
                state: state.clone(),
            },
            TarHeaderCount(state),
        )
    }
}

/// Counts what a [`TarHeaders`] reads during one step of the tar crate.
pub(crate) struct TarHeaderCount(Rc<HeaderCount>);

impl TarHeaderCount {
    /// Run `step` (the tar crate's search for the next member) with a fresh count.
    pub(crate) fn next<T>(&self, step: impl FnOnce() -> T) -> T {
        self.0.used.set(0);
        self.0.counting.set(true);
        let out = step();
        self.0.counting.set(false);
        out
    }
}

impl<R: Read> Read for TarHeaders<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if self.state.counting.get() {
            let used = self.state.used.get().saturating_add(n as u64);
            self.state.used.set(used);
            if used > MAX_TAR_HEADER_BYTES {
                return Err(io::Error::other(format!(
                    "more than {MAX_TAR_HEADER_BYTES} bytes of tar headers, long names or pax records before one member"
                )));
            }
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
    fn xz_streams_that_want_too_much_memory_are_a_limit() {
        // A 512 MiB dictionary: refused at the header, before any allocation.
        let mut opts = liblzma::stream::LzmaOptions::new_preset(0).unwrap();
        opts.dict_size(512 << 20);
        let mut filters = liblzma::stream::Filters::new();
        filters.lzma2(&opts);
        let stream =
            liblzma::stream::Stream::new_stream_encoder(&filters, liblzma::stream::Check::Crc32)
                .unwrap();
        let mut enc = liblzma::write::XzEncoder::new_stream(Vec::new(), stream);
        io::Write::write_all(&mut enc, b"hello").unwrap();
        let big = enc.finish().unwrap();
        let err = io::copy(&mut xz_decoder(big.as_slice()).unwrap(), &mut io::sink()).unwrap_err();
        assert!(is_limit(&err), "{err}");
        assert!(err.to_string().contains("256 MiB"), "{err}");
        // An ordinary stream decodes.
        let mut enc = liblzma::write::XzEncoder::new(Vec::new(), 6);
        io::Write::write_all(&mut enc, b"hello").unwrap();
        let small = enc.finish().unwrap();
        let mut out = Vec::new();
        xz_decoder(small.as_slice())
            .unwrap()
            .read_to_end(&mut out)
            .unwrap();
        assert_eq!(out, b"hello");
    }

    #[test]
    fn counted_stops_at_the_artifact_limit() {
        let total = Arc::new(AtomicU64::new(0));
        let mut r = Counted {
            inner: io::repeat(0),
            total: total.clone(),
            max: 10_000,
        };
        let err = io::copy(&mut r, &mut io::sink()).unwrap_err();
        assert!(is_limit(&err), "{err}");
        let total = total.load(Ordering::Relaxed);
        assert!(total > 10_000 && total < 10_000 + 65_536);
    }

    #[test]
    fn tar_headers_count_only_the_search_for_the_next_member() {
        let (mut r, count) = TarHeaders::new(io::repeat(1).take(6 * MAX_TAR_HEADER_BYTES));
        // Member data read outside a step is free.
        let mut buf = vec![0u8; 1 << 20];
        for _ in 0..40 {
            r.read_exact(&mut buf).unwrap();
        }
        // Small steps are fine; a step that reads too much fails.
        for _ in 0..10 {
            count.next(|| r.read_exact(&mut buf)).unwrap();
        }
        let err = count
            .next(|| io::copy(&mut r, &mut io::sink()))
            .unwrap_err();
        assert!(!is_limit(&err));
        assert!(err.to_string().contains("tar headers"), "{err}");
    }
}
