//! `[[allow]]` rules: reviewed exceptions that match findings by path, symbol, library and ID.

use globset::{Glob, GlobBuilder, GlobMatcher};

use super::Date;
use crate::judge::{Code, Finding};

/// One compiled allow rule. Every matcher it has must match (they are ANDed); a rule has at
/// least one matcher.
#[derive(Clone, Debug)]
pub struct AllowRule {
    /// 1-based position among the `[[allow]]` tables of the file.
    pub number: usize,
    /// 1-based line of the rule in the configuration file.
    pub line: usize,
    /// Glob on the input's report path (`vendor/**`, `app.tar.gz!/**`).
    pub path: Option<Pattern>,
    /// Glob on the symbol; without `@` it matches the name before `@VERSION`.
    pub symbol: Option<Pattern>,
    /// Glob on the library (DT_NEEDED name or loader path).
    pub library: Option<Pattern>,
    /// Finding ID.
    pub id: Option<Code>,
    /// Why this is accepted (required).
    pub reason: String,
    /// Last day the rule applies; from the next day on it is expired.
    pub expires: Option<Date>,
}

/// A glob as written, with its compiled matcher.
#[derive(Clone, Debug)]
pub struct Pattern {
    /// The glob as written in the file.
    pub text: String,
    matcher: GlobMatcher,
}

impl Pattern {
    /// Compile a path glob: `*` and `?` stay within one path component, `**` crosses them.
    pub fn path(text: &str) -> Result<Pattern, globset::Error> {
        let glob = GlobBuilder::new(strip_dot_slash(text))
            .literal_separator(true)
            .build()?;
        Ok(Pattern {
            text: text.to_string(),
            matcher: glob.compile_matcher(),
        })
    }

    /// Compile a name glob (symbols, libraries): `*` matches any characters.
    pub fn name(text: &str) -> Result<Pattern, globset::Error> {
        Ok(Pattern {
            text: text.to_string(),
            matcher: Glob::new(text)?.compile_matcher(),
        })
    }

    /// Does `s` match?
    pub fn is_match(&self, s: &str) -> bool {
        self.matcher.is_match(s)
    }
}

/// `./a/b` and `a/b` name the same input.
pub(crate) fn strip_dot_slash(mut s: &str) -> &str {
    while let Some(rest) = s.strip_prefix("./") {
        s = rest;
    }
    s
}

impl AllowRule {
    /// Has the rule expired by `today`? A rule applies through its `expires` day.
    pub fn is_expired(&self, today: Date) -> bool {
        self.expires.is_some_and(|e| today > e)
    }

    /// Does the rule match `finding` of the input at `path`?
    pub fn matches(&self, path: &str, finding: &Finding) -> bool {
        if self.id.is_some_and(|id| id != finding.id) {
            return false;
        }
        if let Some(p) = &self.path {
            if !p.is_match(strip_dot_slash(path)) {
                return false;
            }
        }
        if let Some(p) = &self.symbol {
            let Some(sym) = finding.symbol.as_ref() else {
                return false;
            };
            // The rule's own text decides: with `@` it names a version too.
            let matched = if p.text.contains('@') {
                p.is_match(&sym.to_string())
            } else {
                p.is_match(&sym.name)
            };
            if !matched {
                return false;
            }
        }
        if let Some(p) = &self.library {
            if !finding.library.as_deref().is_some_and(|l| p.is_match(l)) {
                return false;
            }
        }
        true
    }

    /// What the rule matches, e.g. `path=vendor/** id=missing-symbol symbol=fcntl64`.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some(p) = &self.path {
            parts.push(format!("path={}", p.text));
        }
        if let Some(id) = self.id {
            parts.push(format!("id={}", id.id()));
        }
        if let Some(p) = &self.symbol {
            parts.push(format!("symbol={}", p.text));
        }
        if let Some(p) = &self.library {
            parts.push(format!("library={}", p.text));
        }
        parts.join(" ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::judge::Verdict;

    fn rule(path: Option<&str>, symbol: Option<&str>, library: Option<&str>) -> AllowRule {
        AllowRule {
            number: 1,
            line: 1,
            path: path.map(|p| Pattern::path(p).unwrap_or_else(|e| panic!("{e}"))),
            symbol: symbol.map(|p| Pattern::name(p).unwrap_or_else(|e| panic!("{e}"))),
            library: library.map(|p| Pattern::name(p).unwrap_or_else(|e| panic!("{e}"))),
            id: None,
            reason: "r".into(),
            expires: None,
        }
    }

    #[test]
    fn path_globs_respect_components_and_dot_slash() {
        let f = Finding::new(Code::MissingSymbol, Verdict::Rebuild, "m");
        let r = rule(Some("vendor/*"), None, None);
        assert!(r.matches("vendor/tool", &f));
        assert!(r.matches("./vendor/tool", &f));
        assert!(
            !r.matches("vendor/bin/tool", &f),
            "* stays in one component"
        );
        let r = rule(Some("./vendor/**"), None, None);
        assert!(r.matches("vendor/bin/tool", &f));
        let r = rule(Some("app.tar.gz!/**"), None, None);
        assert!(r.matches("app.tar.gz!/usr/bin/app", &f));
        assert!(!r.matches("other.tar.gz!/usr/bin/app", &f));
    }

    #[test]
    fn symbol_globs_match_with_or_without_version() {
        let f = Finding::new(Code::MissingSymbol, Verdict::Rebuild, "m")
            .symbol(crate::judge::sym("fcntl64@GLIBC_2.28"));
        assert!(rule(None, Some("fcntl64"), None).matches("x", &f));
        assert!(rule(None, Some("fcntl*"), None).matches("x", &f));
        assert!(rule(None, Some("fcntl64@GLIBC_2.28"), None).matches("x", &f));
        assert!(!rule(None, Some("fcntl64@GLIBC_2.2"), None).matches("x", &f));
        assert!(!rule(None, Some("fcntl"), None).matches("x", &f));
        let lib = Finding::new(Code::MissingLibrary, Verdict::Rebuild, "m").library("libanl.so.1");
        assert!(!rule(None, Some("*"), None).matches("x", &lib), "no symbol");
        assert!(rule(None, None, Some("libanl.so.*")).matches("x", &lib));
        assert!(!rule(None, None, Some("libanl.so.*")).matches("x", &f));
    }

    #[test]
    fn expiry_is_inclusive_of_the_last_day() {
        let mut r = rule(Some("**"), None, None);
        r.expires = Date::new(2027, 1, 31);
        let day = |d| Date::new(2027, 1, d).unwrap_or_else(|| panic!("date"));
        assert!(!r.is_expired(day(31)));
        assert!(r.is_expired(Date::new(2027, 2, 1).unwrap_or_else(|| panic!("date"))));
        assert!(!r.is_expired(day(1)));
    }
}
