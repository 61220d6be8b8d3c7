/* uses-crypt.c - calls crypt(3) and links -lcrypt (libxcrypt), so DT_NEEDED has
 * libcrypt.so.1. On Alpine that name is only provided by gcompat's symlink to
 * libgcompat.so.0 (musl itself has crypt): gcompat-library. */
#include <crypt.h>
#include <stdio.h>

int main(void)
{
    const char *h = crypt("password", "ab");
    puts(h ? h : "crypt failed");
    return 0;
}
