#!/bin/sh
# build.sh - rebuild every muslcheck sample binary from samples/src/ into samples/bin/.
#
# Needed Debian 12 packages (installing them is NOT this script's job):
#   gcc g++ binutils musl-tools        (gcc/g++ for glibc, musl-gcc for musl)
#   libcrypt-dev zlib1g-dev            (uses-crypt, needs-zlib)
#   gcc-multilib                       (hello-i386; skipped if `gcc -m32` cannot link)
#   gcc-aarch64-linux-gnu libc6-dev-arm64-cross
#                                      (hello-glibc-aarch64, hello-aarch64-nolibc; skipped if absent)
#   gcc-riscv64-linux-gnu              (hello-riscv64; skipped if absent)
# Run `apt-get update` first; gcc-aarch64-linux-gnu is not installable from a stale list.
#
# Usage: sh samples/build.sh        (from anywhere; idempotent: every output is rebuilt
#                                    from scratch and overwritten; nothing else is touched)
#
# Flags are fixed and explicit so that the import sets do not depend on distribution
# defaults (Ubuntu's gcc, for instance, enables _FORTIFY_SOURCE and stack protector):
# every sample is stripped (-s), has no debug info (-g0), and only the samples that are
# about fortify define _FORTIFY_SOURCE.
set -eu

cd "$(dirname "$0")"
SRC=src
OUT=bin
mkdir -p "$OUT"

CC=${CC:-gcc}
CXX=${CXX:-g++}
MUSLCC=${MUSLCC:-musl-gcc}
AARCH64CC=${AARCH64CC:-aarch64-linux-gnu-gcc}

# Common flags: no fortify, no stack protector, no debug info, stripped, and
# -z noseparate-code (one R+X segment instead of page-padded R / R+X / R segments:
# same dynamic contents, ~6 KB instead of ~14 KB per file).
SMALL="-g0 -s -Wl,-z,noseparate-code"
BASE="$SMALL -U_FORTIFY_SOURCE -fno-stack-protector"
EXE="-fPIE -pie"
LIB="-fPIC -shared"

run() {
    echo "+ $*"
    "$@"
}

built=""
skipped=""
ok() { built="$built $1"; }
skip() { echo "!! skipping $1: $2" >&2; skipped="$skipped $1"; }

# --- native on Alpine -----------------------------------------------------------
run "$MUSLCC" $BASE -O2 $EXE -o "$OUT/hello-musl" "$SRC/hello.c" && ok hello-musl
run "$MUSLCC" $BASE -O2 -static -o "$OUT/hello-musl-static" "$SRC/hello.c" && ok hello-musl-static
run "$CC" $BASE -O2 -static -o "$OUT/hello-static-glibc" "$SRC/hello.c" && ok hello-static-glibc
run "$CC" $BASE -O2 $LIB -o "$OUT/plugin-native.so" "$SRC/plugin-native.c" && ok plugin-native.so
run "$CC" $BASE -O0 -D_LARGEFILE64_SOURCE $LIB -o "$OUT/liblfs64.so" "$SRC/liblfs64.c" && ok liblfs64.so

# --- glibc executables that run with gcompat -------------------------------------
run "$CC" $BASE -O0 $EXE -o "$OUT/hello-glibc" "$SRC/hello.c" && ok hello-glibc
run "$CC" $SMALL -fno-stack-protector -O2 -D_FORTIFY_SOURCE=2 $EXE -o "$OUT/fortify" "$SRC/fortify.c" && ok fortify
run "$CC" $BASE -O2 $EXE -o "$OUT/error-stub" "$SRC/error-stub.c" && ok error-stub
run "$CC" $BASE -O2 $EXE -o "$OUT/uses-crypt" "$SRC/uses-crypt.c" -lcrypt && ok uses-crypt
run "$CC" $BASE -O2 $EXE -Wl,-z,pack-relative-relocs -o "$OUT/relr" "$SRC/relr.c" && ok relr
run "$CXX" $BASE -O2 $EXE -o "$OUT/hello-cxx" "$SRC/hello-cxx.cc" && ok hello-cxx
run "$CC" $BASE -O2 $EXE -o "$OUT/weak-missing" "$SRC/weak-missing.c" && ok weak-missing
run "$CC" $BASE -O2 $EXE -o "$OUT/needs-zlib" "$SRC/needs-zlib.c" -lz && ok needs-zlib
run "$CC" $SMALL -fno-stack-protector -O2 -D_FORTIFY_SOURCE=2 $LIB -o "$OUT/plugin-fortify.so" "$SRC/plugin-fortify.c" && ok plugin-fortify.so

# --- must be rebuilt --------------------------------------------------------------
run "$CC" $BASE -O2 -D_FILE_OFFSET_BITS=64 $EXE -o "$OUT/fcntl64" "$SRC/fcntl64.c" && ok fcntl64
run "$CC" $BASE -O2 $EXE -o "$OUT/res-init" "$SRC/res-init.c" && ok res-init
run "$CC" $BASE -O2 $EXE -o "$OUT/ifunc-local" "$SRC/ifunc-local.c" && ok ifunc-local
run "$CC" $BASE -O2 $LIB -o "$OUT/libifunc.so" "$SRC/libifunc.c" && ok libifunc.so
# Link against glibc's loader itself so that DT_NEEDED ld-linux-x86-64.so.2 appears.
# --no-as-needed guards against toolchains that default to --as-needed.
# glibc-private: -fPIC code, so _dl_argv is an undefined symbol (GOT, GLOB_DAT);
# glibc-private-copy: default -fPIE code, so _dl_argv gets an R_X86_64_COPY relocation.
run "$CC" $BASE -O2 -fPIC -pie -o "$OUT/glibc-private" "$SRC/glibc-private.c" \
    -Wl,--no-as-needed /lib64/ld-linux-x86-64.so.2 && ok glibc-private
run "$CC" $BASE -O2 $EXE -o "$OUT/glibc-private-copy" "$SRC/glibc-private.c" \
    -Wl,--no-as-needed /lib64/ld-linux-x86-64.so.2 && ok glibc-private-copy

# --- other architectures ------------------------------------------------------------
if command -v "$AARCH64CC" >/dev/null 2>&1; then
    # max-page-size=4096 (Alpine's aarch64 kernels use 4 KiB pages) avoids 64 KiB padding.
    run "$AARCH64CC" $BASE -Wl,-z,max-page-size=4096 -O2 $EXE -o "$OUT/hello-glibc-aarch64" "$SRC/hello.c" && ok hello-glibc-aarch64
    run "$AARCH64CC" $SMALL -Wl,-z,max-page-size=4096 -O2 -ffreestanding -fno-stack-protector -static -nostdlib -fno-PIE -no-pie \
        -o "$OUT/hello-aarch64-nolibc" "$SRC/hello-aarch64-nolibc.c" && ok hello-aarch64-nolibc
else
    skip "hello-glibc-aarch64 hello-aarch64-nolibc" "$AARCH64CC not found"
fi
RISCVCC=${RISCVCC:-riscv64-linux-gnu-gcc}
if command -v "$RISCVCC" >/dev/null 2>&1; then
    # A glibc riscv64 program: an architecture muslcheck does not judge (unsupported-arch).
    run "$RISCVCC" $BASE -O2 $EXE -o "$OUT/hello-riscv64" "$SRC/hello.c" && ok hello-riscv64
else
    skip hello-riscv64 "$RISCVCC not found (gcc-riscv64-linux-gnu)"
fi
if echo 'int main(void){return 0;}' | "$CC" -m32 -x c -o /dev/null - >/dev/null 2>&1; then
    run "$CC" $BASE -O2 -m32 $EXE -o "$OUT/hello-i386" "$SRC/hello.c" && ok hello-i386
else
    skip hello-i386 "gcc -m32 cannot link (install gcc-multilib)"
fi

# --- a vendor bundle: bin/ + lib/ resolved through RUNPATH $ORIGIN/../lib (closure) ----
V=vendor
mkdir -p "$V/bin" "$V/lib"
run "$CC" $BASE -O2 -D_FILE_OFFSET_BITS=64 $LIB -Wl,-soname,libbundled.so.1 -o "$V/lib/libbundled.so.1.0" "$SRC/vendor-bundled.c" && ok vendor/lib/libbundled.so.1.0
run ln -sf libbundled.so.1.0 "$V/lib/libbundled.so.1"
run "$CC" $BASE -O2 $LIB -Wl,-soname,libok.so -o "$V/lib/libok.so" "$SRC/vendor-ok.c" && ok vendor/lib/libok.so
run "$CC" $BASE -O2 $EXE -o "$V/bin/tool" "$SRC/vendor-tool.c" -L"$V/lib" -l:libbundled.so.1 -l:libok.so \
    -Wl,--enable-new-dtags,-rpath,'$ORIGIN/../lib' && ok vendor/bin/tool

# --- not ELF / broken ELF -------------------------------------------------------------
echo "+ printf ... > $OUT/not-elf.txt"
printf 'This is a plain text file, not an ELF binary.\nmuslcheck must skip it.\n' > "$OUT/not-elf.txt"
ok not-elf.txt
echo "+ head -c 200 $OUT/hello-glibc > $OUT/truncated-elf"
head -c 200 "$OUT/hello-glibc" > "$OUT/truncated-elf"
ok truncated-elf

echo "built:$built"
[ -z "$skipped" ] || echo "skipped:$skipped"
