//! ELF damage: a small independent layout reader (little-endian, 32 and 64 bit) to find the
//! structure boundaries, then truncations, absurd values and random changes.

use super::{Case, DYNAMIC_SAMPLES, ELF_SAMPLES, Expect, Rng, case, sample};

/// One program header: where it is and what it says.
#[derive(Clone, Debug)]
pub struct Ph {
    /// File offset of the header itself.
    pub at: usize,
    pub p_type: u32,
    pub offset: u64,
    pub vaddr: u64,
    pub filesz: u64,
}

/// One dynamic entry: where it is and what it says.
#[derive(Clone, Debug)]
pub struct Dyn {
    pub at: usize,
    pub tag: u64,
    pub val: u64,
}

/// The structure of an ELF file, as far as its headers can be read.
#[derive(Clone, Debug)]
pub struct Layout {
    pub is64: bool,
    pub phoff: usize,
    pub phentsize: usize,
    pub shoff: usize,
    pub shentsize: usize,
    pub shnum: usize,
    pub phdrs: Vec<Ph>,
    pub dyns: Vec<Dyn>,
}

fn le(b: &[u8], at: usize, n: usize) -> Option<u64> {
    let bytes = b.get(at..at.checked_add(n)?)?;
    Some(
        bytes
            .iter()
            .rev()
            .fold(0u64, |v, &x| (v << 8) | u64::from(x)),
    )
}

/// Write `n` little-endian bytes of `v` at `at` (ignored past the end).
pub fn put(b: &mut [u8], at: usize, n: usize, v: u64) {
    for i in 0..n {
        if let Some(x) = b.get_mut(at + i) {
            *x = (v >> (8 * i)) as u8;
        }
    }
}

pub const PT_LOAD: u32 = 1;
pub const PT_DYNAMIC: u32 = 2;
pub const PT_INTERP: u32 = 3;
pub const PT_NOTE: u32 = 4;
pub const PT_GNU_STACK: u32 = 0x6474_e551;

pub const DT_NULL: u64 = 0;
pub const DT_NEEDED: u64 = 1;
pub const DT_PLTRELSZ: u64 = 2;
pub const DT_HASH: u64 = 4;
pub const DT_STRTAB: u64 = 5;
pub const DT_SYMTAB: u64 = 6;
pub const DT_RELA: u64 = 7;
pub const DT_RELASZ: u64 = 8;
pub const DT_STRSZ: u64 = 10;
pub const DT_SYMENT: u64 = 11;
pub const DT_REL: u64 = 17;
pub const DT_RELSZ: u64 = 18;
pub const DT_JMPREL: u64 = 23;
pub const DT_GNU_HASH: u64 = 0x6fff_fef5;
pub const DT_VERSYM: u64 = 0x6fff_fff0;
pub const DT_VERDEF: u64 = 0x6fff_fffc;
pub const DT_VERDEFNUM: u64 = 0x6fff_fffd;
pub const DT_VERNEED: u64 = 0x6fff_fffe;
pub const DT_VERNEEDNUM: u64 = 0x6fff_ffff;

impl Layout {
    /// Read the headers of a well-formed sample.
    pub fn of(b: &[u8]) -> Layout {
        let is64 = b[4] == 2;
        let w = if is64 { 8 } else { 4 };
        let (phoff, shoff, phentsize, phnum, shentsize, shnum) = if is64 {
            (
                le(b, 32, 8).unwrap() as usize,
                le(b, 40, 8).unwrap() as usize,
                le(b, 54, 2).unwrap() as usize,
                le(b, 56, 2).unwrap() as usize,
                le(b, 58, 2).unwrap() as usize,
                le(b, 60, 2).unwrap() as usize,
            )
        } else {
            (
                le(b, 28, 4).unwrap() as usize,
                le(b, 32, 4).unwrap() as usize,
                le(b, 42, 2).unwrap() as usize,
                le(b, 44, 2).unwrap() as usize,
                le(b, 46, 2).unwrap() as usize,
                le(b, 48, 2).unwrap() as usize,
            )
        };
        let mut phdrs = Vec::new();
        for i in 0..phnum {
            let at = phoff + i * phentsize;
            let p_type = le(b, at, 4).unwrap() as u32;
            let (offset, vaddr, filesz) = if is64 {
                (
                    le(b, at + 8, 8).unwrap(),
                    le(b, at + 16, 8).unwrap(),
                    le(b, at + 32, 8).unwrap(),
                )
            } else {
                (
                    le(b, at + 4, 4).unwrap(),
                    le(b, at + 8, 4).unwrap(),
                    le(b, at + 16, 4).unwrap(),
                )
            };
            phdrs.push(Ph {
                at,
                p_type,
                offset,
                vaddr,
                filesz,
            });
        }
        let mut dyns = Vec::new();
        if let Some(d) = phdrs.iter().find(|p| p.p_type == PT_DYNAMIC) {
            let mut at = d.offset as usize;
            while at + 2 * w <= (d.offset + d.filesz) as usize {
                let tag = le(b, at, w).unwrap();
                let val = le(b, at + w, w).unwrap();
                dyns.push(Dyn { at, tag, val });
                if tag == DT_NULL {
                    break;
                }
                at += 2 * w;
            }
        }
        Layout {
            is64,
            phoff,
            phentsize,
            shoff,
            shentsize,
            shnum,
            phdrs,
            dyns,
        }
    }

    /// Word size in bytes.
    pub fn word(&self) -> usize {
        if self.is64 { 8 } else { 4 }
    }

    /// The value of the first dynamic entry with `tag`.
    pub fn dyn_val(&self, tag: u64) -> Option<u64> {
        self.dyns.iter().find(|d| d.tag == tag).map(|d| d.val)
    }

    /// File offset of virtual address `addr`, through PT_LOAD.
    pub fn file_offset(&self, addr: u64) -> Option<usize> {
        self.phdrs
            .iter()
            .filter(|p| p.p_type == PT_LOAD)
            .find(|p| addr >= p.vaddr && addr - p.vaddr < p.filesz)
            .map(|p| (p.offset + (addr - p.vaddr)) as usize)
    }

    /// File offset of the table a dynamic entry points to.
    pub fn table(&self, tag: u64) -> Option<usize> {
        self.dyn_val(tag).and_then(|a| self.file_offset(a))
    }

    /// Every structure boundary of the file: the identification, the ELF header, each program
    /// header, each segment's start and end, each dynamic entry, each table the dynamic segment
    /// points to (strings, symbols, versions, relocations, hash tables), the section headers;
    /// and one byte either side of each.
    pub fn boundaries(&self, len: usize) -> Vec<usize> {
        let ehsize = if self.is64 { 64 } else { 52 };
        let mut cuts = vec![0, 1, 4, 5, 6, 16, 18, 20, ehsize / 2, ehsize];
        for i in 0..=self.phdrs.len() {
            cuts.push(self.phoff + i * self.phentsize);
        }
        for p in &self.phdrs {
            cuts.push(p.offset as usize);
            cuts.push((p.offset + p.filesz) as usize);
            cuts.push((p.offset + p.filesz / 2) as usize);
        }
        for d in &self.dyns {
            cuts.push(d.at);
        }
        for tag in [
            DT_STRTAB,
            DT_SYMTAB,
            DT_VERSYM,
            DT_VERNEED,
            DT_VERDEF,
            DT_RELA,
            DT_REL,
            DT_JMPREL,
            DT_HASH,
            DT_GNU_HASH,
        ] {
            if let Some(off) = self.table(tag) {
                cuts.push(off);
                cuts.push(off + 4);
                cuts.push(off + 16);
            }
        }
        if let (Some(off), Some(size)) = (self.table(DT_STRTAB), self.dyn_val(DT_STRSZ)) {
            cuts.push(off + size as usize / 2);
            cuts.push(off + size as usize);
        }
        for (tag, size) in [(DT_RELA, DT_RELASZ), (DT_JMPREL, DT_PLTRELSZ)] {
            if let (Some(off), Some(n)) = (self.table(tag), self.dyn_val(size)) {
                cuts.push(off + n as usize / 2);
                cuts.push(off + n as usize);
            }
        }
        if self.shoff > 0 {
            cuts.push(self.shoff);
            cuts.push(self.shoff + self.shentsize);
            cuts.push(self.shoff + self.shnum * self.shentsize / 2);
        }
        let mut all: Vec<usize> = cuts
            .iter()
            .flat_map(|&c| [c.saturating_sub(1), c, c + 1])
            .filter(|&c| c < len)
            .collect();
        all.sort_unstable();
        all.dedup();
        all
    }
}

/// Every sample cut at every structure boundary. Cuts inside the ELF header or the program
/// headers must be errors; later cuts may still be judged (section headers and padding are not
/// the loader's business) but each still gives exactly one record.
pub fn elf_truncations() -> Vec<Case> {
    let mut out = Vec::new();
    for s in ELF_SAMPLES {
        let b = sample(s);
        let l = Layout::of(&b);
        let headers_end = l.phoff + l.phdrs.len() * l.phentsize;
        for cut in l.boundaries(b.len()) {
            let expect = if cut >= 4 && cut < headers_end {
                Expect::OneError
            } else {
                Expect::One
            };
            out.push(case(
                format!("trunc-{s}-{cut}"),
                b.get(..cut).unwrap().to_vec(),
                expect,
            ));
        }
    }
    out
}

/// Absurd counts, sizes and offsets in the ELF header, program headers, section headers and
/// dynamic entries; version chains that loop or escape; string tables without terminators;
/// overlapping segments and tables.
pub fn elf_mutations(verdict_of: &dyn Fn(&[u8]) -> String) -> Vec<Case> {
    let mut out = Vec::new();
    for s in DYNAMIC_SAMPLES {
        let orig = sample(s);
        let l = Layout::of(&orig);
        let w = l.word();
        let mut add = |what: &str, f: &dyn Fn(&mut Vec<u8>), expect: Expect| {
            let mut b = orig.clone();
            f(&mut b);
            out.push(case(format!("mut-{s}-{what}"), b, expect));
        };
        let (phoff_at, shoff_at, phent_at, phnum_at, shent_at, shnum_at, shstr_at) = if l.is64 {
            (32, 40, 54, 56, 58, 60, 62)
        } else {
            (28, 32, 42, 44, 46, 48, 50)
        };
        // ELF header.
        add("class-7", &|b| b[4] = 7, Expect::OneError);
        add(
            "e_phnum-ffff",
            &|b| put(b, phnum_at, 2, 0xffff),
            Expect::OneError,
        );
        add(
            "e_phoff-huge",
            &|b| put(b, phoff_at, w, u64::MAX - 16),
            Expect::OneError,
        );
        add(
            "e_phoff-end",
            &|b| {
                let n = b.len() as u64;
                put(b, phoff_at, w, n - 8)
            },
            Expect::OneError,
        );
        add(
            "e_phentsize-0",
            &|b| put(b, phent_at, 2, 0),
            Expect::OneError,
        );
        add(
            "e_phentsize-1",
            &|b| put(b, phent_at, 2, 1),
            Expect::OneError,
        );
        add(
            "e_phentsize-ffff",
            &|b| put(b, phent_at, 2, 0xffff),
            Expect::OneError,
        );
        // Section headers: the loader never reads them, so the verdict must not change.
        let same = Expect::OneVerdict(verdict_of(&orig));
        add(
            "e_shoff-huge",
            &|b| put(b, shoff_at, w, u64::MAX - 16),
            same.clone(),
        );
        add(
            "e_shnum-ffff",
            &|b| put(b, shnum_at, 2, 0xffff),
            same.clone(),
        );
        add("e_shentsize-0", &|b| put(b, shent_at, 2, 0), same.clone());
        add(
            "e_shstrndx-ffff",
            &|b| put(b, shstr_at, 2, 0xffff),
            same.clone(),
        );
        let (shoff, shlen) = (l.shoff, l.shnum * l.shentsize);
        add(
            "sections-garbage",
            &|b| {
                if let Some(t) = b.get_mut(shoff..shoff + shlen) {
                    t.fill(0xff);
                }
            },
            same.clone(),
        );
        // Program headers of every kind.
        for (i, p) in l.phdrs.iter().enumerate() {
            let kind = match p.p_type {
                PT_LOAD => "load",
                PT_DYNAMIC => "dynamic",
                PT_INTERP => "interp",
                PT_NOTE => "note",
                PT_GNU_STACK => "stack",
                _ => continue,
            };
            let (off_at, vaddr_at, filesz_at) = if l.is64 {
                (p.at + 8, p.at + 16, p.at + 32)
            } else {
                (p.at + 4, p.at + 8, p.at + 16)
            };
            let max = if l.is64 {
                u64::MAX
            } else {
                u64::from(u32::MAX)
            };
            for (what, at, v) in [
                ("offset-huge", off_at, max - 4),
                ("offset-end", off_at, orig.len() as u64 - 1),
                ("filesz-huge", filesz_at, max - 4),
                ("filesz-0", filesz_at, 0),
                ("vaddr-wrap", vaddr_at, max - 8),
            ] {
                add(
                    &format!("ph{i}-{kind}-{what}"),
                    &|b| put(b, at, w, v),
                    Expect::One,
                );
            }
        }
        // Overlapping segments: every PT_LOAD maps the same bytes; PT_DYNAMIC over the header.
        let loads: Vec<Ph> = l
            .phdrs
            .iter()
            .filter(|p| p.p_type == PT_LOAD)
            .cloned()
            .collect();
        let is64 = l.is64;
        add(
            "loads-overlap",
            &|b| {
                for p in &loads {
                    let (o, v) = if is64 {
                        (p.at + 8, p.at + 16)
                    } else {
                        (p.at + 4, p.at + 8)
                    };
                    put(b, o, w, 0);
                    put(b, v, w, 0);
                }
            },
            Expect::One,
        );
        if let Some(d) = l.phdrs.iter().find(|p| p.p_type == PT_DYNAMIC) {
            let o = if l.is64 { d.at + 8 } else { d.at + 4 };
            add("dynamic-over-header", &|b| put(b, o, w, 0), Expect::One);
        }
        // Dynamic entries: each pointer and size set to absurd values.
        for (i, d) in l.dyns.iter().enumerate() {
            let name = match d.tag {
                DT_NEEDED => "needed",
                DT_STRTAB => "strtab",
                DT_STRSZ => "strsz",
                DT_SYMTAB => "symtab",
                DT_SYMENT => "syment",
                DT_HASH => "hash",
                DT_GNU_HASH => "gnu_hash",
                DT_VERSYM => "versym",
                DT_VERNEED => "verneed",
                DT_VERNEEDNUM => "verneednum",
                DT_VERDEF => "verdef",
                DT_VERDEFNUM => "verdefnum",
                DT_RELA => "rela",
                DT_RELASZ => "relasz",
                DT_REL => "rel",
                DT_RELSZ => "relsz",
                DT_JMPREL => "jmprel",
                DT_PLTRELSZ => "pltrelsz",
                _ => continue,
            };
            let max = if l.is64 {
                u64::MAX
            } else {
                u64::from(u32::MAX)
            };
            for (what, v) in [
                ("0", 0),
                ("1", 1),
                ("max", max),
                ("half", max / 2),
                ("past-end", orig.len() as u64 * 2),
            ] {
                let at = d.at + w;
                add(
                    &format!("dyn{i}-{name}-{what}"),
                    &|b| put(b, at, w, v),
                    Expect::One,
                );
            }
        }
        // No DT_NULL: the table runs to the end of the segment.
        if let Some(null) = l.dyns.iter().find(|d| d.tag == DT_NULL) {
            let at = null.at;
            add(
                "dyn-no-null",
                &|b| put(b, at, w, 21 /* DT_DEBUG */),
                Expect::One,
            );
        }
        // The symbol table on top of the string table.
        if let (Some(st), Some(sy)) = (
            l.dyns.iter().find(|d| d.tag == DT_STRTAB),
            l.dyns.iter().find(|d| d.tag == DT_SYMTAB),
        ) {
            let (val, at) = (st.val, sy.at + w);
            add("symtab-is-strtab", &|b| put(b, at, w, val), Expect::One);
        }
        // String table without a single terminator.
        if let (Some(off), Some(size)) = (l.table(DT_STRTAB), l.dyn_val(DT_STRSZ)) {
            let range = off..off + size as usize;
            add(
                "strtab-unterminated",
                &|b| {
                    for x in &mut b[range.clone()] {
                        if *x == 0 {
                            *x = b'A';
                        }
                    }
                },
                Expect::OneError,
            );
        }
        // Hash tables that claim everything.
        if let Some(h) = l.table(DT_GNU_HASH) {
            add(
                "gnu_hash-nbuckets",
                &|b| put(b, h, 4, 0xffff_ffff),
                Expect::One,
            );
            add(
                "gnu_hash-symoffset",
                &|b| put(b, h + 4, 4, 0xffff_ffff),
                Expect::One,
            );
            add(
                "gnu_hash-bloom",
                &|b| put(b, h + 8, 4, 0xffff_ffff),
                Expect::One,
            );
            let nb = le(&orig, h, 4).unwrap() as usize;
            let bloom = le(&orig, h + 8, 4).unwrap() as usize;
            let chains = h + 16 + bloom * w + nb * 4;
            add(
                "gnu_hash-endless-chain",
                &|b| {
                    let n = b.len();
                    for x in b.get_mut(chains..n).unwrap_or_default() {
                        *x &= 0xfe;
                    }
                },
                Expect::One,
            );
        }
        if let Some(h) = l.table(DT_HASH) {
            add(
                "hash-nchain",
                &|b| put(b, h + 4, 4, 0xffff_ffff),
                Expect::One,
            );
        }
        // Version needs and definitions: looping (next = 0 with a huge count, the same entry
        // forever for a reader that ignores 0), escaping (offsets past the file), huge counts.
        if let Some(vn) = l.table(DT_VERNEED) {
            for (what, at, n, v) in [
                ("vn_next-0", vn + 12, 4, 0),
                ("vn_next-max", vn + 12, 4, 0xffff_ffff),
                ("vn_next-self-aux", vn + 12, 4, 16),
                ("vn_aux-max", vn + 8, 4, 0xffff_fff0),
                ("vn_cnt-ffff", vn + 2, 2, 0xffff),
                ("vn_file-max", vn + 4, 4, 0xffff_ffff),
                ("vna_next-0", vn + 16 + 12, 4, 0),
                ("vna_next-max", vn + 16 + 12, 4, 0xffff_ffff),
                ("vna_name-max", vn + 16 + 8, 4, 0xffff_ffff),
            ] {
                add(
                    &format!("verneed-{what}"),
                    &|b| put(b, at, n, v),
                    Expect::One,
                );
            }
            if let Some(d) = l.dyns.iter().find(|d| d.tag == DT_VERNEEDNUM) {
                let at = d.at + w;
                add(
                    "verneed-loop",
                    &|b| {
                        put(b, at, w, 0xffff_ffff);
                        put(b, vn + 12, 4, 0);
                        put(b, vn + 2, 2, 0xffff);
                        put(b, vn + 16 + 12, 4, 0);
                    },
                    Expect::One,
                );
            }
        }
        if let Some(vd) = l.table(DT_VERDEF) {
            for (what, at, n, v) in [
                ("vd_next-0", vd + 16, 4, 0),
                ("vd_next-max", vd + 16, 4, 0xffff_ffff),
                ("vd_aux-max", vd + 12, 4, 0xffff_ffff),
                ("vd_cnt-ffff", vd + 6, 2, 0xffff),
            ] {
                add(
                    &format!("verdef-{what}"),
                    &|b| put(b, at, n, v),
                    Expect::One,
                );
            }
            if let Some(d) = l.dyns.iter().find(|d| d.tag == DT_VERDEFNUM) {
                let at = d.at + w;
                add(
                    "verdef-loop",
                    &|b| {
                        put(b, at, w, 0xffff_ffff);
                        put(b, vd + 16, 4, 0);
                    },
                    Expect::One,
                );
            }
        }
        if let Some(vs) = l.table(DT_VERSYM) {
            add(
                "versym-all-hidden-max",
                &|b| {
                    let n = b.len();
                    for x in b.get_mut(vs..(vs + 4096).min(n)).unwrap_or_default() {
                        *x = 0xff;
                    }
                },
                Expect::One,
            );
        }
        // Relocations naming absurd symbol indices.
        if let (Some(off), Some(size)) = (l.table(DT_RELA), l.dyn_val(DT_RELASZ)) {
            let entsize = 3 * w;
            let info_at = w;
            add(
                "rela-sym-max",
                &|b| {
                    for i in 0..size as usize / entsize {
                        let at = off + i * entsize + info_at;
                        if l.is64 {
                            put(b, at + 4, 4, 0xffff_ffff);
                        } else {
                            put(b, at + 1, 3, 0xff_ffff);
                        }
                    }
                },
                Expect::One,
            );
        }
    }
    out
}

/// Random byte changes, mostly in the headers and the dynamic segment.
pub fn elf_bit_flips(per_sample: usize) -> Vec<Case> {
    let mut rng = Rng::new(0x5eed_0005);
    let mut out = Vec::new();
    for s in DYNAMIC_SAMPLES {
        let orig = sample(s);
        let l = Layout::of(&orig);
        let hot_end = l
            .phdrs
            .iter()
            .filter(|p| p.p_type == PT_DYNAMIC)
            .map(|p| (p.offset + p.filesz) as usize)
            .max()
            .unwrap_or(4096)
            .min(orig.len());
        for i in 0..per_sample {
            let mut b = orig.clone();
            for _ in 0..1 + rng.below(16) {
                let at = if rng.below(4) == 0 {
                    rng.below(b.len())
                } else {
                    rng.below(hot_end)
                };
                b[at] = match rng.below(4) {
                    0 => 0,
                    1 => 0xff,
                    2 => b[at] ^ (1 << rng.below(8)),
                    _ => rng.next() as u8,
                };
            }
            out.push(case(format!("flip-{s}-{i}"), b, Expect::One));
        }
    }
    out
}
