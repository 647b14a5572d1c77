// The console (issue 15): the static web app for clinics and operators, served from the bytes
// embedded in the binary (console_assets.hpp). Routes (no authentication: the files are public;
// the app sends the user's token to the API itself):
//   GET /console          302 → /console/
//   GET /console/         index.html
//   GET /console/{file}   an embedded file by its path ("main.js", "pages/calls.js", "vendor/preact.js")
// Every answer, 404s included, carries the console's security headers (docs/console.md): a strict
// Content-Security-Policy (no inline script or style, connections to this origin only, no
// framing), X-Frame-Options DENY, nosniff, no referrer. Files are revalidated on every load
// (Cache-Control: no-cache + a strong ETag of their bytes; If-None-Match → 304), so a new binary's
// console is picked up at once although the file names carry no hash.
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <unordered_map>

#include "adapters/http/console_assets.hpp"
#include "adapters/http/routes.hpp"

namespace rm::http {

namespace {

constexpr const char* content_security_policy =
    "default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

void security_headers(httplib::Response& res) {
  res.set_header("Content-Security-Policy", content_security_policy);
  res.set_header("X-Frame-Options", "DENY");
  res.set_header("X-Content-Type-Options", "nosniff");
  res.set_header("Referrer-Policy", "no-referrer");
  res.set_header("Cross-Origin-Opener-Policy", "same-origin");
}

std::string content_type_of(std::string_view path) {
  const auto dot = path.rfind('.');
  const auto ext = dot == std::string_view::npos ? std::string_view{} : path.substr(dot + 1);
  if (ext == "html") return "text/html; charset=utf-8";
  if (ext == "js" || ext == "mjs") return "text/javascript; charset=utf-8";
  if (ext == "css") return "text/css; charset=utf-8";
  if (ext == "svg") return "image/svg+xml";
  if (ext == "png") return "image/png";
  if (ext == "ico") return "image/x-icon";
  if (ext == "json") return "application/json";
  if (ext == "txt" || ext == "md") return "text/plain; charset=utf-8";
  return "application/octet-stream";
}

struct served_file {
  const console_asset* asset;
  std::string content_type;
  std::string etag;  // "\"<FNV-1a 64 of the bytes>\""
};

std::string etag_of(const console_asset& a) {
  std::uint64_t h = 1469598103934665603ull;
  for (std::size_t i = 0; i < a.size; ++i) {
    h ^= a.data[i];
    h *= 1099511628211ull;
  }
  char buf[24];
  std::snprintf(buf, sizeof buf, "\"%016llx\"", static_cast<unsigned long long>(h));
  return buf;
}

using file_table = std::unordered_map<std::string, served_file>;

void serve_file(const file_table& files, const std::string& path, const httplib::Request& req,
                httplib::Response& res) {
  security_headers(res);
  const auto it = files.find(path);
  if (it == files.end()) {
    res.status = 404;
    res.set_header("Cache-Control", "no-store");
    res.set_content("not found\n", "text/plain; charset=utf-8");
    return;
  }
  const auto& f = it->second;
  res.set_header("Cache-Control", "no-cache");
  res.set_header("ETag", f.etag);
  if (req.get_header_value("If-None-Match") == f.etag) {
    res.status = 304;
    return;
  }
  res.status = 200;
  res.set_content(reinterpret_cast<const char*>(f.asset->data), f.asset->size, f.content_type);
}

}  // namespace

void add_console_routes(httplib::Server& srv, context& ctx) {
  auto files = std::make_shared<file_table>();
  for (const auto& a : console_assets())
    files->emplace(std::string{a.path}, served_file{&a, content_type_of(a.path), etag_of(a)});
  ctx.owned.push_back(files);
  const file_table& table = *files;

  add_route(srv, ctx, "GET", "/console", route_auth::none,
            [](const httplib::Request&, httplib::Response& res) {
              security_headers(res);
              res.set_header("Cache-Control", "no-cache");
              res.set_redirect("/console/", 302);
            });
  add_route(srv, ctx, "GET", "/console/", route_auth::none,
            [&table](const httplib::Request& req, httplib::Response& res) {
              serve_file(table, "index.html", req, res);
            });
  // The file's path: segments of letters, digits, '_', '-' and '.', never starting with '.'
  // (no "..", no hidden files); anything else is not a route, so it is not a file either.
  add_route(srv, ctx, "GET",
            "/console/{file:(?:[A-Za-z0-9_-][A-Za-z0-9_.-]*/)*[A-Za-z0-9_-][A-Za-z0-9_.-]*}",
            route_auth::none, [&table](const httplib::Request& req, httplib::Response& res) {
              serve_file(table, req.matches[1].str(), req, res);
            });
}

}  // namespace rm::http
