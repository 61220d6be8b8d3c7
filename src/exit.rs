//! Exit statuses, decided once after the run.
//!
//! 0: success (no result at or above `--fail-on`); 1: a result at or above `--fail-on`;
//! 2: usage or fatal error (bad arguments, output not writable); 3: the only failing results are
//! inputs that could not be read or parsed.

use muslcheck::judge::Verdict;
use muslcheck::report::Report;

use crate::cli::FailOn;

/// The process exit status.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// 0.
    Success,
    /// 1.
    PolicyViolation,
    /// 2.
    Fatal,
    /// 3.
    Unreadable,
}

impl From<Status> for std::process::ExitCode {
    fn from(s: Status) -> Self {
        std::process::ExitCode::from(match s {
            Status::Success => 0,
            Status::PolicyViolation => 1,
            Status::Fatal => 2,
            Status::Unreadable => 3,
        })
    }
}

/// The status for a finished report under a `--fail-on` threshold.
pub fn status(report: &Report, fail_on: FailOn) -> Status {
    let threshold = match fail_on {
        FailOn::Never => return Status::Success,
        FailOn::Native => Verdict::Native,
        FailOn::Gcompat => Verdict::Gcompat,
        FailOn::Rebuild => Verdict::Rebuild,
        FailOn::Error => Verdict::Error,
    };
    let judged_fail = report.results.iter().any(|r| {
        r.verdict != Verdict::Error && r.verdict != Verdict::Skipped && r.verdict >= threshold
    });
    if judged_fail {
        Status::PolicyViolation
    } else if report.results.iter().any(|r| r.verdict == Verdict::Error) {
        Status::Unreadable
    } else {
        Status::Success
    }
}
