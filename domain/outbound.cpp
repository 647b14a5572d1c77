#include "domain/outbound.hpp"

#include <cctype>
#include <sstream>

namespace rm::domain {

namespace {

bool all_of(const std::string& s, int (*pred)(int)) {
  for (unsigned char c : s)
    if (!pred(c)) return false;
  return !s.empty();
}

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}
std::string upper(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

std::vector<caller_candidate> usable(const std::vector<caller_candidate>& in) {
  std::vector<caller_candidate> out;
  for (const auto& c : in)
    if (!c.vapi_phone_number_id.empty()) out.push_back(c);
  return out;
}

}  // namespace

std::optional<std::string> canonical_language(const std::string& tag) {
  if (tag.empty() || tag.size() > 20) return std::nullopt;
  std::vector<std::string> parts;
  std::stringstream in{tag};
  std::string part;
  while (std::getline(in, part, '-')) parts.push_back(part);
  if (tag.back() == '-' || parts.empty() || parts.size() > 3) return std::nullopt;

  std::size_t i = 0;
  const auto& lang = parts[i++];
  if (lang.size() < 2 || lang.size() > 3 || !all_of(lang, &isalpha)) return std::nullopt;
  std::string out = lower(lang);
  if (i < parts.size() && parts[i].size() == 4 && all_of(parts[i], &isalpha)) {
    auto script = lower(parts[i++]);
    script[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(script[0])));
    out += "-" + script;
  }
  if (i < parts.size()) {
    const auto& region = parts[i++];
    if (region.size() == 2 && all_of(region, &isalpha)) {
      out += "-" + upper(region);
    } else if (region.size() == 3 && all_of(region, &isdigit)) {
      out += "-" + region;
    } else {
      return std::nullopt;
    }
  }
  if (i != parts.size()) return std::nullopt;
  return out;
}

bool valid_area_code(const std::string& area_code) {
  return area_code.size() == 3 && all_of(area_code, &isdigit) && area_code[0] >= '2';
}

agent_step next_step(const agent_progress& p) {
  if (!p.has_assistant) return agent_step::create_assistant;
  if (p.provision_phone && !p.has_number) return agent_step::provision_number;
  return agent_step::done;
}

const char* to_string(agent_step s) {
  switch (s) {
    case agent_step::create_assistant:
      return "assistant";
    case agent_step::provision_number:
      return "phone_number";
    case agent_step::done:
      return "done";
  }
  return "done";
}

const char* to_string(caller_id_source s) {
  switch (s) {
    case caller_id_source::campaign:
      return "campaign";
    case caller_id_source::round_robin:
      return "round_robin";
    case caller_id_source::fallback:
      return "default";
  }
  return "default";
}

std::optional<caller_id_choice> choose_caller_id(const caller_id_input& in) {
  auto rotate = [](const std::vector<caller_candidate>& all, std::uint64_t cursor,
                   caller_id_source source) -> std::optional<caller_id_choice> {
    auto candidates = usable(all);
    if (candidates.empty()) return std::nullopt;
    return caller_id_choice{candidates[cursor % candidates.size()], source, cursor + 1};
  };
  if (auto c = rotate(in.campaign_numbers, in.campaign_cursor, caller_id_source::campaign))
    return c;
  if (auto c = rotate(in.pool, in.pool_cursor, caller_id_source::round_robin)) return c;
  if (in.default_number && !in.default_number->vapi_phone_number_id.empty())
    return caller_id_choice{*in.default_number, caller_id_source::fallback, 0};
  return std::nullopt;
}

}  // namespace rm::domain
