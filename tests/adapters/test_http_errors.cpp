// rm::ec → HTTP (adapters/http/http_errors.hpp): every kind has a status and a code, each pair is
// documented in docs/api.md's rm::ec table, and the error body has the project's shape.
#include <catch2/catch.hpp>

#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "actors/service.hpp"
#include "adapters/http/http_errors.hpp"

using rm::ec;
using rm::http::http_of;

namespace {

std::string api_doc() {
  std::ifstream in{std::string{RM_SOURCE_DIR} + "/docs/api.md"};
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

nlohmann::json body_of(const httplib::Response& res) { return nlohmann::json::parse(res.body); }

}  // namespace

TEST_CASE("every rm::ec maps to a documented HTTP status and error code") {
  const auto doc = api_doc();
  REQUIRE(!doc.empty());
  std::set<std::string> names;
  for (auto kind : rm::all_ecs) {
    INFO(rm::to_string(kind));
    const auto h = http_of(kind);
    CHECK(h.status >= 400);
    CHECK(h.status <= 599);
    CHECK(std::regex_match(std::string{h.code}, std::regex{"[a-z][a-z_]*[a-z]"}));
    CHECK(names.insert(rm::to_string(kind)).second);  // names are distinct
    // docs/api.md "Errors": | `name` | status | `code` |
    const auto row = "| `" + std::string{rm::to_string(kind)} + "` | " +
                     std::to_string(h.status) + " | `" + h.code + "` |";
    CHECK(doc.find(row) != std::string::npos);
  }
  CHECK(names.size() == static_cast<std::size_t>(ec::last_) - 1);
}

TEST_CASE("the statuses and codes the API already answered stay the same") {
  CHECK(http_of(ec::invalid_argument).status == 400);
  CHECK(std::string{http_of(ec::invalid_argument).code} == "invalid_field");
  CHECK(std::string{http_of(ec::malformed_request).code} == "bad_request");
  CHECK(http_of(ec::unauthenticated).status == 401);
  CHECK(std::string{http_of(ec::unauthenticated).code} == "unauthorized");
  CHECK(http_of(ec::forbidden).status == 403);
  CHECK(http_of(ec::not_found).status == 404);
  CHECK(http_of(ec::rate_limited).status == 429);
  CHECK(http_of(ec::internal).status == 500);
  CHECK(std::string{http_of(ec::internal).code} == "internal_error");
  CHECK(http_of(ec::provider_unavailable).status == 503);
  CHECK(std::string{http_of(ec::provider_unavailable).code} == "provider_unavailable");
  for (auto kind : {ec::database_unavailable, ec::unavailable, ec::timeout}) {
    CHECK(http_of(kind).status == 503);
    CHECK(std::string{http_of(kind).code} == "unavailable");
  }
  // Statuses httplib answers by itself.
  CHECK(std::string{rm::http::code_for_status(404)} == "not_found");
  CHECK(std::string{rm::http::code_for_status(413)} == "payload_too_large");
  CHECK(std::string{rm::http::code_for_status(405)} == "method_not_allowed");
  CHECK(std::string{rm::http::code_for_status(502)} == "internal_error");
}

TEST_CASE("send_error writes the project's error body for an rm::ec") {
  httplib::Response res;
  rm::http::send_error(res, ec::invalid_argument, "slot_minutes: must be between 5 and 480",
                       "slot_minutes");
  CHECK(res.status == 400);
  CHECK(body_of(res) == nlohmann::json{{"error",
                                        {{"code", "invalid_field"},
                                         {"message", "slot_minutes: must be between 5 and 480"},
                                         {"field", "slot_minutes"}}}});
  httplib::Response taken;
  rm::http::send_error(taken, ec::conflict, "already taken", "", "number_taken");
  CHECK(taken.status == 409);
  CHECK(body_of(taken)["error"]["code"] == "number_taken");
  CHECK_FALSE(body_of(taken)["error"].contains("field"));
}

TEST_CASE("thrown service errors and open breakers answer by their kind") {
  httplib::Response slow;
  rm::http::send_service_error(slow, rm::actors::service_error(ec::timeout, "request_timeout"));
  CHECK(slow.status == 503);
  CHECK(body_of(slow)["error"]["code"] == "unavailable");
  CHECK(body_of(slow)["error"]["message"] == "the service could not complete the request in time");

  httplib::Response db;
  rm::http::send_service_error(db, rm::actors::service_error("database unreachable", false));
  CHECK(db.status == 503);

  httplib::Response missing;
  rm::http::send_service_error(missing,
                               rm::actors::service_error(ec::not_found, "unknown tenant t1"));
  CHECK(missing.status == 404);
  CHECK(body_of(missing)["error"]["message"] == "unknown tenant t1");

  httplib::Response paused;
  rm::http::send_provider_unavailable(
      paused, rm::actors::provider_unavailable("Twilio is paused", std::chrono::seconds(17)));
  CHECK(paused.status == 503);
  CHECK(paused.get_header_value("Retry-After") == "17");
  CHECK(body_of(paused)["error"]["code"] == "provider_unavailable");
  CHECK(body_of(paused)["error"]["message"] == "Twilio is paused");
}
