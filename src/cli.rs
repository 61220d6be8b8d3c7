//! The command-line definition (clap). Raw arguments only: validation happens in `main`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

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
  muslcheck scan --format json app > r.json machine-readable report
  muslcheck scan pkg.deb wheel.whl image/   archives and OCI images, with bundled-library closure
  find /store -name '*.tar.gz' | muslcheck scan --format jsonl -   paths from standard input
  muslcheck explain missing-symbol          what a finding means and how to fix it";

/// Subcommands.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Judge files and directories.
    Scan(ScanArgs),
    /// Explain a finding ID.
    Explain {
        /// A finding ID such as `missing-symbol` (omit to list all).
        id: Option<String>,
    },
    /// Query the embedded symbol database.
    #[command(subcommand)]
    Db(DbCommand),
}

/// Output formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Human-readable text.
    Text,
    /// One JSON document.
    Json,
    /// One JSON object per line, streamed: a header line (schema, target), then one per record.
    Jsonl,
}

/// Which verdict fails the run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    /// Any ELF verdict (native or worse).
    Native,
    /// gcompat or worse.
    Gcompat,
    /// rebuild or worse (default).
    Rebuild,
    /// Only unreadable or malformed inputs.
    Error,
    /// Never fail on results.
    Never,
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

/// Options of `scan`.
#[derive(Args, Debug)]
pub struct ScanArgs {
    /// Files, directories, archives (tar, zip/whl/jar, deb, rpm, apk, npm tgz) or OCI image
    /// layouts / `docker save` tarballs to judge; `-` reads a list of paths from standard input.
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
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
    /// No progress bar and no messages on standard error.
    #[arg(long, short)]
    pub quiet: bool,
    /// No progress bar (it is shown only when standard error is a terminal).
    #[arg(long)]
    pub no_progress: bool,
    /// Alpine release to judge for: alpine:3.17 … alpine:edge (default: newest with musl 1.2.5).
    #[arg(long, value_name = "TARGET")]
    pub target: Option<String>,
    /// Override the musl version (1.2.3, 1.2.4, 1.2.5, 1.2.6).
    #[arg(long, value_name = "VERSION")]
    pub musl: Option<String>,
    /// gcompat version, or `none` to judge for plain musl.
    #[arg(long, value_name = "VERSION|none")]
    pub gcompat: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Write the report to FILE instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Exit with status 1 when any result is at or above this verdict.
    #[arg(long, value_enum, default_value_t = FailOn::Rebuild)]
    pub fail_on: FailOn,
    /// Colour in text output.
    #[arg(long, value_enum, default_value_t = Color::Auto)]
    pub color: Color,
    /// Show ELF facts and informational findings in text output.
    #[arg(long, short)]
    pub verbose: bool,
}

/// `db` subcommands.
#[derive(Subcommand, Debug)]
pub enum DbCommand {
    /// Print an ELF file's exported dynamic symbols in symbol-db format.
    Extract {
        /// Print `library name version TYPE default|compat` (glibc format).
        #[arg(long)]
        glibc: bool,
        /// The ELF file (e.g. a libc.so).
        file: PathBuf,
    },
}
