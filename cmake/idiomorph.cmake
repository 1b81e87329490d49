# idiomorph (https://github.com/bigskysoftware/idiomorph, 0BSD): the DOM morpher the browser client uses to update
# a changed page in place, the one Hotwire's Turbo uses. Taken from the npm registry at configure time, checked
# against the registry's SHA-512, and embedded into the client script (assets::idiomorph_min_js): nothing of it
# is copied into our sources. Offline: -DLIVEPROXY_IDIOMORPH_TGZ=/path/to/idiomorph-<version>.tgz (`npm pack
# idiomorph@<version>` makes one), checked against the same hash.
set(IDIOMORPH_VERSION 0.8.0)
set(IDIOMORPH_SHA512 478ec904bfba8c70d0bdc9dba69214b575dcc62e61ebec2e0841195e7461525b6c8333c52b34e12f93ee1e9a4ff72a49bb2fbb59ac1c6354ec4810ff8906cc87)
set(LIVEPROXY_IDIOMORPH_TGZ "" CACHE FILEPATH "idiomorph's npm tarball, instead of downloading it")

set(idiomorph_dir ${CMAKE_BINARY_DIR}/_deps/idiomorph-${IDIOMORPH_VERSION})
set(IDIOMORPH_JS ${idiomorph_dir}/package/dist/idiomorph.min.js)
if(NOT EXISTS ${IDIOMORPH_JS})
  set(tgz ${CMAKE_BINARY_DIR}/_deps/idiomorph-${IDIOMORPH_VERSION}.tgz)
  if(LIVEPROXY_IDIOMORPH_TGZ)
    file(COPY_FILE ${LIVEPROXY_IDIOMORPH_TGZ} ${tgz})
  elseif(NOT EXISTS ${tgz})
    message(STATUS "Downloading idiomorph ${IDIOMORPH_VERSION} from the npm registry")
    file(DOWNLOAD https://registry.npmjs.org/idiomorph/-/idiomorph-${IDIOMORPH_VERSION}.tgz ${tgz}
         STATUS status TLS_VERIFY ON)
    list(GET status 0 code)
    if(NOT code EQUAL 0)
      file(REMOVE ${tgz})
      list(GET status 1 why)
      message(FATAL_ERROR "Cannot download idiomorph ${IDIOMORPH_VERSION} from registry.npmjs.org (${why}). "
                          "Offline, pass -DLIVEPROXY_IDIOMORPH_TGZ=<the tarball of `npm pack idiomorph@${IDIOMORPH_VERSION}`>.")
    endif()
  endif()
  file(SHA512 ${tgz} got)
  if(NOT got STREQUAL IDIOMORPH_SHA512)
    file(REMOVE ${tgz})
    message(FATAL_ERROR "idiomorph-${IDIOMORPH_VERSION}.tgz has SHA-512 ${got}, not the registry's ${IDIOMORPH_SHA512}")
  endif()
  file(ARCHIVE_EXTRACT INPUT ${tgz} DESTINATION ${idiomorph_dir}
       PATTERNS package/dist/idiomorph.min.js package/LICENSE package/package.json)
endif()
