//! The measured facts behind a finding that predicts what happens at run time (#10), with how
//! sure the prediction is. Renderers print them; the JSON report carries them as fields.

use serde::Serialize;

/// How sure a run-time prediction is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Confidence {
    /// Depends on something the file does not say (the exact build of the stub, the kernel).
    Possible,
    /// Expected on every known build; only layout luck could avoid it.
    Likely,
    /// Follows from the file and the known builds, whatever the layout.
    Certain,
}

impl Confidence {
    /// Lower-case name, as in the JSON report.
    pub fn as_str(self) -> &'static str {
        match self {
            Confidence::Possible => "possible",
            Confidence::Likely => "likely",
            Confidence::Certain => "certain",
        }
    }
}

/// The numbers behind `gcompat-loader-crash`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct StubTls {
    /// PT_TLS.p_filesz: the `.tdata` bytes the stub copies.
    pub tdata_size: u64,
    /// PT_DYNAMIC.p_vaddr − PT_TLS.p_vaddr: how far below the stub's `_DYNAMIC` the copy starts.
    pub distance: i64,
    /// The largest distance that stays inside the stub's mapping on every known build.
    pub window_below: u64,
    /// How far above `_DYNAMIC` the mapping reaches on every known build.
    pub window_above: u64,
    /// Bytes of kernel pages (`[vdso]`, `[vvar]`) that may sit directly below the stub.
    pub neighbours: u64,
    /// Known stub builds the prediction holds for, of `builds`.
    pub builds_faulting: usize,
    /// Known stub builds for the architecture.
    pub builds: usize,
    /// False when no build of gcompat's own stub was measured for the architecture.
    pub measured: bool,
}

/// The facts behind `init-array-args`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct InitArgs {
    /// The runtime whose start-up code reads (argc, argv, envp) in `.init_array`: `rust-std`, `go`.
    pub runtime: &'static str,
    /// The toolchain version, when the file says (`.comment`, Go build info).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub toolchain: Option<String>,
    /// What was seen: symbol names, `.comment` strings, build-info markers.
    pub seen: Vec<String>,
}

/// Evidence, by finding kind.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Detail {
    /// `gcompat-loader-crash`.
    StubTls(StubTls),
    /// `init-array-args`.
    InitArgs(InitArgs),
}

/// The evidence of one finding.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct Evidence {
    /// How sure the prediction is.
    pub confidence: Confidence,
    /// The facts.
    #[serde(flatten)]
    pub detail: Detail,
}
