// Configuration from the environment (flags may override): every setting, its default, and the
// validation that stops start-up with a message naming the setting. README lists them all.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "adapters/http/client_address.hpp"
#include "persistence/secret_box.hpp"

namespace rm::app {

struct config {
  std::string database_url;     // DATABASE_URL; empty → embedded PostgreSQL under data_dir
  // RINGMASTER_APP_DATABASE_URL: a login role made by a DBA, member of ringmaster_app, used for
  // request work; empty → request work uses database_url with SET ROLE ringmaster_app.
  std::string app_database_url;
  std::string listen_host = "127.0.0.1";  // RINGMASTER_LISTEN host:port
  int listen_port = 8080;
  std::string data_dir;         // RINGMASTER_DATA_DIR
  std::string operator_token;   // RINGMASTER_OPERATOR_TOKEN (required by `serve`)
  std::string public_url;       // RINGMASTER_PUBLIC_URL (how providers reach us; optional)
  std::string twilio_api_base = "https://api.twilio.com";  // RINGMASTER_TWILIO_API_BASE
  // RINGMASTER_VAPI_API_BASE (or its alias RINGMASTER_VAPI_BASE_URL): Vapi REST base URL.
  std::string vapi_api_base = "https://api.vapi.ai";
  // RINGMASTER_VAPI_PRIVATE_KEY: the platform's Vapi private API key (Bearer), one for the
  // deployment. Optional at start-up (the demo runs without Vapi); without it every Vapi call
  // fails with a message naming this setting. Never logged.
  std::string vapi_private_key;
  int db_workers = 4;           // RINGMASTER_DB_WORKERS (1–64)
  int scheduler_threads = 0;    // RINGMASTER_SCHEDULER_THREADS (0–256; 0 = one per core)
  int http_threads = 32;        // RINGMASTER_HTTP_THREADS (1–1024)
  int http_nice = 5;            // RINGMASTER_HTTP_NICE (0–19): niceness added to HTTP workers
  // Live event streams (adapters/http/server.hpp server_options::event_streams_max …).
  int event_streams_max = 32;          // RINGMASTER_EVENT_STREAMS_MAX (0–1024; 0 = off)
  int event_keepalive_ms = 15000;      // RINGMASTER_EVENT_KEEPALIVE_MS (10–600000)
  int event_stream_max_seconds = 3600;  // RINGMASTER_EVENT_STREAM_MAX_SECONDS (1–86400)
  int event_queue_max = 256;           // RINGMASTER_EVENT_QUEUE_MAX (1–100000)
  // Authentication (docs/security.md).
  std::string jwt_secret;            // RINGMASTER_JWT_SECRET: HS256 key of tenant JWTs (≥ 32 bytes)
  std::string jwt_public_key_file;   // RINGMASTER_JWT_PUBLIC_KEY_FILE: RS256 public key (PEM)
  std::string jwt_public_key_pem;    //   … its contents, read at start-up
  std::string jwt_issuer;            // RINGMASTER_JWT_ISSUER: required `iss` when set
  std::string jwt_audience;          // RINGMASTER_JWT_AUDIENCE: required `aud` when set
  std::string service_token;         // RINGMASTER_SERVICE_TOKEN: service-to-service lookups
  std::string vapi_secret;           // RINGMASTER_VAPI_SECRET: X-Vapi-Secret
  std::string vapi_bearer_token;     // RINGMASTER_VAPI_BEARER_TOKEN: Authorization: Bearer
  std::string vapi_hmac_secret;      // RINGMASTER_VAPI_HMAC_SECRET: x-signature over ts.body
  // RINGMASTER_VAPI_AUTH=none: accept Vapi webhooks without any credential when none of the three
  // above is set (development only; serve logs a warning). Unset: serve refuses to start without
  // one (check_vapi_webhook_auth). Any other value is a configuration error.
  bool vapi_auth_none = false;
  std::string twilio_auth_token;     // RINGMASTER_TWILIO_AUTH_TOKEN: platform fallback
  // The master key of stored credentials (docs/security.md "Stored credentials"): exactly one of
  // RINGMASTER_MASTER_KEY (base64 of 32 bytes) and RINGMASTER_MASTER_KEY_FILE (a file holding
  // that base64). Checked by load_master_key; never logged.
  std::string master_key_base64;
  std::string master_key_file;
  int call_linger_seconds = 120;        // RINGMASTER_CALL_LINGER_SECONDS
  int no_report_timeout_seconds = 600;  // RINGMASTER_NO_REPORT_TIMEOUT_SECONDS
  // Per-tenant circuit breakers on Twilio and Vapi (docs/operations.md).
  int breaker_failures = 5;             // RINGMASTER_BREAKER_FAILURES: counted failures that open it
  int breaker_window_seconds = 60;      // RINGMASTER_BREAKER_WINDOW_SECONDS: … within this window
  int breaker_cool_off_seconds = 30;    // RINGMASTER_BREAKER_COOL_OFF_SECONDS: open this long
  // The number lifecycle (docs/telephony.md "Number lifecycle").
  int number_quarantine_days = 30;  // RINGMASTER_NUMBER_QUARANTINE_DAYS (0–365)
  int number_sweep_seconds = 60;    // RINGMASTER_NUMBER_SWEEP_SECONDS (5–86400): the saga's sweep
  // RINGMASTER_SMS_PER_CALL (0–100): send_sms attempts per call; 0 turns texting off.
  int sms_per_call = 3;
  // The outbox actor (automatic reminders, hot-lead alerts; docs/architecture.md "Outbox").
  int outbox_poll_ms = 1000;    // RINGMASTER_OUTBOX_POLL_MS (0–3600000; 0 = no automatic sends)
  int outbox_lease_ms = 30000;  // RINGMASTER_OUTBOX_LEASE_MS (3000–600000): a claim's lease
  // RINGMASTER_TOOLS_SYNC_BACKOFF_MS (1–600000): the tools sync's first retry delay, doubled
  // after each retry (2 s, 4 s, 8 s by default; actors/tools_sync.hpp).
  int tools_sync_backoff_ms = 2000;
  // E-mail (adapters/email/smtp_client.hpp; docs/operations.md "E-mail"):
  // RINGMASTER_SMTP_URL smtp://[user:password@]host[:port] or smtps://…; empty = no e-mail (the
  // routes that send e-mail answer 503 not_configured). A secret when it holds a password: the
  // settings line masks it. RINGMASTER_SMTP_FROM: the sender address, required with the URL.
  std::string smtp_url;
  std::string smtp_from;
  // Google Calendar (docs/integrations.md): RINGMASTER_GOOGLE_OAUTH_BASE (/token, /revoke),
  // RINGMASTER_GOOGLE_API_BASE (/calendar/v3), RINGMASTER_GOOGLE_AUTHORIZE_URL (the consent page;
  // default: Google's, or <OAUTH_BASE>/o/oauth2/v2/auth when only the OAuth base is set),
  // RINGMASTER_GOOGLE_CLIENT_ID / _CLIENT_SECRET (the OAuth client; unset = no Google link),
  // RINGMASTER_GOOGLE_REDIRECT_URI (default <public URL>/api/integrations/google/callback),
  // RINGMASTER_GOOGLE_REFRESH_MS (100–86400000): how often freeBusy is read and the event queue
  // worked.
  std::string google_oauth_base = "https://oauth2.googleapis.com";
  std::string google_api_base = "https://www.googleapis.com";
  std::string google_authorize_url = "https://accounts.google.com/o/oauth2/v2/auth";
  std::string google_client_id;
  std::string google_client_secret;
  std::string google_redirect_uri;
  int google_refresh_ms = 60000;
  // RINGMASTER_GOOGLE_LEASE_MS (3000–600000): an event sync's lease; one Google HTTP attempt is
  // limited to a third of it, so a live worker always finishes before anyone may take over.
  int google_lease_ms = 30000;

  // RINGMASTER_METRICS_LISTEN: host:port of the Prometheus endpoint (GET /metrics), a listener
  // of its own, never the public port; empty (the default) = no metrics endpoint.
  std::string metrics_host;
  int metrics_port = 0;
  // RINGMASTER_LOG_FORMAT: "json" | "text"; empty (unset) = text on a terminal, json otherwise.
  std::string log_format;

  // RINGMASTER_TRUSTED_PROXIES: comma-separated CIDR ranges (IPv4/IPv6) of reverse proxies whose
  // X-Forwarded-For names the client for the failed-authentication throttle; empty = none.
  http::trusted_proxies trusted_proxies;
};

struct config_error {
  std::string setting;  // e.g. "RINGMASTER_LISTEN"
  std::string message;
};

// Reads the environment, then `--name=value` / `--name value` flags (--database-url, --listen,
// --data-dir, --operator-token, --public-url, --twilio-api-base, --vapi-api-base) from `args`.
// `need_operator_token` makes a missing RINGMASTER_OPERATOR_TOKEN an error.
std::optional<config_error> load_config(const std::vector<std::string>& args,
                                        bool need_operator_token, config& out);

// The master key named by the configuration: an error naming the setting when neither or both are
// set, the file cannot be read, or the value is not the base64 of exactly 32 bytes. `serve` and
// `rotate-master-key` stop on it.
std::optional<config_error> load_master_key(const config& c, persistence::master_key& out);

// serve fails closed: an error naming RINGMASTER_VAPI_SECRET, RINGMASTER_VAPI_BEARER_TOKEN and
// RINGMASTER_VAPI_HMAC_SECRET when none of them is set and RINGMASTER_VAPI_AUTH is not "none".
std::optional<config_error> check_vapi_webhook_auth(const config& c);

// The effective settings on one line, for the start-up log of `serve` (an operator sees what it
// runs with): every setting by its environment name (without the RINGMASTER_ prefix, lower
// case), defaults included. Secrets never appear: tokens, keys and secrets show only "set" or
// "unset", and a password in a database URL (user:password@ or password=) is replaced by "***".
std::string settings_summary(const config& c);

// Default data directory: /var/lib/ringmaster as root, else $HOME/.local/share/ringmaster.
std::string default_data_dir();

}  // namespace rm::app
