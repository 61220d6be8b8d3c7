/* needs-zlib.c - links -lz, so DT_NEEDED has libz.so.1: an ordinary library that
 * Alpine ships (apk add zlib): needs-package, on top of the glibc PT_INTERP. */
#include <stdio.h>
#include <zlib.h>

int main(void)
{
    printf("zlib %s\n", zlibVersion());
    return 0;
}
