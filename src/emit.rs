//! Render the report in the requested formats and write each to its destination; stream
//! `--format jsonl` while the scan runs.

use std::io::{IsTerminal, Write};
use std::path::Path;

use anyhow::{Context, Result};

use muslcheck::judge::Target;
use muslcheck::policy::{self, Policy};
use muslcheck::report::{
    Record, Report, TextOptions, render_html, render_json, render_jsonl, render_jsonl_header,
    render_jsonl_record, render_jsonl_summary, render_junit, render_markdown, render_sarif,
    render_text,
};

use crate::cli::{Color, Format, ReportSpec, ScanArgs, VerifyArgs};

/// Where and how reports are written: the report flags `scan` and `verify` share.
pub struct Sink<'a> {
    format: Format,
    output: Option<&'a Path>,
    report: &'a [ReportSpec],
    color: Color,
    verbose: bool,
}

impl<'a> From<&'a ScanArgs> for Sink<'a> {
    fn from(a: &'a ScanArgs) -> Self {
        Sink {
            format: a.format,
            output: a.output.as_deref(),
            report: &a.report,
            color: a.color,
            verbose: a.verbose,
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
        }
    }
}

/// Render one format.
fn render(report: &Report, format: Format, text: TextOptions) -> String {
    match format {
        Format::Text => render_text(report, text),
        Format::Json => render_json(report),
        Format::Jsonl => render_jsonl(report),
        Format::Sarif => render_sarif(report),
        Format::Junit => render_junit(report),
        Format::Markdown => render_markdown(report),
        Format::Html => render_html(report),
    }
}

fn write_file(path: &Path, text: &str) -> Result<()> {
    std::fs::write(path, text).with_context(|| format!("cannot write report {}", path.display()))
}

/// Where the main report goes: `--output FILE`, created before the scan so that an unwritable
/// path fails early, or standard output.
fn destination(args: &Sink) -> Result<Box<dyn Write>> {
    Ok(match args.output {
        Some(path) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(path)
                .with_context(|| format!("cannot write report {}", path.display()))?,
        )),
        None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
    })
}

/// The main report's destination, opened before the scan. With `--format jsonl` it streams:
/// the header first, then each input's records as the scanner hands the complete input over
/// (the policy is applied to the whole input, so bundled libraries count), and the summary line
/// at the end.
pub struct Stream {
    out: Box<dyn Write>,
    streaming: bool,
}

impl Stream {
    /// Open the destination. jsonl streams unless `buffered`: the run writes a baseline
    /// (records are then judged against the new baseline, known only at the end) or verifies.
    pub fn open(args: &Sink, target: &Target, buffered: bool) -> Result<Stream> {
        let mut out = destination(args)?;
        let streaming = args.format == Format::Jsonl && !buffered;
        if streaming {
            writeln!(out, "{}", render_jsonl_header(target))?;
        }
        Ok(Stream { out, streaming })
    }

    /// Take one whole input's records. Streaming, they are gated together and written; write
    /// errors resurface in [`Stream::flush`].
    pub fn push(&mut self, mut input: Vec<Record>, policy: &Policy, done: &mut Vec<Record>) {
        if self.streaming {
            policy::apply_records(&mut input, policy);
            for r in &input {
                // Errors resurface on flush: a broken pipe ends the output, not the scan.
                let _ = writeln!(self.out, "{}", render_jsonl_record(r));
            }
        }
        done.append(&mut input);
    }

    /// Flush what was written.
    pub fn flush(&mut self) -> Result<()> {
        self.out.flush()?;
        Ok(())
    }

    fn finish(mut self, report: &Report, main: impl FnOnce() -> String) -> Result<()> {
        if self.streaming {
            writeln!(self.out, "{}", render_jsonl_summary(report))?;
        } else {
            self.out.write_all(main().as_bytes())?;
        }
        self.out.flush()?;
        Ok(())
    }
}

/// Write every `--report`, then the main report (or the end of the jsonl stream).
pub fn write_all(report: &Report, args: &Sink, stream: Stream) -> Result<()> {
    let to_tty = args.output.is_none() && std::io::stdout().is_terminal();
    let color = match args.color {
        Color::Always => true,
        Color::Never => false,
        Color::Auto => to_tty && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
    };
    let opts = TextOptions {
        color,
        verbose: args.verbose,
    };
    for extra in args.report {
        let plain = TextOptions {
            color: args.color == Color::Always,
            ..opts
        };
        write_file(&extra.path, &render(report, extra.format, plain))?;
    }
    stream.finish(report, || render(report, args.format, opts))
}
