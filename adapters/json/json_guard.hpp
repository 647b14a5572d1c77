// Parsing untrusted JSON (webhook and API bodies, tool arguments carried as JSON strings) with the
// limits every entry point applies before anything else touches the document
// (docs/security.md, "Input limits"):
//   - nesting depth: at most `max_depth` (64) objects/arrays inside one another, checked while
//     parsing, so no recursive copy, dump or destructor ever runs on a deeper document
//     (nlohmann::json copies and dumps recurse; its parser does not);
//   - encoding: the text must be UTF-8 (RFC 8259 §8.1); ill-formed UTF-8 is refused;
//   - U+0000: removed from every string and key, the one rule for NUL (PostgreSQL text and jsonb
//     cannot hold it, and a tool log batch holding one fails whole). Other control characters are
//     kept: PostgreSQL stores them and they are escaped again on output.
// Size is limited before parsing, by the HTTP server (413 above server_options::max_body_bytes).
// Pure: nlohmann::json only, no I/O, no exceptions escape.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace rm::json_guard {

inline constexpr std::size_t default_max_depth = 64;

enum class verdict {
  ok,
  invalid_json,  // not JSON (syntax), or trailing garbage
  invalid_utf8,  // ill-formed UTF-8 inside a string or anywhere in the text
  too_deep,      // nesting deeper than max_depth
};

// The stable snake_case code used in 400 bodies ("invalid_json", "invalid_utf8", "too_deep").
const char* to_string(verdict v);

struct parsed {
  verdict status = verdict::ok;
  nlohmann::json value;     // the document when status == ok; null otherwise
  std::size_t nul_removed = 0;  // how many U+0000 were removed from strings and keys
  std::string message;      // a short human-readable reason when status != ok
  bool ok() const { return status == verdict::ok; }
};

// Parses `text` as one JSON document under the limits above.
parsed parse(std::string_view text, std::size_t max_depth = default_max_depth);

// True when `text` is well-formed UTF-8 (no overlongs, no surrogates, nothing above U+10FFFF).
bool valid_utf8(std::string_view text);

// Removes U+0000 from `s`; returns how many were removed (form fields, headers, CLI input).
std::size_t strip_nul(std::string& s);

}  // namespace rm::json_guard
