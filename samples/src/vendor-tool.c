/* vendor/bin/tool: a glibc program that loads libraries bundled beside it through
 * RUNPATH $ORIGIN/../lib (closure test). Its own imports are fine under gcompat; one bundled
 * library (libbundled.so.1, reached through a symlink) calls fcntl64, so the bundle is rebuild. */
#include <stdio.h>
int bundled_lock(int fd);
int ok_answer(void);
int main(void) { printf("%d\n", bundled_lock(0) + ok_answer()); return 0; }
