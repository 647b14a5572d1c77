// Internal to the HTTP adapter: shared helpers and the route groups.
#pragma once

#include <string>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "adapters/http/server.hpp"

namespace rm::http {

struct context {
  actors::service& service;
  const server_options& options;
  server_counters& counters;
};

// {"error":{"code","message"[, "field"]}} with `status`.
void send_error(httplib::Response& res, int status, const std::string& code,
                const std::string& message, const std::string& field = "");
void send_json(httplib::Response& res, int status, const nlohmann::json& body);

// Parses the body as JSON; on failure answers 400 invalid_json and returns discarded.
nlohmann::json parse_body(const httplib::Request& req, httplib::Response& res, context& ctx);

// Checks `Authorization: Bearer <operator token>` in constant time; answers 401 when wrong.
bool require_operator(const httplib::Request& req, httplib::Response& res, context& ctx);

void add_vapi_routes(httplib::Server& srv, context& ctx);    // vapi_routes.cpp
void add_legacy_routes(httplib::Server& srv, context& ctx);  // legacy_routes.cpp
void add_ops_routes(httplib::Server& srv, context& ctx);     // ops_routes.cpp

}  // namespace rm::http
