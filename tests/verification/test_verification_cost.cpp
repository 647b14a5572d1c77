// Issue 9 §10 and §13 over HTTP (tests/integration/harness, the Twilio fake):
//  - refused initiations (verified, locked, rate-limited number) cost no argon2id hash;
//  - concurrent argon2id work (initiate hashes, confirm comparisons) never exceeds the cap, and
//    a request that finds every slot taken for argon2_wait gets 429 busy and changes nothing;
//  - Twilio's caller-ID status callback is verified like every Twilio webhook: signature over the
//    public URL with its query + the form fields (never the query as fields); 401 without a
//    signature, 403 with a wrong one, and nothing changes.
#include <catch2/catch.hpp>

#include <httplib.h>

#include <atomic>
#include <ctime>
#include <future>
#include <regex>
#include <thread>

#include "adapters/twilio/request_validator.hpp"
#include "tests/integration/harness.hpp"

using namespace rm;
using namespace rm::itest;

namespace {

const std::string jwt_secret = "verification-cost-tests-jwt-secret-0123456";
const std::string public_base = "https://ringmaster.verification.test";

harness_options options(unsigned slots = 0,
                        std::chrono::milliseconds wait = std::chrono::milliseconds(2000)) {
  harness_options o;
  o.http_threads = 16;
  o.jwt_hs256_secret = jwt_secret;
  o.verification = true;
  o.public_url = public_base + "/";  // a trailing '/' is dropped when URLs are built
  o.argon2_slots = slots;
  o.argon2_wait = wait;
  return o;
}

struct clinic {
  harness h;
  std::string org = h.create_sample_clinic();
  std::string token = h.mint(org);

  explicit clinic(harness_options o = options()) : h(std::move(o)) {}

  actors::argon2_limiter& argon2() { return h.verification()->argon2(); }
  reply initiate(const std::string& phone) {
    return http_post(h.port(), "/api/telephony/verify-caller-id/initiate",
                     json{{"phoneNumber", phone}, {"channel", "sms"}}.dump(), token);
  }
  reply confirm(const std::string& id, const std::string& code) {
    return http_post(h.port(), "/api/telephony/verify-caller-id/confirm",
                     json{{"verificationId", id}, {"verificationCode", code}}.dump(), token);
  }
  std::string last_sms_code(const std::string& to) const { return h.last_sms_code(to); }
  std::string started(const std::string& phone) {
    auto r = initiate(phone);
    INFO(r.text);
    REQUIRE(r.status == 200);
    return r.body["verificationId"];
  }
  std::string verified(const std::string& phone) {
    auto id = started(phone);
    auto r = confirm(id, last_sms_code(phone));
    INFO(r.text);
    REQUIRE(r.status == 200);
    return id;
  }
};

std::string wrong_code_for(const std::string& code) {
  return code == "000000" ? "000001" : "000000";
}

}  // namespace

TEST_CASE("a verified, locked or rate-limited number is refused before any argon2id hash") {
  clinic c;
  auto runs = [&] { return c.argon2().snapshot().runs; };

  SECTION("rate limited: the fourth code within the hour") {
    for (int i = 0; i < 3; ++i) c.started("+12127360131");
    CHECK(runs() == 3);
    auto t0 = std::chrono::steady_clock::now();
    auto fourth = c.initiate("+12127360131");
    auto took = std::chrono::steady_clock::now() - t0;
    CHECK(fourth.status == 429);
    CHECK(fourth.body["error"]["code"] == "too_many_verifications");
    CHECK(std::stoi(fourth.headers["Retry-After"]) > 3500);
    CHECK(runs() == 3);  // no hash for the refused request
    CHECK(took < std::chrono::seconds(2));
  }
  SECTION("locked: after the third wrong code") {
    auto id = c.started("+12127360132");
    auto wrong = wrong_code_for(c.last_sms_code("+12127360132"));
    for (int i = 0; i < 3; ++i) c.confirm(id, wrong);
    auto before = runs();  // 1 hash + 3 comparisons
    CHECK(before == 4);
    auto locked = c.initiate("+12127360132");
    CHECK(locked.status == 423);
    CHECK(locked.body["error"]["code"] == "number_locked");
    CHECK(std::stoi(locked.headers["Retry-After"]) > 3500);
    CHECK(runs() == before);
  }
  SECTION("already verified") {
    c.verified("+12127360133");
    auto before = runs();
    auto again = c.initiate("+12127360133");
    CHECK(again.status == 409);
    CHECK(again.body["error"]["code"] == "already_verified");
    CHECK(runs() == before);
  }
}

TEST_CASE("concurrent initiates and confirms never run more argon2id hashes at once than the cap") {
  clinic c{options(1, std::chrono::seconds(60))};
  REQUIRE(c.argon2().capacity() == 1);
  const int n = 6;
  std::vector<std::string> phones;
  for (int i = 0; i < n; ++i) phones.push_back("+1212736014" + std::to_string(i));

  std::vector<std::future<reply>> started;
  for (const auto& p : phones)
    started.push_back(std::async(std::launch::async, [&c, p] { return c.initiate(p); }));
  std::vector<std::string> ids;
  for (auto& f : started) {
    auto r = f.get();
    INFO(r.text);
    REQUIRE(r.status == 200);
    ids.push_back(r.body["verificationId"]);
  }
  auto s = c.argon2().snapshot();
  CHECK(s.runs == static_cast<std::uint64_t>(n));
  CHECK(s.max_in_flight == 1);

  std::vector<std::future<int>> confirmed;
  for (int i = 0; i < n; ++i) {
    auto code = c.last_sms_code(phones[i]);
    auto id = ids[i];
    confirmed.push_back(
        std::async(std::launch::async, [&c, id, code] { return c.confirm(id, code).status; }));
  }
  for (auto& f : confirmed) CHECK(f.get() == 200);
  s = c.argon2().snapshot();
  CHECK(s.runs == static_cast<std::uint64_t>(2 * n));
  CHECK(s.max_in_flight == 1);
  CHECK(s.refused == 0);
}

TEST_CASE("when every argon2id slot stays taken, initiate and confirm answer 429 busy and change "
          "nothing") {
  clinic c{options(1, std::chrono::milliseconds(150))};
  auto id = c.started("+12127360151");
  auto code = c.last_sms_code("+12127360151");
  const auto sms_before = c.h.twilio().messages().size();

  std::promise<void> release;
  auto released = release.get_future().share();
  std::thread holder{[&] { c.argon2().run([&] { released.wait(); }); }};
  REQUIRE(eventually([&] { return c.argon2().snapshot().in_flight == 1; }));

  auto busy = c.initiate("+12127360152");
  INFO(busy.text);
  CHECK(busy.status == 429);
  CHECK(busy.body["error"]["code"] == "busy");
  CHECK(busy.headers["Retry-After"] == "1");
  CHECK(c.h.count("SELECT count(*) FROM verified_caller_ids WHERE phone_number = $1",
                  {"+12127360152"}) == 0);
  CHECK(c.h.count("SELECT count(*) FROM verification_initiations") == 1);

  auto guess = c.confirm(id, wrong_code_for(code));
  INFO(guess.text);
  CHECK(guess.status == 429);
  CHECK(guess.body["error"]["code"] == "busy");
  CHECK(c.h.scalar("SELECT verification_attempts FROM verified_caller_ids WHERE id = $1", {id}) ==
        "0");
  CHECK(c.h.twilio().messages().size() == sms_before);
  CHECK(c.argon2().snapshot().refused == 2);

  release.set_value();
  holder.join();
  CHECK(c.confirm(id, code).status == 200);
}

// ---- §13: the caller-ID status callback ---------------------------------------------------------

namespace {

struct callback_reply {
  int status = 0;
  std::string body;
};

callback_reply post_callback(int port, const std::string& target, const twilio::params& form,
                             const std::string& signature) {
  std::string body;
  for (const auto& [k, v] : form) body += (body.empty() ? "" : "&") + k + "=" + v;  // URL-safe
  httplib::Client cli("127.0.0.1", port);
  cli.set_read_timeout(30);
  httplib::Headers headers;
  if (!signature.empty()) headers.emplace("X-Twilio-Signature", signature);
  auto res = cli.Post(target.c_str(), headers, body, "application/x-www-form-urlencoded");
  if (!res) return {};
  return {res->status, res->body};
}

}  // namespace

TEST_CASE("the caller-ID status callback is verified like every Twilio webhook") {
  clinic c;
  auto vid = c.verified("+12127360161");
  REQUIRE(http_post(c.h.port(), "/api/telephony/verified-numbers/" + vid + "/caller-id", "{}",
                    c.token)
              .status == 200);
  auto status = [&] {
    return c.h.scalar("SELECT coalesce(twilio_validation_status, '') || '/' ||"
                      " coalesce(twilio_caller_id_sid, '') FROM verified_caller_ids WHERE id = $1",
                      {vid});
  };
  REQUIRE(status() == "validating/");

  const std::string path = "/webhooks/twilio/caller-id/" + c.org + "/" + vid;
  const std::string target = path + "?attempt=1";
  const twilio::params form{{"AccountSid", account_sid},
                            {"VerificationStatus", "success"},
                            {"OutgoingCallerIdSid", "PN0123456789abcdef0123456789abcdef"}};
  const auto url = public_base + target;

  SECTION("no signature: 401") {
    CHECK(post_callback(c.h.port(), target, form, "").status == 401);
  }
  SECTION("another token: 403") {
    CHECK(post_callback(c.h.port(), target, form,
                        twilio::compute_signature("not-the-token", url, form))
              .status == 403);
  }
  SECTION("signed over the URL without its query: 403") {
    CHECK(post_callback(c.h.port(), target, form,
                        twilio::compute_signature(auth_token, public_base + path, form))
              .status == 403);
  }
  SECTION("the query signed as form fields: 403") {
    auto merged = form;
    merged.emplace_back("attempt", "1");
    CHECK(post_callback(c.h.port(), target, form,
                        twilio::compute_signature(auth_token, public_base + path, merged))
              .status == 403);
  }
  SECTION("signed over the loopback URL instead of the public one: 403") {
    auto direct = "http://127.0.0.1:" + std::to_string(c.h.port()) + target;
    CHECK(post_callback(c.h.port(), target, form,
                        twilio::compute_signature(auth_token, direct, form))
              .status == 403);
  }
  SECTION("a signed form that was changed on the way: 403") {
    auto changed = form;
    changed[1].second = "failed";
    CHECK(post_callback(c.h.port(), target, changed,
                        twilio::compute_signature(auth_token, url, form))
              .status == 403);
  }
  CHECK(status() == "validating/");  // none of the above changed anything

  SECTION("the public URL with its query + the form fields: accepted") {
    auto ok = post_callback(c.h.port(), target, form,
                            twilio::compute_signature(auth_token, url, form));
    INFO(ok.body);
    CHECK(ok.status == 204);
    CHECK(status() == "success/PN0123456789abcdef0123456789abcdef");
  }
}
