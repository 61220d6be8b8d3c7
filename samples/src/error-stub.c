/* error-stub.c - calls glibc's error(3) with a non-zero status, built -O2.
 * gcompat provides error() but as a stub that prints and never exits, while the
 * compiled code treats error(1, ...) as noreturn: gcompat-stub (loads with gcompat,
 * misbehaves at run time). */
#include <error.h>
#include <stdio.h>

int main(int argc, char **argv)
{
    (void)argv;
    if (argc > 5)
        error(1, 0, "too many arguments (%d)", argc);
    puts("ok");
    return 0;
}
