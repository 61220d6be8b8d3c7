/* libifunc.c - a shared library (-fPIC -shared) that EXPORTS an STT_GNU_IFUNC symbol
 * `lib_add` and does not use it itself. musl's symbol lookup ignores IFUNC
 * definitions, so whoever imports lib_add gets "symbol not found":
 * ifunc-export -> rebuild. */
static int lib_add_impl(int a, int b) { return a + b; }

static int (*resolve_lib_add(void))(int, int)
{
    return lib_add_impl;
}

int lib_add(int a, int b) __attribute__((ifunc("resolve_lib_add")));
