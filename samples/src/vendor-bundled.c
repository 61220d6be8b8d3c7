/* vendor/lib/libbundled.so.1.0 (soname libbundled.so.1): calls fcntl, which glibc 2.28+
 * headers turn into fcntl64 with -D_FILE_OFFSET_BITS=64: neither musl nor gcompat has it. */
#include <fcntl.h>
int bundled_lock(int fd) { return fcntl(fd, F_GETFD); }
