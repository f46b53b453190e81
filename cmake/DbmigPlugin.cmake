# dbmig_add_plugin(<name> SOURCES <src>... [LIBS <lib>...])
# Builds the loadable module dbmig_<name> into the build tree's plugin folder
# (found there without any option) and installs it into the plugin folder.
function(dbmig_add_plugin name)
  cmake_parse_arguments(P "" "" "SOURCES;LIBS" ${ARGN})
  set(t dbmig_${name})
  add_library(${t} MODULE ${P_SOURCES})
  set_target_properties(${t} PROPERTIES
    PREFIX ""
    C_VISIBILITY_PRESET hidden
    LIBRARY_OUTPUT_DIRECTORY "${DBMIG_PLUGIN_BUILD_DIR}")
  target_include_directories(${t} PRIVATE "${PROJECT_SOURCE_DIR}/include")
  if(P_LIBS)
    target_link_libraries(${t} PRIVATE ${P_LIBS})
  endif()
  # relative: `cmake --install --prefix DIR` puts it under DIR
  install(TARGETS ${t} LIBRARY DESTINATION "${DBMIG_PLUGIN_INSTALL_RELDIR}" COMPONENT dbmig)
endfunction()
