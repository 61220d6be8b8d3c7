/* fcntl64.c - built with gcc -D_FILE_OFFSET_BITS=64.
 * With 64-bit file offsets glibc (>= 2.28) headers redirect fcntl() to
 * fcntl64@GLIBC_2.28. musl has no fcntl64 (it is not in musl's LFS64 remap list
 * either) and gcompat does not provide it: missing-symbol -> rebuild.
 * Nothing else in here touches file offsets, so fcntl64 is the only problem. */
#include <fcntl.h>
#include <stdio.h>

int main(void)
{
    int fl = fcntl(0, F_GETFL);
    puts(fl < 0 ? "fcntl failed" : "fcntl ok");
    return 0;
}
