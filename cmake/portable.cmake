# The pip wheel (`--target wheel`) and the npm package (`--target npm-package`), in build/dist/: the program
# liveproxy, linked so that it runs where none of our libraries' Debian packages are installed, as ruff's and
# esbuild's packages do. libstdc++, libgcc, OpenSSL, zlib, brotli, zstd and jemalloc come from their static
# archives (Debian's -dev packages ship them); simdjson, which Debian ships only as a shared library, is
# copied beside the binary and found through an $ORIGIN run path, the layout auditwheel gives a wheel; so is
# libqrencode (no static archive in Debian either).
# glibc stays shared; the wheel's tag names the glibc version the binary's symbols really need.
if(LIVEPROXY_SANITIZE)
  return()  # a sanitized build ships nothing
endif()

set(portable_archives)
# Order matters to the linker: a library before those it uses (ssl before crypto, brotlidec before common).
foreach(name ssl crypto z brotlidec brotlicommon zstd jemalloc_pic)
  find_library(LIVEPROXY_STATIC_${name} NAMES lib${name}.a)
  if(NOT LIVEPROXY_STATIC_${name})
    message(STATUS "The wheel and npm-package targets are unavailable: lib${name}.a not found")
    return()
  endif()
  list(APPEND portable_archives ${LIVEPROXY_STATIC_${name}})
endforeach()

find_file(LIVEPROXY_QRENCODE_SO libqrencode.so.4 PATHS ${QRENCODE_LIBRARY_DIRS} /usr/lib/${CMAKE_LIBRARY_ARCHITECTURE})
if(NOT LIVEPROXY_QRENCODE_SO)
  message(STATUS "The wheel and npm-package targets are unavailable: libqrencode.so.4 not found")
  return()
endif()

set(portable_dir ${PROJECT_BINARY_DIR}/portable)
add_executable(liveproxy_portable EXCLUDE_FROM_ALL $<TARGET_OBJECTS:liveproxy_main>)
# LIVEPROXY_PORTABLE: proxy's link interface then leaves out the shared libraries these archives replace.
set_target_properties(liveproxy_portable PROPERTIES LIVEPROXY_PORTABLE ON OUTPUT_NAME liveproxy
  RUNTIME_OUTPUT_DIRECTORY ${portable_dir}/bin BUILD_RPATH "\$ORIGIN/../lib/liveproxy")
target_link_libraries(liveproxy_portable PRIVATE proxy ${portable_archives} ${CMAKE_DL_LIBS})
target_link_options(liveproxy_portable PRIVATE -static-libstdc++ -static-libgcc)
# The same layout as the packages', so build/portable/bin/liveproxy runs as installed.
add_custom_command(TARGET liveproxy_portable POST_BUILD
  COMMAND ${CMAKE_COMMAND} -E copy $<TARGET_FILE:simdjson::simdjson>
          ${portable_dir}/lib/liveproxy/$<TARGET_SONAME_FILE_NAME:simdjson::simdjson>
  COMMAND ${CMAKE_COMMAND} -E copy ${LIVEPROXY_QRENCODE_SO} ${portable_dir}/lib/liveproxy/libqrencode.so.4
  VERBATIM)

set(portable_pack bash ${CMAKE_CURRENT_LIST_DIR}/portable_package.sh)
set(portable_args ${portable_dir} ${PROJECT_VERSION} ${PROJECT_BINARY_DIR}/dist ${PROJECT_SOURCE_DIR})
# Built with Debian's own tools, nothing downloaded: python3-wheel packs the wheel, npm packs the tarball.
add_custom_target(wheel COMMAND ${portable_pack} wheel ${portable_args} VERBATIM)
add_custom_target(npm-package COMMAND ${portable_pack} npm ${portable_args} VERBATIM)
add_dependencies(wheel liveproxy_portable)
add_dependencies(npm-package liveproxy_portable)
