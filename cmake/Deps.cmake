# Dependencies from Debian 12 packages (installed by scripts/bootstrap.sh).
# Debian's libcaf-dev ships neither a CMake config nor a .pc file, so CAF and
# libphonenumber get hand-made IMPORTED targets named like upstream's.
find_package(Threads REQUIRED)
find_package(PkgConfig REQUIRED)

find_path(CAF_INCLUDE_DIR caf/all.hpp REQUIRED)
find_library(CAF_CORE_LIBRARY caf_core REQUIRED)
find_library(CAF_IO_LIBRARY caf_io REQUIRED)
add_library(CAF::core SHARED IMPORTED)
set_target_properties(CAF::core PROPERTIES IMPORTED_LOCATION "${CAF_CORE_LIBRARY}"
  INTERFACE_INCLUDE_DIRECTORIES "${CAF_INCLUDE_DIR}" INTERFACE_LINK_LIBRARIES Threads::Threads)
add_library(CAF::io SHARED IMPORTED)
set_target_properties(CAF::io PROPERTIES IMPORTED_LOCATION "${CAF_IO_LIBRARY}"
  INTERFACE_LINK_LIBRARIES CAF::core)

pkg_check_modules(PQXX REQUIRED IMPORTED_TARGET libpqxx)
pkg_check_modules(HTTPLIB REQUIRED IMPORTED_TARGET cpp-httplib)
# PDF text of knowledge-base uploads (adapters/pdf): poppler's C++ API, libpoppler-cpp-dev.
pkg_check_modules(POPPLER_CPP REQUIRED IMPORTED_TARGET poppler-cpp)

find_path(PHONENUMBER_INCLUDE_DIR phonenumbers/phonenumberutil.h REQUIRED)
find_library(PHONENUMBER_LIBRARY phonenumber REQUIRED)
add_library(phonenumber::phonenumber SHARED IMPORTED)
set_target_properties(phonenumber::phonenumber PROPERTIES
  IMPORTED_LOCATION "${PHONENUMBER_LIBRARY}"
  INTERFACE_INCLUDE_DIRECTORIES "${PHONENUMBER_INCLUDE_DIR}")

find_package(nlohmann_json 3.11 REQUIRED)
find_package(date REQUIRED)            # date::date, date::date-tz (USE_OS_TZDB=1)
find_package(OpenSSL REQUIRED)
find_package(CURL REQUIRED)            # CURL::libcurl: SMTP (adapters/email)
find_package(spdlog REQUIRED)
find_package(prometheus-cpp REQUIRED)  # prometheus-cpp::core, ::pull (adapters/metrics)
find_package(Catch2 2 REQUIRED)
