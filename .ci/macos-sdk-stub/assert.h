/* Stand-in for the macOS SDK's assert.h, for checking C dependencies (blake3) on Linux only. */
#define assert(x) ((void)0)
