#include "domain/forwarding_codes.hpp"

#include <cctype>

#include <nlohmann/json.hpp>

#include "domain/e164.hpp"

namespace rm::domain {

namespace {

constexpr int min_ring_time_seconds = 5;   // TS 22.030 / TS 29.002 NoReplyConditionTime
constexpr int max_ring_time_seconds = 30;
constexpr int ring_time_step_seconds = 5;  // the only values carriers use (forwarding-codes.md §1)

std::string lower_trimmed(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  std::string out;
  for (char c : s) out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

forwarding_rejection reject(std::string code, std::string message) {
  return forwarding_rejection{std::move(code), std::move(message)};
}

bool is_gsm(carrier c) { return c != carrier::verizon; }

const char* carrier_name(carrier c) {
  switch (c) {
    case carrier::tmobile: return "T-Mobile";
    case carrier::att: return "AT&T";
    case carrier::verizon: return "Verizon";
    case carrier::other_gsm: return "your carrier";
  }
  return "your carrier";
}

// A destination as a person wrote it, checked and put in the form the carrier dials.
struct destination {
  std::string e164;
  std::string dialled;
  std::string region;  // ISO 3166-1 alpha-2
};

// The US and its territories share +1 with Canada and the Caribbean (NANP).
bool is_us_region(const std::string& region) {
  return region == "US" || region == "PR" || region == "VI" || region == "GU" || region == "AS" ||
         region == "MP";
}

bool is_separator(char c) { return c == ' ' || c == '-' || c == '.' || c == '(' || c == ')'; }

// Only digits, one leading '+' and separators: a '*' or '#' would rewrite the MMI string
// (forwarding-codes.md §4), and pause/wait characters (',' ';' 'p' 'w') would dial extra digits.
std::variant<destination, forwarding_rejection> parse_destination(std::string_view text,
                                                                  carrier c) {
  const std::string quoted = "\"" + std::string(text) + "\"";
  bool has_plus = false;
  bool seen_digit = false;
  std::size_t digits = 0;
  for (char ch : text) {
    if (ch >= '0' && ch <= '9') {
      seen_digit = true;
      ++digits;
    } else if (ch == '+' && !has_plus && !seen_digit) {
      has_plus = true;
    } else if (!is_separator(ch)) {
      return reject("invalid_destination",
                    "The destination " + quoted +
                        " may contain only digits, one leading '+', spaces, dashes, dots and "
                        "parentheses.");
    }
  }
  if (digits == 0)
    return reject("invalid_destination", "The destination is empty: give the AI phone number.");

  const auto n = normalize_e164(text, "US");
  const bool domestic = n.ok && n.e164.rfind("+1", 0) == 0;
  // Without '+', libphonenumber reads the digits as a US number (or 011 + an international one).
  const char first_digit = text[text.find_first_of("0123456789")];
  const bool cannot_be_us = n.ok ? !domestic : digits > 11 || (digits == 11 && first_digit != '1');
  if (!has_plus && cannot_be_us)
    return reject("international_format_required",
                  "The destination " + quoted +
                      " is not a valid US number. An international number must be written "
                      "with '+' and its country code, e.g. +44 20 7946 0958.");
  if (!n.ok)
    return reject("invalid_destination", "The destination " + quoted +
                                             " is not a valid phone number (" + n.error + ").");

  destination d;
  d.e164 = n.e164;
  d.region = region_of(n.e164);
  if (!domestic && c != carrier::other_gsm)
    return reject("international_destination_not_supported",
                  std::string(carrier_name(c)) +
                      " does not forward calls to numbers outside the US/NANP (+1); " + n.e164 +
                      " is in " + d.region + ". Use a US AI number.");
  switch (c) {
    case carrier::tmobile:
    case carrier::att: d.dialled = n.e164.substr(1); break;      // 1 + 10 digits
    case carrier::verizon: d.dialled = n.e164.substr(2); break;  // 10 digits, no '+'
    case carrier::other_gsm: d.dialled = n.e164; break;          // '+' and country code
  }
  return d;
}

std::optional<forwarding_rejection> check_ring_time(int seconds) {
  if (seconds < min_ring_time_seconds || seconds > max_ring_time_seconds)
    return reject("ring_time_out_of_range",
                  "The ring time must be between 5 and 30 seconds (3GPP TS 22.030); got " +
                      std::to_string(seconds) + ".");
  if (seconds % ring_time_step_seconds != 0)
    return reject("ring_time_not_multiple_of_5",
                  "The ring time must be 5, 10, 15, 20, 25 or 30 seconds; got " +
                      std::to_string(seconds) + ".");
  return std::nullopt;
}

std::string dial_step(const std::string& code) {
  return "On the clinic's mobile, open the Phone app, type " + code +
         " exactly as shown (type it: iPhones will not dial a link containing * or #) and press "
         "Call.";
}

void gsm_codes(const forwarding_request& r, const destination& d, forwarding_codes& out) {
  const std::string n = d.dialled;
  const std::string who = carrier_name(r.carrier_kind);
  if (r.mode == forwarding_mode::total_ai) {
    out.activation = "**21*" + n + "#";
    out.deactivation = "##21#";
    out.status_check = "*#21#";
    out.instructions = {
        dial_step(out.activation),
        "Wait for the on-screen message from " + who + " confirming that forwarding is on.",
        "To check it later, dial *#21#: it shows where all calls are forwarded.",
        "To stop sending every call to the AI, dial ##21#.",
    };
    return;
  }
  const std::string t = r.ring_time_seconds ? "*" + std::to_string(*r.ring_time_seconds) : "";
  out.activation = "**004*" + n + "*11" + t + "#";
  out.deactivation = "##004#";
  out.status_check = "*#004#";
  out.instructions = {
      dial_step(out.activation),
      "Wait for the on-screen message from " + who + " confirming that forwarding is on.",
      "To check it, dial *#004#, and each case on its own: *#61# (no answer), *#67# (busy) and "
      "*#62# (unreachable); each should show " + n + ".",
      "If one of them does not, use the fallback: dial ##004#, then these three codes one after "
      "the other: **61*" + n + "*11" + t + "# (no answer), **67*" + n + "# (busy) and **62*" +
          n + "# (unreachable). Turn them off with ##61#, ##67# and ##62#.",
      "To stop sending missed calls to the AI, dial ##004#.",
  };
  if (!r.ring_time_seconds)
    out.notes.push_back(
        "No ring time given: the code leaves it out, so the network keeps its current no-answer "
        "timer (3GPP TS 23.082 §3.1.1).");
  if (r.carrier_kind == carrier::tmobile)
    out.notes.push_back(
        "T-Mobile has been reported to confirm **004* while setting only the no-answer case: "
        "check *#67# and *#62# as well.");
  if (r.carrier_kind == carrier::att)
    out.notes.push_back(
        "##004# also removes forwarding to AT&T voicemail, and AT&T documents no code to restore "
        "it: if voicemail is wanted again later, AT&T support can reset it.");
}

void verizon_codes(const forwarding_request& r, const destination& d, forwarding_codes& out) {
  const bool total = r.mode == forwarding_mode::total_ai;
  out.activation = (total ? "*72" : "*71") + d.dialled;
  out.deactivation = "*73";
  out.status_check.clear();
  out.instructions = {
      dial_step(out.activation),
      "Wait for the confirmation tone or message, then hang up.",
      "Verizon has no code to check forwarding: check it in the My Verizon app or website.",
      "To stop forwarding, dial *73 and press Call.",
  };
}

}  // namespace

const char* to_string(carrier c) {
  switch (c) {
    case carrier::tmobile: return "tmobile";
    case carrier::att: return "att";
    case carrier::verizon: return "verizon";
    case carrier::other_gsm: return "other_gsm";
  }
  return "other_gsm";
}

const char* to_string(forwarding_mode m) {
  return m == forwarding_mode::total_ai ? "total_ai" : "safety_net";
}

std::variant<carrier, forwarding_rejection> parse_carrier(std::string_view text) {
  const std::string t = lower_trimmed(text);
  if (t == "tmobile" || t == "sprint") return carrier::tmobile;
  if (t == "att") return carrier::att;
  if (t == "verizon") return carrier::verizon;
  if (t == "other_gsm") return carrier::other_gsm;
  return reject("unknown_carrier", "Unknown carrier \"" + std::string(text) +
                                       "\": use tmobile, att, verizon, sprint or other_gsm.");
}

std::variant<forwarding_mode, forwarding_rejection> parse_mode(std::string_view text) {
  const std::string t = lower_trimmed(text);
  if (t == "total_ai") return forwarding_mode::total_ai;
  if (t == "safety_net") return forwarding_mode::safety_net;
  return reject("unknown_mode",
                "Unknown mode \"" + std::string(text) + "\": use total_ai or safety_net.");
}

forwarding_result generate_forwarding_codes(const forwarding_request& r) {
  const auto parsed = parse_destination(r.destination, r.carrier_kind);
  if (const auto* no = std::get_if<forwarding_rejection>(&parsed)) return *no;
  const auto& d = std::get<destination>(parsed);

  const bool gsm_safety_net = is_gsm(r.carrier_kind) && r.mode == forwarding_mode::safety_net;
  if (gsm_safety_net && r.ring_time_seconds)
    if (auto no = check_ring_time(*r.ring_time_seconds)) return *no;

  forwarding_codes out;
  out.destination_dialled = d.dialled;
  out.destination_e164 = d.e164;
  if (is_gsm(r.carrier_kind))
    gsm_codes(r, d, out);
  else
    verizon_codes(r, d, out);

  if (r.ring_time_seconds && r.mode == forwarding_mode::total_ai)
    out.notes.push_back("The ring time (" + std::to_string(*r.ring_time_seconds) +
                        " s) was ignored: total_ai forwards every call at once, without ringing.");
  else if (r.ring_time_seconds && !is_gsm(r.carrier_kind))
    out.notes.push_back("The ring time (" + std::to_string(*r.ring_time_seconds) +
                        " s) was not applied: Verizon's no-answer delay cannot be set by code; "
                        "the network's own delay applies.");
  if (d.e164.rfind("+1", 0) == 0 && !is_us_region(d.region))
    out.notes.push_back("The destination is a +1 number outside the US (" + d.region +
                        "): the carrier may charge forwarded calls as international.");
  return out;
}

nlohmann::json to_json(const forwarding_result& result) {
  if (const auto* no = std::get_if<forwarding_rejection>(&result))
    return {{"error", {{"code", no->code}, {"message", no->message}}}};
  const auto& c = std::get<forwarding_codes>(result);
  return {{"activation", c.activation},     {"deactivation", c.deactivation},
          {"status_check", c.status_check}, {"instructions", c.instructions},
          {"notes", c.notes},               {"destination", c.destination_dialled}};
}

}  // namespace rm::domain
