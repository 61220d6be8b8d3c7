//! How much work one inspection may do: a cooperative deadline and a budget for name bytes.
//!
//! Input is hostile (#5). Every table is bounded by the file's own size, but string tables can
//! be shared: a million symbols may all name the same megabyte-long string, which would make the
//! work (and the memory of the copied names) quadratic. So every name read is charged to a
//! budget proportional to the file, every scan for a terminator is capped, and the loops over
//! symbols, relocations, versions and hash chains check a deadline every [`TICKS_PER_CHECK`]
//! steps. Exhausting the budget is damage (an `error` record); passing the deadline is a limit
//! (a `skipped` record).

use std::cell::Cell;
use std::time::Instant;

use super::reader::InspectError;

/// Loop steps between two looks at the clock (reading it costs about 20 ns).
const TICKS_PER_CHECK: u32 = 1024;
/// Longest name (symbol, library, version, path) read from a string table.
pub(crate) const MAX_NAME: usize = 1 << 20;
/// Name bytes every file may read, on top of [`NAME_BYTES_PER_FILE_BYTE`] per file byte.
const NAME_BYTES_BASE: usize = 64 << 20;
/// A real file's names fit in its own string table; four times its size is generous.
const NAME_BYTES_PER_FILE_BYTE: usize = 4;

/// Shared by every reader of one file.
pub(crate) struct Work {
    deadline: Option<Instant>,
    ticks: Cell<u32>,
    name_bytes_left: Cell<usize>,
}

impl Work {
    pub(crate) fn new(file_len: usize, deadline: Option<Instant>) -> Work {
        Work {
            deadline,
            ticks: Cell::new(0),
            name_bytes_left: Cell::new(
                file_len
                    .saturating_mul(NAME_BYTES_PER_FILE_BYTE)
                    .saturating_add(NAME_BYTES_BASE),
            ),
        }
    }

    /// Fail if the deadline has passed (looks at the clock now).
    pub(crate) fn check(&self) -> Result<(), InspectError> {
        match self.deadline {
            Some(d) if Instant::now() >= d => Err(InspectError::TimedOut),
            _ => Ok(()),
        }
    }

    /// One step of a loop: looks at the clock every [`TICKS_PER_CHECK`] steps.
    pub(crate) fn tick(&self) -> Result<(), InspectError> {
        let t = self.ticks.get().wrapping_add(1);
        self.ticks.set(t);
        if t % TICKS_PER_CHECK == 0 {
            self.check()
        } else {
            Ok(())
        }
    }

    /// How many bytes a scan for a name's terminator may look at.
    pub(crate) fn name_window(&self) -> usize {
        self.name_bytes_left.get().min(MAX_NAME)
    }

    /// Charge `n` bytes of names (read or scanned); false once the budget is gone.
    pub(crate) fn charge(&self, n: usize) -> bool {
        let left = self.name_bytes_left.get();
        self.name_bytes_left.set(left.saturating_sub(n));
        n <= left
    }
}

/// Read a NUL-terminated name at `off` in `table`, charged to `work`.
///
/// `Ok(None)`: the offset is outside the table. `Err(msg)`: no terminator within the window
/// (an unterminated table, an absurdly long name, or the file's name budget is spent).
pub(crate) fn read_name(work: &Work, table: &[u8], off: usize) -> Result<Option<String>, String> {
    let Some(rest) = table.get(off..) else {
        return Ok(None);
    };
    let window = rest.get(..work.name_window()).unwrap_or(rest);
    match window.iter().position(|&b| b == 0) {
        Some(end) => {
            if !work.charge(end.saturating_add(1)) {
                return Err("names read from this file exceed its budget".into());
            }
            let name = window.get(..end).unwrap_or_default();
            Ok(Some(String::from_utf8_lossy(name).into_owned()))
        }
        None => {
            work.charge(window.len().max(1));
            Err(if window.len() == rest.len() {
                format!("unterminated string at offset {off}")
            } else if window.len() >= MAX_NAME {
                format!("string at offset {off} is longer than {MAX_NAME} bytes")
            } else {
                "names read from this file exceed its budget (string tables overlap)".into()
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn names_are_read_and_charged() {
        let w = Work::new(0, None);
        let table = b"\0libc.so\0abc";
        assert_eq!(read_name(&w, table, 1), Ok(Some("libc.so".into())));
        assert_eq!(read_name(&w, table, 0), Ok(Some(String::new())));
        assert_eq!(read_name(&w, table, 99), Ok(None));
        assert!(
            read_name(&w, table, 9)
                .unwrap_err()
                .contains("unterminated")
        );
    }

    #[test]
    fn a_shared_long_name_exhausts_the_budget_instead_of_the_machine() {
        let mut table = vec![b'x'; 4 << 20];
        table.push(0);
        let w = Work::new(table.len(), None);
        // Each read of the 4 MiB name is refused (over MAX_NAME) and charged its window.
        let mut refused = 0;
        for _ in 0..1000 {
            if read_name(&w, &table, 0).is_err() {
                refused += 1;
            }
        }
        assert_eq!(refused, 1000);
        assert_eq!(
            w.name_window(),
            0,
            "budget spent: later scans look at nothing"
        );
        // A short name read at the budget's edge is refused too.
        assert!(read_name(&w, b"ok\0", 0).is_err());
    }

    #[test]
    fn ticks_look_at_the_clock_only_now_and_then() {
        let past = Instant::now().checked_sub(Duration::from_millis(1));
        let w = Work::new(0, past);
        assert_eq!(w.check(), Err(InspectError::TimedOut));
        let mut first_failure = None;
        for i in 1..=TICKS_PER_CHECK {
            if w.tick().is_err() {
                first_failure = Some(i);
                break;
            }
        }
        assert_eq!(first_failure, Some(TICKS_PER_CHECK));
        let never = Work::new(0, None);
        assert!((0..5000).all(|_| never.tick().is_ok()));
    }
}
