#include "adapters/twilio/twiml.hpp"

#include <algorithm>
#include <cctype>

namespace rm::twilio {

namespace {

const char* prolog = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>";

std::string response(const std::string& verbs) {
  return std::string{prolog} + "<Response>" + verbs + "</Response>";
}

}  // namespace

std::string xml_escape(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char ch : text) {
    auto c = static_cast<unsigned char>(ch);
    switch (ch) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default:
        if (c < 0x20 && ch != '\t' && ch != '\n' && ch != '\r') break;  // not allowed in XML 1.0
        out += ch;
    }
  }
  return out;
}

std::string twiml_reject() { return response("<Reject/>"); }

std::string twiml_dial_sip(const std::string& sip_uri) {
  return response("<Dial><Sip>" + xml_escape(sip_uri) + "</Sip></Dial>");
}

std::string twiml_dial_number(const std::string& e164) {
  return response("<Dial>" + xml_escape(e164) + "</Dial>");
}

std::string twiml_say_hangup(const std::string& sentence) {
  return response("<Say>" + xml_escape(sentence) + "</Say><Hangup/>");
}

std::string twiml_empty() { return std::string{prolog} + "<Response/>"; }

sms_keyword classify_sms_keyword(const std::string& body) {
  auto first = std::find_if_not(body.begin(), body.end(),
                                [](unsigned char c) { return std::isspace(c); });
  auto last = std::find_if_not(body.rbegin(), body.rend(),
                               [](unsigned char c) { return std::isspace(c); }).base();
  if (first >= last) return sms_keyword::none;
  std::string word(first, last);
  for (auto& c : word) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  for (const char* k : {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"})
    if (word == k) return sms_keyword::opt_out;
  for (const char* k : {"START", "YES", "UNSTOP"})
    if (word == k) return sms_keyword::opt_in;
  return sms_keyword::none;
}

}  // namespace rm::twilio
