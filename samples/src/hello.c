/* hello.c - the plainest program: one puts() call, nothing glibc-specific.
 * Built several ways by build.sh:
 *   hello-musl          musl-gcc, dynamic      -> PT_INTERP /lib/ld-musl-x86_64.so.1 (native)
 *   hello-musl-static   musl-gcc -static       -> no PT_INTERP, no dynamic section (native)
 *   hello-static-glibc  gcc -static            -> no PT_INTERP; glibc's self-applied IRELATIVE
 *                                                 relocs in .rela.plt must NOT be reported
 *   hello-glibc         gcc -O0 -U_FORTIFY_SOURCE, dynamic -> only glibc-loader
 *   truncated-elf       first 200 bytes of hello-glibc (parse error case)
 *   hello-glibc-aarch64 aarch64-linux-gnu-gcc  -> glibc-loader on aarch64
 *   hello-i386          gcc -m32               -> unsupported-arch
 */
#include <stdio.h>

int main(void)
{
    puts("hello");
    return 0;
}
