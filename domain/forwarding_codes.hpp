// Call-forwarding dial codes that a clinic types on its own mobile to send calls to its AI number.
//
// Sources: 3GPP TS 22.030 §6.5.2 and Annex B (MMI structure `procedure SC *SIA *SIB *SIC #`,
// service codes 21/61/62/67/004, basic service 11 = telephony, timer T 5..30 s), TS 29.002
// (NoReplyConditionTime ::= INTEGER (5..30)), TS 23.082 §3.1.1 (T omitted: the network keeps its
// timer), and the checked carrier table in /work/shared/contracts/forwarding-codes.md §2, which
// replaces the product seed's table (§17.2/§17.5: wrong 61 for safety net, 5–60 s ring time).
//
//   carrier       total_ai on / off          safety_net on / off                 status
//   tmobile, att  **21*1NXXNXXXXXX# / ##21#  **004*1NXXNXXXXXX*11[*T]# / ##004#  *#21#, *#004#
//   other_gsm     **21*+E164# / ##21#        **004*+E164*11[*T]# / ##004#        *#21#, *#004#
//   verizon       *72 + 10 digits / *73      *71 + 10 digits / *73               none: My Verizon
//   (sprint = tmobile; T = ring time in seconds, left out when not given)
//
// The safety-net fallback (when a network ignores 004) is three codes: **61*N*11[*T]#, **67*N#,
// **62*N#, turned off with ##61#, ##67#, ##62#; it is given as extra instructions, never as the
// main code.
//
// Pure: no I/O. Numbers go through domain/e164.hpp (libphonenumber) only.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace rm::domain {

// Why a request cannot produce codes. `code` is machine-readable and stable; `message` is plain
// English for a person (support staff, or a clinic through the API's HTTP 400). Codes:
//   unknown_carrier, unknown_mode,
//   invalid_destination                        not a phone number, a character outside
//                                              [0-9 + space - . ( )], a '+' not leading, or a
//                                              number libphonenumber deems invalid
//   international_format_required              no '+' and not a valid US number: write it as
//                                              +<country code><number>
//   international_destination_not_supported    a non-+1 destination on tmobile, att or verizon
//   ring_time_out_of_range                     GSM safety_net ring time outside 5..30 s
//   ring_time_not_multiple_of_5                GSM safety_net ring time in 5..30 but not 5, 10, …
struct forwarding_rejection {
  std::string code;
  std::string message;
};

// GSM carriers use 3GPP MMI codes; Verizon uses its CDMA-style feature codes (*72/*71/*73).
enum class carrier { tmobile, att, verizon, other_gsm };
enum class forwarding_mode {
  total_ai,    // every call goes to the AI (unconditional forwarding, SC 21 / Verizon *72)
  safety_net,  // only unanswered, busy or unreachable calls (SC 004 / Verizon *71)
};

const char* to_string(carrier c);        // "tmobile" "att" "verizon" "other_gsm"
const char* to_string(forwarding_mode m);  // "total_ai" "safety_net"

// Case-insensitive, surrounding spaces ignored. "sprint" is an alias of tmobile: Sprint's networks
// were retired in 2022 and its customers run on T-Mobile (forwarding-codes.md §3.7).
// Unknown text → rejection unknown_carrier / unknown_mode.
std::variant<carrier, forwarding_rejection> parse_carrier(std::string_view text);
std::variant<forwarding_mode, forwarding_rejection> parse_mode(std::string_view text);

struct forwarding_request {
  carrier carrier_kind = carrier::other_gsm;
  forwarding_mode mode = forwarding_mode::total_ai;
  std::string destination;                 // as written by a person: "+1 (212) 736-0123"
  std::optional<int> ring_time_seconds;    // seconds the phone rings before forwarding
};

struct forwarding_codes {
  std::string activation;     // e.g. "**004*12127360123*11*20#"
  std::string deactivation;   // e.g. "##004#"
  std::string status_check;   // e.g. "*#004#"; empty for Verizon (no code: use My Verizon)
  std::vector<std::string> instructions;  // plain-English steps, in order
  std::vector<std::string> notes;         // what was ignored or left to the network, and why
  std::string destination_dialled;        // the number exactly as it appears in `activation`
  std::string destination_e164;           // the same number in E.164 ("+12127360123")
};

using forwarding_result = std::variant<forwarding_codes, forwarding_rejection>;

// Builds the codes for `request`, or says why it cannot.
//
// Destination (checked first, an injected `*` or `#` must never reach a code):
//  - only digits, one leading '+', spaces, '-', '.', '(' and ')'; anything else (letters, '*', '#',
//    ',', ';', pause/wait characters) → invalid_destination;
//  - normalised with normalize_e164(…, "US"); invalid → invalid_destination, except a number
//    without '+' that cannot be a US number (more than 11 digits, or 11 not starting with 1, or a
//    valid non-+1 number reached through the 011 prefix) → international_format_required;
//  - +1 (NANP) is domestic. tmobile/att dial it as 1 + 10 digits, verizon as 10 digits, other_gsm
//    as +E.164. A NANP number outside the US (Canada, Caribbean) is allowed with a note about
//    charges. Non-+1 numbers: other_gsm only (with '+'); otherwise
//    international_destination_not_supported.
// Ring time (seconds):
//  - GSM safety_net: absent → no T in the code, and a note that the network keeps its timer;
//    present → must be 5..30 (ring_time_out_of_range) in steps of 5 (ring_time_not_multiple_of_5);
//  - total_ai (any carrier): ignored whatever its value, with a note;
//  - verizon safety_net: not settable by code, ignored whatever its value, with a note.
forwarding_result generate_forwarding_codes(const forwarding_request& request);

// {"activation","deactivation","status_check","instructions":[…],"notes":[…],
//  "destination"} ("destination" = destination_dialled), or {"error":{"code","message"}}.
nlohmann::json to_json(const forwarding_result& result);

}  // namespace rm::domain
