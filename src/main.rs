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
    let cancel = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    interrupt::install(cancel.clone())?;
    let db = database()?;
    let mut settings = Settings::resolve(&args)?;
    let target = settings.target(db)?;
    let mut paths = expand_stdin(&args.paths)?;
    if paths.is_empty() && !args.allow_not_judged {
        // `find … | muslcheck scan -` that found nothing must not look like a clean pass.
        bail!(
            "standard input listed no paths: nothing to judge (--allow-not-judged accepts an \
             empty list)"
        );
    }
    check_inputs(&paths)?;
    // The share is taken after the checks: every shard refuses the same bad input list.
    let part = args.shard.map(|shard| {
        let names: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
        let part = muslcheck::shard::Part::of(shard, &names);
        paths = part.inputs.iter().map(|(_, n)| PathBuf::from(n)).collect();
        part
    });
    let mut opts = ScanOptions {
        cancel,
        ..ScanOptions::default()
    };
    if let Some(j) = args.jobs {
        opts.jobs = cap_jobs(j);
        // What runs outside the scan's own pool (rendering the report) keeps to --jobs too.
        let _ = rayon::ThreadPoolBuilder::new()
            .num_threads(opts.jobs)
            .build_global();
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

    // jsonl streams each record as soon as it is final; other formats are written at the end.
    // The destination is opened first, so that an unwritable --output fails before the scan.
    opts.expansion = format!("{:?} follow {}", args.exclude, args.follow_symlinks);
    opts.cache = open_cache(&args.cache);
    let mut stream = emit::Stream::open(
        &(&args).into(),
        &target,
        part.as_ref(),
        settings.writes_baseline(),
    )?;
    opts.early = stream.streams();
    let show = !args.quiet && !args.no_progress && std::io::stderr().is_terminal();
    let progress = progress::Bar::new(show, paths.len(), opts.cache.is_some());
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
    if let Some(c) = &opts.cache {
        // Warnings reach stderr even with -q (#11): a cache that was ignored is worth knowing.
        for w in c.take_warnings() {
            warn(&w);
        }
        if args.verbose && !args.quiet {
            let n = |a: &std::sync::atomic::AtomicU64| a.load(std::sync::atomic::Ordering::Relaxed);
            eprintln!(
                "muslcheck: results cache: {} contents not judged again, {} more not inspected \
                 again, {} files not hashed again, {} files not opened again, {} archives not \
                 decompressed again",
                n(&c.stats.judged_hits),
                n(&c.stats.facts_hits),
                n(&c.stats.digest_hits),
                n(&c.stats.other_hits),
                n(&c.stats.archive_hits)
            );
        }
    }
    stream.flush()?;
    let mut report = Report::new(target, records);
    report.shard = part;
    settings.gate(&mut report)?;
    deliver(&report, &(&args).into(), stream)
}

/// Write every report (atomically), then the gate line to stderr; the run's exit status. An
/// interrupt while writing leaves the previous report files as they were (#11).
fn deliver(report: &Report, sink: &emit::Sink, stream: emit::Stream) -> Result<exit::Status> {
    match emit::write_all(report, sink, stream) {
        Err(e) if e.is::<emit::Interrupted>() => {
            interrupt::report();
            return Ok(exit::Status::Interrupted);
        }
        r => r?,
    }
    emit::gate_to_stderr(report, sink);
    Ok(exit::status(report))
}

/// At most this many worker threads per core: more only adds scheduling and memory.
const MAX_JOBS_PER_CORE: usize = 4;

/// `--jobs N`, capped at a sane multiple of the cores (with a message when capped).
fn cap_jobs(asked: usize) -> usize {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let cap = cores.saturating_mul(MAX_JOBS_PER_CORE);
    if asked > cap {
        warn(&format!(
            "--jobs {asked} capped at {cap} ({MAX_JOBS_PER_CORE} per core on {cores} cores)"
        ));

        return cap;
    }
    asked.max(1)
}

/// The results cache this run uses, if any. A cache that cannot be used is reported and the
/// run goes on without it.
fn open_cache(args: &CacheArgs) -> Option<std::sync::Arc<muslcheck::cache::Cache>> {
    if args.no_cache {
        return None;
    }
    let Some(dir) = args.cache.clone().or_else(muslcheck::cache::default_dir) else {
        warn(
            "no cache directory (set XDG_CACHE_HOME or HOME, or pass --cache DIR); scanning without the results cache",
        );

        return None;
    };
    match muslcheck::cache::Cache::open(&dir, args.cache_max_size.0) {
        Ok(c) => Some(std::sync::Arc::new(c)),
        Err(e) => {
            warn(&format!("{e}; scanning without the results cache"));

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
            "path:     {}\nsize:     {} on disk, {} of entries\nentries:  {} inspected contents, {} judgements, {} archives, {} files\nversion:  {}",
            info.path,
            indicatif::HumanBytes(info.file_bytes),
            indicatif::HumanBytes(info.stored_bytes),
            info.facts,
            info.judged,
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
    let early = vec![false; merged.records.len()];
    let all = scan::Emitted::Input {
        records: merged.records,
        early,
    };
    stream.push(all, &settings.policy, &mut records);
    stream.flush()?;
    let mut report = Report::new(merged.target, records);
    settings.gate(&mut report)?;
    deliver(&report, &(&args).into(), stream)
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
