//! The `muslcheck` binary: parse arguments, run the pipeline, print, pick the exit status.

mod cli;
mod emit;
mod exit;
mod lookup;
mod progress;
mod settings;
mod verify_command;

use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::Parser;

use cli::{CacheArgs, CacheCommand, Cli, Command, DbCommand, ScanArgs};
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
        Command::Merge(args) => merge(*args),
        Command::Cache(CacheCommand::Info { cache, json }) => cache_info(cache, json),
        Command::Cache(CacheCommand::Clear { cache }) => cache_clear(cache),
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
    let db = database()?;
    let mut settings = Settings::resolve(&args)?;
    let target = settings.target(db)?;
    let mut paths = expand_stdin(&args.paths)?;
    let part = args.shard.map(|shard| {
        let names: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
        let part = muslcheck::shard::Part::of(shard, &names);
        paths = part.inputs.iter().map(|(_, n)| PathBuf::from(n)).collect();
        part
    });
    let mut opts = ScanOptions::default();
    if let Some(j) = args.jobs {
        opts.jobs = cap_jobs(j, args.quiet);
    }
    opts.one_unit = args.one_unit;
    opts.input.follow_symlinks = args.follow_symlinks;
    opts.input.limits = args.limits.to_limits();
    opts.input.exclude = exclude_set(&args.exclude)?;
    check_inputs(&paths)?;
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
    opts.expansion = format!("{:?} follow {}", args.exclude, args.follow_symlinks);
    opts.cache = open_cache(&args.cache, args.quiet);
    let mut stream = emit::Stream::open(
        &(&args).into(),
        &target,
        part.as_ref(),
        settings.writes_baseline(),
    )?;
    let show = !args.quiet && !args.no_progress && std::io::stderr().is_terminal();
    let progress = progress::Bar::new(show, paths.len(), opts.cache.is_some());
    let mut records = Vec::new();
    scan::scan(&paths, db, &target, &opts, &progress, &mut |input| {
        stream.push(input, &settings.policy, &mut records)
    })?;
    progress.finish();
    if let Some(c) = &opts.cache {
        for w in c.take_warnings() {
            if !args.quiet {
                warn(&w);
            }
        }
        if args.verbose && !args.quiet {
            let n = |a: &std::sync::atomic::AtomicU64| a.load(std::sync::atomic::Ordering::Relaxed);
            eprintln!(
                "muslcheck: results cache: {} contents not inspected again, {} files not hashed \
                 again, {} archives not decompressed again",
                n(&c.stats.facts_hits),
                n(&c.stats.digest_hits),
                n(&c.stats.archive_hits)
            );
        }
    }
    stream.flush()?;
    let mut report = Report::new(target, records);
    report.shard = part;
    settings.gate(&mut report)?;
    emit::write_all(&report, &(&args).into(), stream)?;
    Ok(exit::status(&report))
}

/// At most this many worker threads per core: more only adds scheduling and memory.
const MAX_JOBS_PER_CORE: usize = 4;

/// `--jobs N`, capped at a sane multiple of the cores (with a message when capped).
fn cap_jobs(asked: usize, quiet: bool) -> usize {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let cap = cores.saturating_mul(MAX_JOBS_PER_CORE);
    if asked > cap {
        if !quiet {
            warn(&format!(
                "--jobs {asked} capped at {cap} ({MAX_JOBS_PER_CORE} per core on {cores} cores)"
            ));
        }
        return cap;
    }
    asked.max(1)
}

/// The results cache this run uses, if any. A cache that cannot be used is reported and the
/// run goes on without it.
fn open_cache(args: &CacheArgs, quiet: bool) -> Option<std::sync::Arc<muslcheck::cache::Cache>> {
    if args.no_cache {
        return None;
    }
    let Some(dir) = args.cache.clone().or_else(muslcheck::cache::default_dir) else {
        if !quiet {
            warn(
                "no cache directory (set XDG_CACHE_HOME or HOME, or pass --cache DIR); scanning without the results cache",
            );
        }
        return None;
    };
    match muslcheck::cache::Cache::open(&dir, args.cache_max_size.0) {
        Ok(c) => Some(std::sync::Arc::new(c)),
        Err(e) => {
            if !quiet {
                warn(&format!("{e}; scanning without the results cache"));
            }
            None
        }
    }
}

fn cache_file(dir: Option<PathBuf>) -> Result<PathBuf> {
    let dir = dir
        .or_else(muslcheck::cache::default_dir)
        .context("no cache directory: set XDG_CACHE_HOME or HOME, or pass --cache DIR")?;
    Ok(dir.join(muslcheck::cache::FILE_NAME))
}

fn cache_info(dir: Option<PathBuf>, json: bool) -> Result<exit::Status> {
    let file = cache_file(dir)?;
    let mut out = std::io::stdout().lock();
    if !file.exists() {
        if json {
            writeln!(
                out,
                "{}",
                serde_json::json!({"path": file.display().to_string(), "exists": false})
            )?;
        } else {
            writeln!(out, "no results cache at {} yet", file.display())?;
        }
        return Ok(exit::Status::Success);
    }
    let info = muslcheck::cache::info_at(&file).map_err(anyhow::Error::msg)?;
    if json {
        writeln!(out, "{}", serde_json::to_string_pretty(&info)?)?;
    } else {
        writeln!(
            out,
            "path:     {}\nsize:     {} on disk, {} of entries\nentries:  {} inspected contents, {} archives, {} file digests\nversion:  {}",
            info.path,
            indicatif::HumanBytes(info.file_bytes),
            indicatif::HumanBytes(info.stored_bytes),
            info.facts,
            info.archives,
            info.files,
            info.version
        )?;
    }
    Ok(exit::Status::Success)
}

fn cache_clear(dir: Option<PathBuf>) -> Result<exit::Status> {
    let file = cache_file(dir)?;
    if file.exists() {
        muslcheck::cache::clear_at(&file).map_err(anyhow::Error::msg)?;
        println!("cleared {}", file.display());
    } else {
        println!("no results cache at {}", file.display());
    }
    Ok(exit::Status::Success)
}

/// `muslcheck merge`: shards' JSONL → one report, gated as one run.
fn merge(args: ScanArgs) -> Result<exit::Status> {
    if args.shard.is_some() {
        bail!("--shard is for scan; merge takes the shards' reports");
    }
    let mut files = Vec::new();
    for p in expand_stdin(&args.paths)? {
        let text =
            std::fs::read_to_string(&p).with_context(|| format!("cannot read {}", p.display()))?;
        files.push((p.display().to_string(), text));
    }
    let merged = muslcheck::merge::merge(&files)?;
    let mut settings = Settings::resolve(&args)?;
    if args.target.is_some() || args.musl.is_some() || args.gcompat.is_some() {
        let asked = settings.target(database()?)?;
        if asked != merged.target {
            bail!(
                "the shards judged for {}, not {}",
                merged.target.describe(),
                asked.describe()
            );
        }
    }
    let stream = emit::Stream::open(
        &(&args).into(),
        &merged.target,
        None,
        settings.writes_baseline(),
    )?;
    let mut records = Vec::new();
    let mut stream = stream;
    stream.push(merged.records, &settings.policy, &mut records);
    stream.flush()?;
    let mut report = Report::new(merged.target, records);
    settings.gate(&mut report)?;
    emit::write_all(&report, &(&args).into(), stream)?;
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

/// Inputs are checked before the scan starts: a malformed `SCHEME:` argument, or a bare name
/// that is no file but reads as an image reference, is a usage error (exit 2) that says what to
/// write instead.
fn check_inputs(paths: &[PathBuf]) -> Result<()> {
    for p in paths {
        let arg = p.to_string_lossy();
        match input::Input::parse(&arg).map_err(anyhow::Error::msg)? {
            input::Input::Path(p) if std::fs::symlink_metadata(&p).is_err() => {
                if let Some(hint) = input::scheme::image_hint(&arg) {
                    bail!("{hint}");
                }
            }
            _ => {}
        }
    }
    Ok(())
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
