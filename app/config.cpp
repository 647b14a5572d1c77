#include "app/config.hpp"

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <tuple>
#include <regex>
#include <unistd.h>

#include "adapters/email/smtp_client.hpp"

namespace rm::app {

namespace {

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

std::optional<config_error> parse_int(const std::string& setting, const std::string& text, int lo,
                                      int hi, int& out) {
  if (text.empty()) return std::nullopt;
  try {
    std::size_t used = 0;
    int v = std::stoi(text, &used);
    if (used != text.size() || v < lo || v > hi) throw std::out_of_range(text);
    out = v;
    return std::nullopt;
  } catch (const std::exception&) {
    return config_error{setting, "must be an integer from " + std::to_string(lo) + " to " +
                                     std::to_string(hi) + ", got '" + text + "'"};
  }
}

bool is_http_url(const std::string& s) {
  static const std::regex url{R"(^https?://[A-Za-z0-9.\-\[\]:]+(:[0-9]+)?(/.*)?$)"};
  return std::regex_match(s, url);
}

}  // namespace

std::string default_data_dir() {
  if (geteuid() == 0) return "/var/lib/ringmaster";
  auto home = env("HOME");
  return (home.empty() ? std::string{"/tmp"} : home) + "/.local/share/ringmaster";
}

std::optional<config_error> load_master_key(const config& c, persistence::master_key& out) {
  if (!c.master_key_base64.empty() && !c.master_key_file.empty())
    return config_error{"RINGMASTER_MASTER_KEY",
                        "and RINGMASTER_MASTER_KEY_FILE are both set; set only one"};
  if (!c.master_key_file.empty()) {
    if (auto err = persistence::read_master_key_file(c.master_key_file, out))
      return config_error{"RINGMASTER_MASTER_KEY_FILE", *err};
    return std::nullopt;
  }
  if (c.master_key_base64.empty())
    return config_error{
        "RINGMASTER_MASTER_KEY",
        "is required (or RINGMASTER_MASTER_KEY_FILE): the base64 of 32 random bytes that "
        "encrypts the tenants' stored credentials, e.g. `openssl rand -base64 32` "
        "(see docs/operations.md)"};
  if (auto err = persistence::parse_master_key(c.master_key_base64, out))
    return config_error{"RINGMASTER_MASTER_KEY", *err};
  return std::nullopt;
}

std::optional<config_error> check_vapi_webhook_auth(const config& c) {
  if (!c.vapi_secret.empty() || !c.vapi_bearer_token.empty() || !c.vapi_hmac_secret.empty() ||
      c.vapi_auth_none)
    return std::nullopt;
  return config_error{
      "RINGMASTER_VAPI_SECRET",
      "no Vapi webhook credential is configured: set RINGMASTER_VAPI_SECRET, "
      "RINGMASTER_VAPI_BEARER_TOKEN or RINGMASTER_VAPI_HMAC_SECRET to the credential your Vapi "
      "assistants send (docs/security.md), or RINGMASTER_VAPI_AUTH=none to accept "
      "unauthenticated webhooks (development only)"};
}

std::optional<config_error> load_config(const std::vector<std::string>& args,
                                        bool need_operator_token, config& out) {
  std::string listen = env("RINGMASTER_LISTEN");
  out.database_url = env("DATABASE_URL");
  out.app_database_url = env("RINGMASTER_APP_DATABASE_URL");
  out.data_dir = env("RINGMASTER_DATA_DIR");
  out.operator_token = env("RINGMASTER_OPERATOR_TOKEN");
  out.public_url = env("RINGMASTER_PUBLIC_URL");
  if (auto v = env("RINGMASTER_TWILIO_API_BASE"); !v.empty()) out.twilio_api_base = v;
  out.jwt_secret = env("RINGMASTER_JWT_SECRET");
  out.jwt_public_key_file = env("RINGMASTER_JWT_PUBLIC_KEY_FILE");
  out.jwt_issuer = env("RINGMASTER_JWT_ISSUER");
  out.jwt_audience = env("RINGMASTER_JWT_AUDIENCE");
  out.service_token = env("RINGMASTER_SERVICE_TOKEN");
  out.vapi_secret = env("RINGMASTER_VAPI_SECRET");
  out.vapi_bearer_token = env("RINGMASTER_VAPI_BEARER_TOKEN");
  out.vapi_hmac_secret = env("RINGMASTER_VAPI_HMAC_SECRET");
  if (auto v = env("RINGMASTER_VAPI_AUTH"); !v.empty()) {
    if (v != "none")
      return config_error{"RINGMASTER_VAPI_AUTH",
                          "must be 'none' (accept Vapi webhooks without credentials, development "
                          "only) or unset, got '" + v + "'"};
    out.vapi_auth_none = true;
  }
  out.twilio_auth_token = env("RINGMASTER_TWILIO_AUTH_TOKEN");
  const char* vapi_base_setting = "RINGMASTER_VAPI_API_BASE";
  {
    auto api_base = env("RINGMASTER_VAPI_API_BASE"), base_url = env("RINGMASTER_VAPI_BASE_URL");
    if (!api_base.empty() && !base_url.empty() && api_base != base_url)
      return config_error{"RINGMASTER_VAPI_BASE_URL",
                          "disagrees with RINGMASTER_VAPI_API_BASE (set one of them)"};
    if (!api_base.empty()) out.vapi_api_base = api_base;
    else if (!base_url.empty()) {
      out.vapi_api_base = base_url;
      vapi_base_setting = "RINGMASTER_VAPI_BASE_URL";
    }
  }
  out.vapi_private_key = env("RINGMASTER_VAPI_PRIVATE_KEY");
  out.master_key_base64 = env("RINGMASTER_MASTER_KEY");
  out.master_key_file = env("RINGMASTER_MASTER_KEY_FILE");

  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string a = args[i], value;
    auto eq = a.find('=');
    if (a.rfind("--", 0) != 0) return config_error{a, "unexpected argument"};
    if (eq != std::string::npos) {
      value = a.substr(eq + 1);
      a = a.substr(0, eq);
    } else if (i + 1 < args.size()) {
      value = args[++i];
    } else {
      return config_error{a, "needs a value"};
    }
    if (a == "--database-url") out.database_url = value;
    else if (a == "--listen") listen = value;
    else if (a == "--data-dir") out.data_dir = value;
    else if (a == "--operator-token") out.operator_token = value;
    else if (a == "--public-url") out.public_url = value;
    else if (a == "--twilio-api-base") out.twilio_api_base = value;
    else if (a == "--vapi-api-base") out.vapi_api_base = value;
    else return config_error{a, "unknown option (see ringmaster --help)"};
  }

  static const std::regex host_port{R"(^([A-Za-z0-9.\-]+|\[[0-9A-Fa-f:]+\]):([0-9]{1,5})$)"};
  if (auto metrics = env("RINGMASTER_METRICS_LISTEN"); !metrics.empty()) {
    std::smatch m;
    int port = -1;
    if (!std::regex_match(metrics, m, host_port) ||
        parse_int("RINGMASTER_METRICS_LISTEN", m[2], 0, 65535, port))
      return config_error{"RINGMASTER_METRICS_LISTEN",
                          "must be host:port, e.g. 127.0.0.1:9464, got '" + metrics + "'"};
    out.metrics_host = m[1];
    out.metrics_port = port;
  }
  out.log_format = env("RINGMASTER_LOG_FORMAT");
  if (!out.log_format.empty() && out.log_format != "json" && out.log_format != "text")
    return config_error{"RINGMASTER_LOG_FORMAT",
                        "must be 'json' or 'text', got '" + out.log_format + "'"};
  if (!listen.empty()) {
    std::smatch m;
    int port = -1;
    if (!std::regex_match(listen, m, host_port) ||
        parse_int("RINGMASTER_LISTEN", m[2], 0, 65535, port))
      return config_error{"RINGMASTER_LISTEN", "must be host:port, e.g. 127.0.0.1:8080, got '" +
                                                   listen + "'"};
    out.listen_host = m[1];
    out.listen_port = port;
  }
  if (!out.metrics_host.empty() && out.metrics_port != 0 && out.metrics_port == out.listen_port)
    return config_error{"RINGMASTER_METRICS_LISTEN",
                        "must use another port than RINGMASTER_LISTEN (metrics are never served "
                        "on the public port)"};
  if (out.data_dir.empty()) out.data_dir = default_data_dir();
  if (need_operator_token && out.operator_token.empty())
    return config_error{"RINGMASTER_OPERATOR_TOKEN",
                        "is required: the Bearer token for /ops/* and /sessions/*"};
  if (!out.operator_token.empty() && out.operator_token.size() < 16)
    return config_error{"RINGMASTER_OPERATOR_TOKEN", "must be at least 16 characters"};
  if (!out.jwt_public_key_file.empty()) {
    std::ifstream in{out.jwt_public_key_file};
    std::stringstream pem;
    pem << in.rdbuf();
    if (!in || pem.str().empty())
      return config_error{"RINGMASTER_JWT_PUBLIC_KEY_FILE",
                          "cannot read '" + out.jwt_public_key_file + "'"};
    out.jwt_public_key_pem = pem.str();
  }
  if (!out.jwt_secret.empty() && out.jwt_secret.size() < 32)
    return config_error{"RINGMASTER_JWT_SECRET", "must be at least 32 bytes (RFC 7518 §3.2)"};
  if (!out.service_token.empty() && out.service_token.size() < 16)
    return config_error{"RINGMASTER_SERVICE_TOKEN", "must be at least 16 characters"};
  if (!out.public_url.empty() && !is_http_url(out.public_url))
    return config_error{"RINGMASTER_PUBLIC_URL", "must be an http(s) URL"};
  if (!is_http_url(out.twilio_api_base))
    return config_error{"RINGMASTER_TWILIO_API_BASE", "must be an http(s) URL"};
  if (!is_http_url(out.vapi_api_base))
    return config_error{vapi_base_setting, "must be an http(s) URL"};
  // A key is one token: whitespace would come from a mangled copy-paste and fail every call.
  if (out.vapi_private_key.find_first_of(" \t\r\n") != std::string::npos)
    return config_error{"RINGMASTER_VAPI_PRIVATE_KEY", "must not contain whitespace"};
  if (!out.database_url.empty() && out.database_url.rfind("postgres", 0) != 0 &&
      out.database_url.find('=') == std::string::npos)
    return config_error{"DATABASE_URL",
                        "must be a PostgreSQL URL (postgresql://…) or a key=value DSN"};
  if (!out.app_database_url.empty() && out.app_database_url.rfind("postgres", 0) != 0 &&
      out.app_database_url.find('=') == std::string::npos)
    return config_error{"RINGMASTER_APP_DATABASE_URL",
                        "must be a PostgreSQL URL (postgresql://…) or a key=value DSN"};
  if (!out.app_database_url.empty() && out.database_url.empty())
    return config_error{"RINGMASTER_APP_DATABASE_URL",
                        "needs DATABASE_URL too (the owner role that runs the migrations)"};
  if (auto e = parse_int("RINGMASTER_DB_WORKERS", env("RINGMASTER_DB_WORKERS"), 1, 64,
                         out.db_workers))
    return e;
  if (auto e = parse_int("RINGMASTER_HTTP_THREADS", env("RINGMASTER_HTTP_THREADS"), 1, 1024,
                         out.http_threads))
    return e;
  if (auto e = parse_int("RINGMASTER_HTTP_NICE", env("RINGMASTER_HTTP_NICE"), 0, 19,
                         out.http_nice))
    return e;
  if (auto e = parse_int("RINGMASTER_SCHEDULER_THREADS", env("RINGMASTER_SCHEDULER_THREADS"), 0,
                         256, out.scheduler_threads))
    return e;
  for (auto [name, lo, hi, slot] :
       {std::tuple{"RINGMASTER_EVENT_STREAMS_MAX", 0, 1024, &out.event_streams_max},
        std::tuple{"RINGMASTER_EVENT_KEEPALIVE_MS", 10, 600000, &out.event_keepalive_ms},
        std::tuple{"RINGMASTER_EVENT_STREAM_MAX_SECONDS", 1, 86400,
                   &out.event_stream_max_seconds},
        std::tuple{"RINGMASTER_EVENT_QUEUE_MAX", 1, 100000, &out.event_queue_max}})
    if (auto e = parse_int(name, env(name), lo, hi, *slot)) return e;
  if (auto e = parse_int("RINGMASTER_CALL_LINGER_SECONDS", env("RINGMASTER_CALL_LINGER_SECONDS"),
                         0, 86400, out.call_linger_seconds))
    return e;
  if (auto e = parse_int("RINGMASTER_NO_REPORT_TIMEOUT_SECONDS",
                         env("RINGMASTER_NO_REPORT_TIMEOUT_SECONDS"), 1, 7 * 86400,
                         out.no_report_timeout_seconds))
    return e;
  if (auto e = parse_int("RINGMASTER_BREAKER_FAILURES", env("RINGMASTER_BREAKER_FAILURES"), 1,
                         1000, out.breaker_failures))
    return e;
  if (auto e = parse_int("RINGMASTER_BREAKER_WINDOW_SECONDS",
                         env("RINGMASTER_BREAKER_WINDOW_SECONDS"), 1, 86400,
                         out.breaker_window_seconds))
    return e;
  if (auto e = parse_int("RINGMASTER_BREAKER_COOL_OFF_SECONDS",
                         env("RINGMASTER_BREAKER_COOL_OFF_SECONDS"), 1, 86400,
                         out.breaker_cool_off_seconds))
    return e;
  if (auto e = parse_int("RINGMASTER_NUMBER_QUARANTINE_DAYS",
                         env("RINGMASTER_NUMBER_QUARANTINE_DAYS"), 0, 365,
                         out.number_quarantine_days))
    return e;
  if (auto e = parse_int("RINGMASTER_NUMBER_SWEEP_SECONDS", env("RINGMASTER_NUMBER_SWEEP_SECONDS"),
                         5, 86400, out.number_sweep_seconds))
    return e;
  if (auto e = parse_int("RINGMASTER_SMS_PER_CALL", env("RINGMASTER_SMS_PER_CALL"), 0, 100,
                         out.sms_per_call))
    return e;
  if (auto e = parse_int("RINGMASTER_OUTBOX_POLL_MS", env("RINGMASTER_OUTBOX_POLL_MS"), 0,
                         3600000, out.outbox_poll_ms))
    return e;
  if (auto e = parse_int("RINGMASTER_OUTBOX_LEASE_MS", env("RINGMASTER_OUTBOX_LEASE_MS"), 3000,
                         600000, out.outbox_lease_ms))
    return e;
  if (auto e = parse_int("RINGMASTER_TOOLS_SYNC_BACKOFF_MS",
                         env("RINGMASTER_TOOLS_SYNC_BACKOFF_MS"), 1, 600000,
                         out.tools_sync_backoff_ms))
    return e;

  if (auto v = env("RINGMASTER_GOOGLE_OAUTH_BASE"); !v.empty()) {
    out.google_oauth_base = v;
    out.google_authorize_url = v + "/o/oauth2/v2/auth";
  }
  if (auto v = env("RINGMASTER_GOOGLE_API_BASE"); !v.empty()) out.google_api_base = v;
  if (auto v = env("RINGMASTER_GOOGLE_AUTHORIZE_URL"); !v.empty()) out.google_authorize_url = v;
  out.google_client_id = env("RINGMASTER_GOOGLE_CLIENT_ID");
  out.google_client_secret = env("RINGMASTER_GOOGLE_CLIENT_SECRET");
  out.google_redirect_uri = env("RINGMASTER_GOOGLE_REDIRECT_URI");
  for (auto [name, value] : {std::pair<const char*, const std::string*>{
                                 "RINGMASTER_GOOGLE_OAUTH_BASE", &out.google_oauth_base},
                             {"RINGMASTER_GOOGLE_API_BASE", &out.google_api_base},
                             {"RINGMASTER_GOOGLE_AUTHORIZE_URL", &out.google_authorize_url}})
    if (!is_http_url(*value)) return config_error{name, "must be an http(s) URL"};
  if (!out.google_redirect_uri.empty() && !is_http_url(out.google_redirect_uri))
    return config_error{"RINGMASTER_GOOGLE_REDIRECT_URI", "must be an http(s) URL"};
  if (out.google_client_id.empty() != out.google_client_secret.empty())
    return config_error{out.google_client_id.empty() ? "RINGMASTER_GOOGLE_CLIENT_ID"
                                                     : "RINGMASTER_GOOGLE_CLIENT_SECRET",
                        "RINGMASTER_GOOGLE_CLIENT_ID and RINGMASTER_GOOGLE_CLIENT_SECRET are set "
                        "together (the OAuth client of the Google Cloud project)"};
  if (auto e = parse_int("RINGMASTER_GOOGLE_REFRESH_MS", env("RINGMASTER_GOOGLE_REFRESH_MS"),
                         100, 86400000, out.google_refresh_ms))
    return e;
  if (auto e = parse_int("RINGMASTER_GOOGLE_LEASE_MS", env("RINGMASTER_GOOGLE_LEASE_MS"), 3000,
                         600000, out.google_lease_ms))
    return e;

  out.smtp_url = env("RINGMASTER_SMTP_URL");
  out.smtp_from = env("RINGMASTER_SMTP_FROM");
  if (!out.smtp_url.empty()) {
    if (out.smtp_from.empty())
      return config_error{"RINGMASTER_SMTP_FROM",
                          "is required with RINGMASTER_SMTP_URL: the address e-mail is sent from "
                          "(e.g. clinic@example.com)"};
    if (auto problem = email::validate({out.smtp_url, out.smtp_from}); !problem.empty()) {
      if (!email::valid_address(out.smtp_from))
        return config_error{"RINGMASTER_SMTP_FROM",
                            "must be a bare address (clinic@example.com), got '" +
                                out.smtp_from + "'"};
      // The URL may hold a password: the message never repeats it.
      return config_error{"RINGMASTER_SMTP_URL", problem + " (smtp://host:port or smtps://…)"};
    }
  } else if (!out.smtp_from.empty() && !email::valid_address(out.smtp_from)) {
    return config_error{"RINGMASTER_SMTP_FROM",
                        "must be a bare address (clinic@example.com), got '" + out.smtp_from + "'"};
  }

  if (auto err = http::trusted_proxies::parse(env("RINGMASTER_TRUSTED_PROXIES"),
                                             out.trusted_proxies))
    return config_error{"RINGMASTER_TRUSTED_PROXIES", *err};
  return std::nullopt;
}

namespace {

std::string set_or_unset(const std::string& secret) { return secret.empty() ? "unset" : "set"; }

// postgresql://user:secret@host/db → postgresql://user:***@host/db; password=secret → password=***.
std::string masked_url(const std::string& url) {
  static const std::regex userinfo{R"((://[^:/@?#]*:)[^@/?#]*@)"};
  static const std::regex keyword{R"(((^|[\s&?])password=)('[^']*'|[^\s&]*))",
                                  std::regex::icase};
  return std::regex_replace(std::regex_replace(url, userinfo, "$1***@"), keyword, "$1***");
}

}  // namespace

std::string settings_summary(const config& c) {
  std::ostringstream s;
  s << "settings: listen=" << c.listen_host << ":" << c.listen_port;
  s << " database_url=" << (c.database_url.empty() ? "embedded" : masked_url(c.database_url));
  s << " app_database_url="
    << (c.app_database_url.empty() ? "unset (SET ROLE ringmaster_app)" : masked_url(c.app_database_url));
  s << " data_dir=" << c.data_dir;
  s << " public_url=" << (c.public_url.empty() ? "unset" : c.public_url);
  s << " twilio_api_base=" << c.twilio_api_base << " vapi_api_base=" << c.vapi_api_base;
  s << " vapi_private_key=" << set_or_unset(c.vapi_private_key);
  s << " operator_token=" << set_or_unset(c.operator_token);
  s << " service_token=" << set_or_unset(c.service_token);
  s << " jwt=";
  if (!c.jwt_public_key_file.empty())
    s << "rs256:" << c.jwt_public_key_file;
  else if (!c.jwt_secret.empty())
    s << "hs256 (secret set)";
  else
    s << "unset (the tenant API refuses every request)";
  s << " jwt_issuer=" << (c.jwt_issuer.empty() ? "unset" : c.jwt_issuer);
  s << " jwt_audience=" << (c.jwt_audience.empty() ? "unset" : c.jwt_audience);
  std::string vapi_auth;
  if (!c.vapi_secret.empty()) vapi_auth += "secret,";
  if (!c.vapi_bearer_token.empty()) vapi_auth += "bearer,";
  if (!c.vapi_hmac_secret.empty()) vapi_auth += "hmac,";
  if (!vapi_auth.empty()) vapi_auth.pop_back();
  s << " vapi_webhook_auth="
    << (!vapi_auth.empty() ? vapi_auth : c.vapi_auth_none ? "none (unauthenticated)" : "unset");
  s << " twilio_auth_token=" << set_or_unset(c.twilio_auth_token);
  s << " master_key="
    << (!c.master_key_file.empty() ? "file:" + c.master_key_file
                                   : c.master_key_base64.empty() ? "unset" : "set");
  s << " trusted_proxies=" << c.trusted_proxies.size();
  s << " db_workers=" << c.db_workers << " http_threads=" << c.http_threads
    << " http_nice=" << c.http_nice
    << " scheduler_threads=" << c.scheduler_threads;
  s << " call_linger_seconds=" << c.call_linger_seconds
    << " no_report_timeout_seconds=" << c.no_report_timeout_seconds;
  s << " breaker_failures=" << c.breaker_failures
    << " breaker_window_seconds=" << c.breaker_window_seconds
    << " breaker_cool_off_seconds=" << c.breaker_cool_off_seconds;
  s << " number_quarantine_days=" << c.number_quarantine_days
    << " number_sweep_seconds=" << c.number_sweep_seconds;
  s << " sms_per_call=" << c.sms_per_call;
  s << " outbox_poll_ms=" << c.outbox_poll_ms << " outbox_lease_ms=" << c.outbox_lease_ms;
  s << " tools_sync_backoff_ms=" << c.tools_sync_backoff_ms;
  s << " smtp_url=" << (c.smtp_url.empty() ? "unset" : masked_url(c.smtp_url));
  s << " smtp_from=" << (c.smtp_from.empty() ? "unset" : c.smtp_from);
  s << " google_client_id=" << (c.google_client_id.empty() ? "unset" : c.google_client_id)
    << " google_client_secret=" << set_or_unset(c.google_client_secret)
    << " google_oauth_base=" << c.google_oauth_base << " google_api_base=" << c.google_api_base
    << " google_refresh_ms=" << c.google_refresh_ms << " google_lease_ms=" << c.google_lease_ms;
  return s.str();
}

}  // namespace rm::app
