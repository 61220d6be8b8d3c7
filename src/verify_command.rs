//! `muslcheck verify`: judge inputs for this host, check each against the host's musl loader
//! (and a sandboxed run with `--run`), report agreement. The exit status says whether every
//! checked file agreed.

use std::time::Duration;

use anyhow::{Result, anyhow, bail};

use muslcheck::report::Report;
use muslcheck::scan::ScanOptions;
use muslcheck::verify::{self, Host, HostOptions};
use muslcheck::{judge::Verdict, scan};

use crate::cli::VerifyArgs;
use crate::{emit, exit, progress};

/// Run `verify`.
pub fn run(args: VerifyArgs) -> Result<exit::Status> {
    let db = crate::database()?;
    if !(args.run_timeout.is_finite() && args.run_timeout > 0.0) {
        bail!("--run-timeout must be a positive number of seconds");
    }
    let run_args: Option<Vec<String>> = args
        .run
        .as_deref()
        .map(|a| a.split_whitespace().map(str::to_string).collect());
    let host = Host::detect(&HostOptions {
        loader: args.loader.clone(),
        gcompat_preload: args.gcompat_preload.clone(),
        gcompat_loader: args.gcompat_loader.clone(),
        run: run_args.is_some(),
        emulator: args.emulator.clone(),
    })
    .map_err(|e| anyhow!("{e}"))?;
    let target = verify::host_target(db, &host).map_err(|e| anyhow!("{e}"))?;
    if !args.quiet {
        eprintln!(
            "muslcheck: verifying on this host: musl {} ({}), {}, judged as {}{}",
            host.musl,
            host.loader.display(),
            match &host.gcompat_preload {
                Some(p) => format!("gcompat ({})", p.display()),
                None => "no gcompat".to_string(),
            },
            target.describe(),
            match (&run_args, &host.network_isolation) {
                (None, _) => String::new(),
                (Some(_), Some(n)) => format!("; runs without network ({n})"),
                (Some(_), None) => {
                    "; runs WITH network access (no namespace can be made here)".to_string()
                }
            }
        );
    }
    let paths = crate::expand_stdin(&args.paths)?;
    crate::check_inputs(&paths)?;
    let mut opts = ScanOptions::default();
    if let Some(j) = args.jobs {
        opts.jobs = j.max(1);
    }
    opts.input.limits = args.limits.to_limits();
    let sink = (&args).into();
    let stream = emit::Stream::open(&sink, &target, None, true)?;
    let mut records = Vec::new();
    scan::scan(
        &paths,
        db,
        &target,
        &opts,
        &progress::Bar::new(false, 0, false),
        &mut |e| records.extend(e.input()),
    )?;
    verify::verify(
        &mut records,
        &host,
        db,
        &target,
        &verify::Options {
            run: run_args.clone(),
            timeout: Duration::from_secs_f64(args.run_timeout),
            jobs: opts.jobs,
        },
    );
    let summary = verify::Summary::of(&host, run_args.as_deref(), &records);
    let mut report = Report::new(target, records);
    report.verify = Some(summary);
    emit::write_all(&report, &sink, stream)?;
    Ok(status(&report))
}

/// 1 on any disagreement, else 3 when an input could not be read, else 0.
fn status(report: &Report) -> exit::Status {
    if report.verify.as_ref().is_some_and(|v| v.disagree > 0) {
        exit::Status::PolicyViolation
    } else if report.results.iter().any(|r| r.verdict == Verdict::Error) {
        exit::Status::Unreadable
    } else {
        exit::Status::Success
    }
}
