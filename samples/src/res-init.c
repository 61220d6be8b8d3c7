/* res-init.c - calls res_init(), which glibc's <resolv.h> #defines to __res_init.
 * __res_init is in neither musl nor gcompat: missing-symbol -> rebuild. */
#include <netinet/in.h>
#include <resolv.h>
#include <stdio.h>

int main(void)
{
    int r = res_init();
    puts(r == 0 ? "res_init ok" : "res_init failed");
    return 0;
}
