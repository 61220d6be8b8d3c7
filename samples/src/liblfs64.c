/* liblfs64.c - a glibc-built shared library using the explicit LFS64 API
 * (-D_LARGEFILE64_SOURCE): open64, stat64 and lseek64. musl 1.2.3 exports these
 * names; musl >= 1.2.4 no longer exports them but its loader remaps <name>64 to
 * <name> at relocation time: lfs64-remap (info only). All other imports are plain
 * musl functions, so the library is native. */
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

long long lfs_size(const char *path)
{
    struct stat64 st;
    if (stat64(path, &st) != 0)
        return -1;
    return (long long)st.st_size;
}

long long lfs_end(const char *path)
{
    int fd = open64(path, O_RDONLY);
    if (fd < 0)
        return -1;
    off64_t end = lseek64(fd, 0, SEEK_END);
    close(fd);
    return (long long)end;
}
