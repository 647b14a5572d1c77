// The isolation matrix's entries for the dashboard actions (adapters/http/action_routes.cpp,
// share_routes.cpp): B's token on A's call and appointment gets 404 and nothing goes out on A's
// behalf; and the public share link, which only a link signed for A's real share opens.
#include <catch2/catch.hpp>

#include "persistence/secret_box.hpp"
#include "persistence/share_links.hpp"
#include "adapters/google/oauth_state.hpp"
#include "tests/tenant_api/isolation.hpp"

namespace rm::tapi::isolation {

namespace {

void is_404(world&, const reply& r) {
  CHECK(r.status == 404);
  CHECK(r.body["error"]["code"] == "not_found");
}

// Nothing was sent, stored or audited for A's call or appointment.
void nothing_for_a(world& w) {
  CHECK(w.f.scalar("SELECT count(*) FROM messages WHERE org_id = $1 AND method = 'email'",
                   {w.a}) == "0");
  CHECK(w.f.scalar("SELECT count(*) FROM messages WHERE call_id = $1", {w.a_call}) == "0");
  CHECK(w.f.scalar("SELECT count(*) FROM audit_events") == "0");
  CHECK(w.f.scalar("SELECT count(*) FROM recording_shares") == "0");
  CHECK(w.f.smtp().messages().empty());
  for (const auto& q : w.f.twilio().requests())
    CHECK(!(q.method == "POST" && q.path.find("Messages.json") != std::string::npos &&
            q.field("To") == caller_number));
}

}  // namespace

const std::map<std::string, matrix_entry>& action_matrix() {
  static const std::map<std::string, matrix_entry> m{
      {"POST /api/calls-dashboard/{call_id}/followup",
       {"/api/calls-dashboard/<a_call>/followup", R"({"message":"B writes to A's caller"})",
        [](world& w, const reply& r) {
          is_404(w, r);
          nothing_for_a(w);
          CHECK(w.f.scalar("SELECT lead_status FROM contacts WHERE id = $1", {w.a_contact}) ==
                "new");
        }}},
      {"POST /api/calls-dashboard/{call_id}/share",
       {"/api/calls-dashboard/<a_call>/share", R"({"email":"b-spy@example.com"})",
        [](world& w, const reply& r) {
          is_404(w, r);
          CHECK(r.text.find(a_recording_url) == std::string::npos);
          nothing_for_a(w);
        }}},
      {"POST /api/calls-dashboard/{call_id}/transcript/export",
       {"/api/calls-dashboard/<a_call>/transcript/export", R"({"format":"txt"})",
        [](world& w, const reply& r) {
          is_404(w, r);
          CHECK(r.text.find("botox") == std::string::npos);
          nothing_for_a(w);
        }}},
      {"POST /api/appointments/{id}/send-reminder",
       {"/api/appointments/<a_appointment>/send-reminder", R"({"method":"sms"})",
        [](world& w, const reply& r) {
          is_404(w, r);
          nothing_for_a(w);
          CHECK(w.f.scalar("SELECT confirmation_sent FROM appointments WHERE id = $1",
                           {w.a_appointment}) == "f");
        }}},
  };
  return m;
}

const std::map<std::string, public_link_check>& public_link_routes() {
  static const std::map<std::string, public_link_check> m{
      {"GET /share/recordings/{token}",
       [](world& w) {
         // A's real link (made by A's own share action) opens A's recording...
         auto shared = w.f.post("/api/calls-dashboard/" + w.a_call + "/share", w.a_token,
                                {{"email", "qa@harbor.example"}});
         INFO(shared.text);
         REQUIRE(shared.status == 200);
         const std::string url = shared.body["url"];
         const std::string token = url.substr(url.rfind('/') + 1);
         auto opened = w.f.get("/share/recordings/" + token);
         CHECK(opened.status == 302);
         CHECK(opened.headers["Location"] == a_recording_url);
         // ... nothing else does: a later expiry, another share id, another key, no signature.
         const auto share_id = token.substr(0, token.find('.'));
         const auto expires = token.substr(token.find('.') + 1, 10);
         auto later = token;
         later.replace(later.find(expires), expires.size(),
                       std::to_string(std::stoll(expires) + 86400));
         const auto foreign = persistence::sign_share_token(persistence::generate_master_key(),
                                                            share_id, std::stoll(expires));
         const auto made_up = persistence::sign_share_token(
             persistence::installed_master_key(), "00000000-0000-4000-8000-000000000000",
             std::stoll(expires));
         for (const auto& bad : {later, foreign, made_up, share_id, share_id + "." + expires,
                                 std::string{"x"}}) {
           auto r = w.f.get("/share/recordings/" + bad);
           INFO(bad << " → " << r.status << " " << r.text);
           CHECK(r.status == 403);
           CHECK(r.body["error"]["code"] == "invalid_link");
           CHECK(r.headers.count("Location") == 0);
           CHECK(r.text.find(a_recording_url) == std::string::npos);
         }
         // Only the real use was audited (a link that does not verify names no tenant).
         CHECK(w.f.scalar("SELECT count(*) FROM audit_events WHERE action = "
                          "'recording.share_used'") == "1");
       }},
      {"GET /api/integrations/google/callback",
       [](world& w) {
         // States for A: only one signed with this deployment's key, unexpired and unused gets
         // past the state check (then 502: the fixture's Google answers nothing), and only once.
         const auto key_bytes = [](const persistence::master_key& k) {
           return std::string(k.bytes.begin(), k.bytes.end());
         };
         const auto key = google::state_key(key_bytes(persistence::installed_master_key()));
         const auto now = std::chrono::time_point_cast<std::chrono::seconds>(
             std::chrono::system_clock::now());
         const auto path = [](const std::string& state) {
           return "/api/integrations/google/callback?code=c0de&state=" + state;
         };
         const auto real = google::make_state(key, w.a, "a-admin", now);
         const auto foreign = google::make_state(
             google::state_key(key_bytes(persistence::generate_master_key())), w.a, "a-admin", now);
         const auto old = google::make_state(key, w.a, "a-admin", now - std::chrono::minutes(11));
         auto tampered = real;
         tampered.replace(3, w.a.size(), w.b);  // B's id in A's signed state
         for (const auto& [state, status] :
              std::vector<std::pair<std::string, int>>{{foreign, 403}, {tampered, 403},
                                                       {old, 400}, {"x", 400}}) {
           auto r = w.f.get(path(state));
           INFO(state << " → " << r.status << " " << r.text);
           CHECK(r.status == status);
         }
         auto first = w.f.get(path(real));
         INFO(first.text);
         CHECK(first.status == 502);
         CHECK(first.body["error"]["code"] == "google_unavailable");
         auto replay = w.f.get(path(real));
         CHECK(replay.status == 400);
         CHECK(replay.body["error"]["code"] == "state_replayed");
         // Nothing of A's link changed.
         CHECK(w.f.scalar("SELECT connected_email FROM google_links WHERE org_id = $1", {w.a}) ==
               "a-frontdesk@harbor.example");
       }},
  };
  return m;
}

}  // namespace rm::tapi::isolation
