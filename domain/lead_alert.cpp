#include "domain/lead_alert.hpp"

#include <cmath>

namespace rm::domain {

namespace {

constexpr std::size_t sms_segment = 160;

// Printable ASCII only: the SMS stays a single GSM-7 segment whatever the service's name holds.
std::string ascii(const std::string& s) {
  std::string out;
  for (unsigned char c : s)
    if (c >= 0x20 && c < 0x7f) out += static_cast<char>(c);
  return out;
}

std::string dollars(double value) {
  if (!(value >= 0) || !std::isfinite(value)) value = 0;
  return "$" + std::to_string(static_cast<long long>(std::llround(value)));
}

}  // namespace

std::string hot_lead_alert_text(const hot_lead_alert& a) {
  const std::string head = "Hot lead (score " + std::to_string(a.score) + "): " + ascii(a.caller);
  const std::string tail = std::string(a.booked ? ", booked." : ", not booked yet.") +
                           " Call back soon.";
  std::string what = a.service.empty() ? " called (~" + dollars(a.value) + ")"
                                       : " asked about " + ascii(a.service) + " (~" +
                                             dollars(a.value) + ")";
  std::string text = head + what + tail;
  if (text.size() > sms_segment) {
    // Only the service's name can be long: drop it, keep the value.
    text = head + " called (~" + dollars(a.value) + ")" + tail;
  }
  if (text.size() > sms_segment) text.resize(sms_segment);
  return text;
}

}  // namespace rm::domain
