// The fake's phone-number side (Accounts/{Sid}.json, AvailablePhoneNumbers, IncomingPhoneNumbers)
// as plain state and rules, without HTTP: fake_twilio routes requests here under its mutex.
// Wire format: ../shared/contracts/twilio.md §3 (snake_case bodies, paging fields, legacy error
// bodies); purchase magic numbers: §4.
//
// Inventory model (deterministic, shared by every account of one fake, like Twilio's):
// - An area code NPA (3 digits, first 2–9) offers the 100 numbers +1 NPA 555 0100 … 0199,
//   minus those any account owns. Search without AreaCode uses 415.
// - AreaCode 500 offers only the magic +15005550006; AreaCode 533 offers none (search: empty
//   list; purchase by AreaCode: 21452).
// - Buying PhoneNumber=+15005550006 always succeeds (a new PN each time: test credentials never
//   hold a number); +15005550000 → 21422; +15005550001 → 21421. Any other number succeeds once
//   if it is in its area code's offer; owned or not offered → 21422; not E.164 → 21421.
// - A released number goes back on offer (the fake has no Twilio-side aging).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace rm::fakes {

using fake_params = std::multimap<std::string, std::string>;  // query and form fields

// What to answer: status, and a JSON body unless status is 204.
struct fake_reply {
  int status = 200;
  nlohmann::json body;
};

class number_inventory {
 public:
  // GET Accounts/{Sid}.json for the account the credentials belong to.
  nlohmann::json account_resource(const std::string& account_sid, const std::string& auth_token,
                                  const std::string& status) const;
  // GET …/AvailablePhoneNumbers/{country}/Local.json (AreaCode, Contains, PageSize).
  fake_reply search(const std::string& account_sid, const std::string& country,
                    const fake_params& query) const;
  // POST …/IncomingPhoneNumbers.json → 201 incoming_phone_number.
  fake_reply purchase(const std::string& account_sid, const fake_params& form);
  // GET …/IncomingPhoneNumbers.json (PhoneNumber, FriendlyName, PageSize, Page, PageToken).
  // Without PageSize, `default_page_size` applies (Twilio's is 50).
  fake_reply list(const std::string& account_sid, const fake_params& query,
                  int default_page_size) const;
  // POST …/IncomingPhoneNumbers/{PN}.json → 200; another account's or an unknown PN → 404.
  fake_reply update(const std::string& account_sid, const std::string& pn_sid,
                    const fake_params& form);
  // DELETE …/IncomingPhoneNumbers/{PN}.json → 204; unknown → 404 20404.
  fake_reply release(const std::string& account_sid, const std::string& pn_sid);

  // Test set-up: the account owns `phone_number` already (bought elsewhere). Returns the resource.
  nlohmann::json add_owned(const std::string& account_sid, const std::string& phone_number,
                           const std::string& friendly_name = "");
  // The account's numbers (incoming_phone_number bodies, in purchase order).
  nlohmann::json owned(const std::string& account_sid) const;
  // Every released number's last body, in release order.
  nlohmann::json released() const { return released_; }

 private:
  bool owned_by_anyone(const std::string& phone_number) const;
  nlohmann::json* find(const std::string& account_sid, const std::string& pn_sid);
  std::vector<std::string> offer(const std::string& area_code) const;

  std::map<std::string, std::vector<nlohmann::json>> owned_;  // account sid → numbers
  nlohmann::json released_ = nlohmann::json::array();
};

}  // namespace rm::fakes
