//! Stage 2, inspect: read one ELF file the way musl's dynamic linker reads it.
//!
//! Everything comes from the program headers and the dynamic segment (PT_DYNAMIC → DT_SYMTAB,
//! DT_STRTAB, DT_VERSYM, DT_VERNEED, DT_VERDEF, DT_RELA/DT_REL/DT_JMPREL, DT_RELR), never from
//! section headers, which the loader ignores and which may be stripped or lie. Addresses are
//! mapped to file offsets through PT_LOAD, as the loader maps them into memory.
//!
//! One exception, for advice only (#6, `extra`): the GNU ABI note, strings in read-only PT_LOAD
//! segments and, for static files, `.symtab` are read as heuristic evidence for runtime findings;
//! and for glibc-built dynamic files (#10, `startup`) `.comment`, `.go.buildinfo` and a few
//! `.symtab` names, which say whose start-up code runs. Only `startup`'s Go c-shared evidence can
//! raise a verdict (that code crashes under musl); everything else is advice.
//!
//! Input is untrusted: every offset, size and count is checked against the file before use, no
//! allocation is sized by a header field without a bound, and loops over linked structures are
//! capped. Names are charged to a per-file budget and loops check a cooperative deadline
//! (`work`), so shared string tables cannot make the work quadratic and no file holds a worker
//! past `--timeout`. Only this module uses the `object` crate (chosen over goblin because its low-level
//! `read::elf` API is zero-copy and lets us parse exactly the loader's view lazily; goblin's
//! `Elf::parse` eagerly builds vectors of every section, symbol and relocation).

mod extra;
mod facts;
pub mod owners;
mod reader;
pub mod rpmdb;
mod startup;
mod work;

pub use extra::{Extra, LibraryString, Marker};
pub use facts::*;
pub use reader::{InspectError, inspect, inspect_until, is_elf};
pub use startup::Startup;
