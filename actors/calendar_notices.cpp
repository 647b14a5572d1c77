// calendar_notices (actors/interfaces.hpp): LISTEN rm_calendar on a connection of its own and
// pass every notified org_id to the directory, so that appointments changed by another ringmaster
// instance (or by hand) reach this instance's tenant actors within a second. PostgreSQL sends a
// notification only after its transaction committed, so a reload triggered by one sees the change.
#include <set>

#include <pqxx/pqxx>
#include <spdlog/spdlog.h>

#include "actors/actors.hpp"

namespace rm::actors {

namespace {

constexpr const char* calendar_channel = "rm_calendar";
constexpr long wait_us = 250'000;  // one PQ wait; between two, the actor handles its mailbox
constexpr auto first_backoff = std::chrono::milliseconds(250);
constexpr auto max_backoff = std::chrono::milliseconds(8000);

class receiver final : public pqxx::notification_receiver {
 public:
  receiver(pqxx::connection_base& c, std::vector<std::string>* out)
      : pqxx::notification_receiver(c, calendar_channel), out_(out) {}
  void operator()(const std::string& payload, int) override { out_->push_back(payload); }

 private:
  std::vector<std::string>* out_;
};

struct notices_state {
  std::unique_ptr<pqxx::connection> conn;
  std::unique_ptr<receiver> rx;  // destroyed before conn (it UNLISTENs through it)
  std::vector<std::string> received;
  std::chrono::milliseconds backoff = first_backoff;
  bool logged_failure = false;
  static inline const char* name = "calendar_notices";
};
using notices_ptr = calendar_notices_actor::stateful_pointer<notices_state>;

void drop_connection(notices_state& st) {
  try {
    st.rx.reset();
  } catch (const std::exception&) {  // UNLISTEN on a broken connection
  }
  st.conn.reset();
}

void retry_later(notices_ptr self, const std::string& why) {
  auto& st = self->state;
  drop_connection(st);
  if (!st.logged_failure)
    spdlog::warn("calendar_notices: LISTEN {} unavailable ({}); retrying with backoff",
                 calendar_channel, why);
  st.logged_failure = true;
  self->delayed_send(self, st.backoff, listen_atom::value);
  st.backoff = std::min(st.backoff * 2, max_backoff);
}

void tell_directory(const wiring_ptr& w, const std::string& org_id) {
  if (auto d = w->directory()) caf::anon_send(d, reload_atom::value, org_id);
}

calendar_notices_actor::behavior_type notices_behavior(notices_ptr self, wiring_ptr w,
                                                       std::string url) {
  self->send(self, listen_atom::value);
  return {
      [=](listen_atom) {
        auto& st = self->state;
        if (!st.conn) {
          try {
            st.conn = std::make_unique<pqxx::connection>(url);
            st.rx = std::make_unique<receiver>(*st.conn, &st.received);  // issues LISTEN
          } catch (const std::exception& e) {
            retry_later(self, e.what());
            return;
          }
          if (st.logged_failure) spdlog::info("calendar_notices: listening again");
          st.backoff = first_backoff;
          st.logged_failure = false;
          tell_directory(w, "");  // notices may have been missed while not listening
        }
        try {
          st.conn->await_notification(0, wait_us);
        } catch (const std::exception& e) {
          retry_later(self, e.what());
          return;
        }
        if (!st.conn->is_open()) {
          retry_later(self, "the connection closed");
          return;
        }
        std::set<std::string> orgs(st.received.begin(), st.received.end());
        st.received.clear();
        for (const auto& org : orgs) tell_directory(w, org);
        self->send(self, listen_atom::value);
      },
  };
}

}  // namespace

calendar_notices_actor spawn_calendar_notices(caf::actor_system& sys, wiring_ptr w,
                                              std::string database_url) {
  return sys.spawn<caf::detached>(notices_behavior, std::move(w), std::move(database_url));
}

}  // namespace rm::actors
