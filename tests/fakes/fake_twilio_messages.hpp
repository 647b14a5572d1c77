// The fake's Messages.json rules: validation, the magic numbers of twilio.md §4 and the 201
// body. Pure functions, so the tables can be read in one place.
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace rm::fakes {

struct fake_error {
  int http_status;
  int code;
  std::string message;
};

// Twilio's legacy error body {"code","message","more_info","status"}.
nlohmann::json error_body(const fake_error& e);

// Checks To/From/Body like Twilio (test-credential magic numbers included); nullopt = accept.
std::optional<fake_error> check_sms(const std::string* from, const std::string* to,
                                    const std::string* body, bool enforce_magic_from);

// The 201 resource for an accepted message, in Twilio's shape (sid SM + 32 hex, "queued").
nlohmann::json message_resource(const std::string& account_sid, const std::string& from,
                                const std::string& to, const std::string& body);

}  // namespace rm::fakes
