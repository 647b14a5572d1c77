# rm_cli_forwarding: the `ringmaster forwarding-codes` subcommand (app/forwarding_codes_cli.*).
# Included by tests/forwarding (guarded) and meant to be included by app/CMakeLists.txt too;
# whichever comes first defines the target, so paths here are absolute.
include_guard(GLOBAL)

# The generator belongs to rm_domain. Until domain/CMakeLists.txt lists forwarding_codes.cpp,
# add it here; once it is listed, this does nothing.
get_target_property(_rm_domain_sources rm_domain SOURCES)
if(NOT _rm_domain_sources MATCHES "forwarding_codes\\.cpp")
  target_sources(rm_domain PRIVATE ${CMAKE_CURRENT_LIST_DIR}/../domain/forwarding_codes.cpp)
endif()

add_library(rm_cli_forwarding STATIC ${CMAKE_CURRENT_LIST_DIR}/forwarding_codes_cli.cpp)
target_include_directories(rm_cli_forwarding PUBLIC ${PROJECT_SOURCE_DIR})
target_link_libraries(rm_cli_forwarding PUBLIC rm_domain nlohmann_json::nlohmann_json)
