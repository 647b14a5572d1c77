// twilio::describe (twilio_client.hpp): a clear sentence per Twilio error code.
#include <cctype>

#include "adapters/twilio/twilio_client.hpp"

namespace rm::twilio {
namespace {

// First "+digits" token in Twilio's message, e.g. "The 'To' number +1500… is not valid".
std::string number_in(const std::string& message) {
  for (size_t i = 0; i + 1 < message.size(); ++i) {
    if (message[i] != '+' || !std::isdigit(static_cast<unsigned char>(message[i + 1]))) continue;
    size_t end = i + 1;
    while (end < message.size() && std::isdigit(static_cast<unsigned char>(message[end]))) ++end;
    return message.substr(i, end - i);
  }
  return {};
}

}  // namespace

std::string describe(const twilio_error& e) {
  if (e.http_status == 0) {
    return "could not reach Twilio" + (e.message.empty() ? "" : " (" + e.message + ")");
  }
  std::string number = number_in(e.message);
  std::string the_number = number.empty() ? "the recipient's number" : "the number " + number;
  switch (e.code) {
    case 20003:
      return "Twilio rejected these credentials (wrong Account SID or Auth Token)";
    case 20404:
      return "Twilio has no such resource on this account (wrong SID, or already released)";
    case 20429:
      return "Twilio is rate-limiting this account; try again in a moment";
    case 21211:
      return the_number + " is not a valid phone number";
    case 21212:
      return "the clinic's sending number is not a valid phone number";
    case 21421:
      return "that phone number is not valid for purchase";
    case 21422:
      return "that number is no longer available";
    case 21451:
      return "that area code is not valid";
    case 21452:
      return "no numbers available in that area code";
    case 21408:
      return "the clinic's Twilio account is not permitted to send SMS to that country";
    case 21602:
      return "the message has no text";
    case 21604:
      return "no recipient number was given";
    case 21606:
      return "the clinic's sending number cannot send SMS (not owned by the account or not "
             "SMS-capable)";
    case 21610:
      return "the recipient has opted out of SMS (STOP)";
    case 21611:
      return "the clinic's sending number has too many queued messages; try again later";
    case 21612:
      return "Twilio cannot deliver SMS to " + the_number + " from the clinic's number";
    case 21614:
      return "that number cannot receive SMS (not a mobile number)";
    case 21617:
      return "the message is too long (over 1600 characters)";
    default:
      break;
  }
  std::string what = e.code != 0 ? "Twilio error " + std::to_string(e.code)
                                 : "Twilio answered HTTP " + std::to_string(e.http_status);
  return e.message.empty() ? what : what + ": " + e.message;
}

}  // namespace rm::twilio
