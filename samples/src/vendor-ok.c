/* vendor/lib/libok.so: a bundled library that musl can load as it is. */
int ok_answer(void) { return 42; }
