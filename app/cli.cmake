# `ringmaster verify-twilio-signature` (app/twilio_signature_cli.hpp). Included from
# app/CMakeLists.txt, and from tests/auth when the app part is not built.
if(NOT TARGET rm_cli_twilio)
  add_library(rm_cli_twilio STATIC ${CMAKE_CURRENT_LIST_DIR}/twilio_signature_cli.cpp)
  target_include_directories(rm_cli_twilio PUBLIC ${PROJECT_SOURCE_DIR})
  target_link_libraries(rm_cli_twilio PUBLIC rm_auth)
endif()
