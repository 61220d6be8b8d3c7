#!/usr/bin/env bash
# regen-symbol-db.sh - rebuild the parts of symbol-db/ that can be rebuilt from Debian packages.
#
# What it (re)writes, and nothing else:
#   symbol-db/musl/musl-{1.2.3,1.2.4,1.2.5,1.2.6}-{x86_64,aarch64}.txt   from Debian's musl .debs + documented deltas
#   symbol-db/glibc/glibc-2.41-{x86_64,aarch64}.txt                      from Debian's libc6 + libcrypt1 .debs
# It never writes the curated or non-Debian files (symbol-db/gcompat/*, symbol-db/loader/*, symbol-db/alpine/*,
# symbol-db/README.md); symbol-db/loader/lfs64.txt is only read (the LFS64 names removed for 1.2.4).
#
# How: apt-get download (a private apt state in a temp dir that sees bookworm, trixie and sid for amd64 and arm64, so
# the system's apt configuration is not touched), dpkg-deb -x, extract the dynamic exports with
#   ${MUSLCHECK:-cargo run --quiet --release --} db extract FILE            -> "name TYPE"
#   ${MUSLCHECK:-cargo run --quiet --release --} db extract --glibc FILE    -> "library name version TYPE default|compat"
# (or readelf --dyn-syms -W with --readelf), apply the deltas documented in symbol-db/README.md with comm/grep/sort,
# and write a file only if its symbol lines changed (its header comment is kept, with a "# Regenerated:" line).
# Ends with `git diff --stat -- symbol-db/` so a reviewer sees what changed.
#
# Usage: scripts/regen-symbol-db.sh [--readelf] [--out DIR] [--system-apt] [--keep] [--quiet]
#        scripts/regen-symbol-db.sh --check [DIR]
#   --check       only validate the files of symbol-db/ (or DIR): formats, LC_ALL=C sort + uniqueness of the key
#                 column, cross-file consistency; no download. Exit 1 on any problem.
#   --readelf     extract with `readelf --dyn-syms -W` (GNU binutils) instead of `muslcheck db extract`
#   --out DIR     write into DIR/{musl,glibc}/ instead of <repo>/symbol-db/ (for testing; no git diff at the end)
#   --system-apt  use the system's apt sources as they are (only the versions they serve; no arm64 unless the
#                 system already has that architecture); default is a private apt state
#   --keep        keep the temporary download/extract directory and print its path
#   --quiet       less chatter
# Environment: MUSLCHECK = command that runs muslcheck (default: cargo run --quiet --release --, run in the repo root).
set -euo pipefail
export LC_ALL=C

# ---- pinned inputs (change these, rerun, review the diff) -------------------------------------------------------
MUSL_123=1.2.3-1            # Debian bookworm
MUSL_125=1.2.5-3.1~deb13u1  # Debian trixie
MUSL_126=1.2.6-2            # Debian sid
LIBC6=2.41-12+deb13u5       # Debian trixie
LIBCRYPT1=1:4.4.38-1        # Debian trixie (libxcrypt)
SUITES="bookworm trixie sid"
# The Debian archive this machine's apt already uses (override with DEB_MIRROR=...).
DEB_MIRROR=${DEB_MIRROR:-$(grep -hoE '^(URIs:[[:space:]]*|deb[[:space:]]+)[^[:space:]]+/debian/?([[:space:]]|$)' \
  /etc/apt/sources.list.d/*.sources /etc/apt/sources.list 2>/dev/null | head -n1 | awk '{print $NF}')}
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
TODAY=$(date -u +%Y-%m-%d)

REPO=$(cd "$(dirname "$0")/.." && pwd)
DB="$REPO/symbol-db"
OUT="$DB"
MODE=muslcheck
CHECK=0
SYSTEM_APT=0
KEEP=0
QUIET=0

while [ $# -gt 0 ]; do
  case "$1" in
    --readelf) MODE=readelf ;;
    --check) CHECK=1; if [ $# -ge 2 ] && [ "${2#-}" = "$2" ]; then DB=$2; shift; fi ;;
    --out) [ $# -ge 2 ] || { echo "--out needs a directory" >&2; exit 2; }; OUT=$2; shift ;;
    --system-apt) SYSTEM_APT=1 ;;
    --keep) KEEP=1 ;;
    --quiet) QUIET=1 ;;
    -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    *) echo "unknown option: $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done

say() { [ "$QUIET" = 1 ] || echo "$*" >&2; }
warn() { echo "WARNING: $*" >&2; }

# ---- --check: validate every file's format (no network) ---------------------------------------------------------
check_db() {
  local fail=0 f n
  body() { grep -v '^#' "$1" | grep -v '^[[:space:]]*$'; }
  # check FILE AWK-CONDITION-FOR-A-BAD-LINE KEY-COMMAND  (KEY-COMMAND's output must be LC_ALL=C sorted and unique)
  check() {
    local f=$1 bad=$2 key=$3 n
    [ -f "$f" ] || { echo "MISSING $f"; fail=1; return; }
    head -1 "$f" | grep -q '^#' || { echo "HEADER $f: does not start with a # comment"; fail=1; }
    iconv -f UTF-8 -t UTF-8 "$f" > /dev/null 2>&1 || { echo "ENCODING $f: not UTF-8"; fail=1; }
    n=$(body "$f" | awk "$bad { print NR \": \" \$0 }" | head -3) || true
    [ -z "$n" ] || { echo "FORMAT $f: $n"; fail=1; }
    n=$(body "$f" | eval "$key" | sort -c -u 2>&1 | head -1) || true
    [ -z "$n" ] || { echo "SORT/UNIQUE $f: $n"; fail=1; }
    [ "$QUIET" = 1 ] || printf '  %-42s %5d entries\n' "${f#"$DB"/}" "$(body "$f" | wc -l)"
  }
  local sym='!(NF == 2 && $1 ~ /^[A-Za-z_][A-Za-z0-9_.]*$/ && ($2 == "FUNC" || $2 == "OBJECT"))'
  for f in "$DB"/musl/musl-*.txt "$DB"/gcompat/gcompat-*.txt "$DB"/gcompat/libucontext-*.txt "$DB"/gcompat/musl-obstack-*.txt; do
    check "$f" "$sym" 'cut -d" " -f1'
  done
  check "$DB/gcompat/stubs.txt" 'BEGIN { FS = "\t" } !(NF == 3 && $1 ~ /^[A-Za-z_][A-Za-z0-9_]*$/ && ($2 == "warning" || $2 == "info") && $3 != "")' 'cut -f1'
  check "$DB/gcompat/loader-stub.txt" '!(($1 == "build" && NF == 7 && ($2 == "x86_64" || $2 == "aarch64") && $3 ~ /^[0-9]+$/ && $4 ~ /^0x[0-9a-f]+$/ && $5 ~ /^0x[0-9a-f]+$/ && $6 ~ /^0x[0-9a-f]+$/ && ($7 == "gcompat-1.1.0" || $7 == "standin")) || ($1 == "neighbours" && NF == 5 && $3 ~ /^0x[0-9a-f]+$/ && $4 ~ /^0x[0-9a-f]+$/ && ($5 == "measured" || $5 == "assumed")))' 'cat'
  for f in "$DB"/glibc/glibc-*.txt; do
    check "$f" '!(NF == 5 && $1 ~ /\.so/ && ($4 == "FUNC" || $4 == "OBJECT" || $4 == "IFUNC" || $4 == "TLS") && ($5 == "default" || $5 == "compat"))' 'cat'
  done
  check "$DB/loader/musl-reserved-prefixes.txt" '!(NF == 1 && $1 ~ /^lib[a-z]+\.$/)' 'cat'
  check "$DB/loader/gcompat-sonames.txt" '!(NF == 2 && $1 ~ /\.so\./ && ($2 == "x86_64" || $2 == "aarch64" || $2 == "any"))' 'cut -d" " -f1'
  check "$DB/loader/glibc-loaders.txt" '!(NF == 2 && ($1 == "x86_64" || $1 == "aarch64") && $2 ~ /^\//)' 'cat'
  check "$DB/loader/musl-loaders.txt" '!(NF == 2 && ($1 == "x86_64" || $1 == "aarch64") && $2 ~ /^\//)' 'cat'
  check "$DB/loader/glibc-only-sonames.txt" '!(NF == 1 && $1 ~ /\.so/)' 'cat'
  check "$DB/loader/lfs64.txt" '!(NF == 2 && $1 ~ /64(_r)?$/ && $2 !~ /64/)' 'cut -d" " -f1'
  check "$DB/alpine/releases.txt" '!(NF == 4 && $1 ~ /^(3\.[0-9]+|edge)$/ && $2 ~ /^[0-9]+\.[0-9]+\.[0-9]+$/ && $3 ~ /^[0-9]+\.[0-9]+\.[0-9]+$/ && ($4 == "verified" || $4 == "unverified"))' 'cut -d" " -f1'
  check "$DB/alpine/soname-packages.txt" '!(NF >= 4 && $3 == "#" && ($4 == "unverified" || $4 == "verified:") && $1 ~ /\.so/)' 'cut -d" " -f1'
  # cross-file consistency
  [ "$(body "$DB/loader/lfs64.txt" | wc -l)" -eq 60 ] || { echo "CONSISTENCY lfs64.txt: not 60 entries"; fail=1; }
  n=$(for f in "$DB"/musl/musl-1.2.[4-9]-*.txt; do
        body "$DB/loader/lfs64.txt" | while read -r a b; do
          grep -q "^$a " "$f" && echo "CONSISTENCY ${f#"$DB"/} still exports $a (removed in 1.2.4)"
          grep -q "^$b " "$f" || echo "CONSISTENCY ${f#"$DB"/} lacks $b (target of $a)"
        done
      done
      body "$DB/alpine/releases.txt" | while read -r rel m g st; do
        for a in x86_64 aarch64; do
          [ -f "$DB/musl/musl-$m-$a.txt" ] || echo "CONSISTENCY releases.txt $rel: no musl/musl-$m-$a.txt"
          [ -f "$DB/gcompat/gcompat-$g-$a.txt" ] || echo "CONSISTENCY releases.txt $rel: no gcompat/gcompat-$g-$a.txt"
        done
      done
      body "$DB/gcompat/stubs.txt" | cut -f1 | while read -r s; do
        grep -q "^$s " "$DB/gcompat/gcompat-1.1.0-x86_64.txt" || echo "CONSISTENCY stubs.txt: $s is not a gcompat export"
      done) || true
  [ -z "$n" ] || { echo "$n"; fail=1; }
  if [ "$fail" = 0 ]; then echo "symbol-db check: OK ($DB)"; else echo "symbol-db check: FAILED ($DB)"; fi
  return "$fail"
}
if [ "$CHECK" = 1 ]; then check_db; exit $?; fi

for tool in apt-get dpkg-deb comm sort awk; do
  command -v "$tool" >/dev/null || { echo "missing tool: $tool" >&2; exit 2; }
done
[ "$MODE" = readelf ] && { command -v readelf >/dev/null || { echo "missing tool: readelf (binutils)" >&2; exit 2; }; }
[ -f "$DB/loader/lfs64.txt" ] || { echo "missing $DB/loader/lfs64.txt (curated input)" >&2; exit 2; }

TMP=$(mktemp -d "${TMPDIR:-/tmp}/regen-symbol-db.XXXXXX")
cleanup() { if [ "$KEEP" = 1 ]; then echo "kept: $TMP" >&2; else rm -rf "$TMP"; fi; }
trap cleanup EXIT

# ---- apt: private state (default) or the system's ---------------------------------------------------------------
APT_OPTS=()
setup_private_apt() {
  local r="$TMP/apt" s
  [ -r "$KEYRING" ] || { warn "no $KEYRING; falling back to --system-apt"; return 1; }
  mkdir -p "$r/etc/apt/sources.list.d" "$r/etc/apt/preferences.d" "$r/etc/apt/apt.conf.d" \
           "$r/lists/partial" "$r/cache/archives/partial" "$r/dpkg"
  : > "$r/dpkg/status"
  : > "$r/etc/apt/sources.list"
  for s in $SUITES; do
    echo "deb [arch=amd64,arm64 signed-by=$KEYRING] $DEB_MIRROR $s main" >> "$r/etc/apt/sources.list"
  done
  APT_OPTS=(-o "Dir::Etc=$r/etc/apt" -o "Dir::Etc::SourceList=$r/etc/apt/sources.list"
            -o "Dir::Etc::SourceParts=$r/etc/apt/sources.list.d" -o "Dir::Etc::Parts=$r/etc/apt/apt.conf.d"
            -o "Dir::Etc::Preferences=$r/etc/apt/preferences" -o "Dir::Etc::PreferencesParts=$r/etc/apt/preferences.d"
            -o "Dir::State::Lists=$r/lists" -o "Dir::State::status=$r/dpkg/status" -o "Dir::Cache=$r/cache"
            -o "APT::Architecture=amd64" -o "APT::Architectures::=amd64" -o "APT::Architectures::=arm64"
            -o "APT::Sandbox::User=root" -o "Debug::NoLocking=1" -o "Acquire::Languages=none"
            -o "Acquire::IndexTargets::deb::DEP-11::DefaultEnabled=false")
  say "apt-get update (private state: $SUITES; amd64 arm64)"
  if ! apt-get "${APT_OPTS[@]}" -q update > "$TMP/apt-update.log" 2>&1; then
    warn "private apt-get update failed (see below); falling back to --system-apt"
    tail -5 "$TMP/apt-update.log" >&2
    APT_OPTS=()
    return 1
  fi
}
if [ "$SYSTEM_APT" = 0 ]; then setup_private_apt || SYSTEM_APT=1; fi
if [ "$SYSTEM_APT" = 1 ]; then say "using the system apt configuration (run apt-get update first if lists are stale)"; fi

# download PKG ARCH VERSION -> prints the extracted root dir, or nothing if that version is not served
mkdir -p "$TMP/debs" "$TMP/x"
download() {
  local pkg=$1 arch=$2 ver=$3 spec deb dir
  spec="$pkg:$arch=$ver"
  dir="$TMP/x/${pkg}_${ver//[:~]/_}_$arch"
  if [ -d "$dir" ]; then echo "$dir"; return 0; fi
  mkdir -p "$TMP/debs/${dir##*/}"
  if ! (cd "$TMP/debs/${dir##*/}" && apt-get "${APT_OPTS[@]}" -q download "$spec" > "$TMP/dl.log" 2>&1); then
    warn "apt does not serve $spec here ($(grep -m1 -E '^E:' "$TMP/dl.log" || echo 'download failed')); if Debian moved on, update the pins at the top of this script"
    return 0
  fi
  deb=$(ls "$TMP/debs/${dir##*/}"/*.deb 2>/dev/null | head -1)
  [ -n "$deb" ] || { warn "downloaded $spec but found no .deb"; return 0; }
  mkdir -p "$dir"
  dpkg-deb -x "$deb" "$dir"
  say "  got $spec ($(basename "$deb"))"
  echo "$dir"
}

# ---- extractors -------------------------------------------------------------------------------------------------
# readelf stand-in for `muslcheck db extract FILE`: defined (Ndx != UND) FUNC/OBJECT symbols, binding GLOBAL/WEAK.
readelf_extract() {
  readelf --dyn-syms -W "$1" | awk '
    $1 ~ /^[0-9]+:$/ && NF >= 8 && $7 != "UND" && ($4 == "FUNC" || $4 == "OBJECT") && ($5 == "GLOBAL" || $5 == "WEAK") {
      n = $8; sub(/@.*/, "", n); if (n != "") print n, $4 }' | sort -u
}
# readelf stand-in for `muslcheck db extract --glibc FILE`: library = DT_SONAME; FUNC/OBJECT/IFUNC/TLS, GLOBAL/WEAK,
# defined and not ABS (drops the version-definition marker symbols); name@@V = default, name@V = compat.
readelf_extract_glibc() {
  local soname
  soname=$(readelf -d -W "$1" | sed -n 's/.*(SONAME).*\[\(.*\)\].*/\1/p' | head -1)
  [ -n "$soname" ] || soname=$(basename "$1")
  readelf --dyn-syms -W "$1" | awk -v lib="$soname" '
    $1 ~ /^[0-9]+:$/ && NF >= 8 && $7 != "UND" && $7 != "ABS" &&
    ($4 == "FUNC" || $4 == "OBJECT" || $4 == "IFUNC" || $4 == "TLS") && ($5 == "GLOBAL" || $5 == "WEAK") {
      s = $8
      if (index(s, "@@")) { split(s, p, "@@"); kind = "default" }
      else if (index(s, "@")) { split(s, p, "@"); kind = "compat" }
      else { p[1] = s; p[2] = "-"; kind = "default" }
      print lib, p[1], p[2], $4, kind }' | sort -u
}
extract() {
  if [ "$MODE" = readelf ]; then readelf_extract "$1"
  else (cd "$REPO" && ${MUSLCHECK:-cargo run --quiet --release --} db extract "$1") | sort -u; fi
}
extract_glibc() {
  if [ "$MODE" = readelf ]; then readelf_extract_glibc "$1"
  else (cd "$REPO" && ${MUSLCHECK:-cargo run --quiet --release --} db extract --glibc "$1") | sort -u; fi
}

# ---- deltas (documented in symbol-db/README.md) -----------------------------------------------------------------
D="$TMP/delta"; mkdir -p "$D"
printf '%s FUNC\n' fts_children fts_close fts_open fts_read fts_set | sort > "$D/fts"      # Debian merges musl-fts
printf '%s FUNC\n' crypt crypt_r encrypt setkey | sort > "$D/crypt"                        # Debian 1.2.3 dropped crypt
printf '%s FUNC\n' renameat2 > "$D/renameat2"                                              # Debian 1.2.5-3 patch
grep -v '^#' "$DB/loader/lfs64.txt" | awk 'NF { print $1 }' | sort -u > "$D/lfs64.names"   # removed in 1.2.4
[ "$(wc -l < "$D/lfs64.names")" -eq 60 ] || warn "lfs64.txt has $(wc -l < "$D/lfs64.names") names, expected 60"

# expect_present LIST DELTA WHAT / expect_absent: report when a documented delta no longer applies
expect_present() { local m; m=$(comm -13 "$1" "$2" | tr '\n' ' '); [ -z "$m" ] || warn "$3: expected but missing: $m"; }
expect_absent()  { local m; m=$(comm -12 "$1" "$2" | tr '\n' ' '); [ -z "$m" ] || warn "$3: unexpectedly present: $m"; }
minus_names() { awk 'NR == FNR { drop[$1] = 1; next } !($1 in drop)' "$2" "$1"; }   # LIST minus names in FILE

# ---- writing ----------------------------------------------------------------------------------------------------
CHANGED=()
UNCHANGED=()
SKIPPED=()
# write_db REL BODYFILE DESCRIPTION: keep the existing header, replace the body, only if the body changed
write_db() {
  local rel=$1 body=$2 desc=$3 dest="$OUT/$1" new="$TMP/new.txt"
  mkdir -p "$(dirname "$dest")"
  if [ -f "$dest" ] && cmp -s <(grep -v '^#' "$dest" | grep -v '^[[:space:]]*$') "$body"; then
    UNCHANGED+=("$rel"); return 0
  fi
  {
    if [ -f "$dest" ]; then
      awk '/^#/ { print; next } { exit }' "$dest" | grep -v '^# Regenerated:'
    else
      echo "# $desc"
      echo "# Generated by scripts/regen-symbol-db.sh; see symbol-db/README.md for format and provenance."
    fi
    echo "# Regenerated: $TODAY by scripts/regen-symbol-db.sh (extractor: $MODE)."
    cat "$body"
  } > "$new"
  mv "$new" "$dest"
  CHANGED+=("$rel")
}

deb_arch() { case "$1" in x86_64) echo amd64 ;; aarch64) echo arm64 ;; esac; }
find_musl_libc() { find "$1" -name libc.so -path '*-linux-musl*' \( -type f -o -type l \) | head -1; }

# ---- musl ---------------------------------------------------------------------------------------------------------
for arch in x86_64 aarch64; do
  da=$(deb_arch "$arch")
  say "musl $arch:"
  for pair in "1.2.3 $MUSL_123" "1.2.5 $MUSL_125" "1.2.6 $MUSL_126"; do
    set -- $pair; up=$1; debver=$2
    root=$(download musl "$da" "$debver")
    raw="$TMP/musl-$up-$arch.debian"
    if [ -z "$root" ]; then : > "$raw.missing"; continue; fi
    lib=$(find_musl_libc "$root")
    [ -n "$lib" ] || { warn "no libc.so in musl $debver $da"; : > "$raw.missing"; continue; }
    extract "$(readlink -f "$lib")" > "$raw" || { echo "extractor ($MODE) failed on $lib" >&2; exit 1; }
    [ -s "$raw" ] || { warn "empty export list from $lib"; : > "$raw.missing"; rm -f "$raw"; }
  done

  # 1.2.3: Debian - fts + crypt ; 1.2.4: 1.2.3 - LFS64
  if [ -f "$TMP/musl-1.2.3-$arch.debian" ]; then
    r="$TMP/musl-1.2.3-$arch.debian"
    expect_present "$r" "$D/fts" "Debian musl $MUSL_123 $da (fts_*)"
    expect_absent "$r" "$D/crypt" "Debian musl $MUSL_123 $da (crypt)"
    comm -23 "$r" "$D/fts" | sort -u - "$D/crypt" > "$TMP/1.2.3-$arch"
    write_db "musl/musl-1.2.3-$arch.txt" "$TMP/1.2.3-$arch" "Exports of musl 1.2.3 libc.so ($arch) as upstream/Alpine build it."
    minus_names "$TMP/1.2.3-$arch" "$D/lfs64.names" > "$TMP/1.2.4-$arch"
    [ $(( $(wc -l < "$TMP/1.2.3-$arch") - $(wc -l < "$TMP/1.2.4-$arch") )) -eq 60 ] ||
      warn "1.2.4 $arch: removing LFS64 names did not remove exactly 60 lines"
    write_db "musl/musl-1.2.4-$arch.txt" "$TMP/1.2.4-$arch" "Exports of musl 1.2.4 libc.so ($arch), derived from 1.2.3 minus LFS64."
  else
    SKIPPED+=("musl/musl-1.2.3-$arch.txt (musl $MUSL_123 $da not served)" "musl/musl-1.2.4-$arch.txt (needs 1.2.3)")
  fi
  # 1.2.5: Debian - fts - renameat2
  if [ -f "$TMP/musl-1.2.5-$arch.debian" ]; then
    r="$TMP/musl-1.2.5-$arch.debian"
    expect_present "$r" "$D/fts" "Debian musl $MUSL_125 $da (fts_*)"
    expect_present "$r" "$D/renameat2" "Debian musl $MUSL_125 $da (renameat2 patch)"
    comm -23 "$r" "$D/fts" | comm -23 - "$D/renameat2" > "$TMP/1.2.5-$arch"
    write_db "musl/musl-1.2.5-$arch.txt" "$TMP/1.2.5-$arch" "Exports of musl 1.2.5 libc.so ($arch) as upstream/Alpine build it."
  else
    SKIPPED+=("musl/musl-1.2.5-$arch.txt (musl $MUSL_125 $da not served)")
  fi
  # 1.2.6: Debian - fts (renameat2 is upstream in 1.2.6)
  if [ -f "$TMP/musl-1.2.6-$arch.debian" ]; then
    r="$TMP/musl-1.2.6-$arch.debian"
    expect_present "$r" "$D/fts" "Debian musl $MUSL_126 $da (fts_*)"
    comm -23 "$r" "$D/fts" > "$TMP/1.2.6-$arch"
    write_db "musl/musl-1.2.6-$arch.txt" "$TMP/1.2.6-$arch" "Exports of musl 1.2.6 libc.so ($arch) as upstream/Alpine build it."
  else
    SKIPPED+=("musl/musl-1.2.6-$arch.txt (musl $MUSL_126 $da not served)")
  fi
done

# ---- glibc 2.41 + libxcrypt ---------------------------------------------------------------------------------------
for arch in x86_64 aarch64; do
  da=$(deb_arch "$arch")
  case "$arch" in x86_64) ld=ld-linux-x86-64.so.2 ;; aarch64) ld=ld-linux-aarch64.so.1 ;; esac
  say "glibc $arch:"
  c6=$(download libc6 "$da" "$LIBC6")
  cr=$(download libcrypt1 "$da" "$LIBCRYPT1")
  if [ -z "$c6" ] || [ -z "$cr" ]; then
    SKIPPED+=("glibc/glibc-2.41-$arch.txt (libc6 $LIBC6 / libcrypt1 $LIBCRYPT1 $da not served)"); continue
  fi
  out="$TMP/glibc-$arch"; : > "$out"; ok=1
  for so in "$ld" libc.so.6 libm.so.6 libpthread.so.0 libdl.so.2 librt.so.1 libresolv.so.2 libutil.so.1 libcrypt.so.1; do
    f=$(find "$c6" "$cr" -name "$so" -path "*/usr/lib/*-linux-gnu/*" | head -1)
    [ -n "$f" ] || { warn "glibc $arch: $so not found in the .debs"; ok=0; continue; }
    extract_glibc "$(readlink -f "$f")" >> "$out" || { echo "extractor ($MODE) failed on $f" >&2; exit 1; }
  done
  sort -u "$out" -o "$out"
  if [ "$ok" = 1 ] && [ -s "$out" ]; then
    write_db "glibc/glibc-2.41-$arch.txt" "$out" "Dynamic exports of glibc 2.41 ($arch) plus libxcrypt's libcrypt.so.1."
  else
    SKIPPED+=("glibc/glibc-2.41-$arch.txt (incomplete extraction)")
  fi
done

# ---- report -------------------------------------------------------------------------------------------------------
echo "extractor: $MODE; output: $OUT" >&2
for f in "${CHANGED[@]+"${CHANGED[@]}"}"; do echo "written:   $f" >&2; done
for f in "${UNCHANGED[@]+"${UNCHANGED[@]}"}"; do echo "unchanged: $f" >&2; done
for f in "${SKIPPED[@]+"${SKIPPED[@]}"}"; do echo "skipped:   $f" >&2; done
echo "not regenerated (curated or not from Debian): symbol-db/gcompat/* symbol-db/loader/* symbol-db/alpine/* symbol-db/README.md" >&2
if [ "$OUT" = "$DB" ] && command -v git >/dev/null && git -C "$REPO" rev-parse --git-dir >/dev/null 2>&1; then
  git -C "$REPO" diff --stat -- symbol-db/
  untracked=$(git -C "$REPO" ls-files --others --exclude-standard -- symbol-db/)
  [ -z "$untracked" ] || { echo "untracked (not in git yet):"; echo "$untracked" | sed 's/^/  /'; }
fi
