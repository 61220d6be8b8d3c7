//! The command-line definition (clap). Raw arguments only: validation happens in `main` and
//! `settings`. Shell completions and man pages are generated from this definition.

use std::fmt;
use std::io::Write;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use clap::{Args, CommandFactory, Parser, Subcommand, ValueEnum};
use muslcheck::input::Limits;

/// Will these prebuilt binaries run on Alpine Linux (musl)?
#[derive(Parser, Debug)]
#[command(name = "muslcheck", version, about, long_about = None, after_help = EXAMPLES)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

const EXAMPLES: &str = "Examples:
  muslcheck scan ./vendor/bin/tool          judge one binary for the default Alpine target
  muslcheck scan --target alpine:3.18 dir/  judge every file under dir/ for Alpine 3.18
  muslcheck scan --gcompat none app.so      judge for plain musl, without gcompat
  muslcheck scan pkg.deb wheel.whl image/   archives and OCI images, with bundled-library closure
  muslcheck scan registry:ghcr.io/org/app:1 docker:app:dev   images in a registry or the local engine
  find /store -name '*.tar.gz' | muslcheck scan --format jsonl -   paths from standard input
  muslcheck scan --format html -o report.html dist/   a migration assessment to share
  muslcheck explain missing-symbol          what a finding means and how to fix it
  muslcheck db symbol fcntl64               who provides a symbol, and what to do

`muslcheck scan --help` shows the CI options (policy file, baseline, report formats).";

const SCAN_EXAMPLES: &str = "Examples:
  muslcheck scan dist/                                  text report; exit 1 if a binary needs a rebuild
  muslcheck scan --fail-on gcompat dist/                also fail when gcompat would be needed
  muslcheck scan --format sarif -o muslcheck.sarif dist/        for GitHub code scanning
  muslcheck scan --report junit=junit.xml --report markdown=summary.md dist/
                                                        several reports from one scan
  muslcheck scan --write-baseline muslcheck-baseline.json dist/ accept today's findings
  muslcheck scan --baseline muslcheck-baseline.json dist/       fail only on new findings

Inputs: a path (file, directory, archive, OCI layout, docker save tarball), or SCHEME:WHAT:
  registry:REF          pull from a registry (REF: [HOST[:PORT]/]NAME[:TAG][@DIGEST])
  docker:REF podman:REF  the local engine's store (DOCKER_HOST / CONTAINER_HOST socket, or CLI)
  oci-archive:FILE  docker-archive:FILE  oci-dir:DIR   image forms, stated
  dir:DIR  file:PATH    a plain tree; a path whatever it looks like
Multi-platform images: --platform linux/arm64, or --platform all (NAME@linux/arm64 artifacts).

Policy: muslcheck.toml in the working directory (or --config FILE) sets target, fail-on, baseline
and [[allow]] rules with a reason and an optional expiry; command-line flags override it.
Exit status: 0 passed, 1 a binary fails --fail-on, 2 usage or fatal error (also: an input that
does not exist, an empty list on standard input), 3 nothing else fails but inputs were unreadable,
malformed or not judged (a limit stopped muslcheck; --allow-not-judged accepts them; nothing fails
with --fail-on never), 130 interrupted (no report written, earlier report files kept).";

const VERIFY_EXAMPLES: &str = "Examples (on Alpine or in a musl container):
  muslcheck verify dist/                       list mode: does musl's loader load each file?
  muslcheck verify --run dist/bin/             also start each program once with --version
  muslcheck verify --run=--help tool           start it with --help instead
  muslcheck verify --format junit -o verify.xml dist/

The prediction is muslcheck's verdict for this host's musl version and gcompat (detected).
Exit status: 0 every checked file agrees, 1 a disagreement, 2 no musl loader here (a glibc host)
or a usage error, 3 inputs that could not be read. docs/verify.md has the details.";

/// Options of `verify`.
#[derive(Args, Debug)]
pub struct VerifyArgs {
    /// Files or directories to check (archive members are judged but cannot be loaded).
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// Also start each executable once in a sandbox, with ARGS (split on spaces; default
    /// `--version`): time limit, scratch directory, stdin from /dev/null, own process group,
    /// no network where a namespace can be made.
    #[arg(long, value_name = "ARGS", num_args = 0..=1, require_equals = true,
          default_missing_value = "--version", allow_hyphen_values = true)]
    pub run: Option<String>,
    /// Time limit of one run or one load, in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 10.0)]
    pub run_timeout: f64,
    /// musl's loader [default: /lib/ld-musl-<arch>.so.1, or $MUSLCHECK_LOADER].
    #[arg(long, value_name = "PATH", help_heading = "Host")]
    pub loader: Option<PathBuf>,
    /// libgcompat to preload for glibc programs, or `none` [default: /lib/libgcompat.so.0 if
    /// present, or $MUSLCHECK_GCOMPAT_PRELOAD].
    #[arg(long, value_name = "PATH|none", help_heading = "Host")]
    pub gcompat_preload: Option<String>,
    /// gcompat's ELF interpreter: programs whose PT_INTERP is PATH are glibc programs started
    /// through gcompat [default: /lib/ld-linux-<arch>.so.* if it is gcompat's, or
    /// $MUSLCHECK_GCOMPAT_LOADER].
    #[arg(long, value_name = "PATH", help_heading = "Host")]
    pub gcompat_loader: Option<PathBuf>,
    /// Run the loader and programs through a user-mode emulator, e.g. `qemu-aarch64-static -L /`
    /// with `--loader /lib/ld-musl-aarch64.so.1` [default: $MUSLCHECK_EMULATOR].
    #[arg(long, value_name = "COMMAND", help_heading = "Host")]
    pub emulator: Option<String>,
    /// Worker threads (default: all cores).
    #[arg(long, short, value_name = "N")]
    pub jobs: Option<usize>,
    /// No messages on standard error.
    #[arg(long, short)]
    pub quiet: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text, help_heading = "Report")]
    pub format: Format,
    /// Write the report to FILE instead of standard output.
    #[arg(long, short, value_name = "FILE", help_heading = "Report")]
    pub output: Option<PathBuf>,
    /// Also write a report in another format (repeatable), e.g. `--report junit=verify.xml`.
    #[arg(long, value_name = "FORMAT=FILE", value_parser = parse_report_spec, help_heading = "Report")]
    pub report: Vec<ReportSpec>,
    /// Colour in text output.
    #[arg(long, value_enum, default_value_t = Color::Auto, help_heading = "Report")]
    pub color: Color,
    /// Show ELF facts and informational findings in text output.
    #[arg(long, short, help_heading = "Report")]
    pub verbose: bool,
    /// Resource limits for untrusted input.
    #[command(flatten)]
    pub limits: LimitArgs,
}

/// Subcommands.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Judge files and directories, report, and gate CI on the result.
    #[command(after_help = SCAN_EXAMPLES)]
    Scan(Box<ScanArgs>),
    /// On the target host: check predictions against its real musl loader, and optionally run
    /// each program once in a sandbox.
    #[command(after_help = VERIFY_EXAMPLES)]
    Verify(Box<VerifyArgs>),
    /// Explain a finding ID.
    Explain {
        /// A finding ID such as `missing-symbol` (omit to list all).
        id: Option<String>,
    },
    /// Query the embedded symbol database.
    #[command(subcommand)]
    Db(DbCommand),
    /// Join the `--format jsonl` reports of `scan --shard K/N` runs into one report, with the
    /// totals, gate and exit status of one run over everything (PATHS are the JSONL files;
    /// report and gate options as for scan).
    Merge(Box<ScanArgs>),
    /// Inspect or empty the results cache.
    #[command(subcommand)]
    Cache(CacheCommand),
    /// Print a shell completion script (e.g. `muslcheck completions bash > /etc/bash_completion.d/muslcheck`).
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff), or write all pages to a directory.
    Man {
        /// A subcommand's page instead of the main one (`scan`, `db`, ...).
        command: Option<String>,
        /// Write muslcheck.1 and one page per subcommand into DIR.
        #[arg(long, value_name = "DIR", conflicts_with = "command")]
        dir: Option<PathBuf>,
    },
}

/// Output formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Human-readable text.
    Text,
    /// One line per artifact: verdict counts, worst blocker, action.
    Table,
    /// One JSON document (docs/json.md, docs/schema/report.schema.json).
    Json,
    /// JSON Lines, streamed: a header, one line per input, a summary.
    Jsonl,
    /// SARIF 2.1.0 for code scanning.
    Sarif,
    /// JUnit XML: one testcase per input.
    Junit,
    /// Markdown summary for a CI step summary or PR comment.
    Markdown,
    /// One self-contained HTML page.
    Html,
}

/// Which verdict fails the run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    /// Any judged ELF file (native or worse).
    Native,
    /// gcompat or worse.
    Gcompat,
    /// rebuild (default).
    Rebuild,
    /// Only unreadable or malformed inputs.
    Error,
    /// Never fail on results.
    Never,
}

impl From<FailOn> for muslcheck::policy::FailOn {
    fn from(f: FailOn) -> Self {
        use muslcheck::policy::FailOn as P;
        match f {
            FailOn::Native => P::Native,
            FailOn::Gcompat => P::Gcompat,
            FailOn::Rebuild => P::Rebuild,
            FailOn::Error => P::Error,
            FailOn::Never => P::Never,
        }
    }
}

/// When to use colour.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Color {
    /// On a terminal, unless NO_COLOR is set.
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

/// An extra report: `--report FORMAT=FILE`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReportSpec {
    /// Its format.
    pub format: Format,
    /// Where to write it.
    pub path: PathBuf,
}

fn parse_platform(s: &str) -> Result<muslcheck::input::Platform, String> {
    muslcheck::input::Platform::parse(s)
}

fn parse_report_spec(s: &str) -> Result<ReportSpec, String> {
    let (format, path) = s
        .split_once('=')
        .ok_or_else(|| format!("expected FORMAT=FILE (e.g. sarif=muslcheck.sarif), got '{s}'"))?;
    let format = Format::from_str(format, true).map_err(|_| {
        let names: Vec<_> = Format::value_variants()
            .iter()
            .filter_map(|f| f.to_possible_value().map(|v| v.get_name().to_string()))
            .collect();
        format!("unknown format '{format}'; one of {}", names.join(", "))
    })?;
    if path.is_empty() {
        return Err(format!("no file after '{format:?}='").to_lowercase());
    }
    Ok(ReportSpec {
        format,
        path: PathBuf::from(path),
    })
}

/// A string argument whose known values (from the embedded database) are offered by shell
/// completion; any value is accepted here (`3.20` too), and validated with a precise error later.
#[derive(Clone)]
pub struct Known(Vec<String>);

impl Known {
    fn targets() -> Known {
        let names = muslcheck::db::Db::get()
            .map(|db| {
                db.releases()
                    .iter()
                    .map(|r| format!("alpine:{}", r.name))
                    .collect()
            })
            .unwrap_or_default();
        Known(names)
    }

    fn musl_versions() -> Known {
        let v = muslcheck::db::Db::get()
            .map(|db| db.versions().musl.iter().map(|m| m.to_string()).collect())
            .unwrap_or_default();
        Known(v)
    }
}

impl clap::builder::TypedValueParser for Known {
    type Value = String;

    fn parse_ref(
        &self,
        _cmd: &clap::Command,
        _arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<String, clap::Error> {
        value
            .to_str()
            .map(str::to_string)
            .ok_or_else(|| clap::Error::new(clap::error::ErrorKind::InvalidUtf8))
    }

    fn possible_values(
        &self,
    ) -> Option<Box<dyn Iterator<Item = clap::builder::PossibleValue> + '_>> {
        Some(Box::new(
            self.0
                .iter()
                .map(|v| clap::builder::PossibleValue::new(v.clone())),
        ))
    }
}

/// Options of `scan`.
#[derive(Args, Debug)]
pub struct ScanArgs {
    /// Files, directories, archives (tar, zip/whl/jar, deb, rpm, apk, npm tgz), OCI image
    /// layouts / `docker save` tarballs, or SCHEME:WHAT — registry:REF, docker:REF, podman:REF,
    /// oci-archive:FILE, oci-dir:DIR, docker-archive:FILE, dir:DIR, file:PATH (docs/inputs.md);
    /// `-` reads a list of inputs from standard input.
    #[arg(required = true, value_name = "INPUT")]
    pub paths: Vec<PathBuf>,
    /// Platform of multi-platform images: OS/ARCH[/VARIANT] (linux/arm64), or `all` (each
    /// platform its own artifact, NAME@OS/ARCH) [default: linux/ this machine's arch].
    #[arg(long, value_name = "PLATFORM", value_parser = parse_platform, help_heading = "Images")]
    pub platform: Option<muslcheck::input::Platform>,
    /// Allow plain HTTP or an unverified certificate for this registry host (HOST[:PORT],
    /// repeatable); no other host is ever contacted insecurely.
    #[arg(long, value_name = "HOST", help_heading = "Images")]
    pub insecure_registry: Vec<String>,
    /// Trust exactly the PEM certificates in FILE for registries, instead of the system roots
    /// (SSL_CERT_FILE adds to the system roots instead).
    #[arg(long, value_name = "FILE", help_heading = "Images")]
    pub registry_ca: Option<PathBuf>,
    /// Longest wait, in seconds, to connect to a registry or engine, or for any read from it.
    #[arg(
        long,
        value_name = "SECONDS",
        default_value_t = 60.0,
        help_heading = "Images"
    )]
    pub network_timeout: f64,
    /// Worker threads (default: all cores).
    #[arg(long, short, value_name = "N")]
    pub jobs: Option<usize>,
    /// Leave out paths or archive members matching GLOB (matched against the whole name and
    /// the file name; repeatable).
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,
    /// Follow symbolic links inside directories (loops are detected).
    #[arg(long)]
    pub follow_symlinks: bool,
    /// No progress bar and no notes on standard error (warnings and the gate line are always
    /// shown there).
    #[arg(long, short)]
    pub quiet: bool,
    /// No progress bar (it is shown only when standard error is a terminal).
    #[arg(long)]
    pub no_progress: bool,
    /// Alpine release to judge for (the releases of the database).
    #[arg(long, value_name = "TARGET", help_heading = "Target", help = target_help(),
          value_parser = Known::targets(), hide_possible_values = true)]
    pub target: Option<String>,
    /// Override the musl version (the versions of the database).
    #[arg(long, value_name = "VERSION", help_heading = "Target", help = musl_help(),
          value_parser = Known::musl_versions(), hide_possible_values = true)]
    pub musl: Option<String>,
    /// gcompat version, or `none` to judge for plain musl.
    #[arg(long, value_name = "VERSION|none", help_heading = "Target")]
    pub gcompat: Option<String>,
    /// Alpine package index of the target release: an APKINDEX.tar.gz, a plain APKINDEX or apk's
    /// installed database, or a directory of them (repeatable; give main and community). Only
    /// packages an index provides are offered to `apk add` [default on an Alpine host: apk's
    /// cached indexes; elsewhere the embedded table].
    #[arg(long, value_name = "FILE|DIR", help_heading = "Target")]
    pub apkindex: Vec<PathBuf>,
    /// Judge all inputs as one install tree: a library in one input satisfies a binary in
    /// another (e.g. sharp and @img/sharp-libvips, shipped as two npm packages; an npm tarball's
    /// package/ is placed at node_modules/NAME, as npm installs it).
    #[arg(long)]
    pub one_unit: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text, help_heading = "Report")]
    pub format: Format,
    /// Write the report to FILE instead of standard output.
    #[arg(long, short, value_name = "FILE", help_heading = "Report")]
    pub output: Option<PathBuf>,
    /// Also write a report in another format (repeatable), e.g. `--report sarif=out.sarif`.
    #[arg(long, value_name = "FORMAT=FILE", value_parser = parse_report_spec, help_heading = "Report")]
    pub report: Vec<ReportSpec>,
    /// Exit with status 1 when a binary's verdict is at or above this [default: rebuild, or
    /// `fail-on` of the config file].
    #[arg(long, value_enum, value_name = "VERDICT", help_heading = "Gate")]
    pub fail_on: Option<FailOn>,
    /// Files a limit kept from being judged (finding `not-judged`), and an empty list of paths
    /// on standard input, do not fail the run (they do by default: the gate fails closed).
    #[arg(long, help_heading = "Gate")]
    pub allow_not_judged: bool,
    /// Policy file [default: ./muslcheck.toml if it exists].
    #[arg(long, value_name = "FILE", help_heading = "Gate")]
    pub config: Option<PathBuf>,
    /// Ignore ./muslcheck.toml.
    #[arg(long, conflicts_with = "config", help_heading = "Gate")]
    pub no_config: bool,
    /// Fail only on findings that are not in this baseline file.
    #[arg(long, value_name = "FILE", help_heading = "Gate")]
    pub baseline: Option<PathBuf>,
    /// Record the current findings as the baseline in FILE (this run then passes on them).
    #[arg(long, value_name = "FILE", help_heading = "Gate")]
    pub write_baseline: Option<PathBuf>,
    /// Remove PREFIX from paths recorded in and matched against the baseline (repeatable), so
    /// that a baseline written in one checkout or build directory serves another. Entries match
    /// on content (SHA-256, ID, symbol, library) first, wherever the file now is.
    #[arg(long, value_name = "PREFIX", help_heading = "Gate")]
    pub strip_prefix: Vec<String>,
    /// Colour in text output.
    #[arg(long, value_enum, default_value_t = Color::Auto, help_heading = "Report")]
    pub color: Color,
    /// Text output: only the summary (artifacts with their action, blockers, what to install,
    /// totals, gate), no line per file; for large scans.
    #[arg(long, help_heading = "Report")]
    pub summary: bool,
    /// Show ELF facts and informational findings in text output.
    #[arg(long, short, help_heading = "Report")]
    pub verbose: bool,
    /// Resource limits for untrusted input.
    #[command(flatten)]
    pub limits: LimitArgs,
    /// The results cache.
    #[command(flatten)]
    pub cache: CacheArgs,
    /// Scan only share K of N of the inputs (0 <= K < N; by a fixed hash of each input's name,
    /// never splitting an input); `muslcheck merge` joins the shards' `--format jsonl` reports.
    #[arg(long, value_name = "K/N", help_heading = "Scale")]
    pub shard: Option<muslcheck::shard::Shard>,
}

/// Where the results cache is (#13, docs/scale.md).
#[derive(Args, Debug)]
#[command(next_help_heading = "Results cache")]
pub struct CacheArgs {
    /// Cache directory [default: $XDG_CACHE_HOME/muslcheck, else ~/.cache/muslcheck].
    #[arg(long, value_name = "DIR")]
    pub cache: Option<PathBuf>,
    /// Neither read nor write the results cache.
    #[arg(long, conflicts_with = "cache")]
    pub no_cache: bool,
    /// Size bound of the cache: past it, the least recently used entries are evicted.
    #[arg(long, value_name = "SIZE", default_value_t = Size(muslcheck::cache::DEFAULT_MAX_BYTES))]
    pub cache_max_size: Size,
}

/// `muslcheck cache …`.
#[derive(Subcommand, Debug)]
pub enum CacheCommand {
    /// Where the results cache is, how big, and what it holds.
    Info {
        /// Cache directory [default: as for scan].
        #[arg(long, value_name = "DIR")]
        cache: Option<PathBuf>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Empty the results cache (only a muslcheck cache is touched).
    Clear {
        /// Cache directory [default: as for scan].
        #[arg(long, value_name = "DIR")]
        cache: Option<PathBuf>,
    },
}

/// What one input may cost (#5). An input that hits a limit gets a `skipped` record that names
/// the limit; the rest of the batch goes on. The defaults are `Limits::default()`.
#[derive(Args, Debug)]
#[command(next_help_heading = "Limits (an input over one is skipped with the reason)")]
pub struct LimitArgs {
    /// How deep archives may nest inside archives (a wheel in a tarball is depth 1).
    #[arg(long, value_name = "N", default_value_t = Limits::default().max_depth)]
    pub max_depth: u32,
    /// Largest file analysed: a file on disk, or an archive member once decompressed (it is
    /// held in memory while analysed). SIZE takes K, M, G, T suffixes (powers of 1024).
    #[arg(long, value_name = "SIZE", default_value_t = Size(Limits::default().max_file_bytes))]
    pub max_file_size: Size,
    /// Most bytes decompressed from one artifact, all its members and nesting levels together
    /// (stops decompression bombs).
    #[arg(long, value_name = "SIZE", default_value_t = Size(Limits::default().max_artifact_bytes))]
    pub max_artifact_size: Size,
    /// Most bytes of archive members waiting in memory for a worker, across the run (past it,
    /// the reader analyses members itself instead of queueing them).
    #[arg(long, value_name = "SIZE", default_value_t = Size(Limits::default().max_in_flight_bytes))]
    pub max_buffered: Size,
    /// Longest time the analysis of one file may take, in seconds (fractions allowed); 0 means
    /// no limit.
    #[arg(long, value_name = "SECONDS", default_value_t = Seconds(Limits::default().timeout))]
    pub timeout: Seconds,
}

impl LimitArgs {
    /// The limits these flags ask for.
    pub fn to_limits(&self) -> Limits {
        Limits {
            max_depth: self.max_depth,
            max_file_bytes: self.max_file_size.0,
            max_artifact_bytes: self.max_artifact_size.0,
            max_in_flight_bytes: self.max_buffered.0,
            timeout: self.timeout.0,
        }
    }
}

/// A byte count written as `4096`, `64K`, `512M`, `1G`, `2T` (powers of 1024; `KiB`, `MB`…
/// are read the same way).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Size(pub u64);

impl FromStr for Size {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let t = s.trim();
        let digits = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
        let (num, unit) = t.split_at(digits);
        let n: u64 = num
            .parse()
            .map_err(|_| format!("'{s}' is not a size such as 4096, 64K, 512M or 1G"))?;
        let shift = match unit.trim().to_ascii_uppercase().as_str() {
            "" | "B" => 0,
            "K" | "KB" | "KIB" => 10,
            "M" | "MB" | "MIB" => 20,
            "G" | "GB" | "GIB" => 30,
            "T" | "TB" | "TIB" => 40,
            _ => return Err(format!("unknown size unit in '{s}' (use K, M, G or T)")),
        };
        n.checked_mul(1u64 << shift)
            .map(Size)
            .ok_or_else(|| format!("size '{s}' is too large"))
    }
}

impl fmt::Display for Size {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let units = [(40, "T"), (30, "G"), (20, "M"), (10, "K")];
        match units
            .iter()
            .find(|(shift, _)| self.0 != 0 && self.0 % (1u64 << shift) == 0)
        {
            Some((shift, unit)) => write!(f, "{}{unit}", self.0 >> shift),
            None => write!(f, "{}", self.0),
        }
    }
}

/// A duration in seconds (`60`, `0.5`); `0` means none.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Seconds(pub Option<Duration>);

impl FromStr for Seconds {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let secs: f64 = s
            .trim()
            .parse()
            .map_err(|_| format!("'{s}' is not a number of seconds"))?;
        if secs == 0.0 {
            return Ok(Seconds(None));
        }
        Duration::try_from_secs_f64(secs)
            .map(|d| Seconds(Some(d)))
            .map_err(|_| format!("'{s}' is not a usable number of seconds"))
    }
}

impl fmt::Display for Seconds {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0.map_or(0.0, |d| d.as_secs_f64()))
    }
}

/// `db` subcommands.
#[derive(Subcommand, Debug)]
pub enum DbCommand {
    /// Who provides a symbol: musl versions per architecture, gcompat, glibc; and what to do.
    Symbol {
        /// The symbol, with or without `@VERSION` (`fcntl64`, `__printf_chk@GLIBC_2.3.4`).
        name: String,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Database versions and where each table comes from.
    Info {
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// The Alpine releases muslcheck can judge for, with their musl and gcompat.
    Targets {
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Print an ELF file's exported dynamic symbols in symbol-db format.
    Extract {
        /// Print `library name version TYPE default|compat` (glibc format).
        #[arg(long)]
        glibc: bool,
        /// The ELF file (e.g. a libc.so).
        file: PathBuf,
    },
}

/// Write a completion script for `shell`.
pub fn completions(shell: clap_complete::Shell, out: &mut dyn Write) {
    clap_complete::generate(shell, &mut Cli::command(), "muslcheck", out);
}

/// Man-page sections clap does not know: exit status, files, environment.
const MAN_EXTRA: &str = r#".SH "EXIT STATUS"
.TP
\fB0\fR
No result is at or above \fB\-\-fail\-on\fR (after allow rules and the baseline).
.TP
\fB1\fR
A judged binary fails \fB\-\-fail\-on\fR (policy violation).
.TP
\fB2\fR
Usage or fatal error, before any scanning: bad arguments, bad configuration or baseline file,
unwritable output, an input that does not exist, an empty list of paths on standard input.
.TP
\fB3\fR
Nothing else failed, but inputs could not be read or parsed, or a limit kept files from being
judged (finding \fBnot\-judged\fR; accepted by \fB\-\-allow\-not\-judged\fR or an allow rule);
not with \fB\-\-fail\-on never\fR.
.TP
\fB130\fR
Interrupted (Ctrl\-C): no report written, report files from before left as they were.
.SH FILES
.TP
\fImuslcheck.toml\fR
Policy file read from the working directory (or \fB\-\-config\fR): \fBtarget\fR, \fBmusl\fR,
\fBgcompat\fR, \fBfail\-on\fR, \fBbaseline\fR and \fB[[allow]]\fR rules (\fBpath\fR, \fBid\fR,
\fBsymbol\fR, \fBlibrary\fR, required \fBreason\fR, optional \fBexpires\fR date). Unknown keys are
errors. Command\-line flags override it.
.SH ENVIRONMENT
.TP
\fBNO_COLOR\fR
When set and not empty, text output has no colour (unless \fB\-\-color always\fR).
"#;

/// Write the man page of the program, or of one subcommand.
pub fn man_page(subcommand: Option<&str>, out: &mut dyn Write) -> anyhow::Result<()> {
    let cmd = Cli::command();
    let page = match subcommand {
        None => cmd,
        Some(name) => {
            let names: Vec<String> = cmd
                .get_subcommands()
                .map(|c| c.get_name().to_string())
                .collect();
            let sub = cmd.find_subcommand(name).cloned().ok_or_else(|| {
                anyhow::anyhow!(
                    "no subcommand '{name}'; man pages exist for: {}",
                    names.join(", ")
                )
            })?;
            sub.name(format!("muslcheck-{name}"))
                .version(env!("CARGO_PKG_VERSION"))
        }
    };
    clap_mangen::Man::new(page).render(out)?;
    if subcommand.is_none() || subcommand == Some("scan") {
        out.write_all(MAN_EXTRA.as_bytes())?;
    }
    Ok(())
}

/// Write muslcheck.1 and muslcheck-SUBCOMMAND.1 pages into `dir`.
pub fn man_pages_to(dir: &std::path::Path) -> anyhow::Result<Vec<PathBuf>> {
    use anyhow::Context;
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let mut written = Vec::new();
    let mut names: Vec<Option<String>> = vec![None];
    names.extend(
        Cli::command()
            .get_subcommands()
            .map(|c| Some(c.get_name().to_string())),
    );
    for name in names {
        let file = dir.join(match &name {
            None => "muslcheck.1".to_string(),
            Some(n) => format!("muslcheck-{n}.1"),
        });
        let mut buf = Vec::new();
        man_page(name.as_deref(), &mut buf)?;
        std::fs::write(&file, buf).with_context(|| format!("cannot write {}", file.display()))?;
        written.push(file);
    }
    Ok(written)
}

/// `--target`'s help, from the embedded database's releases.
fn target_help() -> String {
    let Ok(db) = muslcheck::db::Db::get() else {
        return "Alpine release to judge for (alpine:VERSION)".into();
    };
    let releases = db.releases();
    let first = releases.first().map_or("", |r| r.name);
    let last = releases.last().map_or("", |r| r.name);
    format!(
        "Alpine release to judge for: alpine:{first} … alpine:{last} (default: newest with musl {})",
        muslcheck::judge::DEFAULT_MUSL
    )
}

/// `--musl`'s help, from the musl versions the embedded database has export lists for.
fn musl_help() -> String {
    let versions = muslcheck::db::Db::get()
        .map(|db| db.versions().musl.join(", "))
        .unwrap_or_default();
    format!("Override the musl version ({versions})")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn report_specs_parse() {
        let s = parse_report_spec("sarif=out/a.sarif").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(s.format, Format::Sarif);
        assert_eq!(s.path, PathBuf::from("out/a.sarif"));
        assert!(parse_report_spec("sarif").is_err());
        assert!(parse_report_spec("pdf=x").unwrap_err().contains("markdown"));
        assert!(parse_report_spec("json=").is_err());
    }

    #[test]
    fn sizes_parse_and_print_in_powers_of_1024() {
        assert_eq!("4096".parse(), Ok(Size(4096)));
        assert_eq!("64K".parse(), Ok(Size(64 << 10)));
        assert_eq!("512MiB".parse(), Ok(Size(512 << 20)));
        assert_eq!("1g".parse(), Ok(Size(1 << 30)));
        assert!("1.5G".parse::<Size>().is_err());
        assert!("12Q".parse::<Size>().is_err());
        assert!("99999999999T".parse::<Size>().is_err());
        assert_eq!(Size(16 << 30).to_string(), "16G");
        assert_eq!(Size(1536).to_string(), "1536");
        assert_eq!(Size(0).to_string(), "0");
    }

    #[test]
    fn seconds_parse_with_zero_as_none() {
        assert_eq!("0".parse(), Ok(Seconds(None)));
        assert_eq!(
            "2.5".parse(),
            Ok(Seconds(Some(Duration::from_millis(2500))))
        );
        assert!("-1".parse::<Seconds>().is_err());
        assert!("soon".parse::<Seconds>().is_err());
        assert_eq!(Seconds(Some(Duration::from_secs(60))).to_string(), "60");
    }

    #[test]
    fn limit_flags_default_to_the_library_defaults() {
        let cli = Cli::parse_from(["muslcheck", "scan", "x"]);
        let Command::Scan(args) = cli.command else {
            panic!("not scan");
        };
        let l = args.limits.to_limits();
        let d = Limits::default();
        assert_eq!(
            (
                l.max_depth,
                l.max_file_bytes,
                l.max_artifact_bytes,
                l.max_in_flight_bytes,
                l.timeout
            ),
            (
                d.max_depth,
                d.max_file_bytes,
                d.max_artifact_bytes,
                d.max_in_flight_bytes,
                d.timeout
            )
        );
    }
}
