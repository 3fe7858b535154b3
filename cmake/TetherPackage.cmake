# Install rules for what is not a library target, and the CMake package:
#   find_package(tether CONFIG REQUIRED)
#   target_link_libraries(app PRIVATE tether::tether)         # libtether.so
#   target_link_libraries(app PRIVATE tether::tether_static)  # libtether.a
# The library targets install themselves (src/capi, src/server); this file
# writes tetherConfig.cmake, tetherConfigVersion.cmake and the target files.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(TETHER_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/tether)

# The shared and the static library go into separate target files: the
# static one needs OpenSSL and Threads found first (tetherConfig.cmake.in).
install(EXPORT tether-targets NAMESPACE tether:: DESTINATION ${TETHER_CMAKE_DIR}
        FILE tether-targets.cmake)
if(TETHER_BUILD_STATIC)
  install(EXPORT tether-static-targets NAMESPACE tether:: DESTINATION ${TETHER_CMAKE_DIR}
          FILE tether-static-targets.cmake)
endif()

configure_package_config_file(${CMAKE_CURRENT_LIST_DIR}/tetherConfig.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/tetherConfig.cmake
  INSTALL_DESTINATION ${TETHER_CMAKE_DIR})
# 0.x keeps the ABI within a major version (struct_size, append-only enums),
# as the SONAME (libtether.so.0) says.
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/tetherConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMajorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/tetherConfig.cmake ${CMAKE_CURRENT_BINARY_DIR}/tetherConfigVersion.cmake
        DESTINATION ${TETHER_CMAKE_DIR})
