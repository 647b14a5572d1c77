#include "domain/e164.hpp"

#include <array>
#include <cctype>
#include <mutex>
#include <unordered_map>

#include <phonenumbers/phonenumberutil.h>

namespace rm::domain {

namespace {

using i18n::phonenumbers::PhoneNumber;
using i18n::phonenumbers::PhoneNumberUtil;

const char* parse_error_name(PhoneNumberUtil::ErrorType e) {
  switch (e) {
    case PhoneNumberUtil::INVALID_COUNTRY_CODE_ERROR: return "invalid_country_code";
    case PhoneNumberUtil::TOO_SHORT_AFTER_IDD:
    case PhoneNumberUtil::TOO_SHORT_NSN: return "too_short";
    case PhoneNumberUtil::TOO_LONG_NSN: return "too_long";
    case PhoneNumberUtil::NOT_A_NUMBER:
    case PhoneNumberUtil::NO_PARSING_ERROR: break;
  }
  return "not_a_number";
}

// A number that parses but is not valid: say why when the length alone explains it.
const char* invalid_reason(PhoneNumberUtil::ValidationResult r) {
  switch (r) {
    case PhoneNumberUtil::INVALID_COUNTRY_CODE: return "invalid_country_code";
    case PhoneNumberUtil::TOO_SHORT: return "too_short";
    case PhoneNumberUtil::TOO_LONG: return "too_long";
    default: return "invalid_number";
  }
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

// RFC 3966 "tel:" URIs come from SIP headers; libphonenumber parses the rest.
std::string_view strip_tel(std::string_view s) {
  if (s.size() >= 4 && std::tolower(static_cast<unsigned char>(s[0])) == 't' &&
      std::tolower(static_cast<unsigned char>(s[1])) == 'e' &&
      std::tolower(static_cast<unsigned char>(s[2])) == 'l' && s[3] == ':')
    s.remove_prefix(4);
  return trim(s);
}

}  // namespace

// libphonenumber's parse runs ICU regexes (about 10 µs a number); the same numbers come back on
// every webhook (the clinics' own numbers, the callers of live calls), so results are memoised.
// The function is pure, so a cached answer is the answer. Bounded: a shard that reaches its
// limit is emptied (callers seen again are simply parsed again).
namespace {

class e164_memo {
 public:
  template <class Compute>
  parsed_number get(std::string_view input, std::string_view region, Compute compute) {
    std::string key;
    key.reserve(region.size() + 1 + input.size());
    key.append(region).push_back('\n');
    key.append(input);
    auto& shard = shards_[std::hash<std::string>{}(key) % shards_.size()];
    {
      std::lock_guard<std::mutex> g{shard.m};
      if (auto i = shard.map.find(key); i != shard.map.end()) return i->second;
    }
    parsed_number out = compute();
    std::lock_guard<std::mutex> g{shard.m};
    if (shard.map.size() >= per_shard) shard.map.clear();
    shard.map.emplace(std::move(key), out);
    return out;
  }

 private:
  static constexpr std::size_t per_shard = 1024;  // 16 × 1024 numbers, a few MB at most
  struct shard {
    std::mutex m;
    std::unordered_map<std::string, parsed_number> map;
  };
  std::array<shard, 16> shards_;
};

parsed_number parse_e164(std::string_view input, std::string_view default_region);

}  // namespace

parsed_number normalize_e164(std::string_view input, std::string_view default_region) {
  static e164_memo memo;
  if (input.size() > 64) return parse_e164(input, default_region);  // not worth keeping
  return memo.get(input, default_region, [&] { return parse_e164(input, default_region); });
}

namespace {
parsed_number parse_e164(std::string_view input, std::string_view default_region) {
  parsed_number out;
  const std::string_view text = strip_tel(trim(input));
  if (text.empty()) {
    out.error = "not_a_number";
    return out;
  }
  const PhoneNumberUtil* util = PhoneNumberUtil::GetInstance();
  PhoneNumber number;
  const auto err = util->Parse(std::string(text), std::string(default_region), &number);
  if (err != PhoneNumberUtil::NO_PARSING_ERROR) {
    out.error = parse_error_name(err);
    return out;
  }
  if (!util->IsValidNumber(number)) {
    out.error = invalid_reason(util->IsPossibleNumberWithReason(number));
    return out;
  }
  util->Format(number, PhoneNumberUtil::E164, &out.e164);
  // libphonenumber's metadata deems some numbers valid whose country code and national number
  // add up to more than E.164's 15 digits (+49 with a 15-digit national number; found by
  // tests/fuzz/fuzz_e164). Such a value could not be stored or dialled as E.164: too long.
  if (!is_e164_syntax(out.e164)) {
    out.e164.clear();
    out.error = "too_long";
    return out;
  }
  out.ok = true;
  return out;
}
}  // namespace

bool is_e164_syntax(std::string_view value) {
  if (value.size() < 3 || value.size() > 16 || value[0] != '+' || value[1] < '1' || value[1] > '9')
    return false;
  for (std::size_t i = 2; i < value.size(); ++i)
    if (value[i] < '0' || value[i] > '9') return false;
  return true;
}

std::string region_of(std::string_view e164) {
  const PhoneNumberUtil* util = PhoneNumberUtil::GetInstance();
  PhoneNumber number;
  std::string region = "ZZ";
  if (util->Parse(std::string(e164), "ZZ", &number) == PhoneNumberUtil::NO_PARSING_ERROR &&
      util->IsValidNumber(number))
    util->GetRegionCodeForNumber(number, &region);
  return region;
}

}  // namespace rm::domain
