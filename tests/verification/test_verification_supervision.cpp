// The verification registry and housekeeper are children of the root supervisor: killed, they
// come back under a new handle in wiring, the registry rebuilds its pending sessions from the
// database, and the facade (which always asks the current handle) keeps working. Whole service
// (threaded scheduler): the restart is awaited by polling with a deadline, never a fixed sleep.
#include <catch2/catch.hpp>
#include <caf/all.hpp>

#include "actors/service.hpp"
#include "actors/verification_service.hpp"
#include "actors/wiring.hpp"
#include "tests/integration/harness.hpp"

using namespace rm;
using namespace rm::itest;
using namespace std::chrono_literals;

namespace {

const std::string jwt_secret = "verification-supervision-jwt-secret-0123456";
const std::string owner_phone = "+12127360123";

harness_options options() {
  harness_options o;
  o.http_threads = 4;
  o.jwt_hs256_secret = jwt_secret;
  o.verification = true;
  return o;
}

bool lists(actors::verification_service& v, const std::string& id) {
  try {
    for (const auto& s : json::parse(v.live_sessions_json()))
      if (s["id"] == id) return true;
  } catch (const actors::service_error&) {
    // the registry is between two lives: ask again
  }
  return false;
}

}  // namespace

TEST_CASE("the supervisor restarts a killed verification registry and its session survives") {
  harness h{options()};
  auto org = h.create_sample_clinic();
  auto token = h.mint(org);
  auto& v = *h.verification();
  auto w = h.service().shared_wiring();

  auto r = http_post(h.port(), "/api/telephony/verify-caller-id/initiate",
                     json{{"phoneNumber", owner_phone}, {"channel", "sms"}}.dump(), token);
  INFO(r.text);
  REQUIRE(r.status == 200);
  const std::string id = r.body["verificationId"];
  REQUIRE(lists(v, id));

  auto before = w->verification_registry();
  // The exit reason of an uncaught exception: a failure, not a shutdown.
  caf::anon_send_exit(before, caf::exit_reason::unhandled_exception);
  REQUIRE(eventually([&] { return w->verification_registry() != before; }));
  // Resumed from verified_caller_ids by the new registry (recover_atom from the supervisor).
  REQUIRE(eventually([&] { return lists(v, id); }));

  auto ok = http_post(h.port(), "/api/telephony/verify-caller-id/confirm",
                      json{{"verificationId", id},
                           {"verificationCode", h.last_sms_code(owner_phone)}}
                          .dump(),
                      token);
  INFO(ok.text);
  CHECK(ok.status == 200);
  CHECK(ok.body["verifiedCallerId"] == id);
}

TEST_CASE("the supervisor restarts a killed verification housekeeper") {
  harness h{options()};
  auto& v = *h.verification();
  auto w = h.service().shared_wiring();
  auto before = w->verification_housekeeper();
  caf::anon_send_exit(before, caf::exit_reason::unhandled_exception);
  REQUIRE(eventually([&] { return w->verification_housekeeper() != before; }));
  auto swept = v.sweep_now();
  CHECK(swept["expired"] == 0);
  CHECK(swept["deleted"] == 0);
}
