// Helpers shared by the libFuzzer harnesses in tests/fuzz (built by scripts/fuzz.sh with clang,
// -fsanitize=fuzzer,address,undefined). A broken invariant aborts, which libFuzzer reports as a
// crash and saves as a reproducer, exactly like a sanitizer finding.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace rm::fuzz {

[[noreturn]] inline void fail(const char* what, std::string_view detail = {}) {
  std::fprintf(stderr, "fuzz invariant broken: %s%s%.*s\n", what, detail.empty() ? "" : ": ",
               static_cast<int>(detail.size() > 400 ? 400 : detail.size()), detail.data());
  std::abort();
}

inline void check(bool ok, const char* what, std::string_view detail = {}) {
  if (!ok) fail(what, detail);
}

inline std::string_view as_text(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// Shape of a JSON document, measured without recursion (the documents under test may be deep).
struct json_shape {
  std::size_t depth = 0;        // objects/arrays inside one another (a scalar is depth 0)
  bool has_nul = false;         // U+0000 in any string or object key
};

inline json_shape shape_of(const nlohmann::json& root) {
  json_shape out;
  std::vector<std::pair<const nlohmann::json*, std::size_t>> todo{{&root, 0}};
  const auto has_nul = [](const std::string& s) { return s.find('\0') != std::string::npos; };
  while (!todo.empty()) {
    const auto [j, level] = todo.back();
    todo.pop_back();
    if (j->is_string()) {
      out.has_nul = out.has_nul || has_nul(j->get_ref<const std::string&>());
    } else if (j->is_object()) {
      if (level + 1 > out.depth) out.depth = level + 1;
      for (auto it = j->begin(); it != j->end(); ++it) {
        out.has_nul = out.has_nul || has_nul(it.key());
        todo.emplace_back(&it.value(), level + 1);
      }
    } else if (j->is_array()) {
      if (level + 1 > out.depth) out.depth = level + 1;
      for (const auto& e : *j) todo.emplace_back(&e, level + 1);
    }
  }
  return out;
}

// Splits `text` at the first `n - 1` newlines into `n` fields (missing ones are empty); the
// last field keeps any further newlines. Lets a seed be written as readable lines.
inline std::vector<std::string> split_lines(std::string_view text, std::size_t n) {
  std::vector<std::string> out;
  while (out.size() + 1 < n) {
    const auto nl = text.find('\n');
    if (nl == std::string_view::npos) break;
    out.emplace_back(text.substr(0, nl));
    text.remove_prefix(nl + 1);
  }
  out.emplace_back(text);
  out.resize(n);
  return out;
}

}  // namespace rm::fuzz
