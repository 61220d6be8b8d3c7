//! Archive cases: truncations, lying sizes, bombs, traversal, links, nesting, duplicates and
//! hostile image indexes, each with its documented outcome.

use super::*;

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
