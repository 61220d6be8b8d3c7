//! musl's relocation policy: the relocation types `do_relocs` handles (ldso/dynlink.c with
//! arch/x86_64/reloc.h and arch/aarch64/reloc.h, docs/loader.md §4). Any other type stops the
//! program with "unsupported relocation type". The reader only counts types; this is the one
//! place that decides which ones musl accepts.

use super::{Code, Finding, Fix, Symbol, Verdict};
use crate::inspect::{Arch, Facts};

/// Does musl's loader handle relocation type `r_type` on `arch`? `None` for architectures that
/// are not judged.
pub fn musl_handles(arch: Arch, r_type: u32) -> Option<bool> {
    use object::elf::*;
    Some(match arch {
        Arch::X86_64 => matches!(
            r_type,
            R_X86_64_NONE
                | R_X86_64_64
                | R_X86_64_PC32
                | R_X86_64_COPY
                | R_X86_64_GLOB_DAT
                | R_X86_64_JUMP_SLOT
                | R_X86_64_RELATIVE
                | R_X86_64_DTPMOD64
                | R_X86_64_DTPOFF64
                | R_X86_64_TPOFF64
                | R_X86_64_TLSDESC
        ),
        Arch::Aarch64 => matches!(
            r_type,
            R_AARCH64_NONE
                | R_AARCH64_ABS64
                | R_AARCH64_COPY
                | R_AARCH64_GLOB_DAT
                | R_AARCH64_JUMP_SLOT
                | R_AARCH64_RELATIVE
                | R_AARCH64_TLS_DTPMOD
                | R_AARCH64_TLS_DTPREL
                | R_AARCH64_TLS_TPREL
                | R_AARCH64_TLSDESC
        ),
        Arch::Other(_) => return None,
    })
}

/// True for relocation types that apply an IFUNC resolver (IRELATIVE).
pub fn is_irelative(arch: Arch, r_type: u32) -> bool {
    use object::elf::*;
    matches!(
        (arch, r_type),
        (Arch::X86_64, R_X86_64_IRELATIVE) | (Arch::Aarch64, R_AARCH64_IRELATIVE)
    )
}

/// The psABI name of a relocation type musl rejects, or `type N`.
fn name(arch: Arch, r_type: u32) -> String {
    use object::elf::*;
    let name = match (arch, r_type) {
        (Arch::X86_64, R_X86_64_IRELATIVE) => "R_X86_64_IRELATIVE",
        (Arch::X86_64, R_X86_64_32) => "R_X86_64_32",
        (Arch::X86_64, R_X86_64_32S) => "R_X86_64_32S",
        (Arch::X86_64, R_X86_64_PC64) => "R_X86_64_PC64",
        (Arch::X86_64, R_X86_64_DTPOFF32) => "R_X86_64_DTPOFF32",
        (Arch::X86_64, R_X86_64_TPOFF32) => "R_X86_64_TPOFF32",
        (Arch::Aarch64, R_AARCH64_IRELATIVE) => "R_AARCH64_IRELATIVE",
        (Arch::Aarch64, R_AARCH64_ABS32) => "R_AARCH64_ABS32",
        _ => return format!("type {r_type}"),
    };
    name.to_string()
}

/// An `unsupported-relocation` finding for each relocation type musl's loader rejects.
pub(super) fn unsupported(facts: &Facts, out: &mut Vec<Finding>) {
    let arch = facts.arch;
    for r in &facts.relocations {
        if musl_handles(arch, r.r_type) != Some(false) {
            continue;
        }
        let name = name(arch, r.r_type);
        let why = if is_irelative(arch, r.r_type) {
            " (the file defines and uses an IFUNC; musl does not support IFUNC)"
        } else {
            ""
        };
        out.push(
            Finding::new(
                Code::UnsupportedRelocation,
                Verdict::Rebuild,
                format!(
                    "{} × {name}: musl's loader stops with 'unsupported relocation type {}'{why}",
                    r.count, r.r_type
                ),
            )
            .symbol(Symbol::plain(name))
            .fix(Fix::step(
                "rebuild without IFUNC/target_clones, against musl",
            )),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inspect::{Kind, RelocCount};

    #[test]
    fn only_the_types_musl_handles_pass() {
        let mut f = Facts::empty(Arch::X86_64, Kind::Pie);
        f.relocations = vec![
            RelocCount {
                r_type: object::elf::R_X86_64_RELATIVE,
                count: 9,
            },
            RelocCount {
                r_type: object::elf::R_X86_64_IRELATIVE,
                count: 2,
            },
            RelocCount {
                r_type: object::elf::R_X86_64_32,
                count: 1,
            },
        ];
        let mut out = Vec::new();
        unsupported(&f, &mut out);
        let got: Vec<String> = out
            .iter()
            .filter_map(|f| f.symbol.as_ref())
            .map(ToString::to_string)
            .collect();
        assert_eq!(got, ["R_X86_64_IRELATIVE", "R_X86_64_32"]);
        assert!(
            out.first()
                .is_some_and(|f| f.message.starts_with("2 × ") && f.message.contains("IFUNC"))
        );
        f.arch = Arch::Other(3);
        out.clear();
        unsupported(&f, &mut out);
        assert!(out.is_empty(), "architectures not judged have no policy");
    }
}
