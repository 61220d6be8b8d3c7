//! Scan settings: command-line flags over `muslcheck.toml`, resolved once. Reads the
//! configuration and baseline files (the library's policy stage only parses text).

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow};

use muslcheck::db::Db;
use muslcheck::judge::Target;
use muslcheck::policy::{Baseline, Config, Date, Policy};
use muslcheck::report::Report;

use crate::cli::ScanArgs;

/// The configuration file looked for in the working directory.
pub const CONFIG_FILE: &str = "muslcheck.toml";

/// Everything `scan` needs besides the inputs.
pub struct Settings {
    target: Option<String>,
    musl: Option<String>,
    gcompat: Option<String>,
    /// The configuration file used, if any.
    config_file: Option<PathBuf>,
    /// The gate's rules.
    pub policy: Policy,
    write_baseline: Option<PathBuf>,
    /// `--strip-prefix`.
    strip_prefix: Vec<String>,
    /// `--quiet`: no notes on standard error (warnings and the gate line are always shown).
    quiet: bool,
    /// The target's package indexes (`--apkindex`, or apk's cache on an Alpine host).
    apkindex: Option<std::sync::Arc<muslcheck::db::ApkIndex>>,
}

fn read(path: &Path, what: &str) -> Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("cannot read {what} {}", path.display()))
}

impl Settings {
    /// Merge flags over the configuration file and load the baseline.
    pub fn resolve(args: &ScanArgs) -> Result<Settings> {
        let config_file = match (&args.config, args.no_config) {
            (Some(p), _) => Some(p.clone()),
            (None, true) => None,
            (None, false) => Some(PathBuf::from(CONFIG_FILE)).filter(|p| p.is_file()),
        };
        let config = match &config_file {
            None => Config::default(),
            Some(path) => {
                let text = read(path, "configuration file")?;
                Config::parse(&text).map_err(|e| anyhow!("{}:{e}", path.display()))?
            }
        };
        let config_dir = config_file
            .as_deref()
            .and_then(Path::parent)
            .map(Path::to_path_buf)
            .unwrap_or_default();
        let mut policy = Policy::new(
            args.fail_on
                .map(Into::into)
                .or(config.fail_on)
                .unwrap_or_default(),
            Date::today(),
        );
        policy.allow = config.allow;
        policy.allow_not_judged = args.allow_not_judged;
        let configured = config.baseline.as_ref().map(|b| config_dir.join(b));
        let baseline_file = match (&args.baseline, configured) {
            (Some(p), _) => Some(p.clone()),
            // Writing the first baseline while the configuration already names it.
            (None, Some(p)) if args.write_baseline.is_some() && !p.exists() => None,
            (None, p) => p,
        };
        if let Some(path) = baseline_file {
            let text = std::fs::read_to_string(&path).map_err(|e| {
                anyhow!(
                    "cannot read baseline {}: {e}; create it with `muslcheck scan \
                     --write-baseline {} ...`",
                    path.display(),
                    path.display()
                )
            })?;
            let mut b = Baseline::parse(&text).map_err(|e| anyhow!("{}: {e}", path.display()))?;
            b.source = Some(path.display().to_string());
            for p in &args.strip_prefix {
                b.strip_prefix(p);
            }
            policy.baseline = Some(b);
        }
        let apkindex = if args.apkindex.is_empty() {
            muslcheck::input::apkindex::host_cache()
        } else {
            Some(muslcheck::input::apkindex::read(&args.apkindex).map_err(|e| anyhow!(e))?)
        };
        let or_config = |flag: &Option<String>, file: Option<String>| flag.clone().or(file);
        Ok(Settings {
            target: or_config(&args.target, config.target),
            musl: or_config(&args.musl, config.musl),
            gcompat: or_config(&args.gcompat, config.gcompat),
            config_file,
            policy,
            write_baseline: args.write_baseline.clone(),
            strip_prefix: args.strip_prefix.clone(),
            quiet: args.quiet,
            apkindex: apkindex.map(std::sync::Arc::new),
        })
    }

    /// True when the run writes a baseline (`--write-baseline`).
    pub fn writes_baseline(&self) -> bool {
        self.write_baseline.is_some()
    }

    /// The target to judge for.
    pub fn target(&self, db: &Db) -> Result<Target> {
        let mut t = Target::resolve(
            db,
            self.target.as_deref(),
            self.musl.as_deref(),
            self.gcompat.as_deref(),
        )
        .map_err(|e| match &self.config_file {
            Some(f) => anyhow!("{e} (flags and {})", f.display()),
            None => anyhow!("{e}"),
        })?;
        t.set_apkindex(self.apkindex.clone());
        Ok(t)
    }

    /// Apply the policy to the report, write the baseline if asked, and warn on standard error
    /// about expired allow rules and a baseline written for another target.
    pub fn gate(&mut self, report: &mut Report) -> Result<()> {
        let config = self
            .config_file
            .as_deref()
            .map_or_else(|| CONFIG_FILE.to_string(), |p| p.display().to_string());
        // Warnings are shown even with --quiet: an expired rule changes the outcome of the gate.
        let warn = crate::warn;
        for rule in self.policy.expired_rules() {
            warn(&format!(
                "{config}:{}: allow rule {} ({}) expired on {} and no longer applies (reason: {})",
                rule.line,
                rule.number,
                rule.describe(),
                rule.expires.map(|d| d.to_string()).unwrap_or_default(),
                rule.reason
            ));
        }
        if let Some(b) = &self.policy.baseline {
            let now = report.target.describe();
            if !b.target.is_empty() && b.target != now {
                warn(&format!(
                    "baseline {} was written for {}, this run judges for {now}: findings may differ",
                    b.source.as_deref().unwrap_or(""),
                    b.target
                ));
            }
        }
        report.apply_policy(&self.policy);
        if let Some(path) = &self.write_baseline {
            let mut fresh = report.baseline();
            for p in &self.strip_prefix {
                fresh.strip_prefix(p);
            }
            crate::output::write(path, "baseline", &fresh.render())?;
            if !self.quiet {
                eprintln!(
                    "muslcheck: wrote {} to baseline {}",
                    muslcheck::report::plural(fresh.len(), "finding"),
                    path.display()
                );
            }
            fresh.source = Some(path.display().to_string());
            self.policy.baseline = Some(fresh);
            report.apply_policy(&self.policy);
        }
        Ok(())
    }
}
