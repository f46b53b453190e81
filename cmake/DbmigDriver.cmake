# DbmigDriver.cmake — dbmig_add_driver(), for driver plugins built outside
# dbmig's source tree. Installed with dbmig and included by dbmigConfig.cmake:
#
#   find_package(dbmig REQUIRED)
#   dbmig_add_driver(mydb SOURCES mydb.c LIBS MyDB::client)
#
# dbmig_add_driver(<name> SOURCES <src>... [LIBS <lib>...]
#                  [INSTALL_DIR <dir>] [NO_INSTALL])
#   <name>       the driver's name: 1-64 characters of [a-z0-9_]; the table's
#                .name and the entry symbol dbmig_driver_entry_<name> must match
#   SOURCES      the plugin's sources
#   LIBS         libraries it links (its database's client library)
#   INSTALL_DIR  where `cmake --install` puts it; default DBMIG_PLUGIN_DIR, the
#                folder the installed dbmig searches by itself
#   NO_INSTALL   no install rule
# Produces the target and module dbmig_<name> (file dbmig_<name>.so, no "lib"
# prefix), compiled with hidden visibility so that only the entry point
# (DBMIG_DRIVER_ENTRY marks it) is exported, with dbmig's include folder on its
# path, and linked with --no-undefined so that a missing library is a link
# error rather than a refusal at load time. It does not link libdbmig: the core
# hands a driver what it needs through the dbmig_host table.
include_guard(GLOBAL)

function(dbmig_add_driver name)
  cmake_parse_arguments(D "NO_INSTALL" "INSTALL_DIR" "SOURCES;LIBS" ${ARGN})
  if(NOT name MATCHES "^[a-z0-9_]+$")
    message(FATAL_ERROR "dbmig_add_driver(${name}): a driver's name is 1-64 characters of [a-z0-9_]")
  endif()
  string(LENGTH "${name}" len)
  if(len GREATER 64)
    message(FATAL_ERROR "dbmig_add_driver(${name}): a driver's name is at most 64 characters")
  endif()
  if(NOT D_SOURCES)
    message(FATAL_ERROR "dbmig_add_driver(${name}): no SOURCES given")
  endif()
  if(D_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "dbmig_add_driver(${name}): unknown arguments: ${D_UNPARSED_ARGUMENTS}")
  endif()
  if(NOT TARGET dbmig::driver)
    message(FATAL_ERROR "dbmig_add_driver: call find_package(dbmig) first")
  endif()

  set(t dbmig_${name})
  add_library(${t} MODULE ${D_SOURCES})
  set_target_properties(${t} PROPERTIES
    PREFIX ""
    SUFFIX ".so"
    C_VISIBILITY_PRESET hidden
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON
    POSITION_INDEPENDENT_CODE ON)
  target_link_libraries(${t} PRIVATE dbmig::driver ${D_LIBS})
  if(CMAKE_C_COMPILER_ID MATCHES "GNU|Clang" AND NOT APPLE)
    target_link_options(${t} PRIVATE "LINKER:--no-undefined")
  endif()

  if(NOT D_NO_INSTALL)
    set(dest "${D_INSTALL_DIR}")
    if(NOT dest)
      set(dest "${DBMIG_PLUGIN_DIR}")
    endif()
    # 0755: dbmig refuses a plugin (or folder) writable by everyone
    install(TARGETS ${t} LIBRARY DESTINATION "${dest}"
      PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE
                  WORLD_READ WORLD_EXECUTE)
  endif()
endfunction()
