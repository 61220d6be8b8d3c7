//! The `muslcheck` binary: parse arguments, run the pipeline, print, pick the exit status.

mod cli;
mod emit;
mod exit;
mod interrupt;
mod lookup;
mod output;
mod progress;
mod settings;
mod verify_command;

use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::Parser;

use cli::{Cli, Command, DbCommand, ScanArgs};
use muslcheck::db::Db;
use muslcheck::judge::Code;
use muslcheck::report::Report;
use muslcheck::scan::ScanOptions;
use muslcheck::{input, scan};
use settings::Settings;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code.into(),
        Err(e) => {
            if is_broken_pipe(&e) {
                return ExitCode::SUCCESS;
            }
            eprintln!("muslcheck: error: {e:#}");
            exit::Status::Fatal.into()
        }
    }
}

/// A message about the run (not the report) on standard error.
fn warn(message: &str) {
    eprintln!("muslcheck: warning: {message}");
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

fn run(cli: Cli) -> Result<exit::Status> {
    match cli.command {
        Command::Scan(args) => scan(*args),
        Command::Verify(args) => verify_command::run(*args),
        Command::Explain { id } => explain(id.as_deref()),
        Command::Db(DbCommand::Extract { glibc, file }) => {
            let bytes = input::read(&file, u64::MAX)
                .with_context(|| format!("cannot read {}", file.display()))?;
            let lines = muslcheck::extract_exports(&bytes, glibc)
                .with_context(|| file.display().to_string())?;
            let mut out = std::io::stdout().lock();
            for l in lines {
                writeln!(out, "{l}")?;
            }
            Ok(exit::Status::Success)
        }
        Command::Db(DbCommand::Symbol { name, json }) => {
            lookup::symbol(database()?, &name, json, &mut std::io::stdout().lock())?;
            Ok(exit::Status::Success)
        }
        Command::Db(DbCommand::Info { json }) => {
            lookup::info(database()?, json, &mut std::io::stdout().lock())?;
            Ok(exit::Status::Success)
        }
        Command::Db(DbCommand::Targets { json }) => {
            lookup::targets(database()?, json, &mut std::io::stdout().lock())?;
            Ok(exit::Status::Success)
        }
        Command::Completions { shell } => {
            cli::completions(shell, &mut std::io::stdout().lock());
            Ok(exit::Status::Success)
        }
        Command::Man { command, dir } => {
            match dir {
                Some(dir) => {
                    for f in cli::man_pages_to(&dir)? {
                        println!("{}", f.display());
                    }
                }
                None => cli::man_page(command.as_deref(), &mut std::io::stdout().lock())?,
            }
            Ok(exit::Status::Success)
        }
    }
}

fn database() -> Result<&'static Db> {
    Db::get().map_err(|e| anyhow::anyhow!("embedded symbol database is corrupt: {e}"))
}

fn scan(args: ScanArgs) -> Result<exit::Status> {
    let cancel = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    interrupt::install(cancel.clone())?;
    let db = database()?;
    let mut settings = Settings::resolve(&args)?;
    let target = settings.target(db)?;
    let paths = expand_stdin(&args.paths)?;
    if paths.is_empty() && !args.allow_not_judged {
        // `find … | muslcheck scan -` that found nothing must not look like a clean pass.
        bail!(
            "standard input listed no paths: nothing to judge (--allow-not-judged accepts an \
             empty list)"
        );
    }
    check_inputs(&paths)?;
    let mut opts = ScanOptions {
        cancel,
        ..ScanOptions::default()
    };
    if let Some(j) = args.jobs {
        opts.jobs = j.max(1);
    }
    opts.one_unit = args.one_unit;
    opts.input.follow_symlinks = args.follow_symlinks;
    opts.input.limits = args.limits.to_limits();
    opts.input.exclude = exclude_set(&args.exclude)?;
    if let Some(p) = &args.platform {
        opts.input.platform = p.clone();
    }
    if !(args.network_timeout > 0.0 && args.network_timeout.is_finite()) {
        bail!("--network-timeout must be a positive number of seconds");
    }
    opts.input.network = std::sync::Arc::new(input::Network::new(
        args.insecure_registry.clone(),
        args.registry_ca.clone(),
        std::time::Duration::from_secs_f64(args.network_timeout),
    ));

    // jsonl streams records as each input is finished; other formats are written at the end.
    // The destination is opened first, so that an unwritable --output fails before the scan.
    let mut stream = emit::Stream::open(&(&args).into(), &target, settings.writes_baseline())?;
    let progress =
        progress::Bar::new(!args.quiet && !args.no_progress && std::io::stderr().is_terminal());
    let mut records = Vec::new();
    let scanned = scan::scan(
        &paths,
        db,
        &target,
        &opts,
        &interrupt::Counting(&progress),
        &mut |input| stream.push(input, &settings.policy, &mut records),
    );
    progress.finish();
    if interrupt::requested() {
        // Nothing is written; dropping `stream` removes the unfinished report files.
        interrupt::report();
        return Ok(exit::Status::Interrupted);
    }
    scanned?;
    stream.flush()?;
    let mut report = Report::new(target, records);
    settings.gate(&mut report)?;
    let sink = (&args).into();
    match emit::write_all(&report, &sink, stream) {
        Err(e) if e.is::<emit::Interrupted>() => {
            interrupt::report();
            return Ok(exit::Status::Interrupted);
        }
        r => r?,
    }
    emit::gate_to_stderr(&report, &sink);
    Ok(exit::status(&report))
}

/// `-` stands for a list of paths on standard input, one per line.
fn expand_stdin(paths: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for p in paths {
        if p.as_os_str() == "-" {
            for line in std::io::stdin().lock().lines() {
                let line = line.context("reading paths from standard input")?;
                if !line.trim().is_empty() {
                    out.push(PathBuf::from(line));
                }
            }
        } else {
            out.push(p.clone());
        }
    }
    Ok(out)
}

/// Inputs are checked before the scan starts: a malformed `SCHEME:` argument, a file or
/// directory that does not exist (a typo, a dangling link), or a bare name that is no file but
/// reads as an image reference, is a usage error (exit 2) that says what to write instead,
/// never an `error` record in a report.
fn check_inputs(paths: &[PathBuf]) -> Result<()> {
    let mut missing = Vec::new();
    for p in paths {
        let arg = p.to_string_lossy();
        let local = match input::Input::parse(&arg).map_err(anyhow::Error::msg)? {
            input::Input::Path(p) => {
                if std::fs::symlink_metadata(&p).is_err() {
                    if let Some(hint) = input::scheme::image_hint(&arg) {
                        bail!("{hint}");
                    }
                }
                Some(p)
            }
            input::Input::File(p)
            | input::Input::Dir(p)
            | input::Input::OciDir(p)
            | input::Input::OciArchive(p)
            | input::Input::DockerArchive(p) => Some(p),
            input::Input::Registry(_) | input::Input::Daemon(..) => None,
        };
        let gone = |p: &PathBuf| {
            std::fs::metadata(p).is_err_and(|e| e.kind() == std::io::ErrorKind::NotFound)
        };
        if local.as_ref().is_some_and(gone) {
            missing.push(arg.into_owned());
        }
    }
    let Some(first) = missing.first() else {
        return Ok(());
    };
    let more = match missing.len() {
        1 => String::new(),
        n => format!(
            " (and {} more: {})",
            n - 1,
            missing.get(1..).unwrap_or_default().join(", ")
        ),
    };
    bail!("no such file or directory: {first}{more}; nothing was scanned")
}

fn exclude_set(globs: &[String]) -> Result<Option<globset::GlobSet>> {
    if globs.is_empty() {
        return Ok(None);
    }
    let mut b = globset::GlobSetBuilder::new();
    for g in globs {
        b.add(globset::Glob::new(g).with_context(|| format!("bad --exclude pattern '{g}'"))?);
    }
    Ok(Some(b.build()?))
}

/// The finding ID closest to a mistyped one: few edits away, or containing what was typed.
fn did_you_mean(typed: &str) -> Option<&'static str> {
    let typed = typed.trim().to_ascii_lowercase().replace('_', "-");
    let ids = || Code::ALL.iter().map(|c| c.id());
    let (best, distance) = ids()
        .map(|id| (id, strsim::levenshtein(&typed, id)))
        .min_by_key(|(_, d)| *d)?;
    if distance <= (typed.len() / 3).max(1) {
        return Some(best);
    }
    let mut containing = ids().filter(|id| typed.len() >= 3 && id.contains(typed.as_str()));
    match (containing.next(), containing.next()) {
        (Some(only), None) => Some(only),
        _ => None,
    }
}

fn explain(id: Option<&str>) -> Result<exit::Status> {
    let mut out = std::io::stdout().lock();
    match id {
        None => {
            for c in Code::ALL {
                writeln!(out, "{:<24} {}", c.id(), c.summary())?;
            }
        }
        Some(id) => {
            let Some(c) = Code::from_id(id) else {
                let hint = match did_you_mean(id) {
                    Some(s) => format!("did you mean '{s}'? "),
                    None => String::new(),
                };
                bail!("unknown finding ID '{id}'; {hint}`muslcheck explain` lists them");
            };
            writeln!(
                out,
                "{} ({:?})\n\n{}\n\n{}",
                c.id(),
                c.severity(),
                c.summary(),
                c.explanation()
            )?;
        }
    }
    Ok(exit::Status::Success)
}

#[cfg(test)]
mod tests {
    use super::did_you_mean;

    #[test]
    fn mistyped_ids_get_a_suggestion() {
        assert_eq!(did_you_mean("missing-symbl"), Some("missing-symbol"));
        assert_eq!(did_you_mean("MISSING_SYMBOL"), Some("missing-symbol"));
        assert_eq!(did_you_mean("glibc-loadr"), Some("glibc-loader"));
        assert_eq!(did_you_mean("bundled"), Some("bundled-library"));
        assert_eq!(
            did_you_mean("relr"),
            None,
            "dt-relr, partial-relro, no-relro: no single guess"
        );
        assert_eq!(did_you_mean("completely-unrelated-words"), None);
        assert_eq!(
            did_you_mean("nope"),
            None,
            "no-pie is two edits from a 4-letter word"
        );
    }
}
