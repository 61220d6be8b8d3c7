//! rpm's package database, read for owners (#11): `rpmdb.sqlite` (rpm ≥ 4.16; Fedora ≥ 33,
//! RHEL 9, Debian's rpm 4.18).
//!
//! Table `Packages(hnum, blob)`: each blob is one installed package's header as rpm stores it,
//! without the header magic (rpm `lib/header.c`, `headerExport`/`headerImport`): big-endian
//! `il` (index entries) and `dl` (data bytes), `il` entries of 16 bytes (tag, type, offset,
//! count), then the data store. Tags read (`include/rpm/rpmtag.h`): NAME 1000, VERSION 1001,
//! RELEASE 1002 (STRING), DIRINDEXES 1116 (INT32[]), BASENAMES 1117 and DIRNAMES 1118
//! (STRING_ARRAY); file i is `DIRNAMES[DIRINDEXES[i]] + BASENAMES[i]`.
//!
//! The database's bytes are opened in memory, read-only (SQLite's deserialize): nothing is
//! written to disk, whether the file came from a tree, an archive or an image. Rows only in a
//! write-ahead log (`rpmdb.sqlite-wal`) that rpm did not checkpoint are not seen. The older
//! Berkeley DB (`Packages`) and ndb (`Packages.db`) formats are not read (docs/packages.md).

/// One installed rpm package.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RpmPackage {
    /// NAME.
    pub name: String,
    /// VERSION-RELEASE.
    pub version: String,
    /// Installed paths (absolute).
    pub files: Vec<String>,
}

/// rpm's own bounds (`lib/header.c` `hdrchkTags`, `hdrchkData`).
const MAX_INDEX: usize = 0xffff;
const MAX_DATA: usize = 256 << 20;
/// Files kept per package, and packages per database: far above any real distribution.
const MAX_FILES: usize = 1 << 20;
const MAX_PACKAGES: usize = 200_000;

const NAME: u32 = 1000;
const VERSION: u32 = 1001;
const RELEASE: u32 = 1002;
const DIRINDEXES: u32 = 1116;
const BASENAMES: u32 = 1117;
const DIRNAMES: u32 = 1118;

const TYPE_INT32: u32 = 4;
const TYPE_STRING: u32 = 6;
const TYPE_STRING_ARRAY: u32 = 8;

fn be32(b: &[u8], at: usize) -> Option<u32> {
    let s = b.get(at..at.checked_add(4)?)?;
    Some(u32::from_be_bytes([
        *s.first()?,
        *s.get(1)?,
        *s.get(2)?,
        *s.get(3)?,
    ]))
}

/// One header, parsed defensively: None when it is not a well-formed header with a name.
pub fn parse_header(blob: &[u8]) -> Option<RpmPackage> {
    let il = be32(blob, 0)? as usize;
    let dl = be32(blob, 4)? as usize;
    if il == 0 || il > MAX_INDEX || dl > MAX_DATA {
        return None;
    }
    let start = 8usize.checked_add(il.checked_mul(16)?)?;
    let store = blob.get(start..start.checked_add(dl)?)?;
    // (type, offset, count) of a tag.
    let entry = |tag: u32| {
        (0..il).find_map(|i| {
            let at = 8 + i * 16;
            (be32(blob, at)? == tag).then_some(())?;
            Some((
                be32(blob, at + 4)?,
                be32(blob, at + 8)? as usize,
                be32(blob, at + 12)? as usize,
            ))
        })
    };
    let strings = |tag: u32, want: u32| -> Option<Vec<&[u8]>> {
        let (ty, off, count) = entry(tag)?;
        if ty != want || count > MAX_FILES {
            return None;
        }
        let mut rest = store.get(off..)?;
        let mut out = Vec::with_capacity(count.min(4096));
        for _ in 0..count {
            let end = rest.iter().position(|&b| b == 0)?;
            out.push(rest.get(..end)?);
            rest = rest.get(end + 1..)?;
        }
        Some(out)
    };
    let string = |tag: u32| {
        strings(tag, TYPE_STRING)
            .and_then(|v| v.first().map(|s| String::from_utf8_lossy(s).into_owned()))
    };
    let name = string(NAME).filter(|n| !n.is_empty())?;
    let version = match (string(VERSION), string(RELEASE)) {
        (Some(v), Some(r)) => format!("{v}-{r}"),
        (Some(v), None) => v,
        _ => String::new(),
    };
    let mut files = Vec::new();
    if let (Some(base), Some(dirs)) = (
        strings(BASENAMES, TYPE_STRING_ARRAY),
        strings(DIRNAMES, TYPE_STRING_ARRAY),
    ) {
        if let Some((ty, off, count)) = entry(DIRINDEXES) {
            if ty == TYPE_INT32 && count == base.len() {
                for (i, b) in base.iter().enumerate() {
                    let Some(d) = off
                        .checked_add(i * 4)
                        .and_then(|at| be32(store, at))
                        .and_then(|d| dirs.get(d as usize))
                    else {
                        break;
                    };
                    files.push(format!(
                        "{}{}",
                        String::from_utf8_lossy(d),
                        String::from_utf8_lossy(b)
                    ));
                }
            }
        }
    }
    Some(RpmPackage {
        name,
        version,
        files,
    })
}

/// The packages of an `rpmdb.sqlite` given as bytes, and how many rows were not headers.
pub fn read_sqlite(data: &[u8]) -> Result<(Vec<RpmPackage>, usize), String> {
    if !data.starts_with(b"SQLite format 3\0") {
        return Err("not an SQLite database".into());
    }
    let mut bytes = data.to_vec();
    // Bytes 18-19 (file format write/read version) are 2 for a database in WAL mode; SQLite's
    // in-memory database reads the same pages as a rollback-journal one (1).
    for b in bytes.iter_mut().skip(18).take(2) {
        if *b == 2 {
            *b = 1;
        }
    }
    let err = |e: rusqlite::Error| e.to_string();
    let mut conn = rusqlite::Connection::open_in_memory().map_err(err)?;
    conn.deserialize_read_exact(rusqlite::MAIN_DB, &bytes[..], bytes.len(), true)
        .map_err(err)?;
    let mut stmt = conn
        .prepare("SELECT blob FROM Packages ORDER BY hnum LIMIT ?1")
        .map_err(err)?;
    let rows = stmt
        .query_map([MAX_PACKAGES as i64], |row| row.get::<_, Vec<u8>>(0))
        .map_err(err)?;
    let mut packages = Vec::new();
    let mut malformed = 0;
    for row in rows {
        match row.ok().as_deref().and_then(parse_header) {
            Some(p) => packages.push(p),
            None => malformed += 1,
        }
    }
    Ok((packages, malformed))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A header with the given (tag, type, count, data) entries.
    fn header(entries: &[(u32, u32, u32, Vec<u8>)]) -> Vec<u8> {
        let mut index = Vec::new();
        let mut store = Vec::new();
        for (tag, ty, count, data) in entries {
            while *ty == TYPE_INT32 && store.len() % 4 != 0 {
                store.push(0);
            }
            for v in [*tag, *ty, store.len() as u32, *count] {
                index.extend_from_slice(&v.to_be_bytes());
            }
            store.extend_from_slice(data);
        }
        let mut h = Vec::new();
        h.extend_from_slice(&(entries.len() as u32).to_be_bytes());
        h.extend_from_slice(&(store.len() as u32).to_be_bytes());
        h.extend(index);
        h.extend(store);
        h
    }

    fn good() -> Vec<u8> {
        let ints: Vec<u8> = [0u32, 1, 0].iter().flat_map(|i| i.to_be_bytes()).collect();
        header(&[
            (NAME, TYPE_STRING, 1, b"jq\0".to_vec()),
            (VERSION, TYPE_STRING, 1, b"1.6\0".to_vec()),
            (RELEASE, TYPE_STRING, 1, b"7.el9\0".to_vec()),
            (DIRINDEXES, TYPE_INT32, 3, ints),
            (
                BASENAMES,
                TYPE_STRING_ARRAY,
                3,
                b"jq\0libjq.so.1\0jq-x\0".to_vec(),
            ),
            (
                DIRNAMES,
                TYPE_STRING_ARRAY,
                2,
                b"/usr/bin/\0/usr/lib64/\0".to_vec(),
            ),
        ])
    }

    #[test]
    fn a_header_names_the_package_and_its_files() {
        let p = parse_header(&good()).unwrap();
        assert_eq!((p.name.as_str(), p.version.as_str()), ("jq", "1.6-7.el9"));
        assert_eq!(
            p.files,
            vec!["/usr/bin/jq", "/usr/lib64/libjq.so.1", "/usr/bin/jq-x"]
        );
    }

    #[test]
    fn malformed_headers_are_none_never_a_panic() {
        let g = good();
        // Every truncation, and every byte flipped, of a good header.
        for n in 0..g.len() {
            let _ = parse_header(&g[..n]);
            let mut b = g.clone();
            b[n] ^= 0xff;
            let _ = parse_header(&b);
        }
        assert!(parse_header(&[]).is_none());
        assert!(parse_header(&[0xff; 64]).is_none());
        // A huge count, an offset past the store, a string without its NUL.
        let bad = header(&[(NAME, TYPE_STRING, 1, b"jq".to_vec())]);
        assert!(parse_header(&bad).is_none());
        let mut bad = good();
        bad[12..16].copy_from_slice(&u32::MAX.to_be_bytes());
        let _ = parse_header(&bad);
        let bad = header(&[
            (NAME, TYPE_STRING, 1, b"x\0".to_vec()),
            (BASENAMES, TYPE_STRING_ARRAY, u32::MAX, b"a\0".to_vec()),
        ]);
        assert_eq!(parse_header(&bad).unwrap().files, Vec::<String>::new());
    }

    #[test]
    fn not_a_database_is_an_error() {
        assert!(read_sqlite(b"not sqlite").is_err());
        assert!(read_sqlite(b"SQLite format 3\0 but cut").is_err());
    }
}
