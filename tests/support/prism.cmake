# rm_prism_process: Prism as a child process (tests/support/prism_process.hpp), for
# tests/contract and tests/openapi. Included from both (whichever parts are built) with
# `if(NOT TARGET rm_prism_process)`. Prism itself is tests/contract's npm package.
add_library(rm_prism_process STATIC ${CMAKE_CURRENT_LIST_DIR}/prism_process.cpp)
target_include_directories(rm_prism_process PUBLIC ${PROJECT_SOURCE_DIR})
target_link_libraries(rm_prism_process PUBLIC PkgConfig::HTTPLIB Threads::Threads)
target_compile_definitions(rm_prism_process PRIVATE
  RM_PRISM_DEFAULT="${PROJECT_SOURCE_DIR}/tests/contract/node_modules/.bin/prism")
