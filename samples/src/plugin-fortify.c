/* plugin-fortify.c - a glibc-built shared library compiled with -O2
 * -D_FORTIFY_SOURCE=2: sprintf into a fixed buffer becomes __sprintf_chk and
 * memcpy with a run-time length becomes __memcpy_chk. Both come only from
 * libgcompat: gcompat-symbol. A library has no PT_INTERP, so the fix is
 * `patchelf --add-needed libgcompat.so.0` (or LD_PRELOAD it). */
#include <stdio.h>
#include <string.h>

static char last[64];

const char *plugin_format(int v, const char *tag, size_t taglen)
{
    char tmp[32];
    if (taglen >= sizeof tmp)
        taglen = sizeof tmp - 1;
    memcpy(tmp, tag, taglen);
    tmp[taglen] = '\0';
    sprintf(last, "%s=%d", tmp, v);
    return last;
}
