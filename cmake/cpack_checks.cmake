# Read by cpack before it builds a package (CPACK_PROJECT_CONFIG_FILE): refuse to build a .deb whose
# Depends would be silently empty. Without dpkg-shlibdeps CPack only prints a note and leaves them out.
if(CPACK_GENERATOR STREQUAL "DEB")
  find_program(LIVEPROXY_DPKG_SHLIBDEPS dpkg-shlibdeps)
  find_program(LIVEPROXY_FILE file)
  if(NOT LIVEPROXY_DPKG_SHLIBDEPS OR NOT LIVEPROXY_FILE)
    message(FATAL_ERROR "The Debian package needs dpkg-shlibdeps and file to work out its dependencies: "
                        "apt-get install dpkg-dev file (or bash tests/scripts/install-deps.sh --tests)")
  endif()
endif()
