# DbmigCPackProject.cmake — CPACK_PROJECT_CONFIG_FILE (cmake/DbmigPackage.cmake):
# read by cpack for each generator before it installs anything, so that a
# Debian package from the wrong build tree is refused with the fix instead of
# coming out with a layout Debian does not use.

cmake_policy(VERSION 3.18) # cpack reads this with no policy set (IN_LIST)

if(CPACK_GENERATOR STREQUAL "DEB")
  # GNUInstallDirs picks the multiarch libdir (lib/x86_64-linux-gnu) only for
  # the prefix /usr, at configure time: a tree configured for /usr/local would
  # give /usr/lib/libdbmig.so.0 and /usr/lib/dbmig/ in the package.
  if(NOT CPACK_DBMIG_CONFIGURED_PREFIX STREQUAL "/usr")
    message(FATAL_ERROR
      "dbmig: the Debian packages install into /usr, but this build tree "
      "(${CPACK_DBMIG_BINARY_DIR}) is configured with "
      "CMAKE_INSTALL_PREFIX=${CPACK_DBMIG_CONFIGURED_PREFIX} (libdir ${CPACK_DBMIG_LIBDIR}, not "
      "Debian's multiarch one). Package from a tree configured for /usr: "
      "`bash scripts/package.sh OUTDIR`, or cmake -S <source> -B build-deb "
      "-DCMAKE_INSTALL_PREFIX=/usr -DCMAKE_BUILD_TYPE=Release -DDBMIG_TESTS=OFF && "
      "cmake --build build-deb && (cd build-deb && cpack -G DEB)")
  endif()
  # The same tree reconfigured with another libdir (-DCMAKE_INSTALL_LIBDIR=lib).
  if(CPACK_DBMIG_MULTIARCH AND NOT CPACK_DBMIG_LIBDIR STREQUAL "lib/${CPACK_DBMIG_MULTIARCH}")
    message(FATAL_ERROR
      "dbmig: this build tree (${CPACK_DBMIG_BINARY_DIR}) installs libraries into "
      "/usr/${CPACK_DBMIG_LIBDIR}, not Debian's multiarch /usr/lib/${CPACK_DBMIG_MULTIARCH}: "
      "reconfigure it with -DCMAKE_INSTALL_LIBDIR=lib/${CPACK_DBMIG_MULTIARCH}, or run "
      "`bash scripts/package.sh OUTDIR`")
  endif()
  # cpack installs what is built and never builds.
  if(NOT EXISTS "${CPACK_DBMIG_PROGRAM}")
    message(FATAL_ERROR
      "dbmig: ${CPACK_DBMIG_PROGRAM} does not exist: build the tree before packaging it "
      "(cmake --build ${CPACK_DBMIG_BINARY_DIR}), or run `bash scripts/package.sh OUTDIR`")
  endif()
endif()
