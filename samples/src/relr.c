/* relr.c - a PIE linked with -Wl,-z,pack-relative-relocs so that its relative
 * relocations live in a DT_RELR table. The table of string pointers below needs
 * relative relocations. musl >= 1.2.4 applies DT_RELR; musl 1.2.3 silently ignores
 * it, leaving the pointers unrelocated (crash): dt-relr. */
#include <stdio.h>

static const char *const words[] = { "alpha", "beta", "gamma", "delta", "epsilon" };
static const char *const *const table[] = { &words[0], &words[2], &words[4] };

int main(int argc, char **argv)
{
    const unsigned n = sizeof table / sizeof table[0];
    (void)argv;
    /* index depends on argc so the compiler cannot fold the tables away */
    for (unsigned i = 0; i < n; i++)
        puts(*table[(i + (unsigned)argc) % n]);
    return 0;
}
