// Rules of domain/knowledge.hpp.
#include "domain/knowledge.hpp"

#include <cstring>

namespace rm::domain {

namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

// Whitespace runs → one space, trimmed.
std::string squeeze(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  bool pending = false;
  for (char c : s) {
    if (is_space(c)) {
      pending = !out.empty();
      continue;
    }
    if (pending) out += ' ';
    pending = false;
    out += c;
  }
  return out;
}

std::string trim(const std::string& s) {
  std::size_t b = 0, e = s.size();
  while (b < e && is_space(s[b])) ++b;
  while (e > b && is_space(s[e - 1])) --e;
  return s.substr(b, e - b);
}

// A Markdown heading's text ("## Opening hours" → "Opening hours"), or nullopt.
std::optional<std::string> heading_text(const std::string& line) {
  std::size_t n = 0;
  while (n < line.size() && line[n] == '#') ++n;
  if (n == 0 || n > 6 || (n < line.size() && line[n] != ' ')) return std::nullopt;
  std::string t = trim(line.substr(n));
  while (!t.empty() && t.back() == '#') t.pop_back();  // closing #s
  return trim(t);
}

bool list_item(const std::string& line) {
  if (line.size() >= 2 && (line[0] == '*' || line[0] == '-' || line[0] == '+') && line[1] == ' ')
    return true;
  std::size_t i = 0;
  while (i < line.size() && line[i] >= '0' && line[i] <= '9') ++i;
  return i > 0 && i + 1 < line.size() && (line[i] == '.' || line[i] == ')') && line[i + 1] == ' ';
}

struct block {
  std::string text;
  bool heading = false;
};

std::vector<block> blocks_of(const std::string& text, document_format f) {
  std::vector<block> out;
  std::string para;
  auto flush = [&] {
    auto t = squeeze(para);
    if (!t.empty()) out.push_back({t, false});
    para.clear();
  };
  std::size_t pos = 0;
  while (pos <= text.size()) {
    auto nl = text.find('\n', pos);
    if (nl == std::string::npos) nl = text.size();
    std::string line = trim(text.substr(pos, nl - pos));
    pos = nl + 1;
    if (line.empty()) {
      flush();
      continue;
    }
    if (f == document_format::markdown) {
      if (auto h = heading_text(line)) {
        flush();
        if (!h->empty()) out.push_back({squeeze(*h), true});
        continue;
      }
      if (list_item(line)) flush();
    }
    para += ' ';
    para += line;
  }
  flush();
  return out;
}

// Moves `cut` back to the start of a UTF-8 character.
std::size_t char_boundary(const std::string& s, std::size_t cut) {
  while (cut > 0 && cut < s.size() && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
  return cut;
}

// Where to end the first piece of `s` (longer than `max`): a sentence end in [min, max], else
// the last space before max, else max at a character boundary.
std::size_t cut_point(const std::string& s, std::size_t min, std::size_t max) {
  for (std::size_t i = max; i > min; --i) {
    if (s[i] == ' ' && (s[i - 1] == '.' || s[i - 1] == '?' || s[i - 1] == '!')) return i;
  }
  for (std::size_t i = max; i > 0; --i)
    if (s[i] == ' ') return i;
  auto c = char_boundary(s, max);
  return c == 0 ? max : c;
}

}  // namespace

std::optional<document_format> document_format_of(const std::string& content_type) {
  if (content_type == "text/plain") return document_format::plain_text;
  if (content_type == "text/markdown") return document_format::markdown;
  if (content_type == "application/pdf") return document_format::pdf;
  return std::nullopt;
}

const char* content_type_of(document_format f) {
  switch (f) {
    case document_format::plain_text: return "text/plain";
    case document_format::markdown: return "text/markdown";
    case document_format::pdf: return "application/pdf";
  }
  return "text/plain";
}

std::optional<std::string> sniff_document(const std::string& bytes, document_format f) {
  const bool pdf_header = bytes.rfind("%PDF-", 0) == 0;
  if (f == document_format::pdf) {
    if (bytes.find("%PDF-") < 1024) return std::nullopt;
    return std::string{"the content is not a PDF (no %PDF- header in its first 1024 bytes)"};
  }
  if (pdf_header) return std::string{"the content is a PDF: send it as application/pdf in content_base64"};
  return std::nullopt;
}

std::optional<std::string> decode_base64(const std::string& text) {
  static const char* alphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve(text.size() / 4 * 3 + 3);
  unsigned buffer = 0;
  int bits = 0, digits = 0, padding = 0;
  for (char c : text) {
    if (is_space(c)) continue;
    if (c == '=') {
      ++padding;
      continue;
    }
    if (padding > 0 || c == '\0') return std::nullopt;  // data after padding
    const char* at = std::strchr(alphabet, c);
    if (at == nullptr) return std::nullopt;
    buffer = (buffer << 6) | static_cast<unsigned>(at - alphabet);
    bits += 6;
    ++digits;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((buffer >> bits) & 0xFF);
    }
  }
  if (digits % 4 == 1 || padding > 2) return std::nullopt;
  if (padding > 0 && (digits + padding) % 4 != 0) return std::nullopt;
  return out;
}

std::vector<std::string> split_passages(const std::string& raw, document_format f) {
  std::string text;
  text.reserve(raw.size());
  for (char c : raw) text += c == '\r' ? '\n' : c;
  std::vector<std::string> out;
  std::string current;
  bool heading_only = false;  // `current` holds just a heading: it waits for its paragraph
  auto flush = [&] {
    if (!current.empty()) out.push_back(current);
    current.clear();
    heading_only = false;
  };
  for (auto& b : blocks_of(text, f)) {
    if (b.heading) {
      if (heading_only) {  // two headings in a row: the second refines the first
        current += "\n" + b.text;
        continue;
      }
      flush();
      current = b.text;
      heading_only = true;
      continue;
    }
    const std::string sep = current.empty() ? "" : (heading_only ? "\n" : "\n\n");
    if (current.size() + sep.size() + b.text.size() <= passage_max) {
      current += sep + b.text;
      heading_only = false;
      continue;
    }
    std::string rest = b.text;
    if (heading_only) {
      rest = current + "\n" + rest;
      current.clear();
    } else {
      flush();
    }
    heading_only = false;
    while (rest.size() > passage_max) {
      auto cut = cut_point(rest, passage_min, passage_max);
      out.push_back(trim(rest.substr(0, cut)));
      rest = trim(rest.substr(cut));
    }
    current = rest;
  }
  flush();
  return out;
}

std::string knowledge_result_text(const std::vector<knowledge_hit>& hits, const std::string& query,
                                  std::size_t limit) {
  if (hits.empty())
    return "Nothing in the clinic's knowledge base matches \"" + query + "\".";
  std::string out;
  for (const auto& h : hits) {
    std::string piece = (out.empty() ? "" : "\n\n") + ("[" + h.document_name + "] " + h.text);
    if (out.size() + piece.size() <= limit) {
      out += piece;
      continue;
    }
    const std::string ellipsis = "\xE2\x80\xA6";  // …
    if (out.size() + ellipsis.size() + 1 >= limit) break;
    std::size_t room = limit - out.size() - ellipsis.size();
    std::size_t cut = room;
    while (cut > 0 && piece[cut] != ' ') --cut;  // a word boundary (piece[room] exists: it is longer)
    if (cut == 0) cut = char_boundary(piece, room);
    std::string head = piece.substr(0, cut);
    while (!head.empty() && is_space(head.back())) head.pop_back();
    if (trim(head).size() > 1) out += head + ellipsis;
    break;
  }
  return out;
}

}  // namespace rm::domain
