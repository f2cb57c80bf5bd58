# Debian packages with CPack (packaging/README.md): `cpack -G DEB` in a
# build tree configured with -DCMAKE_BUILD_TYPE=Release makes
#   libweft-dev  the headers, libweft.a, the CMake package and weft.pc
#                (install component `dev`: src/CMakeLists.txt's rules)
#   rotated      the daemon in /usr/sbin, its systemd unit, man page and
#                example configurations (component `rotated`:
#                examples/rotated/CMakeLists.txt)
# Their dependencies come from dpkg-shlibdeps (rotated) and the backend
# (libweft-dev with WEFT_CONTEXT=boost needs libboost-context-dev).
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME weft)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_VENDOR "weft")
set(CPACK_PACKAGE_CONTACT "weft maintainers <weft-maintainers@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${PROJECT_DESCRIPTION}")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_ALL dev)
if(WEFT_BUILD_EXAMPLES)
  list(APPEND CPACK_COMPONENTS_ALL rotated)
endif()
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_RELEASE 1)

set(CPACK_DEBIAN_DEV_PACKAGE_NAME libweft-dev)
set(CPACK_DEBIAN_DEV_PACKAGE_SECTION libdevel)
# Description: the first line is the synopsis, the rest the long text.
string(CONCAT CPACK_DEBIAN_DEV_DESCRIPTION
       "stackful coroutines for C++20 (development files)\n"
       "Fibers, generators and an asyncio-style event loop: the static library,\n"
       "its headers, CMake package (find_package(weft)) and pkg-config file.")
if(WEFT_CONTEXT STREQUAL "boost")
  set(CPACK_DEBIAN_DEV_PACKAGE_DEPENDS "libboost-context-dev")
endif()

set(CPACK_DEBIAN_ROTATED_PACKAGE_NAME rotated)
set(CPACK_DEBIAN_ROTATED_PACKAGE_SECTION admin)
set(CPACK_DEBIAN_ROTATED_PACKAGE_SHLIBDEPS ON)
string(CONCAT CPACK_DEBIAN_ROTATED_DESCRIPTION
       "file-rotation daemon built on weft\n"
       "Rotates files by interval, local calendar time and size, keeping K versions,\n"
       "crash-safe and hardened for running as root; reads logrotate configuration\n"
       "with --import-logrotate.")
include(CPack)
