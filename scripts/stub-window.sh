#!/usr/bin/env bash
# Derive the window of a gcompat-style loader stub (a musl static-pie) from the binary, as a
# `build` line of symbol-db/gcompat/loader-stub.txt.
#
# When the stub runs as a program's PT_INTERP, musl's static_init_tls (src/env/__init_tls.c)
# copies the *program's* PT_TLS.p_filesz bytes from
#   stub base + (stub PT_DYNAMIC.p_vaddr) - (program PT_DYNAMIC.p_vaddr - program PT_TLS.p_vaddr)
# so what matters is where the stub's _DYNAMIC lies inside the run of pages the kernel maps for
# the stub. That run is computed here for one page size: segments are mapped page by page, and a
# page-sized hole between two PT_LOADs (64 KiB-aligned aarch64 links on a 4 KiB-page kernel) is
# left unmapped.
#
# usage: scripts/stub-window.sh STUB ARCH PAGE-SIZE NOTE...
# prints: build ARCH PAGE DYNAMIC LO HI NOTE...
#   DYNAMIC  PT_DYNAMIC.p_vaddr (= _DYNAMIC's offset from the load base; the symbol may be stripped)
#   LO, HI   the mapped run [LO, HI) that contains DYNAMIC, as offsets from the load base
set -euo pipefail
[ $# -ge 4 ] || { echo "usage: $0 STUB ARCH PAGE-SIZE NOTE..." >&2; exit 2; }
stub=$1 arch=$2 page=$(( $3 ))
shift 3
hdr=$(LC_ALL=C readelf -hlW "$stub")
type=$(awk '/^  Type:/{print $2}' <<<"$hdr")
[ "$type" = DYN ] || { echo "$stub: not ET_DYN ($type): not a static-pie" >&2; exit 1; }
if grep -q '^  INTERP' <<<"$hdr"; then
  echo "$stub: has PT_INTERP: not a static-pie (musl-gcc's specs drop -static-pie)" >&2
  exit 1
fi
dyn=$(awk '$1=="DYNAMIC"{print $3}' <<<"$hdr")
[ -n "$dyn" ] || { echo "$stub: no PT_DYNAMIC" >&2; exit 1; }
dyn=$(( dyn ))
# Page ranges of the PT_LOADs, sorted by start.
ranges=$(awk '$1=="LOAD"{print $3, $6}' <<<"$hdr" | while read -r vaddr memsz; do
  s=$(( vaddr / page * page )); e=$(( (vaddr + memsz + page - 1) / page * page ))
  echo "$s $e"
done | sort -n)
lo=-1 hi=-1
while read -r s e; do
  if (( hi >= 0 && s <= hi )); then (( e > hi )) && hi=$e
  else
    (( lo >= 0 && dyn >= lo && dyn < hi )) && break
    lo=$s hi=$e
  fi
done <<<"$ranges"
(( dyn >= lo && dyn < hi )) || { echo "$stub: PT_DYNAMIC outside every PT_LOAD" >&2; exit 1; }
printf 'build %s %d 0x%x 0x%x 0x%x %s\n' "$arch" "$page" "$dyn" "$lo" "$hi" "$*"
