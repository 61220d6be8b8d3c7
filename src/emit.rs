//! Render the report in the requested formats and write each to its destination; stream
//! `--format jsonl` while the scan runs. Report files are written atomically
//! ([`crate::output`]).

use std::io::{IsTerminal, Write};
use std::path::Path;

use anyhow::Result;

use muslcheck::judge::Target;
use muslcheck::policy::{self, Policy};
use muslcheck::report::{
    Record, Report, TextOptions, render_gate_line, render_html, render_json, render_jsonl,
    render_jsonl_header, render_jsonl_record, render_jsonl_summary, render_junit, render_markdown,
    render_sarif, render_table, render_text,
};
use muslcheck::scan::Emitted;

use crate::cli::{Color, Format, ReportSpec, ScanArgs, VerifyArgs};
use crate::output::AtomicFile;

/// Where and how reports are written: the report flags `scan` and `verify` share.
pub struct Sink<'a> {
    format: Format,
    output: Option<&'a Path>,
    report: &'a [ReportSpec],
    color: Color,
    verbose: bool,
    summary: bool,
}

impl<'a> From<&'a ScanArgs> for Sink<'a> {
    fn from(a: &'a ScanArgs) -> Self {
        Sink {
            format: a.format,
            output: a.output.as_deref(),
            report: &a.report,
            color: a.color,
            verbose: a.verbose,
            summary: a.summary,
        }
    }
}

impl<'a> From<&'a VerifyArgs> for Sink<'a> {
    fn from(a: &'a VerifyArgs) -> Self {
        Sink {
            format: a.format,
            output: a.output.as_deref(),
            report: &a.report,
            color: a.color,
            verbose: a.verbose,
            summary: false,
        }
    }
}

/// Render one format.
fn render(report: &Report, format: Format, text: TextOptions) -> String {
    match format {
        Format::Text => render_text(report, text),
        Format::Table => render_table(report),
        Format::Json => render_json(report),
        Format::Jsonl => render_jsonl(report),
        Format::Sarif => render_sarif(report),
        Format::Junit => render_junit(report),
        Format::Markdown => render_markdown(report),
        Format::Html => render_html(report),
    }
}

/// Where the main report goes: `--output FILE` (written atomically) or standard output.
enum Destination {
    File(AtomicFile),
    Stdout(std::io::BufWriter<std::io::StdoutLock<'static>>),
}

impl Destination {
    /// Opened before the scan, so that an unwritable path fails early.
    fn open(args: &Sink) -> Result<Destination> {
        Ok(match args.output {
            Some(path) => Destination::File(AtomicFile::create(path, "report")?),
            None => Destination::Stdout(std::io::BufWriter::new(std::io::stdout().lock())),
        })
    }

    fn out(&mut self) -> &mut dyn Write {
        match self {
            Destination::File(f) => f,
            Destination::Stdout(s) => s,
        }
    }

    fn commit(self) -> Result<()> {
        match self {
            Destination::File(f) => f.commit(),
            Destination::Stdout(mut s) => Ok(s.flush()?),
        }
    }
}

/// The report destinations, opened before the scan (so that an unwritable path fails early).
/// With `--format jsonl` the main one streams: the header first, then each record as soon as
/// the scanner hands it over final (a directory's ELF files one by one, as their closures are
/// judged; other inputs whole), gated with the bundled libraries handed out before it, and the
/// summary line at the end.
pub struct Stream {
    out: Destination,
    /// Each `--report FORMAT=FILE`.
    extras: Vec<(Format, AtomicFile)>,
    streaming: bool,
    /// The policy as applied to the current input's records so far.
    standing: policy::Standing,
}

impl Stream {
    /// Open the destinations. jsonl streams unless `buffered`: the run writes a baseline
    /// (records are then judged against the new baseline, known only at the end) or verifies.
    pub fn open(
        args: &Sink,
        target: &Target,
        shard: Option<&muslcheck::shard::Part>,
        buffered: bool,
    ) -> Result<Stream> {
        let mut out = Destination::open(args)?;
        let extras = args
            .report
            .iter()
            .map(|r| Ok((r.format, AtomicFile::create(&r.path, "report")?)))
            .collect::<Result<_>>()?;
        let streaming = args.format == Format::Jsonl && !buffered;
        if streaming {
            writeln!(out.out(), "{}", render_jsonl_header(target, shard))?;
        }
        Ok(Stream {
            out,
            extras,
            streaming,
            standing: policy::Standing::default(),
        })
    }

    /// Take what the scanner hands out: records final early are gated and written at once;
    /// a finished input's other records are gated and written, and all its records (in report
    /// order) join `done`. Write errors resurface in [`Stream::flush`].
    pub fn push(&mut self, emitted: Emitted, policy: &Policy, done: &mut Vec<Record>) {
        match emitted {
            Emitted::Early(mut batch) => self.write(&mut batch, policy),
            Emitted::Input { records, early } => {
                if self.streaming {
                    // Gated for the stream; `done` keeps them as they came, for the report.
                    let mut rest: Vec<Record> = records
                        .iter()
                        .zip(&early)
                        .filter(|(_, e)| !**e)
                        .map(|(r, _)| r.clone())
                        .collect();
                    self.write(&mut rest, policy);
                }
                self.standing = policy::Standing::default();
                done.extend(records);
            }
        }
    }

    fn write(&mut self, records: &mut [Record], policy: &Policy) {
        if !self.streaming || records.is_empty() {
            return;
        }
        self.standing.apply(records, policy);
        for r in records.iter() {
            // Errors resurface on flush: a broken pipe ends the output, not the scan.
            let _ = writeln!(self.out.out(), "{}", render_jsonl_record(r));
        }
        // A consumer reading line by line sees each record as soon as it is final.
        let _ = self.out.out().flush();
    }

    /// True when records are written as they come (the scanner should hand them out early).
    pub fn streams(&self) -> bool {
        self.streaming
    }

    /// Flush what was written.
    pub fn flush(&mut self) -> Result<()> {
        self.out.out().flush()?;
        Ok(())
    }
}

/// Write every `--report`, then the main report (or the end of the jsonl stream); the files are
/// put in place only once all are written, and not at all after a Ctrl-C.
pub fn write_all(report: &Report, args: &Sink, stream: Stream) -> Result<()> {
    let Stream {
        mut out,
        extras,
        streaming,
        ..
    } = stream;
    let to_tty = args.output.is_none() && std::io::stdout().is_terminal();
    let color = match args.color {
        Color::Always => true,
        Color::Never => false,
        Color::Auto => to_tty && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
    };
    let opts = TextOptions {
        color,
        verbose: args.verbose,
        summary: args.summary,
    };
    let plain = TextOptions {
        color: args.color == Color::Always,
        ..opts
    };
    let mut written = Vec::new();
    for (format, mut file) in extras {
        file.write_all(render(report, format, plain).as_bytes())?;
        written.push(file);
    }
    if streaming {
        writeln!(out.out(), "{}", render_jsonl_summary(report))?;
    } else {
        out.out()
            .write_all(render(report, args.format, opts).as_bytes())?;
    }
    if crate::interrupt::requested() {
        return Err(Interrupted.into());
    }
    for f in written {
        f.commit()?;
    }
    out.commit()
}

/// Print the gate line on standard error, unless the text report that ends with it was just
/// written to the same place (a terminal or log that standard output and error share).
pub fn gate_to_stderr(report: &Report, args: &Sink) {
    let ends_with_gate = matches!(args.format, Format::Text | Format::Table);
    let text_on_stderr_too = ends_with_gate && args.output.is_none() && same_stream();
    if text_on_stderr_too {
        return;
    }
    let color = match args.color {
        Color::Always => true,
        Color::Never => false,
        Color::Auto => {
            std::io::stderr().is_terminal()
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        }
    };
    if let Some(line) = render_gate_line(report, color) {
        eprint!("{line}");
    }
}

/// True when standard output and standard error are the same file, pipe or terminal.
fn same_stream() -> bool {
    use std::os::unix::fs::MetadataExt;
    let id = |fd: u8| {
        std::fs::metadata(format!("/proc/self/fd/{fd}"))
            .ok()
            .map(|m| (m.dev(), m.ino(), m.rdev()))
    };
    id(1).is_some() && id(1) == id(2)
}

/// Ctrl-C arrived while the reports were being written: none is put in place.
#[derive(Debug)]
pub struct Interrupted;

impl std::fmt::Display for Interrupted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("interrupted")
    }
}

impl std::error::Error for Interrupted {}
