// ringmaster — the phone side of AI voice agents for many tenants.
//   ringmaster serve     run the service (embedded PostgreSQL when DATABASE_URL is unset)
//   ringmaster migrate   apply the schema migrations and exit
//   ringmaster sync-tools  register the global Vapi tools and link them to existing assistants
#include <csignal>
#include <cstdlib>
#include <future>
#include <iostream>
#include <memory>
#include <regex>
#include <thread>

#include <pqxx/pqxx>
#include <spdlog/spdlog.h>

#include "actors/number_service.hpp"
#include "actors/service.hpp"
#include "actors/verification_service.hpp"
#include "adapters/http/server.hpp"
#include "adapters/logging/log.hpp"
#include "adapters/metrics/metrics.hpp"
#include "app/config.hpp"
#include "app/forwarding_codes_cli.hpp"
#include "app/sync_tools_cli.hpp"
#include "app/twilio_signature_cli.hpp"
#include "persistence/credentials.hpp"
#include "persistence/database.hpp"

namespace {

constexpr const char* usage = R"(ringmaster — the phone side of AI voice agents for many tenants

Usage:
  ringmaster serve   [--listen HOST:PORT] [--database-url URL] [--data-dir DIR] [--operator-token T]
  ringmaster migrate [--database-url URL] [--data-dir DIR]
  ringmaster rotate-master-key --new-key-file F [--database-url URL] [--data-dir DIR]
  ringmaster sync-tools [--org ORG_ID] [--database-url URL] [--data-dir DIR]
  ringmaster forwarding-codes --carrier tmobile|att|verizon|sprint|other_gsm
                              --mode total_ai|safety_net --destination NUMBER [--ring-time S]
  ringmaster verify-twilio-signature --auth-token T --url URL --signature S
                              [--param key=value]… [--body-file F]
  ringmaster --help

Configuration comes from the environment; the flags above override it:
  DATABASE_URL                  PostgreSQL URL of the schema owner (runs migrations);
                                unset → an embedded cluster under the data dir
  RINGMASTER_APP_DATABASE_URL   optional login role (member of ringmaster_app) for request work;
                                unset → DATABASE_URL with SET ROLE ringmaster_app
  RINGMASTER_LISTEN             host:port to serve on (default 127.0.0.1:8080)
  RINGMASTER_DATA_DIR           data directory (default /var/lib/ringmaster as root,
                                else ~/.local/share/ringmaster)
  RINGMASTER_OPERATOR_TOKEN     Bearer token for /ops/* and /sessions/* (required, ≥ 16 chars)
  RINGMASTER_MASTER_KEY         base64 of 32 random bytes: encrypts stored credentials
                                (required by serve and rotate-master-key; or:)
  RINGMASTER_MASTER_KEY_FILE    a file (mode 0600) holding that base64 key
  RINGMASTER_PUBLIC_URL         public base URL providers use to reach this service (and the
                                base of share links; default http://<listen address>)
  RINGMASTER_SMTP_URL           smtp://[user:password@]host[:port] or smtps://… (e-mail)
  RINGMASTER_SMTP_FROM          the address e-mail is sent from (required with the URL)
  RINGMASTER_TWILIO_API_BASE    Twilio REST base (default https://api.twilio.com)
  RINGMASTER_GOOGLE_CLIENT_ID / RINGMASTER_GOOGLE_CLIENT_SECRET   Google OAuth client (Calendar link)
  RINGMASTER_GOOGLE_OAUTH_BASE / RINGMASTER_GOOGLE_API_BASE       Google endpoints (tests: a fake)
  RINGMASTER_GOOGLE_REFRESH_MS  how often Google busy time is read (default 60000)
  RINGMASTER_JWT_SECRET         HS256 secret of tenant JWTs (≥ 32 bytes)
  RINGMASTER_JWT_PUBLIC_KEY_FILE  RS256 public key (PEM) of tenant JWTs
  RINGMASTER_JWT_ISSUER / RINGMASTER_JWT_AUDIENCE   required iss / aud when set
  RINGMASTER_SERVICE_TOKEN      Bearer token for service-to-service lookups (≥ 16 chars)
  RINGMASTER_VAPI_SECRET        Vapi webhooks: required X-Vapi-Secret
  RINGMASTER_VAPI_BEARER_TOKEN  Vapi webhooks: required Authorization: Bearer
  RINGMASTER_VAPI_HMAC_SECRET   Vapi webhooks: required HMAC-SHA256 x-signature
                                (serve refuses to start without one of these three, unless:)
  RINGMASTER_VAPI_AUTH=none     accept unauthenticated Vapi webhooks (development only)
  RINGMASTER_TWILIO_AUTH_TOKEN  platform Twilio auth token (signature fallback)
  RINGMASTER_TRUSTED_PROXIES    CIDR list of reverse proxies whose X-Forwarded-For is believed
  RINGMASTER_VAPI_API_BASE      Vapi REST base (default https://api.vapi.ai)
  RINGMASTER_DB_WORKERS         database connections (default 4)
  RINGMASTER_SCHEDULER_THREADS  actor scheduler threads (default 0: one per core)
  RINGMASTER_HTTP_THREADS       HTTP worker threads (default 32)
  RINGMASTER_HTTP_NICE          niceness added to them (0-19, default 5): under overload they
                                yield the CPU to the actors and the database work
  RINGMASTER_EVENT_STREAMS_MAX  open live-event streams at most (default 32; each holds one
                                extra HTTP thread; beyond: 503)
  RINGMASTER_EVENT_KEEPALIVE_MS keep-alive comment on a silent event stream (default 15000)
  RINGMASTER_EVENT_STREAM_MAX_SECONDS  an event stream ends after this (default 3600)
  RINGMASTER_EVENT_QUEUE_MAX    events a slow stream may lag before it is dropped (default 256)
  RINGMASTER_METRICS_LISTEN     host:port of the Prometheus endpoint GET /metrics (default: off;
                                e.g. 127.0.0.1:9464); never the public port
  RINGMASTER_LOG_FORMAT         json | text (default: text on a terminal, json otherwise)
  RINGMASTER_CALL_LINGER_SECONDS        keep a call actor after its report (default 120)
  RINGMASTER_NO_REPORT_TIMEOUT_SECONDS  close an ended call whose report never came (default 600)
)";

// The database to use: DATABASE_URL, or an embedded cluster that lives as long as `embedded`.
std::string open_database(const rm::app::config& cfg,
                          std::unique_ptr<rm::persistence::embedded_postgres>& embedded) {
  if (!cfg.database_url.empty()) return cfg.database_url;
  embedded = std::make_unique<rm::persistence::embedded_postgres>(cfg.data_dir);
  auto url = embedded->start();
  spdlog::info("embedded PostgreSQL started under {} (Unix socket only: {}; log: {})",
               cfg.data_dir, embedded->socket_dir(), embedded->log_path());
  return url;
}

// rotate-master-key: every org_credentials row re-encrypted from the configured key to the key in
// --new-key-file, in one transaction (docs/operations.md "Rotating the master key").
int rotate(const rm::persistence::master_key& current,
           const std::string& new_key_file, const std::string& url) {
  rm::persistence::master_key next;
  if (auto err = rm::persistence::read_master_key_file(new_key_file, next)) {
    std::cerr << "ringmaster: --new-key-file: " << *err << "\n";
    return 2;
  }
  if (next.id == current.id) {
    std::cerr << "ringmaster: --new-key-file holds the key already configured (key id "
              << current.id << ")\n";
    return 2;
  }
  pqxx::connection c{url};
  const int moved = rm::persistence::seal_legacy_twilio_tokens(c, current);
  if (moved > 0) spdlog::info("sealed {} plaintext Twilio token(s) before rotating", moved);
  auto r = rm::persistence::rotate_master_key(c, current, next);
  std::cout << "re-encrypted " << r.rewritten << " credential(s) from key id " << current.id
            << " to key id " << next.id;
  if (r.already_current > 0) std::cout << " (" << r.already_current << " already under it)";
  std::cout << ".\nNow configure the new key (RINGMASTER_MASTER_KEY_FILE=" << new_key_file
            << ") and restart ringmaster serve.\n";
  return 0;
}

void migrate(const std::string& url) {
  pqxx::connection c{url};
  auto r = rm::persistence::migrate(c);
  for (const auto& m : r.applied) spdlog::info("applied migration {}", m);
  spdlog::info("schema at version {} (was {})", r.to_version, r.from_version);
}

// rotate-master-key --new-key-file F (or --new-key-file=F): takes the option out of `args`.
// Empty when it is missing (the caller explains and exits 2).
std::string take_flag(std::vector<std::string>& args, const std::string& flag) {
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i].rfind(flag + "=", 0) == 0) {
      auto file = args[i].substr(flag.size() + 1);
      args.erase(args.begin() + static_cast<long>(i));
      return file;
    }
    if (args[i] == flag && i + 1 < args.size()) {
      auto file = args[i + 1];
      args.erase(args.begin() + static_cast<long>(i), args.begin() + static_cast<long>(i) + 2);
      return file;
    }
  }
  return "";
}

std::string take_new_key_file(std::vector<std::string>& args) {
  return take_flag(args, "--new-key-file");
}

// serve's start-up checks: the tenant API's JWT settings and the Vapi webhook credential (fail
// closed), then the warnings and the one settings line (secrets masked). Non-zero: exit code.
int check_serve_settings(const rm::app::config& cfg) {
  rm::http::jwt_settings jwt{cfg.jwt_secret, cfg.jwt_public_key_pem, cfg.jwt_issuer,
                             cfg.jwt_audience, 60};
  if (cfg.jwt_secret.empty() && cfg.jwt_public_key_pem.empty())
    spdlog::warn("no RINGMASTER_JWT_SECRET or RINGMASTER_JWT_PUBLIC_KEY_FILE: the tenant API "
                 "(/api/*) refuses every request");
  else if (auto problem = rm::http::check_jwt_settings(jwt); !problem.empty()) {
    std::cerr << "ringmaster: " << problem << "\n";
    return 2;
  }
  // Fail closed: no Vapi webhook credential is an error unless explicitly waived.
  if (auto err = rm::app::check_vapi_webhook_auth(cfg)) {
    std::cerr << "ringmaster: " << err->setting << ": " << err->message << "\n";
    return 2;
  }
  if (cfg.vapi_secret.empty() && cfg.vapi_bearer_token.empty() && cfg.vapi_hmac_secret.empty())
    spdlog::warn("RINGMASTER_VAPI_AUTH=none: Vapi webhooks are accepted UNAUTHENTICATED — "
                 "anyone who reaches this service can act as Vapi; development only");
  if (cfg.vapi_private_key.empty())
    spdlog::warn("no RINGMASTER_VAPI_PRIVATE_KEY: calls to Vapi (credential sync, number "
                 "import, assistants, call-backs) fail until it is set");
  // One line with every effective setting, secrets masked (app/config.hpp).
  spdlog::info("{}", rm::app::settings_summary(cfg));
  return 0;
}

// The actor system's settings from the configuration; `url` is the owner's database URL (the
// runtime role connects through it unless RINGMASTER_APP_DATABASE_URL names another).
rm::actors::service_options service_options_of(const rm::app::config& cfg, const std::string& url) {
  rm::actors::service_options so;
  so.database_url = cfg.app_database_url.empty() ? url : cfg.app_database_url;
  so.runtime_role = cfg.app_database_url.empty() ? "ringmaster_app" : "";
  so.db_workers = static_cast<std::size_t>(cfg.db_workers);
  so.scheduler_threads = static_cast<std::size_t>(cfg.scheduler_threads);
  so.twilio_base_url = cfg.twilio_api_base;
  so.vapi_base_url = cfg.vapi_api_base;
  so.vapi_private_key = cfg.vapi_private_key;
  so.breaker.failure_threshold = cfg.breaker_failures;
  so.breaker.window = std::chrono::seconds(cfg.breaker_window_seconds);
  so.breaker.cool_off = std::chrono::seconds(cfg.breaker_cool_off_seconds);
  so.call_linger = std::chrono::seconds(cfg.call_linger_seconds);
  so.no_report_timeout = std::chrono::seconds(cfg.no_report_timeout_seconds);
  so.sms_per_call = cfg.sms_per_call;
  so.outbox_poll = std::chrono::milliseconds(cfg.outbox_poll_ms);
  so.outbox_lease = std::chrono::milliseconds(cfg.outbox_lease_ms);
  so.tools_sync_backoff = std::chrono::milliseconds(cfg.tools_sync_backoff_ms);
  so.smtp_url = cfg.smtp_url;
  so.smtp_from = cfg.smtp_from;
  so.google_endpoint.authorize_url = cfg.google_authorize_url;
  so.google_endpoint.oauth_base = cfg.google_oauth_base;
  so.google_endpoint.api_base = cfg.google_api_base;
  so.google_endpoint.client_id = cfg.google_client_id;
  so.google_endpoint.client_secret = cfg.google_client_secret;
  so.google_redirect_uri = cfg.google_redirect_uri;
  so.google_refresh = std::chrono::milliseconds(cfg.google_refresh_ms);
  so.google_lease = std::chrono::milliseconds(cfg.google_lease_ms);
  so.google_endpoint.timeout = so.google_lease / 3;
  return so;
}

// The HTTP edge's settings; the verification and number facades must outlive the server.
rm::http::server_options server_options_of(const rm::app::config& cfg,
                                           rm::actors::verification_service* verification,
                                           rm::actors::number_service* numbers) {
  rm::http::server_options ho;
  ho.operator_token = cfg.operator_token;
  ho.service_token = cfg.service_token;
  ho.jwt = {cfg.jwt_secret, cfg.jwt_public_key_pem, cfg.jwt_issuer, cfg.jwt_audience, 60};
  ho.vapi_auth = {cfg.vapi_secret, cfg.vapi_bearer_token, cfg.vapi_hmac_secret, 300};
  ho.vapi_auth.allow_unauthenticated = cfg.vapi_auth_none;
  ho.twilio_auth_token = cfg.twilio_auth_token;
  ho.public_url = cfg.public_url;
  ho.worker_threads = static_cast<std::size_t>(cfg.http_threads);
  ho.worker_nice = cfg.http_nice;
  ho.event_streams_max = static_cast<std::size_t>(cfg.event_streams_max);
  ho.event_keepalive = std::chrono::milliseconds(cfg.event_keepalive_ms);
  ho.event_stream_max_age = std::chrono::seconds(cfg.event_stream_max_seconds);
  ho.event_queue_max = static_cast<std::size_t>(cfg.event_queue_max);
  ho.trusted_proxies = cfg.trusted_proxies;
  ho.verification = verification;
  ho.numbers = numbers;
  return ho;
}

// Graceful stop (docs/operations.md "Stopping"): waits for SIGTERM or SIGINT, then no new
// connections, the requests in flight get up to 10 s, the write-behind tool log is stored, the
// embedded PostgreSQL stops; the exit code. Destroys what it is given, server first.
int serve_until_stopped(sigset_t& stop_signals, std::unique_ptr<rm::http::server>& server,
                        std::thread& http, std::future<void>& http_stopped,
                        std::unique_ptr<rm::actors::service>& service,
                        std::unique_ptr<rm::actors::number_service>& numbers,
                        std::unique_ptr<rm::actors::verification_service>& verification,
                        std::unique_ptr<rm::persistence::embedded_postgres>& embedded) {
  int sig = 0;
  sigwait(&stop_signals, &sig);
  spdlog::info("{} received: stopping (no new connections; requests in flight get up to 10 s)",
               sig == SIGTERM ? "SIGTERM" : sig == SIGINT ? "SIGINT" : "signal");
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  bool drained = false;
  do {
    server->stop();  // again until it takes: a signal may come before listen() has started
    drained = http_stopped.wait_for(std::chrono::milliseconds(50)) == std::future_status::ready;
  } while (!drained && std::chrono::steady_clock::now() < deadline);
  if (drained)
    http.join();
  else
    spdlog::warn("requests still running after 10 s: stopping without waiting for them");
  if (!service->flush_logs(std::chrono::seconds(5)))
    spdlog::warn("the tool log could not store everything within 5 s; those reads are lost");
  // Destroying the service waits for every actor to quit. CAF 0.17 can block there for good
  // after every actor is done, in await_detached_threads (actor-framework issue #1196, "Shutdown
  // issue with detached actors", fixed after 0.17; our database workers are detached): seen in CI
  // and on an idle start/stop here, where gdb showed only this wait left. That must not keep the
  // process and the embedded PostgreSQL alive: after 5 s we leave without waiting, saying so.
  bool torn_down = false;
  std::thread teardown;
  std::promise<void> teardown_done;
  if (drained) {
    auto done = teardown_done.get_future();
    teardown = std::thread{[&] {
      server.reset();
      numbers.reset();
      verification.reset();
      service.reset();  // stops every actor
      teardown_done.set_value();
    }};
    torn_down = done.wait_for(std::chrono::seconds(5)) == std::future_status::ready;
    if (torn_down)
      teardown.join();
    else
      spdlog::error("actors still running 5 s after the stop (a bug): leaving without them");
  }
  if (!torn_down) {
    // Request handlers or actors still use the service: leave without destroying it.
    if (!drained) http.detach();
    if (teardown.joinable()) teardown.detach();
    int rc = 0;
    try {
      if (embedded) embedded->stop();
      spdlog::info("stopped");
    } catch (const std::exception& e) {
      std::cerr << "ringmaster: " << e.what() << "\n";
      rc = 1;
    }
    spdlog::shutdown();
    std::cout.flush();
    std::_Exit(rc);
  }
  if (embedded) embedded->stop();
  spdlog::info("stopped");
  return 0;
}

int run(const std::string& command, std::vector<std::string> args) {
  std::string new_key_file;
  if (command == "rotate-master-key") {
    new_key_file = take_new_key_file(args);
    if (new_key_file.empty()) {
      std::cerr << "ringmaster: rotate-master-key needs --new-key-file F (a file holding the new "
                   "key as base64 of 32 bytes, e.g. `openssl rand -base64 32 > F`)\n";
      return 2;
    }
  }
  std::string sync_org;  // sync-tools --org: one tenant ("" = all)
  if (command == "sync-tools") {
    sync_org = take_flag(args, "--org");
    static const std::regex uuid{"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$"};
    if (!sync_org.empty() && !std::regex_match(sync_org, uuid)) {
      std::cerr << "ringmaster: sync-tools --org needs an organization id (a UUID)\n";
      return 2;
    }
  }
  rm::app::config cfg;
  if (auto err = rm::app::load_config(args, command == "serve", cfg)) {
    std::cerr << "ringmaster: " << err->setting << ": " << err->message << "\n";
    return 2;
  }
  // Before anything logs (config checked the value).
  rm::logging::install(cfg.log_format.empty() ? rm::logging::default_format()
                                              : *rm::logging::parse_format(cfg.log_format));
  rm::persistence::master_key master_key;
  if (command == "serve" || command == "rotate-master-key") {
    if (auto err = rm::app::load_master_key(cfg, master_key)) {
      std::cerr << "ringmaster: " << err->setting << ": " << err->message << "\n";
      return 2;
    }
  }
  if (command == "serve") {
    if (int rc = check_serve_settings(cfg)) return rc;
  }
  // Block the stop signals before any thread starts, so only sigwait below sees them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  std::unique_ptr<rm::persistence::embedded_postgres> embedded;
  std::string url = open_database(cfg, embedded);
  migrate(url);  // throws when the database's schema is newer than this binary
  if (command == "migrate") return 0;
  if (command == "sync-tools") {
    pqxx::connection owner{url};
    rm::vapi::client vapi{cfg.vapi_api_base, cfg.vapi_private_key};
    int rc = rm::app::run_sync_tools(owner, vapi, sync_org, cfg.sms_per_call, std::cout, std::cerr);
    if (embedded) embedded->stop();
    return rc;
  }
  if (command == "rotate-master-key") {
    int rc = rotate(master_key, new_key_file, url);
    if (embedded) embedded->stop();
    return rc;
  }

  // Stored credentials open with this key; plaintext tokens left by older versions are sealed now.
  rm::persistence::install_master_key(master_key);
  spdlog::info("master key loaded (key id {})", master_key.id);
  {
    pqxx::connection owner{url};
    if (int moved = rm::persistence::seal_legacy_twilio_tokens(owner, master_key); moved > 0)
      spdlog::info("encrypted {} plaintext Twilio auth token(s) into org_credentials", moved);
  }

  auto service = std::make_unique<rm::actors::service>(service_options_of(cfg, url));
  // Caller-ID verification: the root supervisor owns its actors (service_options::verification);
  // this is their blocking facade, built after the service and destroyed before it.
  auto verification = std::make_unique<rm::actors::verification_service>(
      *service, rm::actors::verification_service_options{cfg.twilio_api_base, cfg.public_url});

  // The number lifecycle: built after the service (its provider gate and pool) and destroyed
  // before it; it publishes its saga steps to the number_sweeper actor (a child of the root
  // supervisor), which finishes what a crash left of a purchase, at start-up and periodically.
  rm::actors::number_service_options no;
  no.twilio_base_url = cfg.twilio_api_base;
  no.vapi_base_url = cfg.vapi_api_base;
  no.vapi_private_key = cfg.vapi_private_key;
  no.public_url = cfg.public_url;
  no.quarantine_days = cfg.number_quarantine_days;
  no.sweep_interval = std::chrono::seconds(cfg.number_sweep_seconds);
  auto numbers = std::make_unique<rm::actors::number_service>(*service, no);

  auto server = std::make_unique<rm::http::server>(
      *service, server_options_of(cfg, verification.get(), numbers.get()));
  int port = server->bind(cfg.listen_host, cfg.listen_port);
  if (port < 0) {
    std::cerr << "ringmaster: RINGMASTER_LISTEN: cannot listen on " << cfg.listen_host << ":"
              << cfg.listen_port << "\n";
    return 2;
  }
  // Prometheus metrics on their own listener (prometheus-cpp's exposer), never the public port.
  std::unique_ptr<rm::metrics::endpoint> metrics;
  if (!cfg.metrics_host.empty()) {
    try {
      metrics = std::make_unique<rm::metrics::endpoint>(cfg.metrics_host + ":" +
                                                        std::to_string(cfg.metrics_port));
    } catch (const std::exception& e) {
      std::cerr << "ringmaster: RINGMASTER_METRICS_LISTEN: " << e.what() << "\n";
      return 2;
    }
    spdlog::info("metrics on http://{}:{}/metrics", cfg.metrics_host, metrics->port());
  }
  std::promise<void> http_done;
  auto http_stopped = http_done.get_future();
  std::thread http{[&] {
    server->listen();  // returns once stopped and every request in flight has been answered
    http_done.set_value();
  }};
  spdlog::info("ringmaster listening on http://{}:{}", cfg.listen_host, port);
  std::cout << "ringmaster listening on http://" << cfg.listen_host << ":" << port << std::endl;

  return serve_until_stopped(stop_signals, server, http, http_stopped, service, numbers,
                             verification, embedded);
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    std::cout << usage;
    return args.empty() ? 2 : 0;
  }
  auto command = args[0];
  args.erase(args.begin());
  // Tools for support staff and operators: no configuration, no database.
  if (command == "forwarding-codes") return rm::app::run_forwarding_codes(args, std::cout, std::cerr);
  if (command == "verify-twilio-signature")
    return rm::app::run_verify_twilio_signature(args, std::cout, std::cerr);
  if (command != "serve" && command != "migrate" && command != "rotate-master-key" &&
      command != "sync-tools") {
    std::cerr << "ringmaster: unknown command '" << command << "'\n\n" << usage;
    return 2;
  }
  try {
    return run(command, args);
  } catch (const std::exception& e) {
    std::cerr << "ringmaster: " << e.what() << "\n";
    return 1;
  }
}
