use super::*;

fn dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("muslcheck-cache-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn sample_facts() -> Result<Facts, InspectError> {
    let bytes = std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/bin/hello-musl"))
        .unwrap();
    crate::inspect::inspect(&bytes)
}

#[test]
fn facts_round_trip_through_the_database() {
    let d = dir("roundtrip");
    let facts = sample_facts().unwrap();
    let key = [7u8; 32];
    {
        let c = Cache::open(&d, DEFAULT_MAX_BYTES).unwrap();
        assert!(c.facts(&key).is_none());
        c.store_facts(&key, &Ok(facts.clone()));
        c.store_facts(&[8u8; 32], &Err(InspectError::Malformed("bad".into())));
        c.store_facts(&[9u8; 32], &Err(InspectError::TimedOut));
        c.finish();
    }
    let c = Cache::open(&d, DEFAULT_MAX_BYTES).unwrap();
    let Some(Inspected::Facts(back)) = c.facts(&key) else {
        panic!("facts not cached")
    };
    // Everything judge reads survives, the parts the report never shows included.
    assert_eq!(back.needed, facts.needed);
    assert_eq!(back.imports, facts.imports);
    assert_eq!(back.exports, facts.exports);
    assert_eq!(back.self_referenced, facts.self_referenced);
    assert_eq!(back.extra.markers, facts.extra.markers);
    assert_eq!(back.interpreter, facts.interpreter);
    assert!(matches!(c.facts(&[8u8; 32]), Some(Inspected::Malformed(m)) if m == "bad"));
    // A timeout says nothing about the file: never stored.
    assert!(c.facts(&[9u8; 32]).is_none());
    assert_eq!(c.stats.facts_hits.load(Ordering::Relaxed), 2);
}

#[test]
fn a_damaged_value_is_a_miss_not_a_wrong_answer() {
    let d = dir("damaged");
    let key = [1u8; 32];
    {
        let c = Cache::open(&d, DEFAULT_MAX_BYTES).unwrap();
        c.store_facts(&key, &Ok(sample_facts().unwrap()));
        c.finish();
    }
    let conn = rusqlite::Connection::open(d.join(FILE_NAME)).unwrap();
    // Flip one bit of the stored value, after the 8-byte checksum.
    let data: Vec<u8> = conn
        .query_row("SELECT data FROM facts", [], |r| r.get(0))
        .unwrap();
    let mut bad = data.clone();
    bad[20] ^= 1;
    let n = conn
        .execute("UPDATE facts SET data = ?1", rusqlite::params![bad])
        .unwrap();
    assert_eq!(n, 1);
    drop(conn);
    let c = Cache::open(&d, DEFAULT_MAX_BYTES).unwrap();
    assert!(c.facts(&key).is_none());
}

#[test]
fn a_file_that_is_not_a_cache_is_refused_and_left_alone() {
    // Not SQLite at all.
    let d = dir("corrupt");
    let garbage = b"this is not a database, just some bytes ".repeat(200);
    std::fs::write(d.join(FILE_NAME), &garbage).unwrap();
    let e = Cache::open(&d, DEFAULT_MAX_BYTES).unwrap_err();
    assert!(e.contains(FILE_NAME), "{e}");
    assert_eq!(std::fs::read(d.join(FILE_NAME)).unwrap(), garbage);

    // Another program's SQLite database.
    let d = dir("foreign");
    let conn = rusqlite::Connection::open(d.join(FILE_NAME)).unwrap();
    conn.execute_batch(
        "CREATE TABLE facts (key BLOB, data BLOB); INSERT INTO facts VALUES (x'00', x'01');",
    )
    .unwrap();
    drop(conn);
    let before = std::fs::read(d.join(FILE_NAME)).unwrap();
    let e = Cache::open(&d, DEFAULT_MAX_BYTES).unwrap_err();
    assert!(e.contains("not a muslcheck cache"), "{e}");
    assert_eq!(std::fs::read(d.join(FILE_NAME)).unwrap(), before);
    assert!(clear_at(&d.join(FILE_NAME)).is_err());
}

#[test]
fn digests_of_files_changed_just_now_are_not_remembered() {
    let d = dir("racy");
    let f = d.join("file");
    std::fs::write(&f, b"content").unwrap();
    let c = Cache::open(&d.join("c"), DEFAULT_MAX_BYTES).unwrap();
    let stat = Stat::of(&std::fs::metadata(&f).unwrap());
    // Hashed in the same second it was written: a change later in that second keeps the times.
    c.remember_digest(&stat, [3u8; 32], now_ns());
    c.flush();
    assert_eq!(c.digest(&stat), None);
    // Hashed well after the last change: remembered, and only for identical metadata.
    c.remember_digest(&stat, [3u8; 32], now_ns() + 10 * RACY_NS);
    c.flush();
    assert_eq!(c.digest(&stat), Some([3u8; 32]));
    let grown = Stat {
        size: stat.size + 1,
        ..stat
    };
    assert_eq!(c.digest(&grown), None);
    let touched = Stat {
        ctime_ns: stat.ctime_ns + 1,
        ..stat
    };
    assert_eq!(c.digest(&touched), None);
}

#[test]
fn eviction_keeps_the_cache_under_its_bound_and_drops_the_oldest() {
    let d = dir("evict");
    let facts = Ok(sample_facts().unwrap());
    let mut c = Cache::open(&d, 16 << 10).unwrap();
    // Every use renews the last-use time here (runs renew it at most once a day).
    c.touch_after_s = -1;
    for i in 0..40u8 {
        c.store_facts(&[i; 32], &facts);
        // Separate transactions, so `used` orders them (one second apart is not needed: the
        // touches below make the newest ones the most recently used).
    }
    c.flush();
    for i in 30..40u8 {
        assert!(c.facts(&[i; 32]).is_some());
    }
    std::thread::sleep(std::time::Duration::from_millis(1100));
    c.finish();
    let info = info_at(&d.join(FILE_NAME)).unwrap();
    assert!(info.stored_bytes <= 16 << 10, "{info:?}");
    assert!(info.facts > 0 && info.facts < 40, "{info:?}");
    let c = Cache::open(&d, 16 << 10).unwrap();
    // The recently used entries survived.
    assert!(c.facts(&[39; 32]).is_some());
}

/// The walk's question (#13): a file remembered as "other" stays so only while its device,
/// inode, size, mtime and ctime are unchanged; one changed just before it was read is not
/// remembered at all.
#[test]
fn a_file_known_as_other_is_asked_again_once_it_changes() {
    let d = dir("other");
    let f = d.join("file");
    std::fs::write(&f, b"plain text").unwrap();
    let c = Cache::open(&d.join("c"), DEFAULT_MAX_BYTES).unwrap();
    let meta = std::fs::metadata(&f).unwrap();
    c.remember_other(&meta, now_ns());
    assert!(
        !c.is_other(&meta),
        "changed within the racy window: not remembered"
    );
    c.remember_other(&meta, now_ns() + 10 * RACY_NS);
    c.flush();
    // Another process (a fresh cache object) sees it.
    let c = Cache::open(&d.join("c"), DEFAULT_MAX_BYTES).unwrap();
    assert!(c.is_other(&meta));
    assert!(
        c.digest(&Stat::of(&meta)).is_none(),
        "no digest for an 'other' file"
    );
    let stat = Stat::of(&meta);
    for changed in [
        Stat {
            size: stat.size + 1,
            ..stat
        },
        Stat {
            mtime_ns: stat.mtime_ns + 1,
            ..stat
        },
        Stat {
            ctime_ns: stat.ctime_ns + 1,
            ..stat
        },
        Stat {
            ino: stat.ino + 1,
            ..stat
        },
    ] {
        assert_eq!(c.seen(&changed), None, "{changed:?}");
    }
    // A rewrite of the file itself (new size and times).
    std::fs::write(&f, b"plain text, longer now").unwrap();
    assert!(!c.is_other(&std::fs::metadata(&f).unwrap()));
}

/// A run renews an entry's last use at most once a day: a warm run over a tree does not
/// rewrite a row per file it looked at.
#[test]
fn last_use_is_renewed_at_most_once_a_day() {
    let d = dir("touch");
    let key = [5u8; 32];
    {
        let c = Cache::open(&d, DEFAULT_MAX_BYTES).unwrap();
        c.store_facts(&key, &Ok(sample_facts().unwrap()));
        c.finish();
    }
    let used = |age: i64| {
        let conn = rusqlite::Connection::open(d.join(FILE_NAME)).unwrap();
        if age > 0 {
            conn.execute("UPDATE facts SET used = used - ?1", [age])
                .unwrap();
        }
        conn.query_row("SELECT used FROM facts", [], |r| r.get::<_, i64>(0))
            .unwrap()
    };
    let fresh = used(0);
    let c = Cache::open(&d, DEFAULT_MAX_BYTES).unwrap();
    assert!(c.facts(&key).is_some());
    c.finish();
    assert_eq!(used(0), fresh, "used today: not written again");
    let old = used(2 * TOUCH_AFTER_S);
    let c = Cache::open(&d, DEFAULT_MAX_BYTES).unwrap();
    assert!(c.facts(&key).is_some());
    c.finish();
    assert!(used(0) > old, "used two days ago: renewed");
}

/// Memory stays bounded whatever the cache holds: a `files` table bigger than the bound is not
/// loaded, and each file is asked by its own row instead, with the same answers.
#[test]
fn a_files_table_too_big_to_load_is_asked_row_by_row() {
    let d = dir("files-bound");
    let (elf, text) = (d.join("elf"), d.join("text"));
    std::fs::write(&elf, b"pretend ELF").unwrap();
    std::fs::write(&text, b"plain text").unwrap();
    let (elf_meta, text_meta) = (
        std::fs::metadata(&elf).unwrap(),
        std::fs::metadata(&text).unwrap(),
    );
    let later = now_ns() + 10 * RACY_NS;
    {
        let c = Cache::open(&d.join("c"), DEFAULT_MAX_BYTES).unwrap();
        c.remember_digest(&Stat::of(&elf_meta), [5u8; 32], later);
        c.remember_other(&text_meta, later);
        c.finish();
    }
    for max in [MAX_LOADED_FILES, 1] {
        let mut c = Cache::open(&d.join("c"), DEFAULT_MAX_BYTES).unwrap();
        c.max_loaded_files = max;
        assert_eq!(c.loaded().is_some(), max > 1, "bound {max}");
        assert_eq!(
            c.digest(&Stat::of(&elf_meta)),
            Some([5u8; 32]),
            "bound {max}"
        );
        assert!(c.is_other(&text_meta), "bound {max}");
        assert!(!c.is_other(&elf_meta), "bound {max}");
        let grown = Stat {
            size: elf_meta.len() + 1,
            ..Stat::of(&elf_meta)
        };
        assert_eq!(c.digest(&grown), None, "bound {max}");
    }
}
