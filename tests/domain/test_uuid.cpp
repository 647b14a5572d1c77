// domain::is_uuid: the one UUID-shape check shared by persistence, the number service and the JWT
// verifier (it replaced five copies; these cases pin the accepted inputs).
#include <catch2/catch.hpp>

#include <string>

#include "domain/tenant_id.hpp"
#include "domain/uuid.hpp"

using rm::domain::is_uuid;

TEST_CASE("is_uuid accepts the 8-4-4-4-12 hex form in either case", "[uuid]") {
  CHECK(is_uuid("123e4567-e89b-12d3-a456-426614174000"));
  CHECK(is_uuid("123E4567-E89B-12D3-A456-426614174000"));
  CHECK(is_uuid("00000000-0000-0000-0000-000000000000"));
  CHECK(is_uuid("ffffffff-FFFF-ffff-FFFF-ffffffffffff"));
}

TEST_CASE("is_uuid refuses anything else", "[uuid]") {
  CHECK_FALSE(is_uuid(""));
  CHECK_FALSE(is_uuid("not-a-uuid"));
  CHECK_FALSE(is_uuid("123e4567e89b12d3a456426614174000"));         // no dashes
  CHECK_FALSE(is_uuid("123e4567-e89b-12d3-a456-42661417400"));      // 35 characters
  CHECK_FALSE(is_uuid("123e4567-e89b-12d3-a456-4266141740000"));    // 37 characters
  CHECK_FALSE(is_uuid("{23e4567-e89b-12d3-a456-42661417400}"));     // braces
  CHECK_FALSE(is_uuid("123e4567-e89b-12d3-a456-42661417400g"));     // non-hex digit
  CHECK_FALSE(is_uuid("123e4567_e89b-12d3-a456-426614174000"));     // wrong separator
  CHECK_FALSE(is_uuid("123e4567-e89b-12d3-a4564-26614174000"));     // dash moved
  CHECK_FALSE(is_uuid("-23e4567-e89b-12d3-a456-426614174000"));     // dash where a digit goes
  CHECK_FALSE(is_uuid(" 23e4567-e89b-12d3-a456-426614174000"));     // blank
  CHECK_FALSE(is_uuid(std::string("123e4567-e89b-12d3-a456-42661417400\0", 36)));  // NUL
  CHECK_FALSE(is_uuid("123e4567-e89b-12d3-a456-42661417400\xc3"));  // non-ASCII byte
}

TEST_CASE("canonical_tenant_id lowercases exactly what is_uuid accepts", "[uuid]") {
  CHECK(rm::domain::canonical_tenant_id("123E4567-E89B-12D3-A456-426614174ABC") ==
        "123e4567-e89b-12d3-a456-426614174abc");
  CHECK(rm::domain::canonical_tenant_id("ABC") == "ABC");
  CHECK(rm::domain::canonical_tenant_id("123E4567E89B12D3A456426614174ABCDEF") ==
        "123E4567E89B12D3A456426614174ABCDEF");
}
