# DbmigDocs.cmake — the man pages dbmig(1) and dbmig.conf(5) and the shell
# completion scripts, built from the program itself so that they cannot
# drift from it: `dbmig __man PART` prints the generated parts of the pages
# (cli/manpage.c: the help texts and the parser's tables) and `dbmig
# completion SHELL` the scripts (cli/complete.c). Included from the top
# CMakeLists.txt; also run as a script (cmake -P, below) by the build rules.
#
# The build tree gets the installed layout under share/: man/man1/dbmig.1,
# man/man5/dbmig.conf.5, bash-completion/completions/dbmig,
# zsh/vendor-completions/_dbmig, fish/vendor_completions.d/dbmig.fish; they
# are installed with COMPONENT dbmig. Without pandoc (at configure time)
# the man pages are left out, with a message; the build does not fail.

if(CMAKE_SCRIPT_MODE_FILE)
  # cmake -DMODE=man|completion -DDBMIG=exe -DOUT=file ... -P DbmigDocs.cmake
  # execute_process, not a shell: no redirection, and a failure of dbmig
  # fails the build instead of leaving an empty file.
  if(MODE STREQUAL "completion")
    execute_process(COMMAND ${DBMIG} completion ${SHELL_NAME}
      OUTPUT_FILE ${OUT} RESULT_VARIABLE rc)
    if(NOT rc EQUAL 0)
      file(REMOVE ${OUT})
      message(FATAL_ERROR "dbmig completion ${SHELL_NAME} failed (${rc})")
    endif()
    return()
  endif()
  # MODE man: the template IN, each line @PART@ replaced by `dbmig __man part`,
  # written to MD, then pandoc makes OUT
  file(READ ${IN} text)
  foreach(part COMMANDS OPTIONS NOTES CONFIG)
    if(text MATCHES "@${part}@")
      string(TOLOWER ${part} arg)
      execute_process(COMMAND ${DBMIG} __man ${arg}
        OUTPUT_VARIABLE md RESULT_VARIABLE rc)
      if(NOT rc EQUAL 0)
        message(FATAL_ERROR "dbmig __man ${arg} failed (${rc})")
      endif()
      string(REPLACE "@${part}@" "${md}" text "${text}")
    endif()
  endforeach()
  string(REPLACE "@PROJECT_VERSION@" "${VERSION}" text "${text}")
  file(WRITE ${MD} "${text}") # kept, to read what pandoc was given
  # -smart: "--url" stays two hyphens, quotes stay straight
  execute_process(COMMAND ${PANDOC} -s -f markdown-smart -t man -o ${OUT} ${MD}
    RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "pandoc failed on ${MD} (${rc})")
  endif()
  return()
endif()

if(CMAKE_CROSSCOMPILING)
  message(STATUS "cross-compiling: no man pages and no completion scripts "
          "(they are made by running the dbmig just built)")
  return()
endif()

set(DBMIG_SHARE_BUILD_DIR ${CMAKE_BINARY_DIR}/share)
set(_docs_script ${CMAKE_CURRENT_LIST_FILE})
set(_docs_outputs)

# Shell completion: always (no tool needed but dbmig).
set(_completions # shell|folder under share|file
  "bash|bash-completion/completions|dbmig"
  "zsh|zsh/vendor-completions|_dbmig"
  "fish|fish/vendor_completions.d|dbmig.fish")
foreach(c IN LISTS _completions)
  string(REPLACE "|" ";" c "${c}")
  list(GET c 0 shell)
  list(GET c 1 dir)
  list(GET c 2 name)
  set(out ${DBMIG_SHARE_BUILD_DIR}/${dir}/${name})
  add_custom_command(OUTPUT ${out}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${DBMIG_SHARE_BUILD_DIR}/${dir}
    COMMAND ${CMAKE_COMMAND} -DMODE=completion -DSHELL_NAME=${shell}
            -DDBMIG=$<TARGET_FILE:dbmig_cli> -DOUT=${out} -P ${_docs_script}
    DEPENDS dbmig_cli ${_docs_script}
    COMMENT "Generating the ${shell} completion script"
    VERBATIM)
  list(APPEND _docs_outputs ${out})
  install(FILES ${out} DESTINATION ${CMAKE_INSTALL_DATADIR}/${dir} COMPONENT dbmig)
endforeach()

# Man pages: with pandoc.
find_program(PANDOC_PROGRAM pandoc)
if(PANDOC_PROGRAM)
  foreach(page dbmig.1 dbmig.conf.5)
    string(REGEX MATCH "[0-9]$" sect ${page})
    set(in ${PROJECT_SOURCE_DIR}/docs/man/${page}.md.in)
    set(out ${DBMIG_SHARE_BUILD_DIR}/man/man${sect}/${page})
    add_custom_command(OUTPUT ${out}
      COMMAND ${CMAKE_COMMAND} -E make_directory ${DBMIG_SHARE_BUILD_DIR}/man/man${sect}
              ${CMAKE_BINARY_DIR}/docs/man
      COMMAND ${CMAKE_COMMAND} -DMODE=man -DIN=${in} -DOUT=${out}
              -DMD=${CMAKE_BINARY_DIR}/docs/man/${page}.md
              -DDBMIG=$<TARGET_FILE:dbmig_cli> -DPANDOC=${PANDOC_PROGRAM}
              -DVERSION=${PROJECT_VERSION} -P ${_docs_script}
      DEPENDS dbmig_cli ${in} ${_docs_script}
      COMMENT "Generating the man page ${page}"
      VERBATIM)
    # Installed gzipped (gzip -9n: no name or time stamp, so the same bytes
    # each build), as Debian policy 12.1 asks; man reads them as they are.
    add_custom_command(OUTPUT ${out}.gz
      COMMAND sh -c "gzip -9n -c \"$1\" > \"$1.gz\"" sh ${out}
      DEPENDS ${out}
      COMMENT "Compressing the man page ${page}"
      VERBATIM)
    list(APPEND _docs_outputs ${out} ${out}.gz)
    install(FILES ${out}.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man${sect} COMPONENT dbmig)
  endforeach()
  set(DBMIG_MANPAGES ON)
else()
  message(STATUS "pandoc not found: the man pages dbmig(1) and dbmig.conf(5) are not built "
          "(apt-get install pandoc, then configure again)")
  set(DBMIG_MANPAGES OFF)
endif()

add_custom_target(dbmig_docs ALL DEPENDS ${_docs_outputs})
