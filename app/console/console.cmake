# rm_console_assets: the console's files (app/console/src and the pinned front-end library from
# app/console/node_modules) as byte arrays in the binary (adapters/http/console_assets.hpp).
# Included by adapters/CMakeLists.txt next to rm_http, which serves them under /console/.
set(RM_CONSOLE_DIR ${PROJECT_SOURCE_DIR}/app/console)
# <path under node_modules>=<served path under /console/>. The library: preact and htm
# (app/console/package.json, pinned by package-lock.json; scripts/bootstrap.sh runs npm ci).
set(RM_CONSOLE_VENDOR
  "preact/dist/preact.mjs=vendor/preact.js"
  "preact/hooks/dist/hooks.mjs=vendor/hooks.js"
  "htm/dist/htm.mjs=vendor/htm.js")
file(GLOB_RECURSE RM_CONSOLE_SRC CONFIGURE_DEPENDS RELATIVE ${RM_CONSOLE_DIR}/src
     ${RM_CONSOLE_DIR}/src/*)
set(vendor_inputs "")
foreach(pair IN LISTS RM_CONSOLE_VENDOR)
  string(REGEX REPLACE "=.*" "" from "${pair}")
  list(APPEND vendor_inputs ${RM_CONSOLE_DIR}/node_modules/${from})
  if(NOT EXISTS ${RM_CONSOLE_DIR}/node_modules/${from})
    message(FATAL_ERROR "console: app/console/node_modules/${from} is missing; run "
                        "`bash scripts/bootstrap.sh` (it runs npm ci in app/console)")
  endif()
endforeach()
set(src_inputs "")
foreach(rel IN LISTS RM_CONSOLE_SRC)
  list(APPEND src_inputs ${RM_CONSOLE_DIR}/src/${rel})
endforeach()
string(REPLACE ";" "|" src_arg "${RM_CONSOLE_SRC}")
string(REPLACE ";" "|" vendor_arg "${RM_CONSOLE_VENDOR}")
set(RM_CONSOLE_CPP ${CMAKE_CURRENT_BINARY_DIR}/console_assets.cpp)
add_custom_command(
  OUTPUT ${RM_CONSOLE_CPP}
  COMMAND ${CMAKE_COMMAND} "-DSRC_DIR=${RM_CONSOLE_DIR}/src" "-DSRC=${src_arg}"
          "-DMODULES=${RM_CONSOLE_DIR}/node_modules" "-DVENDOR=${vendor_arg}"
          "-DVENDOR_DIR=${CMAKE_CURRENT_BINARY_DIR}/console-vendor" "-DOUT=${RM_CONSOLE_CPP}"
          -P ${RM_CONSOLE_DIR}/embed.cmake
  DEPENDS ${RM_CONSOLE_DIR}/embed.cmake ${src_inputs} ${vendor_inputs}
          ${RM_CONSOLE_DIR}/package-lock.json
  COMMENT "Embedding the console's files"
  VERBATIM)
add_library(rm_console_assets STATIC ${RM_CONSOLE_CPP})
target_include_directories(rm_console_assets PUBLIC ${PROJECT_SOURCE_DIR})
