/* glibc-private.c - reads _dl_argv, a GLIBC_PRIVATE data object of glibc's dynamic
 * loader, and is linked against /lib64/ld-linux-x86-64.so.2 so that DT_NEEDED
 * contains ld-linux-x86-64.so.2. Exercises glibc-private (neither musl nor gcompat
 * defines _dl_argv: rebuild) and gcompat-library (ld-linux-x86-64.so.2).
 * Built twice by build.sh:
 *   glibc-private       compiled -fPIC: _dl_argv is an UNDEFINED .dynsym entry,
 *                       reached through the GOT (R_X86_64_GLOB_DAT).
 *   glibc-private-copy  compiled -fPIE (gcc's default for executables): gcc uses a
 *                       copy relocation, so _dl_argv@GLIBC_PRIVATE appears as a
 *                       DEFINED OBJECT in the executable's .bss with an
 *                       R_X86_64_COPY relocation. It is still an import: musl looks
 *                       COPY symbols up in the other objects and fails the same way. */
#include <stdio.h>

extern char **_dl_argv;

int main(void)
{
    puts(_dl_argv && _dl_argv[0] ? _dl_argv[0] : "(no _dl_argv)");
    return 0;
}
