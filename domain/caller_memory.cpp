// Caller memory: see caller_memory.hpp.
#include "domain/caller_memory.hpp"

#include <exception>

#include "domain/reminders.hpp"

namespace rm::domain {

std::string memory_text(const std::string& text, std::size_t max_bytes) {
  std::string out;
  out.reserve(text.size());
  bool space = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    const bool delimiter = i + 1 < text.size() &&
                           ((c == '{' && (text[i + 1] == '{' || text[i + 1] == '%')) ||
                            ((c == '}' || c == '%') && text[i + 1] == '}'));
    if (delimiter) ++i;  // both characters go; a space keeps the words apart
    if (delimiter || c < 0x20 || c == 0x7F || c == ' ') {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += static_cast<char>(c);
  }
  if (out.size() > max_bytes) {
    std::size_t cut = max_bytes;
    // Step back over continuation bytes (10xxxxxx) so the cut lands on a sequence start.
    while (cut > 0 && (static_cast<unsigned char>(out[cut]) & 0xC0) == 0x80) --cut;
    out.resize(cut);
    while (!out.empty() && out.back() == ' ') out.pop_back();
  }
  return out;
}

nlohmann::json caller_memory_variables(const caller_history& h) {
  nlohmann::json v = nlohmann::json::object();
  const auto name = memory_text(h.name, caller_name_max_bytes);
  auto summary = memory_text(h.last_summary, caller_summary_max_bytes);
  if (name.empty() && summary.empty() && !h.next_appointment) return v;

  std::string context;
  if (!name.empty()) {
    v["customerName"] = name;
    context = "This is a returning caller, " + name + ": greet them by name (\"Welcome back, " +
              name + "\").";
  } else {
    context = "This caller has called the clinic before (their name is not on file).";
  }
  if (!summary.empty()) {
    v["lastCallSummary"] = summary;
    const char last = summary.back();
    if (last != '.' && last != '!' && last != '?') summary += '.';
    context += " Their last call, in short: " + summary;
  }
  if (h.next_appointment) {
    const auto spoken = spoken_local(*h.next_appointment, h.time_zone);
    v["nextAppointment"] = spoken;
    try {
      v["nextAppointmentAt"] = format_local(*h.next_appointment, h.time_zone);
    } catch (const std::exception&) {  // unknown zone: UTC, as spoken_local does
      v["nextAppointmentAt"] = format_local(*h.next_appointment, "UTC");
    }
    context += " Their next appointment: " + spoken + ".";
  }
  context += " Use this to help them; do not read it out unless it helps.";
  v["callerContext"] = context;
  return v;
}

}  // namespace rm::domain
