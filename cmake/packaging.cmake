# Installing and packaging: what `cmake --install` puts where, and the Debian package `cpack -G DEB` builds.
# The files installed beside the binary live here in cmake/, not in assets/: everything in assets/ is
# embedded into the binary (cmake/embed_assets.cmake).
include(GNUInstallDirs)

# `cmake --install` and cpack install what is built; they do not build everything first (the tests and fuzz
# targets took most of a package's 16 minutes). Build the liveproxy target (it writes the man page and schema
# too), then install or package.
set(CMAKE_SKIP_INSTALL_ALL_DEPENDENCY ON)

install(TARGETS liveproxy RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
# bash-completion loads completions on demand from this folder, by command name.
install(FILES ${CMAKE_CURRENT_LIST_DIR}/liveproxy-completion.bash
        DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions RENAME liveproxy)
install(FILES ${PROJECT_BINARY_DIR}/liveproxy.1 DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
install(FILES ${PROJECT_SOURCE_DIR}/README.md DESTINATION ${CMAKE_INSTALL_DOCDIR})
# The man page and the liveproxy.json schema are written from the settings table at build time
# (cmake/settings_docs.cpp; see CMakeLists.txt).
install(FILES ${PROJECT_BINARY_DIR}/liveproxy.schema.json DESTINATION ${CMAKE_INSTALL_DATADIR}/liveproxy)

# The Debian package (Debian 12): `cpack -G DEB` in the build folder, or `cmake --build build --target package`.
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME liveproxy)
set(CPACK_PACKAGE_CONTACT "liveproxy maintainers <maintainers@users.noreply.h-seed-b48a9ae4.example>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "dev-server reverse proxy with browser live reload")
set(CPACK_PACKAGE_DESCRIPTION [=[
liveproxy runs your web app on a private port, proxies the browser to it and
watches your files: a code change restarts the app while requests wait, a
template change reloads the page, a stylesheet change is swapped in place.
It injects a small reload script into HTML pages and shows the app's output
on an error page when the app crashes. It can also proxy an app you start
yourself (--upstream URL) or serve a folder of static files (--serve DIR).]=])
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_RELEASE 1)
set(CPACK_DEBIAN_PACKAGE_SECTION devel)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# Depends: the packages of the shared libraries the binary really links (dpkg-shlibdeps, from dpkg-dev).
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# --watchman talks to the watchman service; without it liveproxy says so and uses inotify.
set(CPACK_DEBIAN_PACKAGE_SUGGESTS watchman)
# The completion script calls bash-completion's helpers (_init_completion): without that package it fails.
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS bash-completion)
# Checked when cpack runs, which may be on another machine than the configure step.
set(CPACK_PROJECT_CONFIG_FILE ${CMAKE_CURRENT_LIST_DIR}/cpack_checks.cmake)
# `package_source`: the sources without what .gitignore leaves out.
set(CPACK_SOURCE_IGNORE_FILES "/\\.git/" "/\\.git$" "/build[^/]*/" "/node_modules/" "/__pycache__/" "\\.pyc$")
set(CPACK_VERBATIM_VARIABLES ON)
include(CPack)
