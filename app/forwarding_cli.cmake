# rm_cli_forwarding: the `ringmaster forwarding-codes` subcommand (app/forwarding_codes_cli.*).
# Included by tests/forwarding (guarded) and meant to be included by app/CMakeLists.txt too;
# whichever comes first defines the target, so paths here are absolute.
include_guard(GLOBAL)

add_library(rm_cli_forwarding STATIC ${CMAKE_CURRENT_LIST_DIR}/forwarding_codes_cli.cpp)
target_include_directories(rm_cli_forwarding PUBLIC ${PROJECT_SOURCE_DIR})
target_link_libraries(rm_cli_forwarding PUBLIC rm_domain nlohmann_json::nlohmann_json)
