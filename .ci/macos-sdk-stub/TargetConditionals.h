/* The one SDK header ring's C code needs to be *checked* for macOS on Linux (.ci/platforms:
   cargo check/clippy for x86_64- and aarch64-apple-darwin with clang -ffreestanding). Not a
   real SDK: nothing is linked against it. */
#define TARGET_OS_MAC 1
#define TARGET_OS_OSX 1
#define TARGET_OS_IPHONE 0
