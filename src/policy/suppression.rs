//! Why a finding no longer counts toward the gate: an allow rule or the baseline accepted it.
//!
//! Set by [`super::Policy::suppression`], the one place that decides it; a
//! [`Finding`](crate::judge::Finding) carries it so that every report format sees it.

use serde::Serialize;

/// What accepted a finding.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SuppressionKind {
    /// An `[[allow]]` rule of the configuration file.
    Allow,
    /// The baseline file (`--baseline`): the finding was known before.
    Baseline,
}

impl SuppressionKind {
    /// Lower-case name, as in the JSON report.
    pub fn as_str(self) -> &'static str {
        match self {
            SuppressionKind::Allow => "allow",
            SuppressionKind::Baseline => "baseline",
        }
    }
}

/// A finding that stays visible in reports but does not count toward `--fail-on`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Suppression {
    /// Allow rule or baseline.
    pub kind: SuppressionKind,
    /// The allow rule's reason, or which baseline file knew the finding.
    pub reason: String,
    /// 1-based number of the allow rule in the configuration file (allow only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<usize>,
    /// The allow rule's expiry date, `YYYY-MM-DD` (allow only, when set).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
}
