# Windows x64 from Linux with Debian's mingw-w64 (scripts/cross-windows.sh).
# The POSIX thread model (the -posix compilers): Asio and the engine use
# std::thread, which the win32 model's libstdc++ lacks in GCC 12.
#
#   cmake -DCMAKE_TOOLCHAIN_FILE=cmake/toolchains/mingw-w64-x86_64.cmake \
#         -DOPENSSL_ROOT_DIR=<mingw OpenSSL prefix> ...
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86_64)
set(TETHER_MINGW_TRIPLE x86_64-w64-mingw32)
set(CMAKE_C_COMPILER ${TETHER_MINGW_TRIPLE}-gcc-posix)
set(CMAKE_CXX_COMPILER ${TETHER_MINGW_TRIPLE}-g++-posix)
set(CMAKE_RC_COMPILER ${TETHER_MINGW_TRIPLE}-windres)

# Libraries and headers from the mingw sysroot and the cross-built OpenSSL
# only, never the build machine's; programs (perl, pkg-config) from the host.
set(CMAKE_FIND_ROOT_PATH /usr/${TETHER_MINGW_TRIPLE})
if(OPENSSL_ROOT_DIR)
  list(APPEND CMAKE_FIND_ROOT_PATH ${OPENSSL_ROOT_DIR})
endif()
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
set(OPENSSL_USE_STATIC_LIBS TRUE)

# The mingw runtime linked in (libgcc, libstdc++, winpthread), so the DLL and
# the programs import system DLLs only and ship alone.
set(CMAKE_SHARED_LINKER_FLAGS_INIT "-static -static-libgcc -static-libstdc++")
set(CMAKE_MODULE_LINKER_FLAGS_INIT "-static -static-libgcc -static-libstdc++")
set(CMAKE_EXE_LINKER_FLAGS_INIT "-static -static-libgcc -static-libstdc++")

# Tests run the .exe files under wine64 (ctest, try_run).
find_program(TETHER_WINE NAMES wine64 wine)
if(TETHER_WINE)
  set(CMAKE_CROSSCOMPILING_EMULATOR ${TETHER_WINE})
endif()
