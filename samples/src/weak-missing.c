/* weak-missing.c - declares __res_init as a WEAK undefined symbol and calls it only
 * when it resolved. Neither musl nor gcompat defines __res_init, but a weak
 * undefined reference resolves to 0 and never stops musl's loader: the only finding
 * is glibc-loader (no missing-symbol). */
#include <stdio.h>

extern int __res_init(void) __attribute__((weak));

int main(void)
{
    if (__res_init)
        puts(__res_init() == 0 ? "__res_init ok" : "__res_init failed");
    else
        puts("__res_init not available");
    return 0;
}
