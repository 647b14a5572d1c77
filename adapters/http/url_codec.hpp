// Percent-encoding for the provider clients and fakes, and percent-decoding of request targets
// for the HTTP layer (RFC 3986 §2.1 and the
// application/x-www-form-urlencoded rules of the WHATWG URL standard, §5.1), so the routes do not
// borrow the Twilio client's form helpers. Plain C++, no httplib: unit-tested alone
// (tests/adapters/test_url_codec.cpp).
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace rm::http {

// RFC 3986 §2.1 percent-encoding: unreserved characters (ALPHA / DIGIT / "-" / "." / "_" / "~")
// kept, every other byte as %XX (upper-case hex); with `space_as_plus`, ' ' → '+' (form bodies,
// application/x-www-form-urlencoded). Safe for a path segment, a query value or a form field.
std::string percent_encode(std::string_view s, bool space_as_plus = false);

// %XX (either hex case) → that byte; with `plus_as_space`, '+' → ' ' (query strings and form
// bodies; never in a path). A '%' not followed by two hex digits is kept as is rather than
// rejected. The result may hold any byte, NUL and invalid UTF-8 included: callers check it.
std::string percent_decode(std::string_view s, bool plus_as_space);

// A query string (the part after '?', without it) → its key/value pairs in order, both decoded
// with '+' as space; repeated keys are kept; "a" without '=' gives ("a", ""); empty parts
// ("a=1&&b=2") are skipped.
std::vector<std::pair<std::string, std::string>> parse_query(std::string_view query);

}  // namespace rm::http
