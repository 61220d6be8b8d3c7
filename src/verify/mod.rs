//! Confirm predictions on the target host (`muslcheck verify`, #10): each judged file goes
//! through the host's real musl loader in list mode (`ld-musl-<arch>.so.1 --list FILE`, which
//! loads and relocates everything and exits before any constructor or entry point, musl
//! ldso/dynlink.c `__dls3`), and with `--run` each executable is started once in a sandbox
//! ([`sandbox`]). The prediction is the record's verdict, judged for the host's own musl and
//! gcompat; the observation and whether the two agree are added to the record.
//!
//! Agreement (docs/verify.md): `native`/`gcompat` agree with a file that loads and, when run,
//! is not killed by a signal; `rebuild` agrees with a load failure or a crash. A failure that
//! only list mode cannot see (DT_RELR on old musl, the gcompat interpreter's start-up crash) is
//! `unconfirmed` without `--run`.

mod host;
pub mod sandbox;

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use rayon::prelude::*;
use serde::Serialize;

pub use host::{Host, HostOptions, Interp, NoMuslHost, glibc_loader_path};

use crate::db::Db;
use crate::inspect::{Kind, inspect};
use crate::judge::{Code, Target, Verdict, judge};
use crate::report::Record;

/// Does the observation confirm the prediction?
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Agreement {
    /// The loader (and the run) did what the verdict says.
    Agree,
    /// They did not.
    Disagree,
    /// The predicted failure happens only when the program runs, and it was not run.
    Unconfirmed,
    /// Not checked: not judged, not on the file system, another architecture.
    NotChecked,
}

impl Agreement {
    /// Kebab-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Agreement::Agree => "agree",
            Agreement::Disagree => "disagree",
            Agreement::Unconfirmed => "unconfirmed",
            Agreement::NotChecked => "not-checked",
        }
    }
}

/// What musl's loader said in list mode (and what the kernel would find at PT_INTERP).
#[derive(Clone, Debug, Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct LoaderCheck {
    /// The command, for reproducing by hand.
    pub command: String,
    /// True when the file would load: PT_INTERP usable and list mode exited 0.
    pub ok: bool,
    /// List mode's exit status (127 when musl reports errors).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exit_code: Option<i32>,
    /// What the kernel finds at PT_INTERP on this host, when that stops the program.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interpreter_problem: Option<String>,
    /// `Error relocating FILE: SYMBOL: symbol not found` for the file itself, the symbols.
    pub missing_symbols: Vec<String>,
    /// `Error loading shared library LIB: …`, the libraries.
    pub missing_libraries: Vec<String>,
    /// Other loader errors (first few lines).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<String>,
    /// True when every other error (all of them, not only those kept) is a dependency's
    /// `symbol not found`.
    #[serde(skip)]
    pub other_errors_are_symbols: bool,
}

/// What the one sandboxed start did.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct RunCheck {
    /// The command as started (isolation prefix included).
    pub command: String,
    /// `exited`, `signal`, `timeout` or `not-started`.
    pub outcome: &'static str,
    /// Exit code, when it exited.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exit_code: Option<i32>,
    /// The signal that ended it (`SIGSEGV`), when one did (not the time limit's).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signal: Option<String>,
    /// First non-empty line of standard error, or why it did not start.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stderr: Option<String>,
    /// Wall time in milliseconds.
    pub millis: u64,
}

/// [`RunCheck`] as read back from a report (`muslcheck merge`).
#[derive(serde::Deserialize)]
struct RunCheckRead {
    command: String,
    outcome: String,
    #[serde(default)]
    exit_code: Option<i32>,
    #[serde(default)]
    signal: Option<String>,
    #[serde(default)]
    stderr: Option<String>,
    millis: u64,
}

impl<'de> serde::Deserialize<'de> for RunCheck {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let r = RunCheckRead::deserialize(d)?;
        Ok(RunCheck {
            command: r.command,
            outcome: crate::report::known(
                &r.outcome,
                &["exited", "signal", "timeout", "not-started"],
            ),
            exit_code: r.exit_code,
            signal: r.signal,
            stderr: r.stderr,
            millis: r.millis,
        })
    }
}

/// A record's verification.
#[derive(Clone, Debug, Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct Observation {
    /// The verdict that was checked (the record's, for this host).
    pub predicted: Verdict,
    /// List mode, when the file went through the loader.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub loader: Option<LoaderCheck>,
    /// The run, with `--run`, for executables.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub run: Option<RunCheck>,
    /// The comparison.
    pub agreement: Agreement,
    /// Whether the symbols list mode reported missing are exactly the symbols muslcheck
    /// predicted missing; absent when not comparable (no list mode, or a library was missing,
    /// which makes its symbols missing too).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub symbols_agree: Option<bool>,
    /// Why, in a line.
    pub note: String,
}

/// Counts over a verified batch (`verify` in the report).
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Summary {
    /// The host checked on.
    pub host: Host,
    /// Arguments of the runs (`--run`), when programs were started.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub run_args: Option<Vec<String>>,
    /// Files compared (agree + disagree).
    pub checked: usize,
    /// Files whose observation matches the prediction.
    pub agree: usize,
    /// Files whose observation contradicts it.
    pub disagree: usize,
    /// Predicted run-time failures not run.
    pub unconfirmed: usize,
    /// Files not checked.
    pub not_checked: usize,
    /// agree / checked, when anything was checked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agreement_rate: Option<f64>,
    /// Files whose missing symbols could be compared ([`Observation::symbols_agree`]).
    pub symbols_checked: usize,
    /// Of those, files where the loader's missing symbols are exactly the predicted ones.
    pub symbols_agree: usize,
}

impl Summary {
    /// Count the observations of `records`.
    pub fn of(host: &Host, run_args: Option<&[String]>, records: &[Record]) -> Summary {
        let mut s = Summary {
            host: host.clone(),
            run_args: run_args.map(<[String]>::to_vec),
            checked: 0,
            agree: 0,
            disagree: 0,
            unconfirmed: 0,
            not_checked: 0,
            agreement_rate: None,
            symbols_checked: 0,
            symbols_agree: 0,
        };
        for r in records {
            if let Some(same) = r.verify.as_ref().and_then(|o| o.symbols_agree) {
                s.symbols_checked += 1;
                s.symbols_agree += usize::from(same);
            }
            match r.verify.as_ref().map(|o| o.agreement) {
                Some(Agreement::Agree) => s.agree += 1,
                Some(Agreement::Disagree) => s.disagree += 1,
                Some(Agreement::Unconfirmed) => s.unconfirmed += 1,
                Some(Agreement::NotChecked) | None => s.not_checked += 1,
            }
        }
        s.checked = s.agree + s.disagree;
        if s.checked > 0 {
            s.agreement_rate = Some(s.agree as f64 / s.checked as f64);
        }
        s
    }
}

/// How `verify` runs programs.
#[derive(Clone, Debug)]
pub struct Options {
    /// Arguments for one start of each executable (`--run`), or None for list mode only.
    pub run: Option<Vec<String>>,
    /// Time limit of one run (and of one list-mode load).
    pub timeout: Duration,
    /// Worker threads.
    pub jobs: usize,
}

/// The target to judge for on this host: its musl version (the nearest known one at or below
/// it) and gcompat when present.
pub fn host_target(db: &Db, host: &Host) -> Result<Target, crate::judge::TargetError> {
    let detected = crate::db::MuslVersion::parse(&host.musl)
        .map_err(|e| crate::judge::TargetError(format!("musl version {}: {e}", host.musl)))?;
    let known = db
        .musl_versions()
        .into_iter()
        .filter(|v| *v <= detected)
        .max()
        .ok_or_else(|| {
            crate::judge::TargetError(format!(
                "this host's musl {} is older than every musl muslcheck knows",
                host.musl
            ))
        })?;
    let gcompat = if host.has_gcompat() {
        None
    } else {
        Some("none")
    };
    let mut t = Target::resolve(db, None, Some(&known.to_string()), gcompat)?;
    t.name = "host".into();
    Ok(t)
}

/// Findings whose failure only shows when the program runs, not in list mode.
const RUN_TIME_ONLY: &[&str] = &["dt-relr", "gcompat-loader-crash"];

/// Findings whose failure shows in the file's users, not when the file itself is loaded: an
/// exported IFUNC is invisible to the programs that import it (ldso/dynlink.c `find_sym2`).
const IN_USERS_ONLY: &[&str] = &["ifunc-export"];

/// Check every record (in parallel) and attach the observation.
pub fn verify(records: &mut [Record], host: &Host, db: &Db, target: &Target, opts: &Options) {
    let late = failing_at_run_time_only(records);
    let batch = Batch {
        late: &late,
        to_install: &to_install(records),
    };
    let work = |r: &mut Record| {
        let o = observe(r, host, db, target, opts, &batch);
        r.verify = Some(o);
    };
    match rayon::ThreadPoolBuilder::new()
        .num_threads(opts.jobs.max(1))
        .build()
    {
        Ok(pool) => pool.install(|| records.par_iter_mut().for_each(work)),
        Err(_) => records.iter_mut().for_each(work),
    }
}

/// What the comparison of one record needs to know about the others.
struct Batch<'a> {
    /// Paths whose predicted failure shows only when code runs.
    late: &'a HashSet<String>,
    /// Libraries the prediction says to install (`needs-package`), for any file of the batch:
    /// a bundled library's dependency goes missing in its users too.
    to_install: &'a HashSet<String>,
}

fn to_install(records: &[Record]) -> HashSet<String> {
    records
        .iter()
        .flat_map(|r| &r.findings)
        .filter(|f| f.id == Code::NeedsPackage)
        .filter_map(|f| f.library.clone())
        .collect()
}

/// The paths of records whose predicted failure shows only when code runs: each blocking
/// finding is a run-time-only one ([`RUN_TIME_ONLY`]) or a `bundled-library` finding for
/// bundled libraries that are themselves in this set (a library with DT_RELR makes its users
/// `rebuild`, and list mode loads them all).
fn failing_at_run_time_only(records: &[Record]) -> HashSet<String> {
    let mut late: HashSet<String> = HashSet::new();
    // Each round adds at least one path or stops, so records.len() + 1 rounds suffice.
    for _ in 0..=records.len() {
        let before = late.len();
        for r in records {
            if late.contains(&r.path) {
                continue;
            }
            let mut blocking = r
                .findings
                .iter()
                .filter(|f| f.impact >= Verdict::Rebuild && f.suppressed.is_none())
                .peekable();
            if blocking.peek().is_none() {
                continue;
            }
            let bundled_late = r
                .closure
                .iter()
                .filter(|c| c.verdict == Some(Verdict::Rebuild))
                .all(|c| c.found.as_ref().is_some_and(|p| late.contains(p)));
            if blocking.all(|f| {
                RUN_TIME_ONLY.contains(&f.id.id()) || (f.id == Code::BundledLibrary && bundled_late)
            }) {
                late.insert(r.path.clone());
            }
        }
        if late.len() == before {
            break;
        }
    }
    late
}

fn not_checked(predicted: Verdict, note: impl Into<String>) -> Observation {
    Observation {
        predicted,
        loader: None,
        run: None,
        agreement: Agreement::NotChecked,
        symbols_agree: None,
        note: note.into(),
    }
}

/// The file on disk behind a record, when it is one (archive members are not).
fn local_file(r: &Record) -> Option<PathBuf> {
    if r.path.contains("!/") {
        return None;
    }
    let p = Path::new(&r.path);
    p.is_file().then(|| p.canonicalize().ok()).flatten()
}

fn observe(
    r: &mut Record,
    host: &Host,
    db: &Db,
    target: &Target,
    opts: &Options,
    batch: &Batch,
) -> Observation {
    if matches!(r.verdict, Verdict::Skipped | Verdict::Error) {
        let why = r.reason.clone().unwrap_or_else(|| "not judged".into());
        return not_checked(r.verdict, format!("{}: {why}", r.verdict.as_str()));
    }
    let Some(file) = local_file(r) else {
        return not_checked(
            r.verdict,
            "not a file on this host's file system (archive member?): the loader cannot open it",
        );
    };
    let Some(elf) = r.elf.clone() else {
        return not_checked(r.verdict, "no ELF facts");
    };
    if elf.arch != host.arch.name() {
        return not_checked(
            r.verdict,
            format!(
                "{} file; this host's loader is {}",
                elf.arch,
                host.arch.name()
            ),
        );
    }
    let interp = elf
        .interpreter
        .as_deref()
        .filter(|_| elf.kind.has_loader())
        .map(|i| (i, host.interpreter(i)));
    // A PT_INTERP that names this host's musl loader or gcompat's interpreter under another
    // path than the standard one (a test stand-in, another musl build) is judged as the
    // standard path: that is what the program is on this host.
    let standard = match interp {
        Some((i, Interp::Gcompat)) if !db.is_glibc_loader(host.arch, i) => {
            glibc_loader_path(host.arch)
        }
        Some((i, Interp::Musl)) if db.musl_loader(host.arch) != Some(i) => {
            db.musl_loader(host.arch)
        }
        _ => None,
    };
    if let Some(path) = standard {
        rejudge_with_interpreter(r, &file, db, target, path);
    }
    let predicted = r.verdict;
    let glibc_program =
        interp.is_some_and(|(i, k)| k == Interp::Gcompat || db.is_glibc_loader(host.arch, i));
    let loader = if elf.kind.is_static() {
        None
    } else {
        Some(list(
            &file,
            host,
            interp,
            glibc_program,
            predicted == Verdict::Gcompat,
            opts.timeout,
        ))
    };
    // Only programs the kernel starts through this host's musl loader or gcompat's interpreter
    // say something about musl when run.
    let startable = interp.is_none_or(|(_, k)| matches!(k, Interp::Musl | Interp::Gcompat));
    let run = match &opts.run {
        Some(args) if startable && is_program(elf.kind) => {
            Some(start(&file, args, host, opts.timeout))
        }
        _ => None,
    };
    let (agreement, note) = compare(
        r,
        loader.as_ref(),
        run.as_ref(),
        Seen {
            ran: opts.run.is_some(),
            kind: elf.kind,
            late: batch.late.contains(&r.path),
            to_install: batch.to_install,
            from_host: elf.kind == Kind::SharedLibrary
                && loader
                    .as_ref()
                    .is_some_and(|l| host_symbols(r, l, db, host.arch, target)),
        },
    );
    let mut note = note;
    let symbols_agree = loader.as_ref().and_then(|l| {
        symbols_agree(
            r,
            l,
            |s| !no_libc_defines(db, host.arch, target, s),
            &mut note,
        )
    });
    if opts.run.is_some() && run.is_none() && is_program(elf.kind) && !startable {
        note.push_str("; not started: its PT_INTERP is not this host's musl loader nor gcompat's");
    }
    Observation {
        predicted,
        loader,
        run,
        agreement,
        symbols_agree,
        note,
    }
}

/// The names muslcheck predicts the loader will not find (`missing-symbol`, `glibc-private`).
fn predicted_missing(r: &Record) -> Vec<&str> {
    let mut v: Vec<&str> = r
        .findings
        .iter()
        .filter(|f| matches!(f.id, Code::MissingSymbol | Code::GlibcPrivate))
        .filter_map(|f| f.symbol.as_ref())
        .map(|s| s.name.as_str())
        .collect();
    v.sort_unstable();
    v.dedup();
    v
}

/// A name that neither glibc, musl nor gcompat defines: a plugin's import from its host
/// program, or a library's own.
fn no_libc_defines(db: &Db, arch: crate::inspect::Arch, target: &Target, name: &str) -> bool {
    db.glibc(arch, name).is_empty()
        && db.gcompat_provider(arch, name).is_none()
        && !db
            .musl_exports(&target.musl, arch)
            .is_some_and(|m| m.contains(name))
}

/// True when list mode of a library failed only on symbols muslcheck did not flag, none of
/// which glibc, musl or gcompat defines: a Python or Node extension's imports from its host
/// process (`PyList_New`, `napi_create_string_utf8`), which no loader check of the file alone
/// can resolve.
fn host_symbols(
    r: &Record,
    l: &LoaderCheck,
    db: &Db,
    arch: crate::inspect::Arch,
    target: &Target,
) -> bool {
    if l.ok
        || l.interpreter_problem.is_some()
        || !l.errors.is_empty()
        || !l.missing_libraries.is_empty()
        || l.missing_symbols.is_empty()
    {
        return false;
    }
    let flagged: Vec<&str> = r
        .findings
        .iter()
        .filter_map(|f| f.symbol.as_ref())
        .map(|s| s.name.as_str())
        .collect();
    l.missing_symbols
        .iter()
        .all(|s| !flagged.contains(&s.as_str()) && no_libc_defines(db, arch, target, s))
}

/// Compare the loader's missing symbols with the predicted ones (`missing-symbol`,
/// `glibc-private`); say in the note which differ.
/// Names no C library defines are left out (a plugin's imports from its host program).
fn symbols_agree(
    r: &Record,
    l: &LoaderCheck,
    libc: impl Fn(&str) -> bool,
    note: &mut String,
) -> Option<bool> {
    if !l.missing_libraries.is_empty() || l.exit_code.is_none() {
        return None;
    }
    let predicted = predicted_missing(r);
    let mut seen: Vec<&str> = l
        .missing_symbols
        .iter()
        .map(String::as_str)
        .filter(|s| predicted.contains(s) || libc(s))
        .collect();
    seen.sort_unstable();
    seen.dedup();
    if predicted == seen {
        return Some(true);
    }
    let only_loader: Vec<&str> = seen
        .iter()
        .filter(|s| !predicted.contains(s))
        .copied()
        .collect();
    let only_predicted: Vec<&str> = predicted
        .iter()
        .filter(|s| !seen.contains(s))
        .copied()
        .collect();
    note.push_str(&format!(
        "; missing symbols differ (loader only: {}; predicted only: {})",
        if only_loader.is_empty() {
            "-".to_string()
        } else {
            only_loader.join(", ")
        },
        if only_predicted.is_empty() {
            "-".to_string()
        } else {
            only_predicted.join(", ")
        }
    ));
    Some(false)
}

fn is_program(kind: Kind) -> bool {
    matches!(
        kind,
        Kind::Executable | Kind::Pie | Kind::Static | Kind::StaticPie
    )
}

/// Judge the file again as if its PT_INTERP were `interpreter`.
fn rejudge_with_interpreter(
    r: &mut Record,
    file: &Path,
    db: &Db,
    target: &Target,
    interpreter: &str,
) {
    let Ok(bytes) = std::fs::read(file) else {
        return;
    };
    let Ok(mut facts) = inspect(&bytes) else {
        return;
    };
    facts.interpreter = Some(interpreter.to_string());
    let mut j = judge(&facts, db, target);
    // The closure found by the scan still holds.
    r.verdict = crate::judge::closure::reconclude(&mut j.findings, &r.findings);
    r.own_verdict = j.verdict;
    r.findings = j.findings;
}

fn shell_word(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "/._-+=:,@".contains(c))
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

fn command_line(env: &[(String, String)], argv: &[String]) -> String {
    env.iter()
        .map(|(k, v)| format!("{k}={}", shell_word(v)))
        .chain(argv.iter().map(|a| shell_word(a)))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Bytes of list mode's messages kept: a C++ library can have hundreds of missing symbols with
/// long mangled names.
const LIST_CAPTURE: usize = 8 << 20;

/// List mode. gcompat's library is preloaded, as gcompat's interpreter does, for glibc
/// programs and for files predicted to need gcompat (Alpine's `ldd` does not preload it, so it
/// would report gcompat's symbols as missing).
fn list(
    file: &Path,
    host: &Host,
    interp: Option<(&str, Interp)>,
    glibc_program: bool,
    wants_gcompat: bool,
    timeout: Duration,
) -> LoaderCheck {
    let mut env = Vec::new();
    if let Some(p) = host
        .gcompat_preload
        .as_ref()
        .filter(|_| glibc_program || wants_gcompat)
    {
        env.push(("LD_PRELOAD".to_string(), p.display().to_string()));
    }
    let mut argv = host.command(&host.loader);
    argv.extend(["--list".to_string(), file.display().to_string()]);
    let out = sandbox::run(&sandbox::Spawn {
        argv: &argv,
        env: &env,
        env_remove: &["LD_PRELOAD"],
        timeout,
        scratch: false,
        capture: LIST_CAPTURE,
    });
    let mut check = LoaderCheck {
        command: command_line(&env, &argv),
        ok: false,
        exit_code: out.code,
        interpreter_problem: None,
        missing_symbols: Vec::new(),
        missing_libraries: Vec::new(),
        errors: Vec::new(),
        other_errors_are_symbols: true,
    };
    let stderr = String::from_utf8_lossy(&out.stderr);
    let mut lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    if out.truncated {
        // The last line was cut: drop it, and let nothing be concluded from the rest alone.
        lines.pop();
        check.errors.push(format!(
            "the loader wrote more than {LIST_CAPTURE} bytes of messages; the rest was dropped"
        ));
        check.other_errors_are_symbols = false;
    }
    for line in lines {
        // `Error relocating FILE: SYMBOL: symbol not found`; a dependency's own missing symbols
        // name the dependency and count as other errors.
        let own = line
            .strip_suffix(": symbol not found")
            .and_then(|l| l.strip_prefix("Error relocating "))
            .and_then(|l| l.rsplit_once(": "))
            .filter(|(path, _)| Path::new(path) == file);
        if let Some((_, sym)) = own {
            check.missing_symbols.push(sym.to_string());
        } else if let Some(rest) = line.strip_prefix("Error loading shared library ") {
            let lib = rest.split(": ").next().unwrap_or(rest);
            // List mode names the loader after PT_INTERP, so a DT_NEEDED ld-linux-* is looked
            // for on disk; gcompat's interpreter passes that name as argv[0], which satisfies it
            // at a real start (ldso/dynlink.c load_library, the ldso.name comparison).
            if glibc_program && host.has_gcompat() && lib.starts_with("ld-linux") {
                continue;
            }
            if !check.missing_libraries.iter().any(|m| m == lib) {
                check.missing_libraries.push(lib.to_string());
            }
        } else if !line.starts_with('\t') {
            check.other_errors_are_symbols &= line.ends_with(": symbol not found");
            if check.errors.len() < 5 {
                check.errors.push(line.to_string());
            }
        }
    }
    if let Some(e) = out.spawn_error {
        check.errors.push(format!("cannot run the loader: {e}"));
        check.other_errors_are_symbols = false;
    }
    if out.timed_out {
        check
            .errors
            .push("the loader did not finish in time".into());
        check.other_errors_are_symbols = false;
    }
    let listed = out.code == Some(0);
    check.interpreter_problem = interp.and_then(|(i, k)| match k {
        Interp::Missing => Some(format!(
            "PT_INTERP {i} does not exist here: the kernel refuses to start the program"
        )),
        Interp::Glibc => Some(format!(
            "PT_INTERP {i} is glibc's own loader on this host: the program would run on glibc, \
             not musl"
        )),
        Interp::Musl | Interp::Gcompat | Interp::Other => None,
    });
    check.ok = listed && check.interpreter_problem.is_none();
    check
}

fn start(file: &Path, args: &[String], host: &Host, timeout: Duration) -> RunCheck {
    let mut argv: Vec<String> = host
        .network_isolation
        .as_deref()
        .map(|p| p.split(' ').map(str::to_string).collect())
        .unwrap_or_default();
    argv.extend(host.command(file));
    argv.extend(args.iter().cloned());
    let out = sandbox::run(&sandbox::Spawn {
        argv: &argv,
        env: &[],
        // What the loader preloads is decided by the host (gcompat), not by this shell.
        env_remove: &["LD_PRELOAD"],
        timeout,
        scratch: true,
        capture: sandbox::CAPTURE,
    });
    let first = String::from_utf8_lossy(&out.stderr)
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .map(|l| l.chars().take(300).collect::<String>());
    let (outcome, signal) = if out.spawn_error.is_some() {
        ("not-started", None)
    } else if out.timed_out {
        ("timeout", None)
    } else if let Some(s) = out.signal {
        ("signal", Some(sandbox::signal_name(s)))
    } else {
        ("exited", None)
    };
    RunCheck {
        command: command_line(&[], &argv),
        outcome,
        exit_code: out.code,
        signal,
        stderr: out.spawn_error.or(first),
        millis: u64::try_from(out.elapsed.as_millis()).unwrap_or(u64::MAX),
    }
}

/// musl's own start-up failure, printed before the program runs (ldso/dynlink.c `__dls3`:
/// errors, then `_exit(127)`).
fn loader_failed_at_start(run: &RunCheck) -> bool {
    run.exit_code == Some(127)
        && run.stderr.as_deref().is_some_and(|l| {
            l.starts_with("Error relocating") || l.starts_with("Error loading shared library")
        })
}

/// What else the comparison needs to know about the check.
#[derive(Clone, Copy)]
struct Seen<'a> {
    /// Libraries the batch's prediction says to install.
    to_install: &'a HashSet<String>,
    /// `--run` was given.
    ran: bool,
    /// The file's kind.
    kind: Kind,
    /// The predicted failure shows only when code runs ([`failing_at_run_time_only`]).
    late: bool,
    /// A library's missing symbols that no C library defines and muslcheck did not flag: the
    /// program that loads the plugin (python, node) provides them ([`host_symbols`]).
    from_host: bool,
}

fn compare(
    r: &Record,
    loader: Option<&LoaderCheck>,
    run: Option<&RunCheck>,
    seen: Seen,
) -> (Agreement, String) {
    let Seen {
        to_install,
        ran,
        kind,
        late,
        from_host,
    } = seen;
    // Libraries the prediction itself says to install (`apk add …`) are not a contradiction
    // when this host lacks them.
    let (load_ok, load_note) = match loader {
        None => (true, "static: no loader involved".to_string()),
        Some(l) if l.ok => (true, "loads".to_string()),
        Some(l) => {
            // Symbols those libraries would have provided go missing too, in the file and in
            // its dependencies, so missing symbols say nothing then.
            let only_uninstalled = l.interpreter_problem.is_none()
                && l.other_errors_are_symbols
                && !l.missing_libraries.is_empty()
                && l.missing_libraries.iter().all(|m| to_install.contains(m));
            let confirms = r.verdict == Verdict::Rebuild
                && predicted_missing(r)
                    .iter()
                    .any(|p| l.missing_symbols.iter().any(|m| m == p));
            if only_uninstalled && !confirms {
                return (
                    Agreement::Unconfirmed,
                    format!(
                        "the loader stops at {}, which the prediction says to install and this \
                         host lacks: install to confirm",
                        l.missing_libraries.join(", ")
                    ),
                );
            }
            (false, load_failure(l))
        }
    };
    if from_host && r.verdict <= Verdict::Gcompat {
        let names = loader.map_or(&[][..], |l| l.missing_symbols.as_slice());
        let some: Vec<&str> = names.iter().take(3).map(String::as_str).collect();
        return (
            Agreement::Unconfirmed,
            format!(
                "the loader stops at symbols no C library defines ({}{}): the program that \
                 loads this plugin provides them; load it there to confirm",
                some.join(", "),
                if names.len() > 3 { ", …" } else { "" }
            ),
        );
    }
    let run_failed = run.is_some_and(|x| {
        x.outcome == "signal" || x.outcome == "not-started" || loader_failed_at_start(x)
    });
    let run_note = run.map(|x| match (x.outcome, &x.signal, x.exit_code) {
        ("signal", Some(s), _) => format!("run killed by {s}"),
        ("timeout", _, _) => "run timed out (killed; not a crash)".to_string(),
        ("not-started", _, _) => "run did not start".to_string(),
        (_, _, Some(c)) => format!("run exited {c}"),
        _ => "run ended".to_string(),
    });
    let observed = match &run_note {
        Some(n) => format!("{load_note}; {n}"),
        None => load_note,
    };
    let predicted = r.verdict;
    if predicted <= Verdict::Gcompat {
        return if load_ok && !run_failed {
            (Agreement::Agree, observed)
        } else {
            (
                Agreement::Disagree,
                format!("predicted {}, but {observed}", predicted.as_str()),
            )
        };
    }
    if !load_ok || run_failed {
        return (Agreement::Agree, observed);
    }
    let blocking = || {
        r.findings
            .iter()
            .filter(|f| f.impact >= Verdict::Rebuild && f.suppressed.is_none())
    };
    if late {
        if !is_program(kind) {
            return (
                Agreement::Unconfirmed,
                format!("{observed}; the predicted failure happens when this library's code runs"),
            );
        }
        if !ran {
            return (
                Agreement::Unconfirmed,
                format!("{observed}; the predicted failure happens at run time: use --run"),
            );
        }
    }
    if blocking().all(|f| IN_USERS_ONLY.contains(&f.id.id())) {
        return (
            Agreement::Unconfirmed,
            format!("{observed}; the predicted failure shows in the programs that use this file"),
        );
    }
    (
        Agreement::Disagree,
        format!("predicted rebuild, but {observed}"),
    )
}

fn load_failure(l: &LoaderCheck) -> String {
    let mut parts = Vec::new();
    if let Some(p) = &l.interpreter_problem {
        parts.push(p.clone());
    }
    if !l.missing_libraries.is_empty() {
        parts.push(format!("missing {}", l.missing_libraries.join(", ")));
    }
    if !l.missing_symbols.is_empty() {
        let n = l.missing_symbols.len();
        let some: Vec<&str> = l
            .missing_symbols
            .iter()
            .take(3)
            .map(String::as_str)
            .collect();
        parts.push(format!(
            "{n} symbol{} not found ({}{})",
            if n == 1 { "" } else { "s" },
            some.join(", "),
            if n > 3 { ", …" } else { "" }
        ));
    }
    parts.extend(l.errors.iter().take(2).cloned());
    if l.interpreter_problem.is_some() && parts.len() == 1 {
        parts.push("list mode loads it".into());
    } else if parts.is_empty() {
        parts.push(format!("exit {}", l.exit_code.unwrap_or(-1)));
    }
    format!("loader failed: {}", parts.join("; "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::judge::Finding;

    fn record(verdict: Verdict, findings: Vec<Finding>) -> Record {
        let mut r = crate::skipped("f", "f", "-");
        r.verdict = verdict;
        r.own_verdict = verdict;
        r.findings = findings;
        r
    }

    fn loads(ok: bool) -> LoaderCheck {
        LoaderCheck {
            command: String::new(),
            ok,
            exit_code: Some(if ok { 0 } else { 127 }),
            interpreter_problem: None,
            missing_symbols: if ok { vec![] } else { vec!["x".into()] },
            missing_libraries: vec![],
            errors: vec![],
            other_errors_are_symbols: true,
        }
    }

    fn ran(outcome: &'static str, code: Option<i32>, stderr: Option<&str>) -> RunCheck {
        RunCheck {
            command: String::new(),
            outcome,
            exit_code: code,
            signal: (outcome == "signal").then(|| "SIGSEGV".to_string()),
            stderr: stderr.map(str::to_string),
            millis: 1,
        }
    }

    fn check(
        r: &Record,
        l: Option<&LoaderCheck>,
        run: Option<&RunCheck>,
        ran: bool,
        kind: Kind,
    ) -> Agreement {
        let one = std::slice::from_ref(r);
        let seen = Seen {
            to_install: &to_install(one),
            ran,
            kind,
            late: failing_at_run_time_only(one).contains(&r.path),
            from_host: false,
        };
        compare(r, l, run, seen).0
    }

    fn agreement(r: &Record, l: Option<&LoaderCheck>, run: Option<&RunCheck>) -> Agreement {
        check(r, l, run, run.is_some(), Kind::Pie)
    }

    #[test]
    fn agreement_follows_the_documented_table() {
        use Agreement::*;
        let native = record(Verdict::Native, vec![]);
        let gcompat = record(Verdict::Gcompat, vec![]);
        let rebuild = record(
            Verdict::Rebuild,
            vec![Finding::new(Code::MissingSymbol, Verdict::Rebuild, "m")],
        );
        let exited = ran("exited", Some(3), None);
        let crashed = ran("signal", None, None);
        let timeout = ran("timeout", None, None);
        let stopped = ran(
            "exited",
            Some(127),
            Some("Error relocating f: x: symbol not found"),
        );
        let cases: &[(&Record, bool, Option<&RunCheck>, Agreement)] = &[
            (&native, true, None, Agree),
            (&native, true, Some(&exited), Agree),
            (&native, true, Some(&timeout), Agree),
            (&gcompat, true, Some(&exited), Agree),
            (&native, false, None, Disagree),
            (&native, true, Some(&crashed), Disagree),
            (&gcompat, true, Some(&stopped), Disagree),
            (&rebuild, false, None, Agree),
            (&rebuild, true, Some(&crashed), Agree),
            (&rebuild, true, None, Disagree),
            (&rebuild, true, Some(&exited), Disagree),
        ];
        for (r, ok, run, want) in cases {
            assert_eq!(
                agreement(r, Some(&loads(*ok)), *run),
                *want,
                "{:?} loads={ok} run={run:?}",
                r.verdict
            );
        }
    }

    #[test]
    fn run_time_failures_are_unconfirmed_without_a_run() {
        let relr = record(
            Verdict::Rebuild,
            vec![Finding::new(Code::DtRelr, Verdict::Rebuild, "relr")],
        );
        assert_eq!(
            agreement(&relr, Some(&loads(true)), None),
            Agreement::Unconfirmed
        );
        // A library is never run: its relocations are used when its code runs.
        assert_eq!(
            check(&relr, Some(&loads(true)), None, true, Kind::SharedLibrary),
            Agreement::Unconfirmed
        );
        // A program that was run and did not crash contradicts it.
        let fine = ran("exited", Some(0), None);
        assert_eq!(
            agreement(&relr, Some(&loads(true)), Some(&fine)),
            Agreement::Disagree
        );
        let ifunc = record(
            Verdict::Rebuild,
            vec![Finding::new(Code::IfuncExport, Verdict::Rebuild, "ifunc")],
        );
        assert_eq!(
            check(&ifunc, Some(&loads(true)), None, false, Kind::SharedLibrary),
            Agreement::Unconfirmed
        );
    }

    #[test]
    fn a_user_of_a_bundled_dt_relr_library_fails_late_too() {
        let mut lib = record(
            Verdict::Rebuild,
            vec![Finding::new(Code::DtRelr, Verdict::Rebuild, "relr")],
        );
        lib.path = "app/lib/libr.so".into();
        let user = |library: Record| {
            let mut u = record(
                Verdict::Rebuild,
                vec![Finding::new(Code::BundledLibrary, Verdict::Rebuild, "b").library("libr.so")],
            );
            u.path = "app/bin/tool".into();
            u.closure = vec![crate::report::ClosureEntry {
                library: "libr.so".into(),
                found: Some(library.path.clone()),
                verdict: Some(Verdict::Rebuild),
                intended: None,
            }];
            vec![library, u]
        };
        let late = failing_at_run_time_only(&user(lib.clone()));
        assert!(late.contains("app/bin/tool") && late.contains("app/lib/libr.so"));
        // A bundled library with a missing symbol fails list mode: its user is not late.
        let mut missing = lib;
        missing.findings = vec![Finding::new(Code::MissingSymbol, Verdict::Rebuild, "m")];
        assert!(failing_at_run_time_only(&user(missing)).is_empty());
    }

    #[test]
    fn a_library_the_prediction_says_to_install_leaves_it_unconfirmed() {
        let r = record(
            Verdict::Native,
            vec![Finding::new(Code::NeedsPackage, Verdict::Native, "z").library("libz.so.1")],
        );
        let mut l = loads(false);
        l.missing_libraries = vec!["libz.so.1".into()];
        assert_eq!(agreement(&r, Some(&l), None), Agreement::Unconfirmed);
        l.missing_libraries.push("libother.so.2".into());
        assert_eq!(agreement(&r, Some(&l), None), Agreement::Disagree);
    }

    #[test]
    fn commands_are_quoted_for_a_shell() {
        assert_eq!(
            command_line(
                &[("LD_PRELOAD".into(), "/lib/libgcompat.so.0".into())],
                &[
                    "/lib/ld-musl-x86_64.so.1".into(),
                    "--list".into(),
                    "a b's".into()
                ]
            ),
            "LD_PRELOAD=/lib/libgcompat.so.0 /lib/ld-musl-x86_64.so.1 --list 'a b'\\''s'"
        );
    }

    #[test]
    fn the_host_target_is_the_nearest_known_musl_at_or_below() {
        let db = Db::get().unwrap_or_else(|e| panic!("{e}"));
        let host = |musl: &str, gcompat: bool| Host {
            arch: crate::inspect::Arch::X86_64,
            loader: PathBuf::from("/lib/ld-musl-x86_64.so.1"),
            musl: musl.into(),
            gcompat_preload: gcompat.then(|| PathBuf::from("/lib/libgcompat.so.0")),
            gcompat_loader: None,
            network_isolation: None,
            emulator: Vec::new(),
        };
        let t = host_target(db, &host("1.2.5", true)).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            (t.name.as_str(), t.musl.to_string()),
            ("host", "1.2.5".into())
        );
        assert!(t.gcompat.is_some());
        let t = host_target(db, &host("1.2.9", false)).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(t.musl.to_string(), "1.2.6");
        assert!(t.gcompat.is_none());
        assert!(host_target(db, &host("1.1.24", false)).is_err());
    }
}
