# Caller-ID verification (hybrid telephony). Included from actors/CMakeLists.txt after rm_actors.
pkg_check_modules(SODIUM REQUIRED IMPORTED_TARGET libsodium)

# Plain C++ (no CAF): the rules, the code's cryptography and the SQL.
add_library(rm_verification_core STATIC
  ${PROJECT_SOURCE_DIR}/domain/verification.cpp
  ${PROJECT_SOURCE_DIR}/actors/verification_code.cpp
  ${PROJECT_SOURCE_DIR}/persistence/verification_queries.cpp)
target_include_directories(rm_verification_core PUBLIC ${PROJECT_SOURCE_DIR})
target_link_libraries(rm_verification_core PUBLIC rm_persistence rm_domain PkgConfig::SODIUM
                                                  OpenSSL::Crypto)

# The actors (session, registry, housekeeper) are children of the root supervisor: part of
# rm_actors.
target_sources(rm_actors PRIVATE
  ${PROJECT_SOURCE_DIR}/actors/verification_session.cpp
  ${PROJECT_SOURCE_DIR}/actors/verification_registry.cpp
  ${PROJECT_SOURCE_DIR}/actors/verification_housekeeper.cpp)
target_link_libraries(rm_actors PUBLIC rm_verification_core)

# The blocking facade used by the HTTP routes.
add_library(rm_verification STATIC ${PROJECT_SOURCE_DIR}/actors/verification_service.cpp)
target_include_directories(rm_verification PUBLIC ${PROJECT_SOURCE_DIR})
target_link_libraries(rm_verification PUBLIC rm_verification_core rm_actors rm_twilio
                                             spdlog::spdlog)
