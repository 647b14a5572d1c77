#include "adapters/json/json_guard.hpp"

#include <algorithm>

namespace rm::json_guard {

namespace {

using json = nlohmann::json;
using dom_parser = nlohmann::detail::json_sax_dom_parser<json>;

// nlohmann's own DOM builder behind a SAX front that counts depth and removes NUL, so the limits
// hold while the document is built (an over-deep document is abandoned at depth max + 1).
class limited_sax {
 public:
  limited_sax(json& root, std::size_t max_depth) : dom_{root, false}, max_depth_{max_depth} {}

  bool null() { return dom_.null(); }
  bool boolean(bool v) { return dom_.boolean(v); }
  bool number_integer(json::number_integer_t v) { return dom_.number_integer(v); }
  bool number_unsigned(json::number_unsigned_t v) { return dom_.number_unsigned(v); }
  bool number_float(json::number_float_t v, const json::string_t& s) {
    return dom_.number_float(v, s);
  }
  bool string(json::string_t& s) {
    nul_removed += strip_nul(s);
    return dom_.string(s);
  }
  bool binary(json::binary_t& b) { return dom_.binary(b); }
  bool key(json::string_t& s) {
    nul_removed += strip_nul(s);
    return dom_.key(s);
  }
  bool start_object(std::size_t n) { return enter() && dom_.start_object(n); }
  bool end_object() {
    --depth_;
    return dom_.end_object();
  }
  bool start_array(std::size_t n) { return enter() && dom_.start_array(n); }
  bool end_array() {
    --depth_;
    return dom_.end_array();
  }
  bool parse_error(std::size_t position, const std::string&, const nlohmann::detail::exception& e) {
    std::string what = e.what();
    status = what.find("UTF-8") != std::string::npos ? verdict::invalid_utf8 : verdict::invalid_json;
    message = "at byte " + std::to_string(position) + ": " + what;
    return false;
  }

  verdict status = verdict::ok;
  std::string message;
  std::size_t nul_removed = 0;

 private:
  bool enter() {
    if (++depth_ <= max_depth_) return true;
    status = verdict::too_deep;
    message = "nesting deeper than " + std::to_string(max_depth_) + " levels";
    return false;
  }

  dom_parser dom_;
  std::size_t max_depth_;
  std::size_t depth_ = 0;
};

}  // namespace

const char* to_string(verdict v) {
  switch (v) {
    case verdict::ok: return "ok";
    case verdict::invalid_json: return "invalid_json";
    case verdict::invalid_utf8: return "invalid_utf8";
    case verdict::too_deep: return "too_deep";
  }
  return "invalid_json";
}

parsed parse(std::string_view text, std::size_t max_depth) {
  parsed out;
  // The lexer checks UTF-8 inside strings only; outside them any non-ASCII byte is a syntax
  // error. Checking the whole text first names the encoding as the reason in both cases.
  if (!valid_utf8(text)) {
    out.status = verdict::invalid_utf8;
    out.message = "the body is not valid UTF-8";
    return out;
  }
  limited_sax sax{out.value, max_depth};
  bool ok = false;
  try {
    ok = json::sax_parse(text.begin(), text.end(), &sax, nlohmann::detail::input_format_t::json,
                         /*strict=*/true);
  } catch (const std::exception& e) {  // defensive: the DOM builder may throw (e.g. bad_alloc)
    sax.status = verdict::invalid_json;
    sax.message = e.what();
  }
  out.nul_removed = sax.nul_removed;
  if (ok && sax.status == verdict::ok && !out.value.is_discarded()) return out;
  out.status = sax.status == verdict::ok ? verdict::invalid_json : sax.status;
  if (out.message.empty()) out.message = sax.message.empty() ? "not valid JSON" : sax.message;
  out.value = nullptr;  // at most max_depth + 1 deep: destroying it is bounded
  return out;
}

bool valid_utf8(std::string_view text) {
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const auto* end = p + text.size();
  while (p < end) {
    unsigned char c = *p;
    if (c < 0x80) {
      ++p;
      continue;
    }
    std::size_t n;
    unsigned char lo = 0x80, hi = 0xBF;  // the allowed range of the second byte (RFC 3629 §4)
    if (c >= 0xC2 && c <= 0xDF) n = 1;
    else if (c == 0xE0) n = 2, lo = 0xA0;
    else if (c >= 0xE1 && c <= 0xEC) n = 2;
    else if (c == 0xED) n = 2, hi = 0x9F;  // no UTF-16 surrogates
    else if (c >= 0xEE && c <= 0xEF) n = 2;
    else if (c == 0xF0) n = 3, lo = 0x90;
    else if (c >= 0xF1 && c <= 0xF3) n = 3;
    else if (c == 0xF4) n = 3, hi = 0x8F;  // nothing above U+10FFFF
    else return false;
    if (static_cast<std::size_t>(end - p) <= n) return false;
    if (p[1] < lo || p[1] > hi) return false;
    for (std::size_t i = 2; i <= n; ++i)
      if ((p[i] & 0xC0) != 0x80) return false;
    p += n + 1;
  }
  return true;
}

std::size_t strip_nul(std::string& s) {
  auto it = std::remove(s.begin(), s.end(), '\0');
  auto removed = static_cast<std::size_t>(s.end() - it);
  s.erase(it, s.end());
  return removed;
}

}  // namespace rm::json_guard
