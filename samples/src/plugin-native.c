/* plugin-native.c - a glibc-built shared library (-fPIC -shared, no fortify) whose
 * imports are all plain C functions that musl has: strlen, malloc, snprintf.
 * No PT_INTERP, no glibc-only symbol: native. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *plugin_greet(const char *who)
{
    size_t n = strlen(who) + 16;
    char *s = malloc(n);
    if (s)
        snprintf(s, n, "hello, %s", who);
    return s;
}
