//! The `muslcheck` binary: parse arguments, run the pipeline, print, pick the exit status.

mod cli;
mod exit;

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::Parser;

use cli::{Cli, Color, Command, DbCommand, Format, ScanArgs};
use muslcheck::db::Db;
use muslcheck::judge::{Code, Target};
use muslcheck::report::{Report, TextOptions, render_json, render_text};
use muslcheck::{analyse, input, unreadable};

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
            let bytes =
                input::read(&file).with_context(|| format!("cannot read {}", file.display()))?;
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
    let records: Vec<_> = input::expand(&args.paths)
        .into_iter()
        .map(|inp| match &inp.path {
            Err(e) => unreadable(&inp.name, &inp.artifact, e),
            Ok(p) => match input::read(p) {
                Ok(bytes) => analyse(&inp.name, &inp.artifact, &bytes, db, &target),
                Err(e) => unreadable(&inp.name, &inp.artifact, &e.to_string()),
            },
        })
        .collect();
    let report = Report::new(target, records);
    let to_tty = args.output.is_none() && std::io::stdout().is_terminal();
    let color = match args.color {
        Color::Always => true,
        Color::Never => false,
        Color::Auto => to_tty && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
    };
    let text = match args.format {
        Format::Text => render_text(
            &report,
            TextOptions {
                color,
                verbose: args.verbose,
            },
        ),
        Format::Json => render_json(&report),
    };
    match &args.output {
        Some(path) => std::fs::write(path, text)
            .with_context(|| format!("cannot write {}", path.display()))?,
        None => std::io::stdout().lock().write_all(text.as_bytes())?,
    }
    Ok(exit::status(&report, args.fail_on))
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
