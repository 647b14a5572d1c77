// Two clinics, each with its own number and Twilio account, and a caller: the cast of the suites
// that check one clinic against the other (tests/numbers, tests/twilio_webhooks). Build the
// fixture with .twilio_accounts(two_clinics::accounts()) so the Twilio fake knows both accounts.
#pragma once

#include <map>
#include <string>

namespace rm::testing::two_clinics {

inline constexpr const char* number_a = "+14155550100";  // A's hand-mapped main line
inline constexpr const char* account_a = "AC0000000000000000000000000000000a";
inline constexpr const char* token_a = "tenant-a-auth-token";
inline constexpr const char* number_b = "+12125550100";
inline constexpr const char* account_b = "AC0000000000000000000000000000000b";
inline constexpr const char* token_b = "tenant-b-auth-token";
inline constexpr const char* caller = "+14155550177";

// {AccountSid → AuthToken} of both clinics, for the Twilio fake.
inline std::map<std::string, std::string> accounts() {
  return {{account_a, token_a}, {account_b, token_b}};
}

}  // namespace rm::testing::two_clinics
