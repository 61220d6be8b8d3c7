//! Which platform of a multi-platform image is read (`--platform`).
//!
//! Names follow the OCI image index (`platform.os`, `.architecture`, `.variant`), with the
//! Go architecture names registries use (`amd64`, `arm64`), not the kernel's.

use std::fmt;

/// The platforms to read from an image index.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Platform {
    /// Every platform, each its own artifact (`NAME@linux/arm64`).
    All,
    /// One platform; the variant, when given, must match too.
    One {
        /// `linux`.
        os: String,
        /// `amd64`, `arm64`, …
        arch: String,
        /// `v8`, `v7`, …
        variant: Option<String>,
    },
}

impl Default for Platform {
    /// The machine's own architecture on Linux: the binaries judged are the ones that would
    /// run here after the move.
    fn default() -> Self {
        Platform::One {
            os: "linux".into(),
            arch: go_arch(std::env::consts::ARCH).to_string(),
            variant: None,
        }
    }
}

/// The registry (Go) name of an architecture.
pub fn go_arch(arch: &str) -> &str {
    match arch {
        "x86_64" | "x86-64" => "amd64",
        "aarch64" => "arm64",
        "x86" | "i386" | "i686" => "386",
        "powerpc64le" => "ppc64le",
        "riscv64gc" => "riscv64",
        a => a,
    }
}

impl Platform {
    /// Parse `all` or `OS/ARCH[/VARIANT]`.
    pub fn parse(s: &str) -> Result<Platform, String> {
        if s == "all" {
            return Ok(Platform::All);
        }
        let mut parts = s.split('/');
        let (Some(os), Some(arch)) = (parts.next(), parts.next()) else {
            return Err(format!(
                "'{s}' is not a platform: use OS/ARCH[/VARIANT] (linux/arm64) or all"
            ));
        };
        let variant = parts.next().map(str::to_string);
        if os.is_empty()
            || arch.is_empty()
            || parts.next().is_some()
            || variant.as_deref() == Some("")
        {
            return Err(format!(
                "'{s}' is not a platform: use OS/ARCH[/VARIANT] (linux/arm64) or all"
            ));
        }
        Ok(Platform::One {
            os: os.to_string(),
            arch: go_arch(arch).to_string(),
            variant,
        })
    }

    /// True when an index entry for `os/arch[/variant]` is wanted.
    pub fn matches(&self, os: &str, arch: &str, variant: Option<&str>) -> bool {
        match self {
            Platform::All => true,
            Platform::One {
                os: o,
                arch: a,
                variant: v,
            } => o == os && a == arch && (v.is_none() || v.as_deref() == variant),
        }
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Platform::All => f.write_str("all"),
            Platform::One { os, arch, variant } => {
                write!(f, "{os}/{arch}")?;
                match variant {
                    Some(v) => write!(f, "/{v}"),
                    None => Ok(()),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_match() {
        let p = Platform::parse("linux/aarch64").unwrap();
        assert_eq!(p.to_string(), "linux/arm64");
        assert!(p.matches("linux", "arm64", Some("v8")));
        assert!(!p.matches("linux", "amd64", None));
        let v7 = Platform::parse("linux/arm/v7").unwrap();
        assert!(!v7.matches("linux", "arm", Some("v6")));
        assert!(
            Platform::parse("all")
                .unwrap()
                .matches("windows", "amd64", None)
        );
        for bad in ["linux", "linux/", "/amd64", "a/b/c/d", "linux/arm/"] {
            assert!(Platform::parse(bad).is_err(), "{bad}");
        }
    }
}
