/* fortify.c - built with gcc -O2 -D_FORTIFY_SOURCE=2.
 * printf with a format becomes __printf_chk, and memcpy into a fixed-size buffer
 * with a length the compiler cannot bound becomes __memcpy_chk (which aborts if
 * argv[1] is longer than 31 bytes: that is fortify doing its job). Neither name
 * exists in musl; both are provided by libgcompat (gcompat-symbol), so the program
 * runs with gcompat. */
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
    char buf[32] = "";
    if (argc > 1)
        memcpy(buf, argv[1], strlen(argv[1]) + 1);
    printf("argc=%d arg=%s\n", argc, buf);
    return 0;
}
