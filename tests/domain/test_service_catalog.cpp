// The rules of a tenant's services (domain/service_catalog.hpp).
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>

#include "domain/service_catalog.hpp"

using namespace rm::domain;

TEST_CASE("service names are trimmed and bounded") {
  CHECK(service_name("  Botox \t").value == "Botox");
  CHECK(!service_name("   ").ok());
  CHECK(!service_name("").ok());
  CHECK(service_name(std::string(200, 'x')).ok());
  CHECK(!service_name(std::string(201, 'x')).ok());
  // 200 two-byte characters are 200 characters, not 400.
  std::string accents;
  for (int i = 0; i < 200; ++i) accents += "\xC3\xA9";  // é
  CHECK(service_name(accents).ok());
}

TEST_CASE("service prices are non-negative, finite and rounded to the cent") {
  CHECK(service_price(400).value == 400);
  CHECK(service_price(0).ok());
  CHECK(service_price(19.999).value == Approx(20.0));
  CHECK(service_price(12.345).value == Approx(12.35).margin(0.006));
  CHECK(!service_price(-0.01).ok());
  CHECK(!service_price(std::numeric_limits<double>::infinity()).ok());
  CHECK(!service_price(std::nan("")).ok());
  CHECK(!service_price(1e10).ok());
  CHECK(service_price(9'999'999'999.99).ok());
}

TEST_CASE("keywords are trimmed, lower-cased and deduplicated in order") {
  auto k = service_keywords({" Botox ", "WRINKLE", "botox", "Face Lift", "wrinkle"});
  REQUIRE(k.ok());
  CHECK(k.value == std::vector<std::string>{"botox", "wrinkle", "face lift"});
  CHECK(service_keywords({}).value.empty());
}

TEST_CASE("bad keywords are refused naming the entry") {
  auto blank = service_keywords({"botox", "  "});
  CHECK(blank.error.find("keywords[1]") != std::string::npos);
  CHECK(service_keywords({std::string(100, 'a')}).ok());
  auto too_long = service_keywords({std::string(101, 'a')});
  CHECK(too_long.error.find("keywords[0]") != std::string::npos);
  std::vector<std::string> many(51, "x");
  CHECK(!service_keywords(many).ok());
  many.pop_back();
  CHECK(service_keywords(many).value.size() == 1);  // 50 given, one after deduplication
}
