# The browser build (Emscripten), included by the top-level CMakeLists.txt
# when EMSCRIPTEN is set: src/core and src/client unchanged, src/web as the
# transport (the browser's WebSocket through emscripten/websocket.h), the C
# API as a static library, and the browser test (tests/web). The server,
# the native transport and the native tests are not built here.
set(TETHER_BUILD_TESTS OFF)
set(TETHER_BUILD_BENCH OFF)
set(TETHER_BUILD_STATIC OFF)  # the tether target below is static here anyway
set(TETHER_INSTALL OFF)

# RapidJSON is header-only, but Debian installs it in /usr/include, which a
# cross build must not search: glibc's headers there would shadow
# Emscripten's. Expose rapidjson/ alone through a directory of its own.
find_path(TETHER_RAPIDJSON_ROOT rapidjson/document.h PATHS /usr/include /usr/local/include
          NO_DEFAULT_PATH NO_CMAKE_FIND_ROOT_PATH)
if(NOT TETHER_RAPIDJSON_ROOT)
  message(FATAL_ERROR "the browser build needs RapidJSON's headers (Debian: rapidjson-dev)")
endif()
set(tether_web_include ${CMAKE_BINARY_DIR}/web-include)
file(MAKE_DIRECTORY ${tether_web_include})
if(NOT EXISTS ${tether_web_include}/rapidjson)
  file(CREATE_LINK ${TETHER_RAPIDJSON_ROOT}/rapidjson ${tether_web_include}/rapidjson SYMBOLIC)
endif()
set(RAPIDJSON_INCLUDE_DIRS ${tether_web_include})

# No threads in this build (the engine runs in IoMode::Pump): src/client's
# Threads::Threads is nothing here, and std::mutex is Emscripten's no-op stub.
add_library(Threads::Threads INTERFACE IMPORTED)

add_subdirectory(src/core)        # without HS256 and libcrypto: the client only reads claims
add_subdirectory(src/web)         # tether_transport, the browser's WebSocket; core's base64
add_subdirectory(src/client)
add_subdirectory(src/capi)        # libtether.a (Emscripten has no shared libraries)
add_subdirectory(tests/web)
