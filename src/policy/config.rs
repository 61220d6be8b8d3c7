//! `muslcheck.toml`: target, threshold, baseline and allow rules.
//!
//! ```toml
//! target = "alpine:3.22"        # or musl = "1.2.4", gcompat = "none"
//! fail-on = "gcompat"           # native | gcompat | rebuild | error | never
//! baseline = "muslcheck-baseline.json"
//!
//! [[allow]]
//! path = "vendor/legacy/**"     # glob on the report path
//! id = "missing-symbol"         # finding ID
//! symbol = "fcntl64"            # glob; without @VERSION it matches any version
//! reason = "replaced by the musl build in PLAT-123"
//! expires = 2027-01-31          # optional: applies through that day
//! ```
//!
//! Unknown keys, a missing `reason`, an allow rule without any matcher, an unknown finding ID, a
//! bad glob or date are errors that name the line. Parsing is pure: the caller reads the file.

use std::fmt;
use std::ops::Range;

use serde::Deserialize;
use toml::Spanned;

use super::allow::{AllowRule, Pattern};
use super::{Date, FailOn};
use crate::judge::Code;

/// A parsed and validated configuration file.
#[derive(Clone, Debug, Default)]
pub struct Config {
    /// `target`: Alpine release (`alpine:3.22`).
    pub target: Option<String>,
    /// `musl`: musl version override.
    pub musl: Option<String>,
    /// `gcompat`: gcompat version or `none`.
    pub gcompat: Option<String>,
    /// `fail-on`.
    pub fail_on: Option<FailOn>,
    /// `baseline`: baseline file, relative to the configuration file's directory.
    pub baseline: Option<String>,
    /// `[[allow]]` rules, in file order.
    pub allow: Vec<AllowRule>,
}

/// A configuration file that cannot be used, with the position of the problem.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigError {
    /// 1-based line (0 when unknown).
    pub line: usize,
    /// 1-based column (0 when unknown).
    pub column: usize,
    /// What is wrong and what to do.
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line > 0 {
            write!(f, "{}:{}: {}", self.line, self.column, self.message)
        } else {
            f.write_str(&self.message)
        }
    }
}

impl std::error::Error for ConfigError {}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawConfig {
    target: Option<String>,
    musl: Option<String>,
    gcompat: Option<String>,
    fail_on: Option<FailOn>,
    baseline: Option<String>,
    #[serde(default)]
    allow: Vec<Spanned<RawAllow>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAllow {
    path: Option<Spanned<String>>,
    symbol: Option<Spanned<String>>,
    library: Option<Spanned<String>>,
    id: Option<Spanned<String>>,
    reason: Spanned<String>,
    expires: Option<Spanned<toml::Value>>,
}

/// 1-based line and column of a byte offset.
fn position(text: &str, offset: usize) -> (usize, usize) {
    let before = text.get(..offset.min(text.len())).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

impl Config {
    /// Parse and validate the text of a configuration file.
    pub fn parse(text: &str) -> Result<Config, ConfigError> {
        let err = |span: Range<usize>, message: String| {
            let (line, column) = position(text, span.start);
            ConfigError {
                line,
                column,
                message,
            }
        };
        let raw: RawConfig = toml::from_str(text).map_err(|e| {
            let message = e.message().trim_end().to_string();
            match e.span() {
                Some(span) => err(span, message),
                None => ConfigError {
                    line: 0,
                    column: 0,
                    message,
                },
            }
        })?;
        let mut allow = Vec::with_capacity(raw.allow.len());
        for (i, spanned) in raw.allow.into_iter().enumerate() {
            let span = spanned.span();
            let r = spanned.into_inner();
            let glob =
                |p: &Spanned<String>, compile: fn(&str) -> Result<Pattern, globset::Error>| {
                    compile(p.get_ref()).map_err(|e| err(p.span(), format!("bad glob: {e}")))
                };
            let path = r
                .path
                .as_ref()
                .map(|p| glob(p, Pattern::path))
                .transpose()?;
            let symbol = r
                .symbol
                .as_ref()
                .map(|p| glob(p, Pattern::name))
                .transpose()?;
            let library = r
                .library
                .as_ref()
                .map(|p| glob(p, Pattern::name))
                .transpose()?;
            let id = match &r.id {
                None => None,
                Some(id) => Some(Code::from_id(id.get_ref()).ok_or_else(|| {
                    err(
                        id.span(),
                        format!(
                            "unknown finding ID '{}'; `muslcheck explain` lists them",
                            id.get_ref()
                        ),
                    )
                })?),
            };
            if path.is_none() && symbol.is_none() && library.is_none() && id.is_none() {
                return Err(err(
                    span,
                    "an [[allow]] rule needs at least one of path, id, symbol, library \
                     (it would allow everything)"
                        .into(),
                ));
            }
            if r.reason.get_ref().trim().is_empty() {
                return Err(err(
                    r.reason.span(),
                    "reason must say why the finding is accepted".into(),
                ));
            }
            let expires = r.expires.as_ref().map(|v| expiry(v, &err)).transpose()?;
            allow.push(AllowRule {
                number: i + 1,
                line: position(text, span.start).0,
                path,
                symbol,
                library,
                id,
                reason: r.reason.into_inner().trim().to_string(),
                expires,
            });
        }
        Ok(Config {
            target: raw.target,
            musl: raw.musl,
            gcompat: raw.gcompat,
            fail_on: raw.fail_on,
            baseline: raw.baseline,
            allow,
        })
    }
}

/// `expires = 2027-01-31` (a TOML date) or `expires = "2027-01-31"`.
fn expiry(
    v: &Spanned<toml::Value>,
    err: &impl Fn(Range<usize>, String) -> ConfigError,
) -> Result<Date, ConfigError> {
    let bad = || {
        err(
            v.span(),
            "expires must be a date like 2027-01-31 (no time of day)".into(),
        )
    };
    match v.get_ref() {
        toml::Value::Datetime(dt) if dt.time.is_none() && dt.offset.is_none() => {
            let d = dt.date.ok_or_else(bad)?;
            Date::new(i32::from(d.year), d.month, d.day).ok_or_else(bad)
        }
        toml::Value::String(s) => Date::parse(s).ok_or_else(bad),
        _ => Err(bad()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(text: &str) -> ConfigError {
        match Config::parse(text) {
            Ok(_) => panic!("accepted: {text}"),
            Err(e) => e,
        }
    }

    #[test]
    fn full_file_parses() {
        let c = Config::parse(
            r#"
target = "alpine:3.20"
gcompat = "none"
fail-on = "gcompat"
baseline = "base.json"

[[allow]]
path = "vendor/**"
symbol = "__isoc23_*"
reason = "  vendor build, fixed in 2.0  "
expires = 2027-01-31

[[allow]]
id = "gcompat-stub"
library = "libgcompat.so.0"
reason = "tested"
expires = "2027-02-28"
"#,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.target.as_deref(), Some("alpine:3.20"));
        assert_eq!(c.gcompat.as_deref(), Some("none"));
        assert_eq!(c.fail_on, Some(FailOn::Gcompat));
        assert_eq!(c.baseline.as_deref(), Some("base.json"));
        assert_eq!(c.allow.len(), 2);
        assert_eq!(c.allow[0].line, 7);
        assert_eq!(c.allow[0].reason, "vendor build, fixed in 2.0");
        assert_eq!(c.allow[0].expires, Date::new(2027, 1, 31));
        assert_eq!(c.allow[1].id, Some(Code::GcompatStub));
        assert_eq!(c.allow[1].number, 2);
        assert_eq!(c.allow[1].expires, Date::new(2027, 2, 28));
        assert!(Config::parse("").is_ok());
    }

    #[test]
    fn unknown_keys_are_errors_with_the_key_and_line() {
        let e = error("target = \"alpine:3.20\"\nfial-on = \"native\"\n");
        assert_eq!(e.line, 2, "{e}");
        assert!(e.message.contains("fial-on"), "{e}");
        let e = error("[[allow]]\nid = \"missing-symbol\"\nreason = \"x\"\nsymbols = \"a\"\n");
        assert_eq!(e.line, 4, "{e}");
        assert!(e.message.contains("symbols"), "{e}");
    }

    #[test]
    fn rules_are_validated() {
        let e = error("[[allow]]\nid = \"missing-symbol\"\n");
        assert!(e.message.contains("reason"), "{e}");
        let e = error("[[allow]]\nid = \"missing-symbol\"\nreason = \" \"\n");
        assert_eq!(e.line, 3, "{e}");
        let e = error("[[allow]]\nreason = \"everything\"\n");
        assert!(e.message.contains("at least one"), "{e}");
        let e = error("[[allow]]\nid = \"no-such-id\"\nreason = \"x\"\n");
        assert!(e.message.contains("no-such-id") && e.line == 2, "{e}");
        let e = error("[[allow]]\npath = \"a/[\"\nreason = \"x\"\n");
        assert!(e.message.contains("glob") && e.line == 2, "{e}");
        let e = error("[[allow]]\nid = \"dt-relr\"\nreason = \"x\"\nexpires = 2027-02-30\n");
        assert_eq!(e.line, 4, "{e}");
        let e =
            error("[[allow]]\nid = \"dt-relr\"\nreason = \"x\"\nexpires = 2027-01-01T10:00:00\n");
        assert!(e.message.contains("no time of day"), "{e}");
        let e = error("[[allow]]\nid = \"dt-relr\"\nreason = \"x\"\nexpires = \"soon\"\n");
        assert!(e.message.contains("2027-01-31"), "{e}");
        let e = error("fail-on = \"sometimes\"\n");
        assert!(e.message.contains("sometimes") && e.line == 1, "{e}");
    }
}
