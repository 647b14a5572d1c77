#include "adapters/google/google_client.hpp"

#include <httplib.h>

#include "adapters/http/url_codec.hpp"
#include "adapters/json/json_guard.hpp"

namespace rm::google {
namespace {

using nlohmann::json;

std::string form(const std::vector<std::pair<std::string, std::string>>& fields) {
  std::string out;
  for (const auto& [k, v] : fields)
    out += (out.empty() ? "" : "&") + http::percent_encode(k) + "=" + http::percent_encode(v);
  return out;
}

std::pair<std::string, std::string> split_base_url(const std::string& base_url) {
  auto scheme_end = base_url.find("://");
  if (scheme_end == std::string::npos || scheme_end == 0) return {};
  auto path_start = base_url.find('/', scheme_end + 3);
  if (path_start == std::string::npos) return {base_url, ""};
  std::string prefix = base_url.substr(path_start);
  while (!prefix.empty() && prefix.back() == '/') prefix.pop_back();
  return {base_url.substr(0, path_start), prefix};
}

struct raw_answer {
  int status = 0;  // 0 = no answer
  std::string body;
  std::string transport;  // why there was no answer
};

raw_answer send(const endpoint& ep, const std::string& base, const std::string& method,
                const std::string& path, const std::string& bearer, const std::string& body,
                const char* content_type) {
  auto [host, prefix] = split_base_url(base);
  if (host.empty()) return {0, "", "invalid Google base URL '" + base + "'"};
  httplib::Client http(host);
  http.set_tcp_nodelay(true);
  http.set_connection_timeout(ep.timeout);
  http.set_read_timeout(ep.timeout);
  http.set_write_timeout(ep.timeout);
  if (!bearer.empty()) http.set_bearer_token_auth(bearer.c_str());
  const httplib::Headers headers{{"Accept", "application/json"}};
  const auto full = prefix + path;
  httplib::Result res{nullptr, httplib::Error::Unknown};
  if (method == "POST") res = http.Post(full.c_str(), headers, body, content_type);
  else if (method == "DELETE") res = http.Delete(full.c_str(), headers);
  else res = http.Get(full.c_str(), headers);
  if (!res) return {0, "", "no answer from Google: " + httplib::to_string(res.error())};
  return {res->status, res->body, ""};
}

json parse(const std::string& text) {
  auto p = json_guard::parse(text);
  return p.ok() ? std::move(p.value) : json(json::value_t::discarded);
}

// Google's error of a non-2xx answer: OAuth `{"error": "...", "error_description"}` or Calendar
// `{"error": {"errors": [{"reason"}], "message"}}`.
error error_of(const raw_answer& a) {
  error e{a.status, "", a.transport};
  if (a.status == 0) return e;
  auto body = parse(a.body);
  e.message = "HTTP " + std::to_string(a.status);
  if (!body.is_object() || !body.contains("error")) return e;
  const auto& err = body["error"];
  if (err.is_string()) {
    e.reason = err.get<std::string>();
    if (body.contains("error_description") && body["error_description"].is_string())
      e.message = body["error_description"].get<std::string>();
  } else if (err.is_object()) {
    if (err.contains("errors") && err["errors"].is_array() && !err["errors"].empty() &&
        err["errors"][0].is_object() && err["errors"][0].contains("reason") &&
        err["errors"][0]["reason"].is_string())
      e.reason = err["errors"][0]["reason"].get<std::string>();
    if (err.contains("message") && err["message"].is_string())
      e.message = err["message"].get<std::string>();
  }
  return e;
}

token_result token_of(const raw_answer& a) {
  token_result t;
  if (a.status < 200 || a.status >= 300) {
    t.err = error_of(a);
    return t;
  }
  auto body = parse(a.body);
  if (!body.is_object() || !body.contains("access_token") || !body["access_token"].is_string()) {
    t.err = {a.status, "", "token endpoint answered without an access_token"};
    return t;
  }
  t.ok = true;
  t.access_token = body["access_token"];
  auto str = [&](const char* k) {
    return body.contains(k) && body[k].is_string() ? body[k].get<std::string>() : std::string{};
  };
  t.refresh_token = str("refresh_token");
  t.scope = str("scope");
  t.id_token = str("id_token");
  t.expires_in = body.contains("expires_in") && body["expires_in"].is_number_integer()
                     ? body["expires_in"].get<std::int64_t>()
                     : 3600;
  return t;
}

std::string base64url_decode(const std::string& in) {
  auto val = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '-' || c == '+') return 62;
    if (c == '_' || c == '/') return 63;
    return -1;
  };
  std::string out;
  unsigned buf = 0;
  int bits = 0;
  for (char c : in) {
    if (c == '=') break;
    int v = val(c);
    if (v < 0) return {};
    buf = buf << 6 | static_cast<unsigned>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>(buf >> bits & 0xff);
    }
  }
  return out;
}

}  // namespace

bool transient(const error& e) {
  return e.http_status == 0 || e.http_status == 429 || e.http_status >= 500 ||
         (e.http_status == 403 &&
          (e.reason == "rateLimitExceeded" || e.reason == "userRateLimitExceeded" ||
           e.reason == "quotaExceeded"));
}

std::string describe(const error& e) {
  std::string out = e.http_status == 0 ? std::string{"no answer"}
                                       : "HTTP " + std::to_string(e.http_status);
  if (!e.reason.empty()) out += " " + e.reason;
  if (!e.message.empty() && e.message != "HTTP " + std::to_string(e.http_status))
    out += ": " + e.message;
  return out;
}

std::optional<id_claims> decode_id_token(const std::string& id_token) {
  auto first = id_token.find('.');
  auto second = first == std::string::npos ? first : id_token.find('.', first + 1);
  if (second == std::string::npos) return std::nullopt;
  auto payload = parse(base64url_decode(id_token.substr(first + 1, second - first - 1)));
  if (!payload.is_object()) return std::nullopt;
  id_claims c;
  auto str = [&](const char* k) {
    return payload.contains(k) && payload[k].is_string() ? payload[k].get<std::string>()
                                                         : std::string{};
  };
  c.iss = str("iss");
  c.aud = str("aud");
  c.sub = str("sub");
  c.email = str("email");
  c.email_verified = payload.value("email_verified", false) == true;
  if (payload.contains("exp") && payload["exp"].is_number_integer()) c.exp = payload["exp"];
  return c;
}

std::string check_id_claims(const id_claims& c, const std::string& client_id,
                            domain::instant now) {
  if (c.iss != "https://accounts.google.com" && c.iss != "accounts.google.com")
    return "the id_token was not issued by Google (iss " + c.iss + ")";
  if (c.aud != client_id) return "the id_token is for another client (aud)";
  if (c.exp <= now.time_since_epoch().count()) return "the id_token has expired";
  if (c.email.empty()) return "the id_token carries no email (the email scope was not granted)";
  return "";
}

bool calendar_scopes_granted(const std::string& granted) {
  auto has = [&](const std::string& s) {
    std::size_t pos = 0;
    while ((pos = granted.find(s, pos)) != std::string::npos) {
      const auto end = pos + s.size();
      if ((pos == 0 || granted[pos - 1] == ' ') && (end == granted.size() || granted[end] == ' '))
        return true;
      pos = end;
    }
    return false;
  };
  return has("https://www.googleapis.com/auth/calendar.events") &&
         has("https://www.googleapis.com/auth/calendar.freebusy");
}

std::string authorize_url(const endpoint& ep, const std::string& redirect_uri,
                          const std::string& state) {
  return ep.authorize_url + (ep.authorize_url.find('?') == std::string::npos ? "?" : "&") +
         form({{"client_id", ep.client_id},
               {"redirect_uri", redirect_uri},
               {"response_type", "code"},
               {"scope", oauth_scopes},
               {"access_type", "offline"},
               {"prompt", "consent"},
               {"include_granted_scopes", "true"},
               {"state", state}});
}

nlohmann::json event_body(const std::string& event_id, const std::string& summary,
                          const std::string& description, domain::instant start,
                          domain::instant end, const std::string& time_zone,
                          const std::string& org_id, const std::string& appointment_id) {
  return {{"id", event_id},
          {"summary", summary},
          {"description", description},
          {"start", {{"dateTime", domain::format_local(start, time_zone)}, {"timeZone", time_zone}}},
          {"end", {{"dateTime", domain::format_local(end, time_zone)}, {"timeZone", time_zone}}},
          {"transparency", "opaque"},
          {"extendedProperties",
           {{"private",
             {{"clinicId", org_id}, {"bookingId", appointment_id}, {"source", "voice-agent"}}}}}};
}

token_result client::exchange_code(const std::string& code, const std::string& redirect_uri) const {
  return token_of(send(ep_, ep_.oauth_base, "POST", "/token", "",
                       form({{"code", code},
                             {"client_id", ep_.client_id},
                             {"client_secret", ep_.client_secret},
                             {"redirect_uri", redirect_uri},
                             {"grant_type", "authorization_code"}}),
                       "application/x-www-form-urlencoded"));
}

token_result client::refresh(const std::string& refresh_token) const {
  return token_of(send(ep_, ep_.oauth_base, "POST", "/token", "",
                       form({{"refresh_token", refresh_token},
                             {"client_id", ep_.client_id},
                             {"client_secret", ep_.client_secret},
                             {"grant_type", "refresh_token"}}),
                       "application/x-www-form-urlencoded"));
}

event_result client::revoke(const std::string& token) const {
  auto a = send(ep_, ep_.oauth_base, "POST", "/revoke", "", form({{"token", token}}),
                "application/x-www-form-urlencoded");
  event_result r;
  if (a.status == 200) r.ok = true;
  else if (a.status == 400) r.ok = r.already = true;  // already invalid
  else r.err = error_of(a);
  return r;
}

busy_result client::free_busy(const std::string& access_token, const std::string& calendar_id,
                              domain::instant from, domain::instant to) const {
  json body{{"timeMin", domain::format_local(from, "UTC")},
            {"timeMax", domain::format_local(to, "UTC")},
            {"timeZone", "UTC"},
            {"items", json::array({{{"id", calendar_id}}})}};
  auto a = send(ep_, ep_.api_base, "POST", "/calendar/v3/freeBusy", access_token, body.dump(),
                "application/json");
  busy_result r;
  if (a.status < 200 || a.status >= 300) {
    r.err = error_of(a);
    return r;
  }
  auto out = parse(a.body);
  if (!out.is_object() || !out.contains("calendars") || !out["calendars"].is_object() ||
      !out["calendars"].contains(calendar_id) || !out["calendars"][calendar_id].is_object()) {
    r.err = {a.status, "", "freeBusy answered without the calendar " + calendar_id};
    return r;
  }
  const auto& cal = out["calendars"][calendar_id];
  if (cal.contains("errors") && cal["errors"].is_array() && !cal["errors"].empty()) {
    const auto& e0 = cal["errors"][0];
    r.err = {a.status, e0.is_object() ? e0.value("reason", "") : "",
             "freeBusy could not read the calendar " + calendar_id};
    return r;
  }
  if (cal.contains("busy") && cal["busy"].is_array()) {
    for (const auto& b : cal["busy"]) {
      if (!b.is_object() || !b.contains("start") || !b.contains("end") || !b["start"].is_string() ||
          !b["end"].is_string())
        continue;
      auto s = domain::parse_instant(b["start"].get<std::string>(), "UTC");
      auto e = domain::parse_instant(b["end"].get<std::string>(), "UTC");
      if (!s || !e) {
        r.err = {a.status, "", "freeBusy sent a busy block that is not RFC 3339"};
        return r;
      }
      r.busy.push_back({*s, *e});
    }
  }
  r.ok = true;
  return r;
}

event_result client::insert_event(const std::string& access_token, const std::string& calendar_id,
                                  const nlohmann::json& event) const {
  auto a = send(ep_, ep_.api_base, "POST",
                "/calendar/v3/calendars/" + http::percent_encode(calendar_id) +
                    "/events?sendUpdates=none",
                access_token, event.dump(), "application/json");
  event_result r;
  if (a.status >= 200 && a.status < 300) r.ok = true;
  else if (a.status == 409) r.ok = r.already = true;  // our id is there: created before
  else r.err = error_of(a);
  return r;
}

event_result client::delete_event(const std::string& access_token, const std::string& calendar_id,
                                  const std::string& event_id) const {
  auto a = send(ep_, ep_.api_base, "DELETE",
                "/calendar/v3/calendars/" + http::percent_encode(calendar_id) + "/events/" +
                    http::percent_encode(event_id) + "?sendUpdates=none",
                access_token, "", nullptr);
  event_result r;
  if (a.status >= 200 && a.status < 300) r.ok = true;
  else if (a.status == 404 || a.status == 410) r.ok = r.already = true;
  else r.err = error_of(a);
  return r;
}

}  // namespace rm::google
