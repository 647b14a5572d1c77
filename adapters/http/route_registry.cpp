// add_route: every route of the server is registered through it, so server::routes() lists them
// all (tests/tenant_api checks every tenant and service route against its isolation matrix).
#include <stdexcept>

#include "actors/service.hpp"
#include "adapters/http/observability.hpp"
#include "adapters/http/routes.hpp"
#include "adapters/http/url_codec.hpp"
#include "adapters/logging/log.hpp"
#include "persistence/repositories.hpp"

namespace rm::http {

namespace {

// Input limits (docs/security.md): the path and the query, once percent-decoded, must be UTF-8
// without NUL: route handlers look them up in PostgreSQL, which refuses such text (a 503 before).
// Otherwise 400 bad_request naming "path" or the query parameter, before the route runs.
bool target_text_ok(const httplib::Request& req, httplib::Response& res, context& ctx) {
  std::vector<std::pair<std::string, std::string>> parts{{"path", req.path}};
  const auto q = req.target.find('?');
  if (q != std::string::npos) {
    const auto query = parse_query(std::string_view{req.target}.substr(q + 1));
    parts.insert(parts.end(), query.begin(), query.end());
  }
  return form_text_ok(parts, res, ctx);
}

}  // namespace

const char* to_string(route_auth auth) {
  switch (auth) {
    case route_auth::tenant:
      return "tenant";
    case route_auth::service:
      return "service";
    case route_auth::operator_token:
      return "operator";
    case route_auth::vapi:
      return "vapi";
    case route_auth::twilio:
      return "twilio";
    case route_auth::none:
      return "none";
  }
  return "?";
}

namespace {

// One piece of a route path: literal text, or a placeholder "{name}" / "{name:regex}".
struct path_piece {
  bool placeholder = false;
  std::string text;   // the literal text, or the placeholder's name
  std::string regex;  // the placeholder's regex ("" for "{name}")
};

// The one scanner of route paths (pattern_of and route_template). A placeholder's regex may
// hold balanced braces ({36}). Throws std::logic_error for an unmatched brace, a name other than
// [a-z_]+ or an empty regex after ':'.
std::vector<path_piece> split_path(const std::string& path) {
  std::vector<path_piece> pieces;
  for (std::size_t i = 0; i < path.size();) {
    if (path[i] != '{') {
      if (path[i] == '}') throw std::logic_error("route path with an unmatched '}': " + path);
      if (pieces.empty() || pieces.back().placeholder) pieces.push_back({});
      pieces.back().text += path[i++];
      continue;
    }
    std::size_t end = i + 1;
    int depth = 1;
    for (; end < path.size() && depth > 0; ++end) {
      if (path[end] == '{') ++depth;
      if (path[end] == '}') --depth;
    }
    if (depth != 0) throw std::logic_error("route path with an unmatched '{': " + path);
    const auto inner = path.substr(i + 1, end - i - 2);  // between the outer braces
    const auto colon = inner.find(':');
    path_piece p{true, inner.substr(0, colon), ""};
    if (p.text.empty() || p.text.find_first_not_of("abcdefghijklmnopqrstuvwxyz_") != std::string::npos)
      throw std::logic_error("route path with a bad placeholder name: " + path);
    if (colon != std::string::npos) {
      p.regex = inner.substr(colon + 1);
      if (p.regex.empty())
        throw std::logic_error("route path with an empty placeholder regex: " + path);
    }
    pieces.push_back(std::move(p));
    i = end;
  }
  return pieces;
}

}  // namespace

std::string pattern_of(const std::string& path) {
  std::string out;
  for (const auto& p : split_path(path))
    out += !p.placeholder ? p.text : "(" + (p.regex.empty() ? std::string{"[^/]+"} : p.regex) + ")";
  return out;
}

std::string route_template(const std::string& path) {
  std::string out;
  for (const auto& p : split_path(path)) out += p.placeholder ? "{" + p.text + "}" : p.text;
  return out;
}

namespace {

void register_route(httplib::Server& srv, context& ctx, const char* method, const std::string& path,
                    route_auth auth, httplib::Server::Handler handler,
                    const std::string& min_role) {
  registered_route r;
  r.method = method;
  r.path = path;
  r.pattern = pattern_of(path);
  r.auth = auth;
  r.min_role = min_role;
  handler = [&ctx, inner = std::move(handler), route = route_template(path)](
                const httplib::Request& req, httplib::Response& res) {
    route_matched(route);  // the metrics' route label: the template, not the path
    if (target_text_ok(req, res, ctx)) inner(req, res);
  };
  if (r.method == "GET") {
    srv.Get(r.pattern, std::move(handler));
  } else if (r.method == "POST") {
    srv.Post(r.pattern, std::move(handler));
  } else if (r.method == "PUT") {
    srv.Put(r.pattern, std::move(handler));
  } else if (r.method == "PATCH") {
    srv.Patch(r.pattern, std::move(handler));
  } else if (r.method == "DELETE") {
    srv.Delete(r.pattern, std::move(handler));
  } else {
    throw std::logic_error("route with an unsupported method: " + r.method + " " + path);
  }
  ctx.routes.push_back(std::move(r));
}

}  // namespace

void add_route(httplib::Server& srv, context& ctx, const char* method, const std::string& path,
               route_auth auth, httplib::Server::Handler handler) {
  if (auth == route_auth::tenant)
    throw std::logic_error("tenant route registered without its guard (use add_tenant_route): " +
                           path);
  register_route(srv, ctx, method, path, auth, std::move(handler), "");
}

void add_tenant_route(httplib::Server& srv, context& ctx, const char* method,
                      const std::string& path, const std::string& min_role,
                      tenant_handler handler) {
  if (min_role != "member" && min_role != "admin")
    throw std::logic_error("tenant route with an unknown role '" + min_role + "': " + path);
  const bool admin_only = min_role == "admin";
  httplib::Server::Handler guarded = [&ctx, admin_only, inner = std::move(handler)](
                                         const httplib::Request& req, httplib::Response& res) {
    auto user = require_tenant(req, res, ctx);
    if (!user) return;
    logging::note_org(user->org_id);  // log lines of this request name the tenant
    // Authenticated but not allowed: 403, and not counted as a failed authentication.
    if (admin_only && user->role != "admin")
      return send_error(res, ec::forbidden,
                        "this action needs the admin role; your role is " + user->role);
    inner(ctx, req, res, *user);
  };
  register_route(srv, ctx, method, path, route_auth::tenant, std::move(guarded), min_role);
}

void add_tenant_table(httplib::Server& srv, context& ctx, const std::vector<tenant_route>& table) {
  for (const auto& r : table) add_tenant_route(srv, ctx, r.method, r.path, r.min_role, r.handler);
}

void in_tenant(context& ctx, const std::string& org_id,
               const std::function<bool(pqxx::work&)>& work) {
  ctx.service.with_db([&](pqxx::connection& c) { persistence::in_tenant(c, org_id, work); });
}

}  // namespace rm::http
