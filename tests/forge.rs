//! Hostile inputs, forged at test time from the committed samples (#5): ELF files truncated at
//! every structure boundary, with absurd header values, looping or escaping version chains,
//! unterminated string tables and overlapping segments; archives that are truncated, lie about
//! sizes, expand without bound, name paths outside themselves, loop through links, nest deeply
//! or repeat names. Nothing here runs muslcheck: `hostile.rs` does. The fuzz seed writer and the
//! measuring script (scripts/hostile-suite.sh) use the same forge.

use std::io::Write;

use crate::util::root;

/// A sample binary's bytes.
pub fn sample(name: &str) -> Vec<u8> {
    std::fs::read(root().join("samples/bin").join(name)).unwrap()
}

/// Samples with a dynamic segment, in every class and machine the samples cover.
pub const DYNAMIC_SAMPLES: &[&str] = &[
    "hello-glibc",
    "fcntl64",
    "hello-cxx",
    "libifunc.so",
    "relr",
    "hello-musl",
    "glibc-private-copy",
    "uses-crypt",
    "hello-i386",
    "hello-glibc-aarch64",
];

/// Every ELF sample.
pub const ELF_SAMPLES: &[&str] = &[
    "error-stub",
    "fcntl64",
    "fortify",
    "glibc-private",
    "glibc-private-copy",
    "hello-aarch64-nolibc",
    "hello-cxx",
    "hello-glibc",
    "hello-glibc-aarch64",
    "hello-i386",
    "hello-musl",
    "hello-musl-static",
    "hello-static-glibc",
    "ifunc-local",
    "libifunc.so",
    "liblfs64.so",
    "needs-zlib",
    "plugin-fortify.so",
    "plugin-native.so",
    "relr",
    "res-init",
    "uses-crypt",
    "weak-missing",
];

// ---------------------------------------------------------------------------------------------
// A small, independent ELF layout reader (little-endian, 32 and 64 bit), to find boundaries.

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

/// An input and what the report must say about it.
#[derive(Clone, Debug)]
pub struct Case {
    /// File name (unique within a batch).
    pub name: String,
    pub bytes: Vec<u8>,
    pub expect: Expect,
}

/// The documented outcome of an input.
#[derive(Clone, Debug, PartialEq)]
pub enum Expect {
    /// Exactly one record, of any verdict.
    One,
    /// Exactly one record, and it is an `error`.
    OneError,
    /// Exactly one record with this verdict (the original file's; only headers the loader
    /// ignores were damaged).
    OneVerdict(String),
    /// Exactly one `skipped` record whose reason contains the text (a limit).
    OneSkipped(&'static str),
    /// At least one record; at least one is an `error` (damage is never silent).
    SomeError,
    /// At least one record (an archive: the members read, plus what stopped the reading).
    Some,
    /// At least one record; one is `skipped` with a reason containing the text.
    SomeSkipped(&'static str),
    /// Exactly this many records, all `skipped`, one with a reason containing the text.
    AllSkipped(usize, &'static str),
    /// Exactly this many records.
    Exactly(usize),
}

fn case(name: String, bytes: Vec<u8>, expect: Expect) -> Case {
    Case {
        name,
        bytes,
        expect,
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

/// Deterministic pseudo-random numbers (xorshift64*), so that failures reproduce.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.max(1))
    }
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
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

// ---------------------------------------------------------------------------------------------
// Archive builders.

/// A tar member.
pub enum Member {
    File(String, Vec<u8>),
    Link(String, String),
}

pub fn file(path: &str, data: Vec<u8>) -> Member {
    Member::File(path.to_string(), data)
}

pub fn link(path: &str, target: &str) -> Member {
    Member::Link(path.to_string(), target.to_string())
}

/// A tar stream whose member names are taken as they are (no checks: `../x` and `/x` too).
pub fn tar(members: &[Member], end: bool) -> Vec<u8> {
    let mut out = Vec::new();
    for m in members {
        let (path, kind, data, target): (&str, u8, &[u8], &str) = match m {
            Member::File(p, d) => (p, b'0', d, ""),
            Member::Link(p, t) => (p, b'2', &[], t),
        };
        out.extend(tar_header(path, kind, data.len() as u64, target));
        out.extend_from_slice(data);
        out.resize(out.len().div_ceil(512) * 512, 0);
    }
    if end {
        out.extend_from_slice(&[0u8; 1024]);
    }
    out
}

/// One ustar header, checksummed; `path` and `target` are cut at 100 bytes.
pub fn tar_header(path: &str, kind: u8, size: u64, target: &str) -> Vec<u8> {
    let mut h = vec![0u8; 512];
    let name = path.as_bytes();
    h[..name.len().min(100)].copy_from_slice(&name[..name.len().min(100)]);
    h[100..108].copy_from_slice(b"0000755\0");
    h[108..116].copy_from_slice(b"0000000\0");
    h[116..124].copy_from_slice(b"0000000\0");
    if size < 0o77777777777 {
        h[124..136].copy_from_slice(format!("{size:011o}\0").as_bytes());
    } else {
        // GNU base-256 for sizes past 8 GiB.
        h[124] = 0x80;
        h[128..136].copy_from_slice(&size.to_be_bytes());
    }
    h[136..148].copy_from_slice(b"00000000000\0");
    h[156] = kind;
    let t = target.as_bytes();
    h[157..157 + t.len().min(100)].copy_from_slice(&t[..t.len().min(100)]);
    h[257..263].copy_from_slice(b"ustar\0");
    h[263..265].copy_from_slice(b"00");
    h[148..156].fill(b' ');
    let sum: u32 = h.iter().map(|&b| u32::from(b)).sum();
    h[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
    h
}

pub fn gz(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

pub fn xz(data: &[u8]) -> Vec<u8> {
    let mut e = liblzma::write::XzEncoder::new(Vec::new(), 0);
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

pub fn zst(data: &[u8]) -> Vec<u8> {
    zstd::encode_all(data, 1).unwrap()
}

pub fn bz2(data: &[u8]) -> Vec<u8> {
    let mut e = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::fast());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

/// A compressor.
pub type Compress = fn(&[u8]) -> Vec<u8>;

/// The compressors, by name.
pub fn compressors() -> Vec<(&'static str, Compress)> {
    vec![("gz", gz), ("xz", xz), ("zst", zst), ("bz2", bz2)]
}

/// A zip archive with deflated (or stored) members, names taken as they are.
pub fn zip(members: &[(&str, Vec<u8>)]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (path, data) in members {
        w.start_file(*path, opts).unwrap();
        w.write_all(data).unwrap();
    }
    w.finish().unwrap().into_inner()
}

/// A Unix ar archive (a .deb when the first member is `debian-binary`).
pub fn ar(members: &[(&str, Vec<u8>)]) -> Vec<u8> {
    let mut out = b"!<arch>\n".to_vec();
    for (name, data) in members {
        out.extend(ar_header(name, data.len() as u64));
        out.extend_from_slice(data);
        if data.len() % 2 == 1 {
            out.push(b'\n');
        }
    }
    out
}

pub fn ar_header(name: &str, size: u64) -> Vec<u8> {
    format!(
        "{:<16}{:<12}{:<6}{:<6}{:<8}{:<10}`\n",
        format!("{name}/"),
        0,
        0,
        0,
        100644,
        size
    )
    .into_bytes()
}

/// A .deb holding `data` as its data tarball (`data.tar.gz`).
pub fn deb(data_tar_gz: Vec<u8>) -> Vec<u8> {
    ar(&[
        ("debian-binary", b"2.0\n".to_vec()),
        (
            "control.tar.gz",
            gz(&tar(&[file("./control", b"Package: x\n".to_vec())], true)),
        ),
        ("data.tar.gz", data_tar_gz),
    ])
}

/// A cpio "newc" archive; `size_override` lies about each member's size.
pub fn cpio(members: &[(&str, Vec<u8>)], size_override: Option<u64>) -> Vec<u8> {
    let mut out = Vec::new();
    let mut put_member = |name: &str, mode: u32, data: &[u8]| {
        let namesize = name.len() + 1;
        let size = size_override.unwrap_or(data.len() as u64).min(0xffff_ffff);
        let h = format!(
            "070701{:08x}{mode:08x}{:08x}{:08x}{:08x}{:08x}{size:08x}{:08x}{:08x}{:08x}{:08x}{namesize:08x}{:08x}",
            1, 0, 0, 1, 0, 0, 0, 0, 0, 0
        );
        out.extend_from_slice(h.as_bytes());
        out.extend_from_slice(name.as_bytes());
        out.push(0);
        while out.len() % 4 != 0 {
            out.push(0);
        }
        out.extend_from_slice(data);
        while out.len() % 4 != 0 {
            out.push(0);
        }
    };
    for (name, data) in members {
        put_member(name, 0o100755, data);
    }
    put_member("TRAILER!!!", 0, &[]);
    out
}

/// An RPM: lead, signature header, header (with `store` bytes each), then the payload.
pub fn rpm(payload: &[u8], nindex: u32, store: u32) -> Vec<u8> {
    let mut out = vec![0u8; 96];
    out[..4].copy_from_slice(&[0xed, 0xab, 0xee, 0xdb]);
    let header = |n: u32, size: u32| {
        let mut h = vec![0x8e, 0xad, 0xe8, 0x01, 0, 0, 0, 0];
        h.extend_from_slice(&n.to_be_bytes());
        h.extend_from_slice(&size.to_be_bytes());
        let body = (n as usize * 16 + size as usize).min(4096);
        h.extend(std::iter::repeat_n(0u8, body));
        h
    };
    out.extend(header(nindex, store));
    while out.len() % 8 != 0 {
        out.push(0);
    }
    out.extend(header(1, 3));
    out.extend_from_slice(payload);
    out
}

/// An Alpine .apk: gzip'd tar segments without end blocks, then the data tarball.
pub fn apk(members: &[Member]) -> Vec<u8> {
    let mut out = gz(&tar(&[file(".PKGINFO", b"pkgname = x\n".to_vec())], false));
    out.extend(gz(&tar(members, true)));
    out
}

/// A `docker save` tarball: manifest.json naming the layer tarballs, bottom first.
pub fn docker_save(manifest: &str, layers: &[(&str, Vec<u8>)]) -> Vec<u8> {
    let mut members = vec![file("manifest.json", manifest.as_bytes().to_vec())];
    for (name, data) in layers {
        members.push(file(name, data.clone()));
    }
    tar(&members, true)
}

/// A tarball holding an OCI layout: index.json and blobs named `sha256:NAME`.
pub fn oci_tar(index: &str, blobs: &[(&str, Vec<u8>)]) -> Vec<u8> {
    let mut members = vec![
        file("oci-layout", br#"{"imageLayoutVersion":"1.0.0"}"#.to_vec()),
        file("index.json", index.as_bytes().to_vec()),
    ];
    for (name, data) in blobs {
        members.push(file(&format!("blobs/sha256/{name}"), data.clone()));
    }
    tar(&members, true)
}

// ---------------------------------------------------------------------------------------------
// Decompression bombs, built without ever holding the expanded bytes: concatenated streams
// (gzip members, xz streams, zstd frames, bzip2 streams are each valid when concatenated) and
// a deflate block repeated (every back-reference points at zeros, so each copy decodes alike).

const MIB: usize = 1 << 20;

/// `prefix` followed by `mib` MiB of zeros, compressed with `c`, in about `mib` small streams.
pub fn bomb(c: Compress, prefix: &[u8], mib: usize) -> Vec<u8> {
    let zeros = vec![0u8; MIB];
    let one = c(&zeros);
    let mut out = c(prefix);
    for _ in 0..mib {
        out.extend_from_slice(&one);
    }
    out
}

/// A tar stream of one member `name` whose header claims `mib` MiB and whose data starts with
/// `head`, all of it zeros after: compressed as a bomb.
pub fn tar_bomb(c: Compress, name: &str, head: &[u8], mib: usize) -> Vec<u8> {
    let mut prefix = tar_header(name, b'0', (mib * MIB) as u64, "");
    prefix.extend_from_slice(head);
    // The member's data is `head` then zeros; the stream ends with the data (no end blocks).
    bomb(c, &prefix, mib)
}

/// A zip with one deflated member `name`: `head` then `mib` MiB of zeros, with true sizes and
/// CRC (computed over the zeros without materialising them).
pub fn zip_bomb(name: &str, head: &[u8], mib: usize) -> Vec<u8> {
    use flate2::{Compression, FlushCompress, Status};
    let mut c = flate2::Compress::new(Compression::fast(), false);
    let mut deflated = Vec::with_capacity(4 * MIB);
    let run = |c: &mut flate2::Compress, input: &[u8], flush: FlushCompress, out: &mut Vec<u8>| {
        let mut at = 0;
        loop {
            out.reserve(64 * 1024);
            let before = c.total_in();
            let st = c.compress_vec(&input[at..], out, flush).unwrap();
            at += (c.total_in() - before) as usize;
            if at == input.len() && (st == Status::StreamEnd || out.len() < out.capacity()) {
                break;
            }
        }
    };
    let zeros = vec![0u8; MIB];
    run(&mut c, head, FlushCompress::Sync, &mut deflated);
    run(&mut c, &zeros, FlushCompress::Sync, &mut deflated);
    let warm = deflated.len();
    run(&mut c, &zeros, FlushCompress::Sync, &mut deflated);
    let block = deflated[warm..].to_vec();
    for _ in 2..mib {
        deflated.extend_from_slice(&block);
    }
    run(&mut c, &[], FlushCompress::Finish, &mut deflated);
    let mut head_crc = flate2::Crc::new();
    head_crc.update(head);
    let crc = crc32_append_zeros(head_crc.sum(), (mib * MIB) as u64);
    let size = (head.len() + mib * MIB) as u32;
    let mut out = Vec::new();
    let mut local = Vec::new();
    local.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
    local.extend_from_slice(&[20, 0, 0, 0, 8, 0, 0, 0, 0x21, 0]);
    local.extend_from_slice(&crc.to_le_bytes());
    local.extend_from_slice(&(deflated.len() as u32).to_le_bytes());
    local.extend_from_slice(&size.to_le_bytes());
    local.extend_from_slice(&(name.len() as u16).to_le_bytes());
    local.extend_from_slice(&0u16.to_le_bytes());
    local.extend_from_slice(name.as_bytes());
    out.extend_from_slice(&local);
    out.extend_from_slice(&deflated);
    let cd_at = out.len() as u32;
    let mut cd = Vec::new();
    cd.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
    cd.extend_from_slice(&[20, 3, 20, 0, 0, 0, 8, 0, 0, 0, 0x21, 0]);
    cd.extend_from_slice(&crc.to_le_bytes());
    cd.extend_from_slice(&(deflated.len() as u32).to_le_bytes());
    cd.extend_from_slice(&size.to_le_bytes());
    cd.extend_from_slice(&(name.len() as u16).to_le_bytes());
    cd.extend_from_slice(&[0; 8]);
    cd.extend_from_slice(&(0o100644u32 << 16).to_le_bytes());
    cd.extend_from_slice(&0u32.to_le_bytes());
    cd.extend_from_slice(name.as_bytes());
    out.extend_from_slice(&cd);
    out.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
    out.extend_from_slice(&[0, 0, 0, 0, 1, 0, 1, 0]);
    out.extend_from_slice(&(cd.len() as u32).to_le_bytes());
    out.extend_from_slice(&cd_at.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out
}

/// The CRC-32 of a message whose CRC is `crc`, followed by `n` zero bytes, in O(log n): each
/// zero byte is a linear map of the CRC register, raised to the n-th power by squaring.
pub fn crc32_append_zeros(crc: u32, n: u64) -> u32 {
    type M = [u32; 32];
    let apply = |m: &M, v: u32| (0..32).filter(|i| v >> i & 1 == 1).fold(0, |a, i| a ^ m[i]);
    let square = |m: &M| -> M { std::array::from_fn(|i| apply(m, m[i])) };
    // One zero byte: eight shifts of the reflected register with the polynomial 0xEDB88320.
    let mut byte: M = std::array::from_fn(|i| {
        (0..8).fold(1u32 << i, |r, _| {
            if r & 1 == 1 {
                (r >> 1) ^ 0xEDB8_8320
            } else {
                r >> 1
            }
        })
    });
    let mut reg = !crc;
    let mut n = n;
    while n > 0 {
        if n & 1 == 1 {
            reg = apply(&byte, reg);
        }
        byte = square(&byte);
        n >>= 1;
    }
    !reg
}

/// A zip whose `n` central-directory entries all point at the same local member (different
/// names): the overlapping-files zip bomb.
pub fn zip_overlapping(member: &[u8], n: usize) -> Vec<u8> {
    let z = zip(&[("m0", member.to_vec())]);
    // Central directory entry: find it, then repeat it with new names.
    let cd_at = u32::from_le_bytes(z[z.len() - 6..z.len() - 2].try_into().unwrap()) as usize;
    let eocd_at = z.len() - 22;
    let entry = z[cd_at..eocd_at].to_vec();
    let name_len = u16::from_le_bytes([entry[28], entry[29]]) as usize;
    let fixed = &entry[..46];
    let extra_and_comment = &entry[46 + name_len..];
    let mut out = z[..cd_at].to_vec();
    let mut cd = Vec::new();
    for i in 0..n {
        let name = format!("m{i}");
        let mut e = fixed.to_vec();
        e[28..30].copy_from_slice(&(name.len() as u16).to_le_bytes());
        e.extend_from_slice(name.as_bytes());
        e.extend_from_slice(extra_and_comment);
        cd.extend(e);
    }
    let new_cd_at = out.len() as u32;
    out.extend_from_slice(&cd);
    out.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
    out.extend_from_slice(&[0, 0, 0, 0]);
    out.extend_from_slice(&(n as u16).to_le_bytes());
    out.extend_from_slice(&(n as u16).to_le_bytes());
    out.extend_from_slice(&(cd.len() as u32).to_le_bytes());
    out.extend_from_slice(&new_cd_at.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out
}

// ---------------------------------------------------------------------------------------------
// Archive cases.

/// Offsets where a plain tar can end and still be a valid, shorter tar: each header's start
/// and each block of the end marker.
pub fn tar_clean_cuts(t: &[u8]) -> Vec<usize> {
    let mut cuts = Vec::new();
    let mut at = 0;
    while at + 512 <= t.len() {
        cuts.push(at);
        let h = &t[at..at + 512];
        if h.iter().all(|&b| b == 0) {
            at += 512;
            continue;
        }
        let size = std::str::from_utf8(&h[124..135])
            .ok()
            .and_then(|s| u64::from_str_radix(s.trim_matches(char::from(0)).trim(), 8).ok())
            .unwrap_or(0) as usize;
        at += 512 + size.div_ceil(512) * 512;
    }
    cuts
}

/// Two ELF members and a text file, in every archive kind, with the offsets where a cut leaves
/// a valid shorter archive (gzip members and tar members may end there).
pub fn archive_kinds() -> Vec<(String, Vec<u8>, Vec<usize>)> {
    let members = || {
        vec![
            file("usr/bin/fcntl64", sample("fcntl64")),
            file("usr/share/doc/README", b"hello\n".repeat(300)),
            file("usr/lib/plugin-native.so", sample("plugin-native.so")),
        ]
    };
    let plain = tar(&members(), true);
    let mut out = vec![("tar".to_string(), plain.clone(), tar_clean_cuts(&plain))];
    for (n, c) in compressors() {
        out.push((format!("tar.{n}"), c(&plain), Vec::new()));
    }
    out.push((
        "zip".into(),
        zip(&[
            ("usr/bin/fcntl64", sample("fcntl64")),
            ("README", b"hello\n".repeat(300)),
            ("usr/lib/plugin-native.so", sample("plugin-native.so")),
        ]),
        Vec::new(),
    ));
    out.push(("deb".into(), deb(gz(&plain)), Vec::new()));
    out.push((
        "rpm".into(),
        rpm(
            &gz(&cpio(
                &[
                    ("./usr/bin/fcntl64", sample("fcntl64")),
                    ("./usr/lib/plugin-native.so", sample("plugin-native.so")),
                ],
                None,
            )),
            1,
            5,
        ),
        Vec::new(),
    ));
    let a = apk(&members());
    let first = gz(&tar(&[file(".PKGINFO", b"pkgname = x\n".to_vec())], false)).len();
    out.push(("apk".into(), a, vec![first]));
    let layer = gz(&plain);
    let manifest = r#"[{"RepoTags":["x:1"],"Layers":["l1.tar"]}]"#;
    // manifest.json (header and one block of data), then the layer's header and data.
    let data_end = 512 + 512 + 512 + layer.len();
    let image = docker_save(manifest, &[("l1.tar", layer)]);
    // Past the layer's last byte only padding and end blocks go: nothing is lost.
    let clean = (data_end..image.len()).collect();
    out.push(("docker.tar".into(), image, clean));
    out
}

/// Every archive kind truncated at many points: before the end, damage must show as an
/// `error` record (a plain tar cut exactly between members is a shorter valid tar).
pub fn archive_truncations() -> Vec<Case> {
    let mut out = Vec::new();
    for (kind, bytes, clean) in archive_kinds() {
        let len = bytes.len();
        let mut cuts: Vec<usize> = (1..40).map(|i| len * i / 40).collect();
        cuts.extend([1, 2, 8, 10, 60, 100, 511, 512, 513, 1024, len - 1]);
        cuts.extend(
            clean
                .iter()
                .take(16)
                .flat_map(|&c| [c.saturating_sub(1), c, c + 1]),
        );
        cuts.sort_unstable();
        cuts.dedup();
        // Shorter than its magic number, an archive is just bytes: one `skipped` record.
        let magic = match kind.as_str() {
            "tar" | "docker.tar" => 262,
            "tar.gz" | "apk" => 2,
            "tar.xz" => 6,
            "tar.zst" | "tar.bz2" | "zip" | "rpm" => 4,
            "deb" => 8 + "debian-binary".len(),
            _ => 0,
        };
        for cut in cuts.into_iter().filter(|&c| c > 0 && c < len) {
            let expect = if cut < magic {
                Expect::OneSkipped("not an ELF file")
            } else if clean.contains(&cut) {
                Expect::Some
            } else {
                Expect::SomeError
            };
            out.push(case(
                format!("cut-{kind}-{cut}"),
                bytes[..cut].to_vec(),
                expect,
            ));
        }
    }
    out
}

/// Members whose headers claim far more data than there is.
pub fn lying_sizes() -> Vec<Case> {
    let elf = sample("hello-musl");
    let mut out = Vec::new();
    for (what, size) in [("8G", 8u64 << 30), ("huge", u64::MAX / 2)] {
        let mut t = tar_header("usr/bin/x", b'0', size, "");
        t.extend_from_slice(&elf);
        out.push(case(
            format!("size-tar-{what}"),
            t.clone(),
            Expect::SomeError,
        ));
        out.push(case(
            format!("size-tar-{what}.gz"),
            gz(&t),
            Expect::SomeError,
        ));
    }
    out.push(case(
        "size-cpio-4G".into(),
        cpio(&[("./x", elf.clone())], Some(0xffff_fff0)),
        Expect::SomeError,
    ));
    let mut deb_bytes = b"!<arch>\n".to_vec();
    deb_bytes.extend(ar_header("debian-binary", 4));
    deb_bytes.extend_from_slice(b"2.0\n");
    deb_bytes.extend(ar_header("data.tar.gz", 9_999_999_999));
    deb_bytes.extend(gz(&tar(&[file("x", elf.clone())], true)));
    out.push(case("size-deb-10G".into(), deb_bytes, Expect::SomeError));
    out.push(case(
        "size-rpm-header".into(),
        rpm(
            &gz(&cpio(&[("./x", elf.clone())], None)),
            0xffff_ffff,
            0xffff_ffff,
        ),
        Expect::SomeError,
    ));
    let mut z = zip(&[("x", elf.clone())]);
    // Central directory: uncompressed size claims 4 GiB.
    let cd_at = u32::from_le_bytes(z[z.len() - 6..z.len() - 2].try_into().unwrap()) as usize;
    z[cd_at + 24..cd_at + 28].copy_from_slice(&0xffff_fff0u32.to_le_bytes());
    out.push(case("size-zip-4G".into(), z, Expect::SomeError));
    let mut z = zip(&[("x", elf)]);
    let eocd = z.len() - 22;
    z[eocd + 8..eocd + 12].copy_from_slice(&[0xff, 0xff, 0xff, 0xff]);
    out.push(case("count-zip-65535".into(), z, Expect::SomeError));
    out
}

/// Decompression bombs of `mib` MiB, expected to stop at a lowered `--max-artifact-size` or
/// `--max-file-size` (the limit is the test's, see hostile.rs).
pub fn bombs(mib: usize) -> Vec<Case> {
    let elf = sample("hello-musl");
    let mut out = Vec::new();
    for (n, c) in compressors() {
        // A member of zeros: streamed, stopped by the artifact limit.
        out.push(case(
            format!("bomb-zeros.tar.{n}"),
            tar_bomb(c, "zeros", b"", mib),
            Expect::OneSkipped("--max-artifact-size"),
        ));
        // An ELF member: held in memory, stopped by the file limit; the rest of the member is
        // still decompressed to reach the next one, and stops at the artifact limit.
        out.push(case(
            format!("bomb-elf.tar.{n}"),
            tar_bomb(c, "bin/x", &elf, mib),
            Expect::AllSkipped(2, "--max-file-size"),
        ));
        // A bare compressed ELF (`tool.gz`).
        out.push(case(
            format!("bomb-elf.{n}"),
            bomb(c, &elf, mib),
            Expect::OneSkipped("--max-file-size"),
        ));
    }
    // Zip members are random access: a member that is not ELF is never decompressed further
    // than its first bytes.
    out.push(case(
        "bomb-zeros.zip".into(),
        zip_bomb("zeros", b"", mib),
        Expect::OneSkipped("no ELF files inside"),
    ));
    out.push(case(
        "bomb-elf.zip".into(),
        zip_bomb("x.so", &elf, mib),
        Expect::OneSkipped("--max-file-size"),
    ));
    // 2000 names for one 2 MiB ELF-headed member: 4 GB from a small file.
    let mut member = elf.clone();
    member.resize(2 * MIB, 0);
    out.push(case(
        "bomb-overlap.zip".into(),
        zip_overlapping(&member, 2000),
        Expect::SomeSkipped("--max-artifact-size"),
    ));
    // Nested: a bomb inside a deb inside a tar.
    let inner = deb(tar_bomb(gz, "zeros", b"", mib));
    out.push(case(
        "bomb-nested.tar".into(),
        tar(&[file("pkg.deb", inner)], true),
        Expect::SomeSkipped("--max-artifact-size"),
    ));
    out
}

/// Members named outside the archive: `..` climbs and absolute paths, and links that point out.
/// `escape` is an absolute directory that must stay empty (nothing is ever extracted).
pub fn traversal(escape: &str) -> Vec<Case> {
    let elf = sample("hello-musl");
    let up = "../".repeat(8);
    let names = [
        format!("{up}{}/evil", escape.trim_start_matches('/')),
        format!("{escape}/evil-abs"),
        "/etc/evil-abs2".to_string(),
        "a/../../../b/./evil".to_string(),
    ];
    let tar_members: Vec<Member> = names
        .iter()
        .map(|n| file(n, elf.clone()))
        .chain([
            link("lib/out", &format!("{up}{escape}")),
            link("lib/abs", "/"),
        ])
        .collect();
    let zip_members: Vec<(&str, Vec<u8>)> =
        names.iter().map(|n| (n.as_str(), elf.clone())).collect();
    let cpio_members: Vec<(&str, Vec<u8>)> =
        names.iter().map(|n| (n.as_str(), elf.clone())).collect();
    vec![
        case(
            "traverse.tar".into(),
            tar(&tar_members, true),
            Expect::Exactly(4),
        ),
        case("traverse.zip".into(), zip(&zip_members), Expect::Exactly(4)),
        case(
            "traverse.rpm".into(),
            rpm(&cpio(&cpio_members, None), 1, 5),
            Expect::Exactly(4),
        ),
        case(
            "traverse.deb".into(),
            deb(gz(&tar(&tar_members, true))),
            Expect::Exactly(4),
        ),
        case(
            "traverse-image.tar".into(),
            docker_save(
                r#"[{"RepoTags":["x"],"Layers":["../../l.tar", "/abs/l.tar", "l.tar"]}]"#,
                &[("l.tar", tar(&tar_members, true))],
            ),
            Expect::Some,
        ),
    ]
}

/// Links that loop (in tar), deep nesting, duplicate names, many compression layers, hostile
/// image indexes.
pub fn structure() -> Vec<Case> {
    let elf = sample("hello-glibc");
    let lib = sample("plugin-native.so");
    let mut out = Vec::new();
    // Link loops: the binary's libraries resolve through loops that never end.
    let needs_zlib = sample("needs-zlib");
    out.push(case(
        "links-loop.tar".into(),
        tar(
            &[
                file("usr/bin/needs-zlib", needs_zlib),
                link("usr/lib/libz.so.1", "libz.so.1.b"),
                link("usr/lib/libz.so.1.b", "libz.so.1"),
                link("lib", "lib"),
                link("usr/lib/self", "."),
                link("usr/lib/up", "../lib/up"),
            ],
            true,
        ),
        Expect::Exactly(1),
    ));
    // Ten levels of tar in tar: past --max-depth the innermost is a `skipped` record.
    let mut data = tar(&[file("x.so", lib.clone())], true);
    for _ in 0..10 {
        data = tar(&[file("n.tar", data)], true);
    }
    out.push(case(
        "nest-10.tar".into(),
        data,
        Expect::OneSkipped("--max-depth"),
    ));
    // Six layers of gzip around an ELF.
    let mut g = elf.clone();
    for _ in 0..6 {
        g = gz(&g);
    }
    out.push(case(
        "gzip-6-layers.gz".into(),
        g,
        Expect::OneSkipped("compressed more than 4 times"),
    ));
    // Duplicate names: both members are in the archive; each gets a record under that name.
    out.push(case(
        "dup-names.tar".into(),
        tar(
            &[file("bin/x", elf.clone()), file("bin/x", lib.clone())],
            true,
        ),
        Expect::Exactly(2),
    ));
    out.push(case(
        "dup-names.apk".into(),
        apk(&[file("bin/x", elf.clone()), file("bin/x", lib.clone())]),
        Expect::Exactly(2),
    ));
    // A zip with two entries of the same name: the reader keeps one per name, and says so.
    let mut z = zip(&[("bin/x", elf.clone()), ("bin/y", lib.clone())]);
    let at = z.windows(5).rposition(|w| w == b"bin/y").unwrap();
    z[at + 4] = b'x';
    let at = z.windows(5).position(|w| w == b"bin/y").unwrap();
    z[at + 4] = b'x';
    out.push(case("dup-names.zip".into(), z, Expect::SomeError));
    // Image: a layer listed 300 times (every pass reads it; the artifact budget counts them).
    let layer = gz(&tar(&[file("usr/bin/x", elf.clone())], true));
    let many: Vec<String> = (0..300).map(|_| "\"l.tar\"".to_string()).collect();
    out.push(case(
        "image-same-layer-300x.tar".into(),
        docker_save(
            &format!(r#"[{{"RepoTags":["x"],"Layers":[{}]}}]"#, many.join(",")),
            &[("l.tar", layer.clone())],
        ),
        Expect::Some,
    ));
    // OCI index naming itself: recursion stops at the depth limit.
    let selfref =
        r#"{"schemaVersion":2,"manifests":[{"digest":"sha256:idx"},{"digest":"sha256:idx"}]}"#;
    out.push(case(
        "oci-index-loop.tar".into(),
        oci_tar(selfref, &[("idx", selfref.as_bytes().to_vec())]),
        Expect::OneError,
    ));
    // An index of 64 indexes of 64 manifests: 4096 images from three small documents.
    let list = |digest: &str| {
        let m: Vec<String> = (0..64)
            .map(|_| format!(r#"{{"digest":"sha256:{digest}"}}"#))
            .collect();
        format!(r#"{{"schemaVersion":2,"manifests":[{}]}}"#, m.join(","))
    };
    out.push(case(
        "oci-index-fanout.tar".into(),
        oci_tar(
            &list("fan"),
            &[
                ("fan", list("m").into_bytes()),
                ("m", br#"{"schemaVersion":2,"layers":[]}"#.to_vec()),
            ],
        ),
        Expect::OneError,
    ));
    // Whiteouts of the root and of paths that climb.
    let wh = tar(
        &[
            file("usr/bin/x", elf.clone()),
            file(".wh..wh..opq", Vec::new()),
            file("../../.wh.etc", Vec::new()),
            file("usr/bin/y", elf),
        ],
        true,
    );
    out.push(case(
        "image-whiteouts.tar".into(),
        docker_save(r#"[{"Layers":["l.tar"]}]"#, &[("l.tar", wh)]),
        Expect::Exactly(1),
    ));
    // A GNU long name of 20 MiB: more than the tar reader may buffer for one member.
    let mut long = tar_header("././@LongLink", b'L', 20 * MIB as u64, "");
    long.extend(vec![b'a'; 20 * MIB]);
    long.extend(tar(&[file("x", lib)], true));
    out.push(case(
        "longname-20M.tar.gz".into(),
        gz(&long),
        Expect::OneError,
    ));
    out
}
