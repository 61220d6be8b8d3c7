//! The `muslcheck` binary: parse arguments, run the pipeline, print, pick the exit status.

mod cli;
mod exit;
mod progress;

use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::Parser;

use cli::{Cli, Color, Command, DbCommand, Format, ScanArgs};
use muslcheck::db::Db;
use muslcheck::judge::{Code, Target};
use muslcheck::report::{Report, TextOptions, render_json, render_text};
use muslcheck::scan::ScanOptions;
use muslcheck::{input, scan};

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code.into(),
        Err(e) => {
            if is_broken_pipe(&e) {
                return ExitCode::SUCCESS;
            }
            eprintln!("muslcheck: {e:#}");
            exit::Status::Fatal.into()
        }
    }
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

fn run(cli: Cli) -> Result<exit::Status> {
    match cli.command {
        Command::Scan(args) => scan(args),
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
    }
}

fn database() -> Result<&'static Db> {
    Db::get().map_err(|e| anyhow::anyhow!("embedded symbol database is corrupt: {e}"))
}

fn scan(args: ScanArgs) -> Result<exit::Status> {
    let db = database()?;
    let target = Target::resolve(
        db,
        args.target.as_deref(),
        args.musl.as_deref(),
        args.gcompat.as_deref(),
    )?;
    let paths = expand_stdin(&args.paths)?;
    let mut opts = ScanOptions::default();
    if let Some(j) = args.jobs {
        opts.jobs = j.max(1);
    }
    opts.input.follow_symlinks = args.follow_symlinks;
    opts.input.exclude = exclude_set(&args.exclude)?;

    let mut out: Box<dyn Write> = match &args.output {
        Some(path) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(path)
                .with_context(|| format!("cannot create {}", path.display()))?,
        )),
        None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
    };
    let progress =
        progress::Bar::new(!args.quiet && !args.no_progress && std::io::stderr().is_terminal());
    let mut records = Vec::new();
    let mut write_err = None;
    if args.format == Format::Jsonl {
        writeln!(out, "{}", muslcheck::report::render_jsonl_header(&target))?;
    }
    scan::scan(&paths, db, &target, &opts, &progress, &mut |r| {
        if args.format == Format::Jsonl && write_err.is_none() {
            if let Err(e) = writeln!(out, "{}", muslcheck::report::render_jsonl_record(&r)) {
                write_err = Some(e);
            }
        }
        records.push(r);
    })?;
    progress.finish();
    if let Some(e) = write_err {
        return Err(e.into());
    }
    let report = Report::new(target, records);
    let to_tty = args.output.is_none() && std::io::stdout().is_terminal();
    let color = match args.color {
        Color::Always => true,
        Color::Never => false,
        Color::Auto => to_tty && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
    };
    match args.format {
        Format::Text => out.write_all(
            render_text(
                &report,
                TextOptions {
                    color,
                    verbose: args.verbose,
                },
            )
            .as_bytes(),
        )?,
        Format::Json => out.write_all(render_json(&report).as_bytes())?,
        Format::Jsonl => {}
    }
    out.flush()?;
    Ok(exit::status(&report, args.fail_on))
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
                bail!("unknown finding ID '{id}'; `muslcheck explain` lists them");
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
