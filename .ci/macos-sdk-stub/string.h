/* Stand-in for the macOS SDK's string.h, for checking C dependencies (blake3) on Linux only. */
#include <stddef.h>
void *memcpy(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
