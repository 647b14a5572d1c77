#include <catch2/catch.hpp>

#include <random>
#include <string>
#include <vector>

#include "domain/scoring.hpp"

using rm::domain::luhn_valid;
using rm::domain::redact_pii;

namespace {

const std::vector<std::string> keep{"+14155550100", "+12125550123"};  // clinic, caller

std::string redacted(const std::string& text) { return redact_pii(text, keep).text; }

// The longest run of digits in `s` once spaces and dashes between digits are ignored.
std::size_t longest_digit_run(const std::string& s) {
  std::size_t best = 0, run = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c >= '0' && c <= '9') {
      best = std::max(best, ++run);
    } else if (!((c == ' ' || c == '-') && run > 0 && i + 1 < s.size() && s[i + 1] >= '0' &&
                 s[i + 1] <= '9')) {
      run = 0;
    }
  }
  return best;
}

}  // namespace

TEST_CASE("luhn_valid follows the Luhn checksum over the digits only", "[scoring]") {
  CHECK(luhn_valid("4111111111111111"));
  CHECK(luhn_valid("4111 1111-1111 1111"));
  CHECK(luhn_valid("378282246310005"));
  CHECK_FALSE(luhn_valid("4111111111111112"));
  CHECK_FALSE(luhn_valid("1234567890123456"));
  CHECK_FALSE(luhn_valid("0"));
  CHECK_FALSE(luhn_valid(""));
  CHECK(luhn_valid("00"));
}

TEST_CASE("card numbers are redacted in the ways they are written", "[scoring]") {
  for (const char* card : {"4111111111111111", "4111 1111 1111 1111", "4111-1111-1111-1111",
                           "5555 5555 5555 4444", "3782 822463 10005", "378282246310005",
                           "6011000000000000001", "4222222222222",
                           "4 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1"}) {
    INFO(card);
    auto r = redact_pii(std::string("my card is ") + card + ", expiry 12/27", keep);
    CHECK(r.text == "my card is [CARD], expiry 12/27");
    CHECK(r.counts.at("card") == 1);
  }
  // The CVV read right after the number stays a separate number.
  CHECK(redacted("4111 1111 1111 1111 123") == "[CARD] 123");
}

TEST_CASE("a digit run that fails Luhn is not a card", "[scoring]") {
  for (const char* order : {"1234567890123456", "1234 5678 9012 3456", "4111-1111-1111-1112"}) {
    INFO(order);
    auto text = std::string("your order number is ") + order + ".";
    auto r = redact_pii(text, keep);
    CHECK(r.text == text);
    CHECK(r.counts.at("card") == 0);
  }
}

TEST_CASE("random Luhn-valid cards never survive, however they are grouped", "[scoring]") {
  std::mt19937 rng(11);
  std::uniform_int_distribution<int> digit(0, 9);
  for (int n = 0; n < 300; ++n) {
    std::string d;
    for (int i = 0; i < 15; ++i) d.push_back(static_cast<char>('0' + digit(rng)));
    for (char c = '0'; c <= '9'; ++c)
      if (luhn_valid(d + c)) {
        d.push_back(c);
        break;
      }
    REQUIRE(luhn_valid(d));
    const char* sep = n % 3 == 0 ? "" : n % 3 == 1 ? " " : "-";
    std::string grouped;
    for (std::size_t i = 0; i < d.size(); i += 4) grouped += (i ? sep : "") + d.substr(i, 4);
    auto out = redacted("ok so it's " + grouped + " thanks");
    INFO(grouped << " → " << out);
    CHECK(out == "ok so it's [CARD] thanks");
  }
}

TEST_CASE("SSNs are redacted, grouped or named", "[scoring]") {
  CHECK(redacted("SSN 123-45-6789.") == "SSN [SSN].");
  CHECK(redacted("it's 078 05 1120 ok") == "it's [SSN] ok");
  CHECK(redacted("my social is 123456789") == "my social is [SSN]");
  CHECK(redacted("my social security number is 123 456 789") ==
        "my social security number is [SSN]");
  CHECK(redacted("Social: 912-34-5678") == "Social: [SSN]");  // named: any area
  auto r = redact_pii("123-45-6789 and 234-56-7890", keep);
  CHECK(r.text == "[SSN] and [SSN]");
  CHECK(r.counts.at("ssn") == 2);
}

TEST_CASE("numbers shaped like an SSN that no SSN can be are left alone", "[scoring]") {
  // Area 000, 666 and 9xx, group 00 and serial 0000 are never issued.
  for (const char* n : {"000-12-3456", "666-12-3456", "987-65-4321", "123-00-4567", "123-45-0000"})
    CHECK(redacted(std::string("ref ") + n) == std::string("ref ") + n);
  // Nine digits with no mention of a social security number are not an SSN.
  CHECK(redacted("ticket 123456789") == "ticket 123456789");
}

TEST_CASE("dates with a year are redacted in numeric and written forms", "[scoring]") {
  for (const char* date :
       {"03/15/1985", "3/15/85", "15/03/1985", "03-15-1985", "15.03.1985", "1985-03-15",
        "March 15, 1985", "march 15 1985", "Mar. 15, 1985", "Sept 3rd, 1990", "15 March 1985",
        "15th of March, 1985", "3rd of march 1985", "March 1985", "December, 2001"}) {
    INFO(date);
    auto r = redact_pii(std::string("I was born ") + date + " I think", keep);
    CHECK(r.text == "I was born [DOB] I think");
    CHECK(r.counts.at("dob") == 1);
  }
}

TEST_CASE("dates without a year, times, prices and counts stay", "[scoring]") {
  for (const char* text :
       {"can I come March 15 at 11:00?", "Botox is $400, a facelift $8,000.",
        "how about 2 pm on 3/15", "I have 2 kids and 3 dogs", "it lasts 3 to 4 months",
        "may I come in May?", "is 10.30 ok", "the 1st of March works", "call back in 30 minutes",
        "room 12, floor 3", "it costs 1500 dollars", "1.5 hours", "order 1234567890",
        "between $400-1000", "ref 123-4567"}) {
    INFO(text);
    CHECK(redacted(text) == text);
  }
}

TEST_CASE("e-mail addresses are redacted, written or spoken", "[scoring]") {
  CHECK(redacted("write to jane.doe+spa@example.co.uk.") == "write to [EMAIL].");
  CHECK(redacted("JANE_D@EXAMPLE.COM please") == "[EMAIL] please");
  CHECK(redacted("it's jane dot doe at gmail dot com, thanks") == "it's [EMAIL], thanks");
  CHECK(redacted("email is jane at gmail.com") == "email is [EMAIL]");
  CHECK(redacted("jane@gmail dot com") == "[EMAIL]");
  CHECK(redacted("a@b.co and c@d.org") == "[EMAIL] and [EMAIL]");
  auto r = redact_pii("x jane@example.com y", keep);
  CHECK(r.counts.at("email") == 1);
}

TEST_CASE("things with an @ or 'at' that are not addresses stay", "[scoring]") {
  for (const char* text : {"see you at 5", "I'm at home", "meet @ the clinic", "at 3 pm dot",
                           "look at the website", "user@localhost", "@handle"}) {
    INFO(text);
    CHECK(redacted(text) == text);
  }
}

TEST_CASE("the clinic's and the caller's numbers are kept in every written form", "[scoring]") {
  for (const char* n : {"(415) 555-0100", "415-555-0100", "4155550100", "+1 415 555 0100",
                        "+14155550100", "1-415-555-0100", "415.555.0100", "555-0100",
                        "(212) 555-0123", "+1 (212) 555-0123"}) {
    INFO(n);
    auto text = std::string("call ") + n + " anytime";
    auto r = redact_pii(text, keep);
    CHECK(r.text == text);
    CHECK(r.counts.at("phone") == 0);
  }
}

TEST_CASE("other phone numbers are redacted", "[scoring]") {
  for (const char* n : {"(650) 555-0199", "650-555-0199", "6505550199", "+1 650 555 0199",
                        "1 650 555 0199", "650.555.0199", "555-0199", "+44 20 7946 0958",
                        "+442079460958"}) {
    INFO(n);
    auto r = redact_pii(std::string("my husband's number is ") + n + ", ok", keep);
    CHECK(r.text == "my husband's number is [PHONE], ok");
    CHECK(r.counts.at("phone") == 1);
  }
  // A kept number next to other digits is still read as the kept number, never as part of a
  // card: "+1 415 555 0100 15" is 13 digits that pass Luhn as one run.
  REQUIRE(luhn_valid("1415555010015"));
  for (const char* tail : {"15", "7", "103", "1 5"}) {
    auto text = std::string("call +1 415 555 0100 ") + tail + " hours";
    INFO(text);
    CHECK(redacted(text) == text);
  }
  // Without a keep list every number goes.
  CHECK(redact_pii("call (415) 555-0100", {}).text == "call [PHONE]");
}

TEST_CASE("a transcript with every kind of PII keeps only what it should", "[scoring]") {
  const std::string transcript =
      "AI: Thanks for calling Glow Clinic at (415) 555-0100, how can I help?\n"
      "User: Hi, I'd like Botox. My number is 212-555-0123, my SSN is 123-45-6789, card "
      "4111 1111 1111 1111, email jane.doe@example.com, born 03/15/1985. My sister is at "
      "650 555 0199.\n"
      "AI: Great, Botox is $400. Tuesday at 11:00?\n";
  auto r = redact_pii(transcript, keep);
  CHECK(r.text ==
        "AI: Thanks for calling Glow Clinic at (415) 555-0100, how can I help?\n"
        "User: Hi, I'd like Botox. My number is 212-555-0123, my SSN is [SSN], card [CARD], "
        "email [EMAIL], born [DOB]. My sister is at [PHONE].\n"
        "AI: Great, Botox is $400. Tuesday at 11:00?\n");
  CHECK(r.counts == std::map<std::string, int>{
                        {"card", 1}, {"dob", 1}, {"email", 1}, {"phone", 1}, {"ssn", 1}});
  // Redaction is idempotent: a second pass finds nothing more.
  auto again = redact_pii(r.text, keep);
  CHECK(again.text == r.text);
  CHECK(again.counts.at("phone") == 0);
}

TEST_CASE("100 KB of adversarial input redacts in one linear pass", "[scoring]") {
  // Shapes that make backtracking regexes explode: long runs of almost-matches.
  const std::vector<std::string> units{"1 ",   "1-",    "12-",  "a@",     "a.",  "a dot ",
                                       "a at ", "+1 ",  "(1",   "march ", "1/1/", "9",
                                       "4111 ", "x@y.", "é€\xff", std::string(1, '\0')};
  for (const auto& unit : units) {
    std::string big;
    while (big.size() < 100 * 1024) big += unit;
    INFO("unit '" << unit << "'");
    auto r = redact_pii(big, keep);
    CHECK(!r.text.empty());
    CHECK(longest_digit_run(r.text) <= longest_digit_run(big));
  }
  // A realistic long call: 100 KB of conversation with PII sprinkled in.
  std::string call;
  int i = 0;
  while (call.size() < 100 * 1024) {
    call += "User: my card is 4111-1111-1111-1111 and SSN 123-45-6789, mail me at jane" +
            std::to_string(i++) + "@example.com or call 650 555 0199 on March 3, 1985.\n"
            "AI: Thank you, we'll call you back at (415) 555-0100 at 11:00.\n";
  }
  auto r = redact_pii(call, keep);
  CHECK(r.text.find("4111") == std::string::npos);
  CHECK(r.text.find("6789") == std::string::npos);
  CHECK(r.text.find('@') == std::string::npos);
  CHECK(r.text.find("0199") == std::string::npos);
  CHECK(r.text.find("1985") == std::string::npos);
  CHECK(r.text.find("(415) 555-0100") != std::string::npos);
  CHECK(r.counts.at("card") == i);
}

TEST_CASE("random bytes never crash redaction and never grow a digit run", "[scoring]") {
  std::mt19937 rng(7);
  const std::string alphabet = "0123456789 -./()+@:$,abcdeilmorstx\n\xc3\xa9";
  std::uniform_int_distribution<std::size_t> pick(0, alphabet.size() - 1);
  for (int n = 0; n < 200; ++n) {
    std::string s;
    for (int k = 0; k < 400; ++k) s.push_back(alphabet[pick(rng)]);
    auto r = redact_pii(s, keep);
    CHECK(longest_digit_run(r.text) <= longest_digit_run(s));
  }
}
