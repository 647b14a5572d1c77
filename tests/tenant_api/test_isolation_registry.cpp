// The route registry and the isolation matrix agree: every tenant and service route has an entry
// and every entry a route; other /api/ routes declare how they authenticate; no route reaches
// httplib behind add_route's back.
#include <dirent.h>

#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include <catch2/catch.hpp>

#include "tests/tenant_api/isolation.hpp"

using namespace rm::tapi;
using namespace rm::tapi::isolation;

namespace {
// The console's files (adapters/http/console_routes.cpp): embedded bytes, the same for everyone,
// no data (the app reads the API with the user's token). The last one's file pattern admits
// only path segments that do not start with '.'.
bool console_static_route(const rm::http::registered_route& r) {
  return r.method == "GET" &&
         (r.path == "/console" || r.path == "/console/" ||
          r.path == "/console/{file:(?:[A-Za-z0-9_-][A-Za-z0-9_.-]*/)*[A-Za-z0-9_-][A-Za-z0-9_.-]*}");
}
}  // namespace

TEST_CASE("every tenant and service route registered on the server has an isolation-matrix "
          "entry, and every entry a route") {
  fixture f;
  const auto routes = f.routes();
  REQUIRE(!routes.empty());
  std::set<std::string> keys, in_scope;
  for (const auto& r : routes) {
    INFO(key_of(r) << " (" << rm::http::to_string(r.auth) << ", pattern " << r.pattern << ")");
    CHECK(keys.insert(key_of(r)).second);  // registered once
    if (in_matrix_scope(r)) {
      in_scope.insert(key_of(r));
      INFO("this route is registered but has no entry in the isolation matrix");
      CHECK(matrix().count(key_of(r)) == 1);
      CHECK(r.path.rfind("/api/", 0) == 0);
    } else if (r.path.rfind("/api/", 0) == 0) {
      INFO("an /api/ route that is neither a tenant nor a service route must be listed, with "
           "its authentication, in other_api_routes()");
      REQUIRE(other_api_routes().count(key_of(r)) == 1);
      CHECK(other_api_routes().at(key_of(r)) == r.auth);
    }
    if (r.auth == route_auth::tenant) CHECK((r.min_role == "member" || r.min_role == "admin"));
    if (r.auth == route_auth::none) {
      INFO("a public route must be a health check, the console's static files or a signed-link "
           "route listed, with its check, in public_link_routes()");
      CHECK((r.path == "/healthz" || r.path == "/readyz" || console_static_route(r) ||
             public_link_routes().count(key_of(r)) == 1));
    }
  }
  // The telephony routes are registered like any other (they once were not enumerated).
  CHECK(in_scope.count("POST /api/telephony/verify-caller-id/confirm") == 1);
  CHECK(in_scope.count("DELETE /api/telephony/forwarding-config/{id}") == 1);
  for (const auto& [key, entry] : matrix()) {
    INFO("matrix entry " << key << " names no registered tenant or service route");
    CHECK(in_scope.count(key) == 1);
  }
  for (const auto& [key, check] : public_link_routes()) {
    INFO("public_link_routes() entry " << key << " names no registered route");
    CHECK(keys.count(key) == 1);
  }
  for (const auto& [key, auth] : other_api_routes()) {
    INFO("other_api_routes() entry " << key << " names no registered route");
    CHECK(keys.count(key) == 1);
  }
}

// server::routes() only knows what went through add_route; a handler given to httplib directly
// would escape the matrix. So no source of the HTTP adapter but add_route's own registers one.
TEST_CASE("no route is registered with httplib except through add_route") {
  const std::string dir = std::string{RM_SOURCE_DIR} + "/adapters/http";
  DIR* d = opendir(dir.c_str());
  REQUIRE(d != nullptr);
  std::vector<std::string> sources;
  while (auto* e = readdir(d)) {
    std::string name = e->d_name;
    if (name.size() > 4 && name.compare(name.size() - 4, 4, ".cpp") == 0) sources.push_back(name);
  }
  closedir(d);
  REQUIRE(sources.size() >= 7);
  static const std::regex direct{R"(\.\s*(Get|Post|Put|Patch|Delete|Options)\s*\()"};
  for (const auto& name : sources) {
    if (name == "route_registry.cpp") continue;
    std::ifstream in{dir + "/" + name};
    std::stringstream text;
    text << in.rdbuf();
    const auto source = text.str();
    std::smatch m;
    INFO("adapters/http/" << name << " registers a route with httplib directly; use add_route");
    CHECK(!std::regex_search(source, m, direct));
  }
}
