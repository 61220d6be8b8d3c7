//! Start a process the way `verify` may: once, with a time limit, in a scratch directory, stdin
//! from /dev/null, in its own process group (killed as a group, so nothing it forks outlives
//! the check), output captured up to a bound.

use std::io::Read;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// Bytes kept of each of stdout and stderr of a run; the rest is read and dropped.
pub const CAPTURE: usize = 64 * 1024;

/// What one process did.
#[derive(Clone, Debug, Default)]
pub struct Outcome {
    /// Exit code, when it exited.
    pub code: Option<i32>,
    /// Signal number, when a signal ended it (SIGKILL from the time limit included).
    pub signal: Option<i32>,
    /// True when the time limit ran out and the group was killed.
    pub timed_out: bool,
    /// Why it could not be started at all.
    pub spawn_error: Option<String>,
    /// Captured standard error (at most [`Spawn::capture`] bytes).
    pub stderr: Vec<u8>,
    /// Captured standard output (at most [`Spawn::capture`] bytes).
    pub stdout: Vec<u8>,
    /// True when more output came than was kept.
    pub truncated: bool,
    /// Wall time.
    pub elapsed: Duration,
}

/// One process to start.
pub struct Spawn<'a> {
    /// argv, program first.
    pub argv: &'a [String],
    /// Extra environment.
    pub env: &'a [(String, String)],
    /// Environment variables to remove.
    pub env_remove: &'a [&'a str],
    /// Time limit.
    pub timeout: Duration,
    /// Run in a fresh scratch directory (HOME and TMPDIR point there too) instead of here.
    pub scratch: bool,
    /// Bytes kept of each output stream.
    pub capture: usize,
}

static SCRATCH: AtomicUsize = AtomicUsize::new(0);

fn scratch_dir() -> std::io::Result<PathBuf> {
    let n = SCRATCH.fetch_add(1, Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("muslcheck-verify-{}-{n}", std::process::id()));
    std::fs::create_dir(&dir)?;
    Ok(dir)
}

/// Start, wait (bounded), kill the group, collect.
pub fn run(spec: &Spawn) -> Outcome {
    let started = Instant::now();
    let Some((prog, args)) = spec.argv.split_first() else {
        return Outcome {
            spawn_error: Some("empty command".into()),
            ..Outcome::default()
        };
    };
    let scratch = if spec.scratch {
        match scratch_dir() {
            Ok(d) => Some(d),
            Err(e) => {
                return Outcome {
                    spawn_error: Some(format!("cannot create a scratch directory: {e}")),
                    ..Outcome::default()
                };
            }
        }
    } else {
        None
    };
    let mut cmd = Command::new(prog);
    cmd.args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0);
    for k in spec.env_remove {
        cmd.env_remove(k);
    }
    for (k, v) in spec.env {
        cmd.env(k, v);
    }
    if let Some(d) = &scratch {
        cmd.current_dir(d).env("HOME", d).env("TMPDIR", d);
    }
    let mut out = match cmd.spawn() {
        Ok(child) => wait(child, spec.timeout, spec.capture),
        Err(e) => Outcome {
            spawn_error: Some(e.to_string()),
            ..Outcome::default()
        },
    };
    out.elapsed = started.elapsed();
    if let Some(d) = scratch {
        remove_scratch(&d);
    }
    out
}

fn remove_scratch(dir: &Path) {
    // A program may have left read-only directories behind; best effort.
    let _ = std::fs::remove_dir_all(dir);
}

fn kill_group(pid: u32) {
    let Some(pid) = i32::try_from(pid)
        .ok()
        .and_then(rustix::process::Pid::from_raw)
    else {
        return;
    };
    // ESRCH (nothing left in the group) is the usual answer once the process has exited.
    let _ = rustix::process::kill_process_group(pid, rustix::process::Signal::KILL);
}

fn reader(mut pipe: impl Read + Send + 'static, capture: usize) -> mpsc::Receiver<(Vec<u8>, bool)> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut kept = Vec::new();
        let mut truncated = false;
        let mut buf = [0u8; 8192];
        loop {
            match pipe.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    let room = capture.saturating_sub(kept.len());
                    let take = n.min(room);
                    kept.extend_from_slice(buf.get(..take).unwrap_or_default());
                    truncated |= take < n;
                }
            }
        }
        let _ = tx.send((kept, truncated));
    });
    rx
}

fn wait(mut child: std::process::Child, timeout: Duration, capture: usize) -> Outcome {
    let pid = child.id();
    let out_rx = child.stdout.take().map(|p| reader(p, capture));
    let err_rx = child.stderr.take().map(|p| reader(p, capture));
    let deadline = Instant::now() + timeout;
    let mut outcome = Outcome::default();
    let status = loop {
        match child.try_wait() {
            Ok(Some(s)) => break Some(s),
            Ok(None) if Instant::now() >= deadline => {
                outcome.timed_out = true;
                kill_group(pid);
                break child.wait().ok();
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(5)),
            Err(e) => {
                outcome.spawn_error = Some(format!("wait failed: {e}"));
                kill_group(pid);
                break None;
            }
        }
    };
    // Whatever it left running in its group (never a daemon) goes too.
    kill_group(pid);
    if let Some(s) = status {
        outcome.code = s.code();
        outcome.signal = s.signal();
    }
    // A process that left its group may still hold the pipes: wait a little, then move on.
    let collect = |rx: Option<mpsc::Receiver<(Vec<u8>, bool)>>| {
        rx.and_then(|r| r.recv_timeout(Duration::from_secs(1)).ok())
            .unwrap_or_default()
    };
    let (stdout, t1) = collect(out_rx);
    let (stderr, t2) = collect(err_rx);
    outcome.stdout = stdout;
    outcome.stderr = stderr;
    outcome.truncated = t1 || t2;
    outcome
}

/// Name of a signal number (Linux numbering, same on x86_64 and aarch64).
pub fn signal_name(sig: i32) -> String {
    let name = match sig {
        1 => "SIGHUP",
        2 => "SIGINT",
        3 => "SIGQUIT",
        4 => "SIGILL",
        5 => "SIGTRAP",
        6 => "SIGABRT",
        7 => "SIGBUS",
        8 => "SIGFPE",
        9 => "SIGKILL",
        11 => "SIGSEGV",
        13 => "SIGPIPE",
        14 => "SIGALRM",
        15 => "SIGTERM",
        31 => "SIGSYS",
        _ => return format!("signal {sig}"),
    };
    name.to_string()
}
