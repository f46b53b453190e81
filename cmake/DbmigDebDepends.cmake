# DbmigDebDepends.cmake — CPACK_PRE_BUILD_SCRIPTS (cmake/DbmigPackage.cmake):
# run by cpack once every component is staged and before the packages are
# made. Sets the dbmig package's Depends and Recommends from dpkg-shlibdeps
# run on the staged files themselves (what goes into the package):
#
#   Depends     from /usr/bin/dbmig, the plugins named in
#               CPACK_DBMIG_DEPENDS_PLUGINS (sqlite) and any other ELF file of
#               the package, plus libdbmig0 (= this exact version)
#   Recommends  from the other plugins (postgres: libpq5, mysql: libmariadb3)
#
# CPack's own CPACK_DEBIAN_PACKAGE_SHLIBDEPS cannot do it: it puts every
# library of every file of a package into Depends. Why Recommends for those
# plugins: see cmake/DbmigPackage.cmake.

cmake_policy(VERSION 3.18) # cpack reads this with no policy set (IN_LIST)

if(NOT CPACK_GENERATOR STREQUAL "DEB")
  return()
endif()

set(_root "${CPACK_TEMPORARY_INSTALL_DIRECTORY}/dbmig")
set(_libroot "${CPACK_TEMPORARY_INSTALL_DIRECTORY}/libdbmig0")
if(NOT IS_DIRECTORY "${_root}/usr")
  message(FATAL_ERROR "dbmig: the dbmig component is not staged under ${_root}/usr "
          "(CPACK_DEB_COMPONENT_INSTALL off, or a packaging prefix other than /usr?)")
endif()

# The package's ELF files (every dynamically linked one matters to dpkg-shlibdeps).
file(GLOB_RECURSE _files LIST_DIRECTORIES false RELATIVE "${_root}" "${_root}/*")
set(_depends_files "")
set(_recommends_files "")
foreach(f IN LISTS _files)
  if(IS_SYMLINK "${_root}/${f}")
    continue()
  endif()
  file(READ "${_root}/${f}" _magic LIMIT 4 HEX)
  if(NOT _magic STREQUAL "7f454c46")
    continue()
  endif()
  get_filename_component(_name "${f}" NAME)
  get_filename_component(_dir "${f}" DIRECTORY)
  if(_dir STREQUAL "usr/${CPACK_DBMIG_PLUGIN_RELDIR}" AND NOT _name IN_LIST CPACK_DBMIG_DEPENDS_PLUGINS)
    list(APPEND _recommends_files "${f}")
  else()
    list(APPEND _depends_files "${f}")
  endif()
endforeach()
if(NOT "usr/bin/dbmig" IN_LIST _depends_files)
  message(FATAL_ERROR "dbmig: the dbmig package has no usr/bin/dbmig (staged files: ${_files})")
endif()

# dpkg-shlibdeps wants debian/control in its working folder and a DEBIAN
# folder at the package root to resolve $ORIGIN (the program's RUNPATH);
# both are removed again before CPack packs the folder. debian/shlibs.local
# maps libdbmig.so.0, found in the staged libdbmig0 package (-l), to
# libdbmig0 (= this version): no installed package knows it yet.
find_program(_shlibdeps dpkg-shlibdeps)
if(NOT _shlibdeps)
  message(FATAL_ERROR "dbmig: dpkg-shlibdeps is missing: apt-get install dpkg-dev")
endif()
file(MAKE_DIRECTORY "${_root}/debian" "${_root}/DEBIAN")
file(WRITE "${_root}/debian/control" "")
file(WRITE "${_root}/debian/shlibs.local"
     "libdbmig ${CPACK_DBMIG_SOVERSION} libdbmig0 (= ${CPACK_DBMIG_DEB_VERSION})\n")
set(_args -O "-l${_libroot}/usr/${CPACK_DBMIG_LIBDIR}" -dDepends ${_depends_files})
if(_recommends_files)
  list(APPEND _args -dRecommends ${_recommends_files})
endif()
execute_process(COMMAND ${CMAKE_COMMAND} -E env LC_ALL=C ${_shlibdeps} ${_args}
  WORKING_DIRECTORY "${_root}"
  OUTPUT_VARIABLE _out ERROR_VARIABLE _err RESULT_VARIABLE _rc)
file(REMOVE_RECURSE "${_root}/debian" "${_root}/DEBIAN")
if(NOT _rc EQUAL 0)
  message(FATAL_ERROR "dbmig: dpkg-shlibdeps ${_args} (in ${_root}) failed (${_rc}):\n${_err}")
endif()

set(_depends "")
set(_recommends "")
if(_out MATCHES "shlibs:Depends=([^\n]*)")
  set(_depends "${CMAKE_MATCH_1}")
endif()
if(_out MATCHES "shlibs:Recommends=([^\n]*)")
  set(_recommends "${CMAKE_MATCH_1}")
endif()
# The program links libdbmig, so shlibs.local put libdbmig0 in; say it
# explicitly anyway should that ever change (the CLI and the library are one
# release).
if(NOT _depends MATCHES "(^|, )libdbmig0 \\(= ")
  if(_depends)
    string(PREPEND _depends ", ")
  endif()
  string(PREPEND _depends "libdbmig0 (= ${CPACK_DBMIG_DEB_VERSION})")
endif()
set(CPACK_DEBIAN_DBMIG_PACKAGE_DEPENDS "${_depends}")
set(CPACK_DEBIAN_DBMIG_PACKAGE_RECOMMENDS "${_recommends}")
message(STATUS "dbmig package: Depends: ${_depends}")
message(STATUS "dbmig package: Recommends: ${_recommends}")
