// The fake's Messages.json rules: validation, the magic numbers of twilio.md §4 and the 201
// body. Pure functions, so the tables can be read in one place.
#pragma once

#include <map>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace rm::fakes {

struct fake_error {
  int http_status;
  int code;
  std::string message;
};

// A SID: two-letter prefix + 32 random lower-case hex digits (34 characters).
std::string new_sid(const char* prefix);
// The current time as Twilio writes dates: "Sun, 25 Mar 2018 09:53:19 +0000".
std::string rfc2822_now();

// Twilio's legacy error body {"code","message","more_info","status"}.
nlohmann::json error_body(const fake_error& e);

// Checks To/From/Body like Twilio (test-credential magic numbers included); nullopt = accept.
std::optional<fake_error> check_sms(const std::string* from, const std::string* to,
                                    const std::string* body, bool enforce_magic_from);

// The 201 resource for an accepted message, in Twilio's shape (sid SM + 32 hex, "queued").
nlohmann::json message_resource(const std::string& account_sid, const std::string& from,
                                const std::string& to, const std::string& body);

// GET Messages.json (ReadMessage): the accepted messages of `account_sid` (oldest first in
// `accepted`), newest first, filtered like Twilio by To, From and DateSent (`DateSent` = that UTC
// day, `DateSent>` / `DateSent<` inclusive bounds; a "YYYY-MM-DD" bound compares days, a
// "YYYY-MM-DDThh:mm:ssZ" one instants), paged by PageSize (default 50) and Page. The fake
// delivers at once: a listed message is "sent" with date_sent = date_created. The body is
// Twilio's page: {"messages", "page", "page_size", "start", "end", "uri", "first_page_uri",
// "next_page_uri", "previous_page_uri"}; an unparseable DateSent bound → 400 (code 20001).
struct fake_list_reply {
  int status;
  nlohmann::json body;
};
fake_list_reply message_list(const nlohmann::json& accepted, const std::string& account_sid,
                             const std::multimap<std::string, std::string>& params);

// Calls.json (twilio.md §4 "Calls From/To"): From +15005550001 → 21212, and in test-credential
// mode any From but +15005550006 → 21210; To +15005550001..4 → 21217, 21214, 21215, 21216.
// Url or Twiml is required (21205).
std::optional<fake_error> check_call(const std::string* from, const std::string* to,
                                     const std::string* twiml, const std::string* url,
                                     bool enforce_magic_from);
// The 201 call resource (sid CA + 32 hex, status "queued").
nlohmann::json call_resource(const std::string& account_sid, const std::string& from,
                             const std::string& to);
// The 200 body of OutgoingCallerIds.json (CreateValidationRequest): account_sid, call_sid,
// friendly_name, phone_number, validation_code (6 digits).
nlohmann::json caller_id_validation(const std::string& account_sid,
                                    const std::string& phone_number,
                                    const std::string& friendly_name);

}  // namespace rm::fakes
