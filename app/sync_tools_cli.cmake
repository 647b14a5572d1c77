# `ringmaster sync-tools` (app/sync_tools_cli.hpp): no CAF, testable alone (tests/tools).
if(NOT TARGET rm_cli_sync_tools)
  add_library(rm_cli_sync_tools STATIC ${CMAKE_CURRENT_LIST_DIR}/sync_tools_cli.cpp)
  target_include_directories(rm_cli_sync_tools PUBLIC ${PROJECT_SOURCE_DIR})
  target_link_libraries(rm_cli_sync_tools PUBLIC rm_vapi rm_persistence)
endif()
