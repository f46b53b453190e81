# Included by ctest itself (TEST_INCLUDE_FILES of tests/) before it runs any
# test: the variables a developer may set in a shell to narrow a suite for a
# quick local run are removed from ctest's environment, so that `ctest` (and
# CI) always runs every case. Run a suite by hand to narrow it.
foreach(v DBMIG_TEST_ONLY DBMIG_MISTAKES_MIN CRASH_KILLS CRASH_RACES CRASH_PROCS CRASH_TERMINATIONS
    DBMIG_STREAM_SPARSE DBMIG_GRAPH_CASES)
  if(DEFINED ENV{${v}})
    message(STATUS "ctest: ignoring ${v}=$ENV{${v}} from the environment (every case runs)")
    unset(ENV{${v}})
  endif()
endforeach()
