//! The advice tables behind the runtime findings (#6): shim packages for missing symbols, GNU-vs-POSIX
//! semantics, and library names a binary may dlopen that Alpine cannot provide.
//!
//! Same line format as the rest of `symbol-db/` (see `parse.rs`); every table is checked for order
//! and uniqueness by the tests below, so that review diffs stay readable.

use super::parse::ParseError;

/// An Alpine package whose library exports a symbol musl lacks (a shim alternative to rebuilding).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shim {
    /// Alpine package name, e.g. `libbsd`.
    pub package: &'static str,
    /// The library to add as DT_NEEDED, e.g. `libbsd.so.0`.
    pub soname: &'static str,
}

/// A function whose glibc symbol behaves differently from musl's same-named one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GnuSemantics {
    /// How much it matters.
    pub level: super::Level,
    /// True when libgcompat exports a GNU version that overrides musl's once it is loaded.
    pub gcompat_fixes: bool,
    /// What differs.
    pub effect: &'static str,
    /// Where the claim was checked.
    pub source: &'static str,
}

/// A library-name pattern Alpine cannot provide (`libnss_*`), with the reason.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DlopenPattern {
    /// Exact name, or a prefix when it ends in `*`.
    pub pattern: &'static str,
    /// Why Alpine lacks it.
    pub why: &'static str,
}

impl DlopenPattern {
    /// True if `name` matches the pattern.
    pub fn matches(&self, name: &str) -> bool {
        match self.pattern.strip_suffix('*') {
            Some(prefix) => name.starts_with(prefix),
            None => name == self.pattern,
        }
    }
}

fn data_lines(text: &'static str) -> impl Iterator<Item = (usize, &'static str)> {
    text.lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim_end()))
        .filter(|(_, l)| !l.trim().is_empty() && !l.starts_with('#'))
}

fn err(file: &'static str, line: usize, message: impl Into<String>) -> ParseError {
    ParseError {
        file,
        line,
        message: message.into(),
    }
}

/// `alpine/shims.txt`: `symbol package soname`.
pub(crate) fn shims(
    file: &'static str,
    text: &'static str,
) -> Result<Vec<(&'static str, Shim)>, ParseError> {
    data_lines(text)
        .map(
            |(n, l)| match l.split_whitespace().collect::<Vec<_>>()[..] {
                [symbol, package, soname] => Ok((symbol, Shim { package, soname })),
                _ => Err(err(file, n, "expected: symbol package soname")),
            },
        )
        .collect()
}

/// `runtime/gnu-semantics.txt`: `name<TAB>severity<TAB>gcompat<TAB>effect<TAB>source`.
pub(crate) fn gnu_semantics(
    file: &'static str,
    text: &'static str,
) -> Result<Vec<(&'static str, GnuSemantics)>, ParseError> {
    data_lines(text)
        .map(|(n, l)| {
            let f: Vec<&'static str> = l.split('\t').collect();
            let [name, severity, gcompat, effect, source] = f[..] else {
                return Err(err(file, n, "expected 5 TAB-separated fields"));
            };
            let level = match severity {
                "warning" => super::Level::Warning,
                "note" => super::Level::Note,
                _ => return Err(err(file, n, format!("unknown severity {severity}"))),
            };
            let gcompat_fixes = match gcompat {
                "yes" => true,
                "no" => false,
                _ => return Err(err(file, n, "gcompat must be yes or no")),
            };
            Ok((
                name,
                GnuSemantics {
                    level,
                    gcompat_fixes,
                    effect,
                    source,
                },
            ))
        })
        .collect()
}

/// `runtime/dlopen-libraries.txt`: `pattern<TAB>why`.
pub(crate) fn dlopen_patterns(
    file: &'static str,
    text: &'static str,
) -> Result<Vec<DlopenPattern>, ParseError> {
    data_lines(text)
        .map(|(n, l)| match l.split_once('\t') {
            Some((pattern, why)) if !pattern.is_empty() && !why.trim().is_empty() => {
                Ok(DlopenPattern {
                    pattern,
                    why: why.trim(),
                })
            }
            _ => Err(err(file, n, "expected pattern<TAB>why")),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::parse::FILES;
    use super::*;

    fn text(name: &str) -> &'static str {
        FILES
            .iter()
            .find(|(f, _)| *f == name)
            .map(|(_, t)| *t)
            .unwrap_or_else(|| panic!("{name} is not embedded"))
    }

    fn assert_sorted_unique(file: &str, keys: &[&str]) {
        for w in keys.windows(2) {
            assert!(w[0] < w[1], "{file}: {} then {}", w[0], w[1]);
        }
    }

    #[test]
    fn shims_parse_sorted_and_name_real_sonames() {
        let f = "alpine/shims.txt";
        let rows = shims(f, text(f)).unwrap();
        assert!(
            rows.len() > 200,
            "libbsd + libtirpc + fts + ucontext + obstack"
        );
        let keys: Vec<_> = rows.iter().map(|(s, _)| *s).collect();
        assert_sorted_unique(f, &keys);
        for (sym, shim) in &rows {
            assert!(shim.soname.contains(".so."), "{sym}: {}", shim.soname);
        }
        let get = |s: &str| rows.iter().find(|(n, _)| *n == s).map(|(_, x)| *x);
        assert_eq!(get("arc4random").unwrap().package, "libbsd");
        assert_eq!(get("fts_open").unwrap().soname, "libfts.so.0");
        assert_eq!(get("getcontext").unwrap().package, "libucontext");
        assert_eq!(get("xdr_int").unwrap().package, "libtirpc");
        // musl has strlcpy itself: a shim entry would be wrong advice.
        assert!(get("strlcpy").is_none());
    }

    #[test]
    fn gnu_semantics_parse_sorted_with_sources() {
        let f = "runtime/gnu-semantics.txt";
        let rows = gnu_semantics(f, text(f)).unwrap();
        let keys: Vec<_> = rows.iter().map(|(s, _)| *s).collect();
        assert_sorted_unique(f, &keys);
        for (name, g) in &rows {
            assert!(g.source.contains("musl"), "{name}: cite musl");
            assert!(g.effect.len() > 40, "{name}: say what differs");
        }
        assert!(keys.contains(&"strerror_r") && keys.contains(&"basename"));
    }

    #[test]
    fn dlopen_patterns_parse_and_match() {
        let f = "runtime/dlopen-libraries.txt";
        let rows = dlopen_patterns(f, text(f)).unwrap();
        let keys: Vec<_> = rows.iter().map(|p| p.pattern).collect();
        assert_sorted_unique(f, &keys);
        let m = |n: &str| rows.iter().any(|p| p.matches(n));
        assert!(m("libnss_ldap.so.2") && m("libcuda.so.1") && m("libnvidia-ml.so.1"));
        assert!(!m("libz.so.1") && !m("libnsl.so.3"));
    }
}
