# Cross build for Linux/Android-class ARM64 with Debian's gcc-aarch64-linux-gnu
# (scripts/cross-arm64.sh). Target libraries come from Debian multiarch
# (libssl-dev:arm64 in /usr/lib/aarch64-linux-gnu); the header-only
# dependencies (websocketpp, Asio, RapidJSON, Catch2) are the native packages
# in /usr/include, which are architecture-independent.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)
set(CMAKE_LIBRARY_ARCHITECTURE aarch64-linux-gnu)

# Search the host's root (multiarch), but never its x86-64 library directory:
# find_library looks in lib/aarch64-linux-gnu through CMAKE_LIBRARY_ARCHITECTURE.
set(CMAKE_IGNORE_PATH /usr/lib/x86_64-linux-gnu /lib/x86_64-linux-gnu)
# FindOpenSSL takes hints from pkg-config: make it report the arm64 .pc files.
set(ENV{PKG_CONFIG_LIBDIR} /usr/lib/aarch64-linux-gnu/pkgconfig:/usr/share/pkgconfig)

# Android (15+) requires 16 KB page alignment of every LOAD segment; GNU ld's
# aarch64 default is 64 KB. scripts/cross-arm64.sh checks the program headers.
set(CMAKE_SHARED_LINKER_FLAGS_INIT "-Wl,-z,max-page-size=16384")
set(CMAKE_MODULE_LINKER_FLAGS_INIT "-Wl,-z,max-page-size=16384")
set(CMAKE_EXE_LINKER_FLAGS_INIT "-Wl,-z,max-page-size=16384")

# Test binaries (and Catch's test discovery at build time) run under qemu-user.
# LD_LIBRARY_PATH: the cross loader with the cross libc, not multiarch's
# libc6:arm64 (a different glibc build; mixed, pthread_create hangs).
set(CMAKE_CROSSCOMPILING_EMULATOR qemu-aarch64 -L /usr/aarch64-linux-gnu -E LD_LIBRARY_PATH=/usr/aarch64-linux-gnu/lib)
