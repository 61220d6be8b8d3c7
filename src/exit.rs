//! Exit statuses, decided once after the run from the report's gate.
//!
//! 0: success (nothing at or above `--fail-on`, after allow rules and the baseline); 1: a judged
//! binary at or above `--fail-on` (policy violation); 2: usage or fatal error (bad arguments,
//! configuration or baseline file, output not writable); 3: the only failing results are inputs
//! that could not be read or parsed (under every `--fail-on` but `never`); 130: interrupted.

use muslcheck::policy::GateStatus;
use muslcheck::report::Report;

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
    /// 130: interrupted by Ctrl-C (no report written).
    Interrupted,
}

impl From<Status> for std::process::ExitCode {
    fn from(s: Status) -> Self {
        std::process::ExitCode::from(match s {
            Status::Success => 0,
            Status::PolicyViolation => 1,
            Status::Fatal => 2,
            Status::Unreadable => 3,
            Status::Interrupted => crate::interrupt::EXIT_STATUS,
        })
    }
}

/// The status of a finished report whose policy has been applied.
pub fn status(report: &Report) -> Status {
    match report.gate.as_ref().map(|g| g.status) {
        None | Some(GateStatus::Passed) => Status::Success,
        Some(GateStatus::Failed) => Status::PolicyViolation,
        Some(GateStatus::Unreadable | GateStatus::NotJudged) => Status::Unreadable,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use muslcheck::db::Db;
    use muslcheck::judge::Target;
    use muslcheck::policy::{Date, FailOn, Policy};

    fn report(paths: &[&str], fail_on: FailOn) -> Report {
        let db = Db::get().unwrap_or_else(|e| panic!("{e}"));
        let target = Target::resolve(db, None, None, None).unwrap_or_else(|e| panic!("{e}"));
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/bin");
        let records = paths
            .iter()
            .map(|p| match std::fs::read(root.join(p)) {
                Ok(bytes) => muslcheck::analyse(p, p, &bytes, db, &target),
                Err(e) => muslcheck::unreadable(p, p, &e.to_string()),
            })
            .collect();
        let mut r = Report::new(target, records);
        r.apply_policy(&Policy::new(fail_on, Date::from_unix_days(20_000)));
        r
    }

    #[test]
    fn every_status_maps_from_the_gate() {
        use FailOn::*;
        use Status::*;
        let cases: &[(&[&str], FailOn, Status)] = &[
            (&["hello-musl"], Rebuild, Success),
            (&["hello-glibc"], Rebuild, Success),
            (&["hello-glibc"], Gcompat, PolicyViolation),
            (&["hello-musl"], Native, PolicyViolation),
            (&["fcntl64"], Rebuild, PolicyViolation),
            (&["fcntl64"], Error, Success),
            (&["fcntl64"], Never, Success),
            (&["truncated-elf"], Rebuild, Unreadable),
            (&["truncated-elf"], Error, Unreadable),
            (&["no-such-file"], Gcompat, Unreadable),
            (&["truncated-elf"], Never, Success),
            (&["truncated-elf", "fcntl64"], Rebuild, PolicyViolation),
            (&["not-elf.txt"], Native, Success),
        ];
        for (paths, fail_on, want) in cases {
            assert_eq!(
                status(&report(paths, *fail_on)),
                *want,
                "{paths:?} {fail_on:?}"
            );
        }
    }
}
