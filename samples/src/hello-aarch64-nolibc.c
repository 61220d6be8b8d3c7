/* hello-aarch64-nolibc.c - a static aarch64 program without any libc
 * (-static -nostdlib -ffreestanding): raw write/exit_group system calls.
 * No PT_INTERP, no dynamic section: native on aarch64 Alpine. */
static long sys3(long n, long a, long b, long c)
{
    register long x8 __asm__("x8") = n;
    register long x0 __asm__("x0") = a;
    register long x1 __asm__("x1") = b;
    register long x2 __asm__("x2") = c;
    __asm__ volatile("svc 0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2) : "memory");
    return x0;
}

void _start(void)
{
    static const char msg[] = "hello\n";
    sys3(64 /* write */, 1, (long)msg, sizeof msg - 1);
    sys3(94 /* exit_group */, 0, 0, 0);
    for (;;) { }
}
