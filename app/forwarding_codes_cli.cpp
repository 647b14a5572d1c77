#include "app/forwarding_codes_cli.hpp"

#include <charconv>
#include <climits>
#include <map>
#include <optional>

#include <nlohmann/json.hpp>

#include "domain/forwarding_codes.hpp"

namespace rm::app {

namespace {

constexpr const char* usage_text =
    R"(Usage: ringmaster forwarding-codes --carrier C --mode M --destination D [--ring-time S]
  --carrier      tmobile | att | verizon | sprint (= tmobile) | other_gsm
  --mode         total_ai (every call to the AI) | safety_net (unanswered, busy, unreachable)
  --destination  the AI number, e.g. "+1 212 736 0123"
  --ring-time    seconds before a safety_net forward: 5, 10, 15, 20, 25 or 30 (GSM carriers)
Prints {"activation","deactivation","status_check","instructions":[...]} or {"error":{...}}.
)";

const char* const known_flags[] = {"carrier", "mode", "destination", "ring-time"};

int usage_error(const std::string& message, std::ostream& out, std::ostream& err) {
  out << nlohmann::json{{"error", {{"code", "usage"}, {"message", message}}}}.dump() << '\n';
  err << usage_text;
  return 2;
}

// "-5", "0", "17", "99999999999" → whole seconds (clamped to int, so a huge value stays out of
// range); anything else → nullopt.
std::optional<int> parse_seconds(const std::string& s) {
  long long v = 0;
  const char* end = s.data() + s.size();
  auto [p, ec] = std::from_chars(s.data(), end, v);
  if (s.empty() || p != end) return std::nullopt;
  if (ec == std::errc::result_out_of_range) return s[0] == '-' ? INT_MIN : INT_MAX;
  if (ec != std::errc{}) return std::nullopt;
  if (v > INT_MAX) return INT_MAX;
  if (v < INT_MIN) return INT_MIN;
  return static_cast<int>(v);
}

}  // namespace

int run_forwarding_codes(const std::vector<std::string>& args, std::ostream& out,
                         std::ostream& err) {
  std::map<std::string, std::string> flags;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--help" || a == "-h") {
      out << usage_text;
      return 0;
    }
    if (a.rfind("--", 0) != 0) return usage_error("unexpected argument \"" + a + "\"", out, err);
    std::string name = a.substr(2);
    std::string value;
    if (const auto eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name.resize(eq);
    } else if (i + 1 < args.size() && args[i + 1].rfind("--", 0) != 0) {
      value = args[++i];
    } else {
      return usage_error("--" + name + " needs a value", out, err);
    }
    bool known = false;
    for (const char* k : known_flags) known = known || name == k;
    if (!known) return usage_error("unknown flag --" + name, out, err);
    if (!flags.emplace(name, value).second)
      return usage_error("--" + name + " is given twice", out, err);
  }
  for (const char* required : {"carrier", "mode", "destination"})
    if (!flags.count(required))
      return usage_error(std::string("--") + required + " is required", out, err);

  domain::forwarding_request request;
  domain::forwarding_result result;
  const auto carrier = domain::parse_carrier(flags["carrier"]);
  const auto mode = domain::parse_mode(flags["mode"]);
  if (const auto* no = std::get_if<domain::forwarding_rejection>(&carrier)) {
    result = *no;
  } else if (const auto* no = std::get_if<domain::forwarding_rejection>(&mode)) {
    result = *no;
  } else {
    request.carrier_kind = std::get<domain::carrier>(carrier);
    request.mode = std::get<domain::forwarding_mode>(mode);
    request.destination = flags["destination"];
    if (flags.count("ring-time")) {
      request.ring_time_seconds = parse_seconds(flags["ring-time"]);
      if (!request.ring_time_seconds)
        return usage_error("--ring-time takes whole seconds (5, 10, 15, 20, 25 or 30), not \"" +
                               flags["ring-time"] + "\"",
                           out, err);
    }
    result = domain::generate_forwarding_codes(request);
  }
  out << domain::to_json(result).dump() << '\n';
  return std::holds_alternative<domain::forwarding_codes>(result) ? 0 : 1;
}

}  // namespace rm::app
