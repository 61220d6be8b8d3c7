/* ifunc-local.c - an executable (PIE) that defines a GNU indirect function and calls
 * it itself. The linker resolves the local call through an R_X86_64_IRELATIVE
 * relocation, which musl's loader rejects ("unsupported relocation type 37"):
 * unsupported-relocation -> rebuild (gcompat cannot help). */
#include <stdio.h>

static int add_generic(int a, int b) { return a + b; }
static int add_other(int a, int b) { return b + a; }

/* The resolver runs at relocation time, before main. */
static int (*resolve_add(void))(int, int)
{
    return sizeof(void *) == 8 ? add_generic : add_other;
}

int add(int a, int b) __attribute__((ifunc("resolve_add")));

int main(int argc, char **argv)
{
    (void)argv;
    printf("add=%d\n", add(argc, 41));
    return 0;
}
