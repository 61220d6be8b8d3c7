//! Archives and the results cache (#13): a known archive (by SHA-256 of the file and how it
//! expands) is replayed from its remembered members without decompressing it; an unknown one is
//! read while its items are recorded, and remembered once its ELF members are analysed.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex, OnceLock};

use super::{Analysed, PendingElf, Produced, Shared, handle, judged};
use crate::cache::{Cache, Member};
use crate::input::{self, Item, Kind, UnitId};

/// An archive's items as read, waiting for its ELF members' digests.
pub(super) struct Recording {
    key: [u8; 32],
    items: Vec<Recorded>,
}

enum Recorded {
    Member(Member),
    /// An ELF member: its analysis slot gives the digest once the window is done.
    Elf {
        suffix: String,
        unit: usize,
        unit_path: String,
        image: Option<Box<crate::input::ImageOrigin>>,
        slot: Arc<OnceLock<Analysed>>,
    },
}

/// A record of owners larger than this is not kept with its archive (the archive is read again
/// next time): a dpkg status or RECORD is far smaller; an rpm database may not be.
const MAX_META_BYTES: usize = 1 << 20;

/// Read (or replay) an archive found as [`Item::Archive`], handing its productions to `sub`.
pub(super) fn archive<'s>(
    path: &Path,
    kind: Kind,
    name: &str,
    named: bool,
    sub: &mut Vec<Produced>,
    s: &rayon::Scope<'s>,
    shared: &'s Shared<'s>,
) {
    let opts = &shared.opts.input;
    // The archive's own digest (unchanged files: from the cache, not hashed again).
    let known = shared.results().and_then(|cache| {
        let d = cache.hash_file(path, u64::MAX).ok()?;
        Some((
            cache,
            Cache::archive_key(&d.sha256(), &expansion(shared.opts), named),
        ))
    });
    let Some((cache, key)) = known else {
        shared.observer.archive(false);
        let sink = &mut |it| handle(it, sub, s, shared);
        return input::visit_archive(path, kind, name, named, opts, &shared.units, sink);
    };
    if let Some(members) = cache.archive(&key) {
        shared.observer.archive(true);
        return replay(name, members, sub, s, shared);
    }
    shared.observer.archive(false);
    let mut rec = Recorder::new(key, name);
    input::visit_archive(path, kind, name, named, opts, &shared.units, &mut |it| {
        rec.pass(it, sub, s, shared)
    });
    rec.done(shared);
}

/// The archive key of an image pulled as `key` (reference and manifest digest, see
/// [`input::Known::knows_image`]).
fn image_key(key: &str, expansion: &str) -> [u8; 32] {
    use sha2::Digest;
    let id: [u8; 32] = sha2::Sha256::digest(key.as_bytes()).into();
    Cache::archive_key(&id, expansion, true)
}

/// What the walk and the image reader ask of the results cache, for one run: files known as
/// "other", and pulled images remembered whole (their members are kept from the question to
/// the replay, so each is looked up once).
pub(super) struct Known {
    cache: Arc<Cache>,
    expansion: String,
    images: Mutex<HashMap<String, Vec<Member>>>,
}

impl Known {
    pub(super) fn new(cache: Arc<Cache>, opts: &crate::scan::ScanOptions) -> Known {
        Known {
            cache,
            expansion: expansion(opts),
            images: Mutex::default(),
        }
    }
}

impl input::Known for Known {
    fn is_other(&self, meta: &std::fs::Metadata) -> bool {
        self.cache.is_other(meta)
    }

    fn remember_other(&self, meta: &std::fs::Metadata, read_at_ns: i128) {
        self.cache.remember_other(meta, read_at_ns)
    }

    fn knows_image(&self, key: &str) -> bool {
        let Some(members) = self.cache.archive(&image_key(key, &self.expansion)) else {
            return false;
        };
        match self.images.lock() {
            Ok(mut images) => {
                images.insert(key.to_string(), members);
                true
            }
            Err(_) => false,
        }
    }
}

/// Replay a pulled image the cache said it remembers ([`Item::Remembered`]).
pub(super) fn replay_image<'s>(
    key: &str,
    name: &str,
    sub: &mut Vec<Produced>,
    s: &rayon::Scope<'s>,
    shared: &'s Shared<'s>,
) {
    let members = shared
        .known
        .as_ref()
        .and_then(|k| k.images.lock().ok()?.remove(key));
    match members {
        Some(members) => {
            shared.observer.archive(true);
            replay(name, members, sub, s, shared);
        }
        None => {
            let why = "image remembered by the results cache, but its entry is gone; scan again";
            sub.push(Produced::Record(Box::new(crate::unreadable(
                name, name, why,
            ))));
        }
    }
}

/// Record a pulled image's items ([`Item::Remember`]) while they are handed on.
pub(super) fn record_image<'n>(key: &str, name: &'n str, shared: &Shared<'_>) -> Recorder<'n> {
    Recorder::new(image_key(key, &expansion(shared.opts)), name)
}

/// Everything besides the archive's bytes that decides what it expands to.
fn expansion(opts: &crate::scan::ScanOptions) -> String {
    let l = &opts.input.limits;
    // The platform picks which images of a multi-platform tarball are read; one install tree
    // (`--one-unit`) places an npm package's files under node_modules/NAME.
    format!(
        "depth {} file {} artifact {} exclude {} platform {} one-unit {}",
        l.max_depth,
        l.max_file_bytes,
        l.max_artifact_bytes,
        opts.expansion,
        opts.input.platform,
        opts.one_unit
    )
}

/// An ELF member as recorded: suffix, unit, path in the unit, image origin.
type ElfMember = (
    String,
    usize,
    String,
    Option<Box<crate::input::ImageOrigin>>,
);

/// An archive's (or pulled image's) items, recorded as they are handed on, to be remembered
/// once its ELF members are analysed ([`remember_archives`]).
pub(super) struct Recorder<'n> {
    key: [u8; 32],
    name: &'n str,
    /// Global unit ids of the archive's units, in order of appearance.
    units: Vec<UnitId>,
    items: Vec<Recorded>,
    /// False once an item cannot be expressed relative to the archive: not remembered then.
    whole: bool,
}

impl<'n> Recorder<'n> {
    fn new(key: [u8; 32], name: &'n str) -> Self {
        Recorder {
            key,
            name,
            units: Vec::new(),
            items: Vec::new(),
            whole: true,
        }
    }

    /// Hand `it` on (see [`handle`]) and record it.
    pub(super) fn pass<'s>(
        &mut self,
        it: Item,
        sub: &mut Vec<Produced>,
        s: &rayon::Scope<'s>,
        shared: &'s Shared<'s>,
    ) {
        let elf = self.note(&it);
        handle(it, sub, s, shared);
        if let (Some((suffix, unit, unit_path, image)), Some(Produced::Elf(p))) = (elf, sub.last())
        {
            self.items.push(Recorded::Elf {
                suffix,
                unit,
                unit_path,
                image,
                slot: p.slot.clone(),
            });
        }
    }

    /// Queue what was recorded for remembering at the end of the window, if all of it could be.
    pub(super) fn done(self, shared: &Shared<'_>) {
        if !self.whole {
            return;
        }
        if let Ok(mut pending) = shared.archives.lock() {
            pending.push(Recording {
                key: self.key,
                items: self.items,
            });
        }
    }

    fn suffix(&mut self, name: &str, artifact: &str) -> String {
        match name.strip_prefix(self.name) {
            Some(s) if artifact == self.name => s.to_string(),
            _ => {
                self.whole = false;
                String::new()
            }
        }
    }

    fn unit(&mut self, id: UnitId) -> usize {
        self.units.iter().position(|&u| u == id).unwrap_or_else(|| {
            self.whole = false;
            0
        })
    }

    /// Record one item; for an ELF member, return what the caller completes with its slot.
    fn note(&mut self, it: &Item) -> Option<ElfMember> {
        let member = match it {
            Item::Unit { id, name } => {
                self.units.push(*id);
                let name = name.clone();
                Member::Unit {
                    unit: self.units.len() - 1,
                    suffix: self.suffix(&name, self.name),
                }
            }
            Item::Elf(src) => {
                let suffix = self.suffix(&src.name, &src.artifact);
                let unit = self.unit(src.unit);
                let image = src.image.clone().map(Box::new);
                return Some((suffix, unit, src.unit_path.clone(), image));
            }
            Item::Meta {
                unit,
                artifact,
                path,
                data,
            } if *artifact == self.name && data.len() <= MAX_META_BYTES => {
                let Ok(text) = std::str::from_utf8(data) else {
                    self.whole = false;
                    return None;
                };
                Member::Meta {
                    unit: self.unit(*unit),
                    path: path.clone(),
                    text: text.to_string(),
                }
            }
            Item::Link { unit, path, target } => Member::Link {
                unit: self.unit(*unit),
                path: path.clone(),
                target: target.clone(),
            },
            // A member that is not ELF gets a record only when named; the others (a jar's
            // classes) produce nothing, so they are not remembered either.
            Item::Other { named: false, .. } => return None,
            Item::Other {
                name,
                artifact,
                named: true,
            } => Member::Other {
                suffix: self.suffix(name, artifact),
                named: true,
            },
            Item::Problem {
                name,
                artifact,
                error,
                limit,
            } => Member::Problem {
                suffix: self.suffix(name, artifact),
                error: error.clone(),
                limit: *limit,
            },
            // Nested producers, and records of owners too big or not text, are not remembered:
            // such an archive is read again next time.
            Item::Archive { .. }
            | Item::Subtree(_)
            | Item::Meta { .. }
            | Item::Listed(_)
            | Item::Remembered { .. }
            | Item::Remember { .. } => {
                self.whole = false;
                return None;
            }
        };
        self.items.push(Recorded::Member(member));
        None
    }
}

/// Produce what reading the archive would have produced, from the cache.
fn replay<'s>(
    name: &str,
    members: Vec<Member>,
    sub: &mut Vec<Produced>,
    s: &rayon::Scope<'s>,
    shared: &'s Shared<'s>,
) {
    let mut units: Vec<UnitId> = Vec::new();
    let unit = |units: &Vec<UnitId>, i: usize| units.get(i).copied().unwrap_or_default();
    for m in members {
        let item = match m {
            Member::Unit { suffix, .. } => {
                let id = shared.units.next();
                units.push(id);
                Item::Unit {
                    id,
                    name: format!("{name}{suffix}"),
                }
            }
            Member::Link {
                unit: u,
                path,
                target,
            } => Item::Link {
                unit: unit(&units, u),
                path,
                target,
            },
            Member::Other { suffix, named } => Item::Other {
                name: format!("{name}{suffix}"),
                artifact: name.to_string(),
                named,
            },
            Member::Problem {
                suffix,
                error,
                limit,
            } => Item::Problem {
                name: format!("{name}{suffix}"),
                artifact: name.to_string(),
                error,
                limit,
            },
            Member::Meta {
                unit: u,
                path,
                text,
            } => Item::Meta {
                unit: unit(&units, u),
                artifact: name.to_string(),
                path,
                data: text.into_bytes(),
            },
            Member::Elf {
                suffix,
                unit: u,
                unit_path,
                sha256,
                size,
                image,
            } => {
                let member = format!("{name}{suffix}");
                shared.observer.analysed(size);
                let gone = || {
                    Err(std::io::Error::other(
                        "archive member no longer in the cache",
                    ))
                };
                // Its judgement, or else its facts, come from the cache (the facts were there
                // when the archive was looked up).
                let mut a = judged(sha256, size, &member, name, shared, None, gone);
                a.record.image = image.map(|i| *i);
                sub.push(Produced::Elf(Box::new(PendingElf {
                    unit: unit(&units, u),
                    unit_path,
                    name: member,
                    artifact: name.to_string(),
                    slot: Arc::new(OnceLock::from(a)),
                })));
                continue;
            }
        };
        handle(item, sub, s, shared);
    }
}

/// Remember the archives read in the window just finished (every slot is filled by now). An
/// archive with a member that was not analysed to a digest is not remembered.
pub(super) fn remember_archives(shared: &Shared<'_>) {
    let Some(cache) = shared.results() else {
        return;
    };
    let recordings = match shared.archives.lock() {
        Ok(mut r) => std::mem::take(&mut *r),
        Err(_) => return,
    };
    'archives: for r in recordings {
        let mut members = Vec::with_capacity(r.items.len());
        for item in r.items {
            members.push(match item {
                Recorded::Member(m) => m,
                Recorded::Elf {
                    suffix,
                    unit,
                    unit_path,
                    image,
                    slot,
                } => {
                    let record = slot.get().map(|a| &a.record);
                    let sha = record.and_then(|r| r.sha256.as_deref()).and_then(unhex);
                    let (Some(sha256), Some(size)) = (sha, record.and_then(|r| r.size)) else {
                        continue 'archives;
                    };
                    Member::Elf {
                        suffix,
                        unit,
                        unit_path,
                        sha256,
                        size,
                        image,
                    }
                }
            });
        }
        cache.store_archive(&r.key, &members);
    }
}

fn unhex(s: &str) -> Option<[u8; 32]> {
    let mut out = [0u8; 32];
    if s.len() != 64 {
        return None;
    }
    for (i, o) in out.iter_mut().enumerate() {
        *o = u8::from_str_radix(s.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(out)
}
