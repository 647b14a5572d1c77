#include <catch2/catch.hpp>

#include "domain/lead_alert.hpp"

using namespace rm::domain;

TEST_CASE("the hot-lead alert names the caller, the score, the service and the booking") {
  const auto text = hot_lead_alert_text({"+14155550177", 85, "Botox", 400, true});
  CHECK(text == "Hot lead (score 85): +14155550177 asked about Botox (~$400), booked. "
                "Call back soon.");
  CHECK(hot_lead_alert_text({"+14155550177", 72, "", 150, false}) ==
        "Hot lead (score 72): +14155550177 called (~$150), not booked yet. Call back soon.");
}

TEST_CASE("the hot-lead alert is one ASCII SMS segment whatever the service's name") {
  const std::string long_name(400, 'x');
  const auto text = hot_lead_alert_text({"+14155550177", 90, long_name, 7500.4, false});
  CHECK(text.size() <= 160);
  CHECK(text.find("~$7500") != std::string::npos);
  CHECK(text.find("xxxx") == std::string::npos);
  const auto accented = hot_lead_alert_text({"+14155550177", 90, "Lifting \xc3\xa9t\xc3\xa9", 1, true});
  for (unsigned char c : accented) CHECK((c >= 0x20 && c < 0x7f));
  CHECK(accented.find("Lifting t") != std::string::npos);
}
