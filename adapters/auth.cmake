# Authentication primitives (pure: no CAF, no database): tenant JWTs, Vapi webhook auth,
# X-Twilio-Signature and the failed-authentication throttle. Included from
# adapters/CMakeLists.txt; the HTTP routes link rm_auth.
if(NOT TARGET PkgConfig::JWT)
  # GLOBAL: the tests (another directory) link libjwt too, to mint tokens.
  pkg_check_modules(JWT REQUIRED IMPORTED_TARGET GLOBAL libjwt)
endif()

add_library(rm_auth STATIC
  ${CMAKE_CURRENT_LIST_DIR}/http/jwt.cpp
  ${CMAKE_CURRENT_LIST_DIR}/http/auth_throttle.cpp
  ${CMAKE_CURRENT_LIST_DIR}/http/client_address.cpp
  ${CMAKE_CURRENT_LIST_DIR}/vapi/webhook_auth.cpp
  ${CMAKE_CURRENT_LIST_DIR}/twilio/request_validator.cpp)
target_include_directories(rm_auth PUBLIC ${PROJECT_SOURCE_DIR})
target_link_libraries(rm_auth PRIVATE OpenSSL::Crypto PkgConfig::JWT nlohmann_json::nlohmann_json)
