# DbmigPackage.cmake — the Debian packages, built by `cpack -G DEB` in a
# build tree configured with -DCMAKE_INSTALL_PREFIX=/usr (scripts/package.sh
# does all of it; docs/install.md is the user's guide). Three packages, one per
# install() component:
#
#   dbmig         /usr/bin/dbmig, the driver plugins in
#                 /usr/lib/<multiarch>/dbmig/, and everything else installed
#                 with COMPONENT dbmig (man pages, shell completions)
#   libdbmig0     /usr/lib/<multiarch>/libdbmig.so.0*: the library the program
#                 and embedding applications load
#   libdbmig-dev  /usr/include/dbmig/, the libdbmig.so link, dbmig.pc, the
#                 CMake package (lib/<multiarch>/cmake/dbmig) and a static
#                 library if one is ever installed
#
# Every install() rule of the project must name one of these components; a
# rule without one would install into "Unspecified", which no package takes
# (tests/package checks that nothing does).
#
# Dependencies:
#   - libdbmig0: dpkg-shlibdeps (CPACK_DEBIAN_PACKAGE_SHLIBDEPS) on the
#     library; it also gets a shlibs file, so a package built against it
#     depends on it.
#   - dbmig: libdbmig0 (= this exact version: the CLI reaches the library's
#     version-specific behaviour, and the two are built together), then
#     dpkg-shlibdeps run by cmake/DbmigDebDepends.cmake on the staged files:
#     the program and the sqlite plugin give Depends, the other plugins
#     (postgres: libpq5, mysql: libmariadb3) give Recommends. Why not Depends
#     for all: a plugin is loaded only when a URL or --driver names it, so a
#     user of SQLite alone has a working dbmig without libpq or the MariaDB
#     client; apt installs Recommends by default, so the usual install has
#     every driver working, and `apt-get install --no-install-recommends
#     dbmig` gives the small one. A plugin whose library is missing is
#     refused when used, by the loader's "cannot load plugin ... check with
#     ldd" (and listed as refused by `dbmig drivers`). SQLite stays in Depends:
#     it is the default driver of `dbmig init` and the sample project.
#   - libdbmig-dev: libdbmig0 (= this exact version): the headers describe
#     that library and no other.

# What a packager may set (-D on the cmake command line).
set(DBMIG_PACKAGE_RELEASE "1" CACHE STRING
    "Debian revision of the packages: the N of version ${PROJECT_VERSION}-N")
set(DBMIG_PACKAGE_MAINTAINER "the dbmig authors <maintainers@dbmig.invalid>" CACHE STRING
    "Maintainer field of the Debian packages: Name <email>")
set(DBMIG_PACKAGE_HOMEPAGE "" CACHE STRING
    "Homepage field of the Debian packages (an http(s) URL), left out when empty")
# Mistakes here would only show when cpack (or dpkg) refuses the package
# much later, or not at all: refuse them now, with the fix.
if(NOT DBMIG_PACKAGE_RELEASE MATCHES "^[0-9A-Za-z][0-9A-Za-z.+~]*$")
  message(FATAL_ERROR "DBMIG_PACKAGE_RELEASE '${DBMIG_PACKAGE_RELEASE}' is not a Debian revision: "
          "use digits, letters and . + ~ only, starting with a digit or letter (e.g. 1, 2~bpo12, 0~rc1)")
endif()
if(NOT DBMIG_PACKAGE_MAINTAINER MATCHES "^[^<>@]+ <[^<> ]+@[^<> ]+>$")
  message(FATAL_ERROR "DBMIG_PACKAGE_MAINTAINER '${DBMIG_PACKAGE_MAINTAINER}' is not 'Name <email>' "
          "(e.g. -DDBMIG_PACKAGE_MAINTAINER=\"Jane Doe <jane@example.org>\")")
endif()
if(DBMIG_PACKAGE_HOMEPAGE AND NOT DBMIG_PACKAGE_HOMEPAGE MATCHES "^https?://[^ ]+$")
  message(FATAL_ERROR "DBMIG_PACKAGE_HOMEPAGE '${DBMIG_PACKAGE_HOMEPAGE}' is not an http(s) URL")
endif()

set(DBMIG_DEB_VERSION "${PROJECT_VERSION}-${DBMIG_PACKAGE_RELEASE}")

# Installed into /usr (Debian: /usr/bin/dbmig, /usr/lib/<multiarch>), the
# program's $ORIGIN RUNPATH (cli/CMakeLists.txt) points into a folder the
# dynamic loader searches anyway; Debian policy (10.2) asks for none, so the
# install removes it. Only then: into any other prefix the program needs it,
# and the build tree's program keeps it, so that it runs with its own
# library and plugins, never with installed ones. (cpack installs with
# DESTDIR and the prefix /usr: CPACK_SET_DESTDIR below.)
if(CMAKE_INSTALL_FULL_LIBDIR IN_LIST CMAKE_C_IMPLICIT_LINK_DIRECTORIES)
  install(CODE "
    if(CMAKE_INSTALL_PREFIX STREQUAL \"${CMAKE_INSTALL_PREFIX}\")
      file(RPATH_REMOVE FILE \"\$ENV{DESTDIR}${CMAKE_INSTALL_FULL_BINDIR}/dbmig\")
    endif()" COMPONENT dbmig)
endif()

# Debian policy 12.5: every package carries /usr/share/doc/<package>/copyright.
foreach(c dbmig libdbmig0 libdbmig-dev)
  install(FILES "${PROJECT_SOURCE_DIR}/LICENSE" DESTINATION "${CMAKE_INSTALL_DATAROOTDIR}/doc/${c}"
          RENAME copyright COMPONENT ${c})
endforeach()

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME dbmig)
set(CPACK_PACKAGE_VENDOR "the dbmig authors")
set(CPACK_PACKAGE_VERSION "${PROJECT_VERSION}")
set(CPACK_PACKAGE_CONTACT "${DBMIG_PACKAGE_MAINTAINER}")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_SET_DESTDIR ON) # install with DESTDIR: CMAKE_INSTALL_PREFIX is /usr
set(CPACK_STRIP_FILES ON)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_ALL dbmig libdbmig0 libdbmig-dev)
set(CPACK_COMPONENTS_GROUPING IGNORE) # one package per component

set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT) # <name>_<version>-<release>_<arch>.deb
set(CPACK_DEBIAN_PACKAGE_RELEASE "${DBMIG_PACKAGE_RELEASE}")
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${DBMIG_PACKAGE_MAINTAINER}")
if(DBMIG_PACKAGE_HOMEPAGE)
  set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "${DBMIG_PACKAGE_HOMEPAGE}")
endif()
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_COMPRESSION_TYPE xz)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# libdbmig0's DEBIAN/shlibs, so that dpkg-shlibdeps gives a package built
# against libdbmig "Depends: libdbmig0 (= version)" (the library makes no
# ABI promise between versions yet). Written here rather than by
# CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS, which has no per-package switch and
# warns about every plugin of the dbmig package (modules have no soname).
set(_dbmig_shlibs "${CMAKE_BINARY_DIR}/debian-libdbmig0/shlibs")
file(WRITE "${_dbmig_shlibs}" "libdbmig ${PROJECT_VERSION_MAJOR} libdbmig0 (= ${DBMIG_DEB_VERSION})\n")
set(CPACK_DEBIAN_LIBDBMIG0_PACKAGE_CONTROL_EXTRA "${_dbmig_shlibs}")

# The package descriptions: a synopsis line, then the long description
# (CPACK_PACKAGE_DESCRIPTION_SUMMARY stays unset: CPack would put it before
# each package's own synopsis).
string(REPLACE ";" ", " _dbmig_drivers "${DBMIG_DRIVERS}")
set(CPACK_DEBIAN_DBMIG_PACKAGE_NAME dbmig)
set(CPACK_DEBIAN_DBMIG_PACKAGE_SECTION database)
set(CPACK_DEBIAN_DBMIG_DESCRIPTION "database schema migrations for SQLite, PostgreSQL and MySQL
dbmig applies versioned SQL migration files to a database and records what
it applied: upgrade, downgrade, status, history with branches and merges,
drift detection, lint, fleets of databases, and zero-downtime phases.
.
This package holds the dbmig program and its driver plugins:
${_dbmig_drivers}.")
# Computed from the staged files by cmake/DbmigDebDepends.cmake (see above).
set(CPACK_DEBIAN_DBMIG_PACKAGE_SHLIBDEPS OFF)

set(CPACK_DEBIAN_LIBDBMIG0_PACKAGE_NAME libdbmig0)
set(CPACK_DEBIAN_LIBDBMIG0_PACKAGE_SECTION libs)
set(CPACK_DEBIAN_LIBDBMIG0_DESCRIPTION "database schema migrations - shared library
libdbmig is the engine of dbmig: it reads migration files, plans and applies
them through driver plugins, and reports what it did. Applications link it to
migrate their own database at start-up.
.
This package holds the shared library.")

set(CPACK_DEBIAN_LIBDBMIG-DEV_PACKAGE_NAME libdbmig-dev)
set(CPACK_DEBIAN_LIBDBMIG-DEV_PACKAGE_SECTION libdevel)
set(CPACK_DEBIAN_LIBDBMIG-DEV_PACKAGE_DEPENDS "libdbmig0 (= ${DBMIG_DEB_VERSION})")
set(CPACK_DEBIAN_LIBDBMIG-DEV_PACKAGE_SUGGESTS "pkg-config, cmake")
set(CPACK_DEBIAN_LIBDBMIG-DEV_DESCRIPTION "database schema migrations - development files
libdbmig is the engine of dbmig. This package holds what applications that
embed it and third-party driver plugins build against: the headers
<dbmig/dbmig.h> and <dbmig/driver.h>, the pkg-config file dbmig.pc and the
CMake package (find_package(dbmig): dbmig::dbmig, dbmig_add_driver()).")

# Read by cpack itself (CPackConfig.cmake carries every CPACK_* variable):
#   DbmigCPackProject.cmake  before anything is installed: refuses a DEB from
#                            a build whose prefix is not /usr, or not built
#   DbmigDebDepends.cmake    once the components are staged: the dbmig
#                            package's Depends and Recommends
set(CPACK_DBMIG_CONFIGURED_PREFIX "${CMAKE_INSTALL_PREFIX}")
set(CPACK_DBMIG_BINARY_DIR "${CMAKE_BINARY_DIR}")
set(CPACK_DBMIG_LIBDIR "${CMAKE_INSTALL_LIBDIR}")
set(CPACK_DBMIG_MULTIARCH "${CMAKE_LIBRARY_ARCHITECTURE}") # x86_64-linux-gnu
set(CPACK_DBMIG_PLUGIN_RELDIR "${DBMIG_PLUGIN_INSTALL_RELDIR}")
set(CPACK_DBMIG_DEB_VERSION "${DBMIG_DEB_VERSION}")
set(CPACK_DBMIG_SOVERSION "${PROJECT_VERSION_MAJOR}")
set(CPACK_DBMIG_PROGRAM "${CMAKE_BINARY_DIR}/${CMAKE_INSTALL_BINDIR}/dbmig")
# Plugins whose libraries are only recommended: every driver but sqlite.
set(CPACK_DBMIG_DEPENDS_PLUGINS dbmig_sqlite.so)
set(CPACK_PROJECT_CONFIG_FILE "${PROJECT_SOURCE_DIR}/cmake/DbmigCPackProject.cmake")
set(CPACK_PRE_BUILD_SCRIPTS "${PROJECT_SOURCE_DIR}/cmake/DbmigDebDepends.cmake")

include(CPack)
