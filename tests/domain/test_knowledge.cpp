// domain/knowledge.hpp: passages, sniffing, base64, the tool's result text.
#include <catch2/catch.hpp>

#include "domain/knowledge.hpp"

using namespace rm::domain;

namespace {

// "word0 word1 …" with `n` words.
std::string words(int n, const std::string& stem = "word") {
  std::string s;
  for (int i = 0; i < n; ++i) s += (i ? " " : "") + stem + std::to_string(i);
  return s;
}

// Every passage's words are whole words of the source.
void require_whole_words(const std::vector<std::string>& passages, const std::string& source) {
  for (const auto& p : passages) {
    std::size_t pos = 0;
    while (pos < p.size()) {
      auto end = p.find_first_of(" \n", pos);
      if (end == std::string::npos) end = p.size();
      auto w = p.substr(pos, end - pos);
      if (!w.empty()) {
        INFO(w);
        auto at = source.find(w);
        REQUIRE(at != std::string::npos);
        bool starts = at == 0 || source[at - 1] == ' ' || source[at - 1] == '\n';
        bool ends = at + w.size() == source.size() || source[at + w.size()] == ' ' ||
                    source[at + w.size()] == '\n';
        REQUIRE(starts);
        REQUIRE(ends);
      }
      pos = end + 1;
    }
  }
}

}  // namespace

TEST_CASE("a long paragraph is cut into 500 to 800 byte passages, never inside a word",
          "[knowledge]") {
  const auto text = words(400);  // ~3,000 bytes, no sentence ends
  auto ps = split_passages(text, document_format::plain_text);
  REQUIRE(ps.size() >= 4);
  for (std::size_t i = 0; i < ps.size(); ++i) {
    REQUIRE(ps[i].size() <= passage_max);
    if (i + 1 < ps.size()) REQUIRE(ps[i].size() >= passage_min);
  }
  require_whole_words(ps, text);
  std::string joined;
  for (const auto& p : ps) joined += (joined.empty() ? "" : " ") + p;
  REQUIRE(joined == text);  // nothing lost, nothing added
}

TEST_CASE("a long paragraph is cut after a sentence when one ends between 500 and 800",
          "[knowledge]") {
  const std::string text = words(150, "a") + ". " + words(150, "b");
  auto ps = split_passages(text, document_format::plain_text);
  REQUIRE(ps.size() == 2);
  REQUIRE(ps[0].back() == '.');
  REQUIRE(ps[1].rfind("b0 ", 0) == 0);
}

TEST_CASE("short paragraphs are joined while they fit and line breaks inside one go away",
          "[knowledge]") {
  const std::string text = "We are open\nMonday to Friday.\n\nParking is free.\r\n\r\nCall us.";
  auto ps = split_passages(text, document_format::plain_text);
  REQUIRE(ps == std::vector<std::string>{"We are open Monday to Friday.\n\nParking is free.\n\nCall us."});
}

TEST_CASE("a Markdown heading starts a new passage and stays with its paragraph", "[knowledge]") {
  const std::string md =
      "# Harbor Dental FAQ\n\nWelcome.\n\n## Walk-ins\n\nYes, we take walk-ins before noon.\n\n"
      "## Parking\n### Street\nFree after 6 pm.\n";
  auto ps = split_passages(md, document_format::markdown);
  REQUIRE(ps == std::vector<std::string>{"Harbor Dental FAQ\nWelcome.",
                                         "Walk-ins\nYes, we take walk-ins before noon.",
                                         "Parking\nStreet\nFree after 6 pm."});
  // As plain text the # lines are words like the others.
  auto plain = split_passages(md, document_format::plain_text);
  REQUIRE(plain.size() == 1);
  REQUIRE(plain[0].find("## Walk-ins") != std::string::npos);
}

TEST_CASE("a heading before a long paragraph is kept with its first piece", "[knowledge]") {
  const std::string md = "## Insurance\n\n" + words(300);
  auto ps = split_passages(md, document_format::markdown);
  REQUIRE(ps.size() >= 3);
  REQUIRE(ps[0].rfind("Insurance\nword0 ", 0) == 0);
  for (const auto& p : ps) REQUIRE(p.size() <= passage_max);
}

TEST_CASE("Markdown list items are paragraphs of their own", "[knowledge]") {
  auto ps = split_passages("- first item\n- second\n  continued\n1. numbered", document_format::markdown);
  REQUIRE(ps == std::vector<std::string>{"- first item\n\n- second continued\n\n1. numbered"});
}

TEST_CASE("a word longer than a passage is cut at a UTF-8 character boundary", "[knowledge]") {
  std::string word;
  for (int i = 0; i < 500; ++i) word += "\xC3\xA9";  // é, 1,000 bytes without a space
  auto ps = split_passages(word, document_format::plain_text);
  REQUIRE(ps.size() == 2);
  REQUIRE(ps[0].size() == 800);
  REQUIRE(ps[0] + ps[1] == word);
}

TEST_CASE("empty or blank text has no passage", "[knowledge]") {
  REQUIRE(split_passages("", document_format::markdown).empty());
  REQUIRE(split_passages(" \n\n\t\n", document_format::plain_text).empty());
  REQUIRE(split_passages("#\n\n", document_format::markdown).empty());
}

TEST_CASE("content sniffing refuses a non-PDF claiming to be a PDF and a PDF claiming to be text",
          "[knowledge]") {
  REQUIRE_FALSE(sniff_document("%PDF-1.4\n...", document_format::pdf));
  REQUIRE(sniff_document("hello, not a pdf", document_format::pdf));
  REQUIRE(sniff_document("", document_format::pdf));
  REQUIRE(sniff_document("%PDF-1.7\n", document_format::markdown));
  REQUIRE_FALSE(sniff_document("# FAQ", document_format::markdown));
  REQUIRE(document_format_of("application/pdf") == document_format::pdf);
  REQUIRE_FALSE(document_format_of("text/html"));
}

TEST_CASE("base64 decodes the standard alphabet with or without padding", "[knowledge]") {
  REQUIRE(decode_base64("JVBERi0xLjQ=") == std::optional<std::string>{"%PDF-1.4"});
  REQUIRE(decode_base64("JVBERi0x\nLjQ") == std::optional<std::string>{"%PDF-1.4"});
  REQUIRE(decode_base64("") == std::optional<std::string>{""});
  REQUIRE_FALSE(decode_base64("JVBE*i0x"));
  REQUIRE_FALSE(decode_base64("JVBERi0xL"));   // 9 digits: one is left over
  REQUIRE_FALSE(decode_base64("JV==BERi"));    // data after padding
}

TEST_CASE("the tool result names each document and stays within 1500 bytes", "[knowledge]") {
  std::vector<knowledge_hit> hits{{"FAQ", "Yes, we take walk-ins."}, {"Policies", "Bring your card."}};
  REQUIRE(knowledge_result_text(hits, "walk-ins") ==
          "[FAQ] Yes, we take walk-ins.\n\n[Policies] Bring your card.");
  std::vector<knowledge_hit> big{{"A", words(120)}, {"B", words(120)}, {"C", words(120)}};
  auto text = knowledge_result_text(big, "q");
  REQUIRE(text.size() <= knowledge_result_limit);
  REQUIRE(text.size() > 1400);
  REQUIRE(text.find("[B] ") != std::string::npos);
  REQUIRE(text.find("[C] ") == std::string::npos);  // cut inside B: C left out
  REQUIRE(text.substr(text.size() - 3) == "\xE2\x80\xA6");
  auto before = text.substr(0, text.size() - 3);
  REQUIRE(before.back() != ' ');
  require_whole_words({before}, big[0].text + " " + big[1].text + " [A] [B]");
  REQUIRE(knowledge_result_text({}, "parking") ==
          "Nothing in the clinic's knowledge base matches \"parking\".");
}
