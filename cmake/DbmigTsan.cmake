# -DDBMIG_TSAN=ON: everything built with ThreadSanitizer, for the threaded
# tests (tests/threads, ctest -L tsan; scripts/test.sh builds only those
# targets, in build-tsan/). Not combinable with the ASan/UBSan or fuzzing
# builds (one sanitizer runtime per process). libltdl, SQLite and libc are
# not instrumented: a race inside libltdl shows as a crash or a wrong
# message in the tests, not as a TSan report (the mutex in core/loader.c is
# what prevents it).
option(DBMIG_TSAN "Build with ThreadSanitizer (the tests in tests/threads run as tsan.*)" OFF)
if(DBMIG_TSAN)
  if(DBMIG_SANITIZE OR DBMIG_FUZZ)
    message(FATAL_ERROR "DBMIG_TSAN cannot be combined with DBMIG_SANITIZE or DBMIG_FUZZ")
  endif()
  add_compile_options(-fsanitize=thread -fno-omit-frame-pointer)
  add_link_options(-fsanitize=thread)
endif()
