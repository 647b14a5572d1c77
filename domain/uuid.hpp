// UUIDs in RFC 4122 text form (8-4-4-4-12 hex digits, either case). Ids that PostgreSQL compares
// as uuid are checked with this first: a malformed id cannot name a row, and must not abort the
// caller's transaction with a cast error. See tenant_id.hpp for how tenant ids are canonicalised.
#pragma once

#include <cctype>
#include <string>

namespace rm::domain {

// True when `s` is exactly 36 characters: hex digits with '-' at offsets 8, 13, 18 and 23.
// No braces, no "urn:uuid:" prefix, no surrounding blanks; the version nibble is not checked.
inline bool is_uuid(const std::string& s) {
  if (s.size() != 36) return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? s[i] != '-' : !std::isxdigit(static_cast<unsigned char>(s[i]))) return false;
  }
  return true;
}

}  // namespace rm::domain
