//! Verdicts, and the one function that computes a judged file's verdict from its findings:
//! [`verdict_of`]. The judge ([`super::judge`]), the closure step ([`super::closure::conclude`])
//! and the policy's effective verdicts (`crate::policy::effective_verdict`) all call it.

use serde::Serialize;

/// The answer for one binary. Ordered: a later variant is worse.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// Not an ELF file, or not judged (other architecture, object file).
    Skipped,
    /// Runs on stock Alpine/musl (at most `apk add` of ordinary libraries).
    Native,
    /// Runs once `apk add gcompat` is in place.
    Gcompat,
    /// Will not load even with gcompat.
    Rebuild,
    /// Could not be read or parsed.
    Error,
}

impl Verdict {
    /// Lower-case name, as in the JSON report.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Skipped => "skipped",
            Verdict::Native => "native",
            Verdict::Gcompat => "gcompat",
            Verdict::Rebuild => "rebuild",
            Verdict::Error => "error",
        }
    }

    /// True for the verdicts of files that were judged (native, gcompat, rebuild).
    pub fn is_judged(self) -> bool {
        matches!(self, Verdict::Native | Verdict::Gcompat | Verdict::Rebuild)
    }
}

/// The verdict of a judged file: the worst verdict its findings require (`requires`), at least
/// native. `requires` values that are not judgements (skipped, error) do not count.
///
/// The caller chooses the findings: the judge passes all of a file's own findings, the closure
/// step adds the `bundled-library` findings that carry a bundled library's verdict, the policy
/// passes the findings that still count, with a bundled library's effective verdict.
pub fn verdict_of(requires: impl IntoIterator<Item = Verdict>) -> Verdict {
    requires
        .into_iter()
        .filter(|v| v.is_judged())
        .max()
        .unwrap_or(Verdict::Native)
        .max(Verdict::Native)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_worst_judged_requirement_wins_and_native_is_the_floor() {
        use Verdict::*;
        assert_eq!(verdict_of([]), Native);
        assert_eq!(verdict_of([Skipped, Error]), Native);
        assert_eq!(verdict_of([Native, Gcompat]), Gcompat);
        assert_eq!(verdict_of([Rebuild, Gcompat, Error]), Rebuild);
    }
}
