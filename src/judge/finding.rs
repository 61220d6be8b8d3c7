//! A finding is data: its symbol (name and version), library and fix (packages to install, the
//! step, the alternatives) are fields. Renderers and the summary format them; nothing parses a
//! finding's text back.

use std::cmp::Ordering;
use std::fmt;

use serde::{Serialize, Serializer};

use super::{Code, Severity, Verdict};
use crate::policy::Suppression;

/// One reason behind a verdict.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// Stable ID.
    pub id: Code,
    /// How much it matters.
    pub severity: Severity,
    /// The least verdict this finding forces on its own.
    #[serde(rename = "requires")]
    pub impact: Verdict,
    /// Symbol concerned (`fcntl64@GLIBC_2.28` in JSON).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub symbol: Option<Symbol>,
    /// Library concerned.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub library: Option<String>,
    /// The Alpine package concerned: what `needs-package` installs, what `alpine-package`
    /// replaces the file with.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub package: Option<String>,
    /// How sure the package knowledge behind a library finding is (#11).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub confidence: Option<super::PackageConfidence>,
    /// One-line message.
    pub message: String,
    /// What to do about it (one string in JSON).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<Fix>,
    /// The measured facts and confidence behind a run-time prediction (#10).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub evidence: Option<super::Evidence>,
    /// Set by the policy stage ([`crate::policy::Policy::suppression`]) when an allow rule or the
    /// baseline accepted this finding: it stays in the report but no longer counts toward
    /// `--fail-on`. The judge never sets it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suppressed: Option<Suppression>,
}

impl Finding {
    /// A finding with the code's default severity.
    pub fn new(id: Code, impact: Verdict, message: impl Into<String>) -> Self {
        Finding {
            id,
            severity: id.severity(),
            impact,
            symbol: None,
            library: None,
            package: None,
            confidence: None,
            message: message.into(),
            fix: None,
            evidence: None,
            suppressed: None,
        }
    }
    /// Set the symbol.
    pub fn symbol(mut self, s: Symbol) -> Self {
        self.symbol = Some(s);
        self
    }
    /// Set the library.
    pub fn library(mut self, l: impl Into<String>) -> Self {
        self.library = Some(l.into());
        self
    }
    /// Set the fix.
    pub fn fix(mut self, f: impl Into<Fix>) -> Self {
        self.fix = Some(f.into());
        self
    }
    /// Override the severity.
    pub fn severity(mut self, s: Severity) -> Self {
        self.severity = s;
        self
    }
    /// True unless the policy accepted this finding (allow rule or baseline).
    pub fn counts(&self) -> bool {
        self.suppressed.is_none()
    }
}

/// A dynamic symbol as the file names it: the name, and the version it asks for, if any.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Symbol {
    /// The name musl's loader looks up (versions are ignored by musl).
    pub name: String,
    /// The version asked for (`GLIBC_2.28`), from DT_VERSYM.
    pub version: Option<String>,
}

impl Symbol {
    /// A symbol with a version, if it has one.
    pub fn new(name: impl Into<String>, version: Option<String>) -> Self {
        Symbol {
            name: name.into(),
            version,
        }
    }
    /// A name without version (exports, relocation types).
    pub fn plain(name: impl Into<String>) -> Self {
        Symbol::new(name, None)
    }
    fn bytes(&self) -> impl Iterator<Item = u8> + '_ {
        let version = self
            .version
            .iter()
            .flat_map(|v| b"@".iter().copied().chain(v.bytes()));
        self.name.bytes().chain(version)
    }
}

/// Tests name symbols as `name@VERSION`.
#[cfg(test)]
pub(crate) fn sym(text: &str) -> Symbol {
    match text.split_once('@') {
        Some((name, version)) => Symbol::new(name, Some(version.to_string())),
        None => Symbol::plain(text),
    }
}

impl From<&crate::inspect::Import> for Symbol {
    fn from(imp: &crate::inspect::Import) -> Self {
        Symbol::new(imp.name.clone(), imp.version.clone())
    }
}

/// `name@VERSION`, or the bare name.
impl fmt::Display for Symbol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.version {
            Some(v) => write!(f, "{}@{v}", self.name),
            None => f.write_str(&self.name),
        }
    }
}

/// Ordered as its `name@VERSION` text, so that reports keep their order.
impl Ord for Symbol {
    fn cmp(&self, other: &Self) -> Ordering {
        self.bytes().cmp(other.bytes())
    }
}

impl PartialOrd for Symbol {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Serialize for Symbol {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// What to do about a finding, in parts: `apk add INSTALL; then STEP, or ALTERNATIVE…`, then
/// the shim to try, and the bundled library it concerns (`(in libx.so)`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Fix {
    /// Alpine packages whose installation is the first step (`apk add …`).
    pub install: Vec<String>,
    /// The step: after the install, or the whole fix when nothing is installed.
    pub step: Option<String>,
    /// Other ways out (`, or …`).
    pub alternatives: Vec<String>,
    /// Alpine packages exporting every missing symbol, to try instead of a rebuild (#6).
    pub shim: Option<ShimFix>,
    /// The bundled libraries the fix is to be applied to, innermost first (`(in libx.so)`).
    pub within: Vec<String>,
}

/// The shim recipe: install the packages and add their libraries as DT_NEEDED.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct ShimFix {
    /// Alpine packages.
    pub packages: Vec<String>,
    /// Their libraries, to add with `patchelf --add-needed`.
    pub sonames: Vec<String>,
}

impl Fix {
    /// Install Alpine packages (`apk add …`).
    pub fn install(package: impl Into<String>) -> Self {
        Fix {
            install: vec![package.into()],
            ..Fix::default()
        }
    }
    /// A step in words.
    pub fn step(step: impl Into<String>) -> Self {
        Fix {
            step: Some(step.into()),
            ..Fix::default()
        }
    }
    /// What to do after the install.
    pub fn then(mut self, step: impl Into<String>) -> Self {
        self.step = Some(step.into());
        self
    }
    /// Add an alternative.
    pub fn or(mut self, alternative: impl Into<String>) -> Self {
        self.alternatives.push(alternative.into());
        self
    }
    /// The same fix, applied to a bundled library.
    pub fn in_library(mut self, library: impl Into<String>) -> Self {
        self.within.push(library.into());
        self
    }
}

impl From<&str> for Fix {
    fn from(step: &str) -> Self {
        Fix::step(step)
    }
}

impl From<String> for Fix {
    fn from(step: String) -> Self {
        Fix::step(step)
    }
}

impl fmt::Display for Fix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut started = false;
        if !self.install.is_empty() {
            write!(f, "apk add {}", self.install.join(" "))?;
            started = true;
        }
        if let Some(step) = &self.step {
            if started {
                f.write_str("; then ")?;
            }
            f.write_str(step)?;
            started = true;
        }
        for alt in &self.alternatives {
            if started {
                f.write_str(", or ")?;
            }
            f.write_str(alt)?;
            started = true;
        }
        if let Some(shim) = &self.shim {
            if started {
                f.write_str("; ")?;
            }
            let needed: Vec<String> = shim
                .sonames
                .iter()
                .map(|s| format!("patchelf --add-needed {s} FILE"))
                .collect();
            write!(
                f,
                "or try the shim: apk add {} && {} (the shim's functions must match glibc's ABI: test)",
                shim.packages.join(" "),
                needed.join(" && ")
            )?;
        }
        for lib in &self.within {
            write!(f, " (in {lib})")?;
        }
        Ok(())
    }
}

impl Serialize for Fix {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixes_render_their_parts_in_order() {
        let f = Fix::install("gcompat")
            .then("`patchelf --add-needed libgcompat.so.0 FILE`")
            .or("run it with LD_PRELOAD=/lib/libgcompat.so.0")
            .in_library("libx.so");
        assert_eq!(
            f.to_string(),
            "apk add gcompat; then `patchelf --add-needed libgcompat.so.0 FILE`, or run it with \
             LD_PRELOAD=/lib/libgcompat.so.0 (in libx.so)"
        );
        let mut f = Fix::step("rebuild against musl");
        f.shim = Some(ShimFix {
            packages: vec!["libbsd".into()],
            sonames: vec!["libbsd.so.0".into()],
        });
        assert_eq!(
            f.to_string(),
            "rebuild against musl; or try the shim: apk add libbsd && patchelf --add-needed \
             libbsd.so.0 FILE (the shim's functions must match glibc's ABI: test)"
        );
    }

    #[test]
    fn symbols_order_and_print_as_name_at_version() {
        let a = Symbol::new("a", Some("V".into()));
        let b = Symbol::plain("a-b");
        assert_eq!(a.to_string(), "a@V");
        assert_eq!(a.cmp(&b), "a@V".cmp("a-b"));
        assert!(Symbol::plain("a") < a);
    }
}
