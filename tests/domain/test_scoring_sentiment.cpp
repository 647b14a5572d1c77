#include <catch2/catch.hpp>

#include <string>

#include "domain/scoring.hpp"

using rm::domain::sentiment_from_analysis;
using rm::domain::sentiment_from_transcript;
using rm::domain::sentiment_label;
using rm::domain::to_string;
using rm::domain::urgency;

TEST_CASE("labels and urgencies have their wire names", "[scoring]") {
  CHECK(std::string(to_string(sentiment_label::positive)) == "positive");
  CHECK(std::string(to_string(sentiment_label::neutral)) == "neutral");
  CHECK(std::string(to_string(sentiment_label::negative)) == "negative");
  CHECK(std::string(to_string(urgency::low)) == "low");
  CHECK(std::string(to_string(urgency::normal)) == "normal");
  CHECK(std::string(to_string(urgency::high)) == "high");
}

TEST_CASE("Vapi's structuredData sentiment label is used as given", "[scoring]") {
  auto s = sentiment_from_analysis(
      R"({"sentiment":"Positive","urgency":"high","sentimentReason":"Eager to book."})");
  REQUIRE(s);
  CHECK(s->label == sentiment_label::positive);
  CHECK(s->score == Approx(0.6));
  CHECK(s->level == urgency::high);
  CHECK(s->reason == "Eager to book.");
  CHECK(s->source == "vapi");

  auto n = sentiment_from_analysis(R"({"sentiment":" negative "})");
  REQUIRE(n);
  CHECK(n->label == sentiment_label::negative);
  CHECK(n->score == Approx(-0.6));
  CHECK(n->level == urgency::normal);
  CHECK(n->reason == "Vapi's call analysis rated the call negative.");

  auto z = sentiment_from_analysis(R"({"sentiment":"neutral","urgency":"LOW"})");
  REQUIRE(z);
  CHECK(z->label == sentiment_label::neutral);
  CHECK(z->score == 0);
  CHECK(z->level == urgency::low);
}

TEST_CASE("a numeric Vapi sentiment sets the score and the label at ±0.2", "[scoring]") {
  struct row {
    const char* json;
    double score;
    sentiment_label label;
  };
  for (auto r : {row{R"({"sentiment":0.85})", 0.85, sentiment_label::positive},
                 row{R"({"sentiment":0.2})", 0.2, sentiment_label::positive},
                 row{R"({"sentiment":0.19})", 0.19, sentiment_label::neutral},
                 row{R"({"sentiment":-0.2})", -0.2, sentiment_label::negative},
                 row{R"({"sentiment":-1})", -1.0, sentiment_label::negative},
                 row{R"({"sentiment":0})", 0.0, sentiment_label::neutral}}) {
    INFO(r.json);
    auto s = sentiment_from_analysis(r.json);
    REQUIRE(s);
    CHECK(s->score == Approx(r.score));
    CHECK(s->label == r.label);
  }
}

TEST_CASE("no usable Vapi sentiment gives nullopt", "[scoring]") {
  for (const char* json : {"", "null", "[]", "42", "{}", R"({"summary":"ok"})",
                           R"({"sentiment":"ecstatic"})", R"({"sentiment":1.5})",
                           R"({"sentiment":-3})", R"({"sentiment":null})", R"({"sentiment":true})",
                           R"({"sentiment":["positive"]})", "{\"sentiment\":", "not json",
                           "{\"sentiment\":\"positive\"} trailing"}) {
    INFO(json);
    CHECK_FALSE(sentiment_from_analysis(json));
  }
}

TEST_CASE("Vapi's sentiment reason is redacted and kept short", "[scoring]") {
  auto s = sentiment_from_analysis(
      R"({"sentiment":"positive","sentimentReason":"Gave SSN 123-45-6789 and jane@example.com."})");
  REQUIRE(s);
  CHECK(s->reason == "Gave SSN [SSN] and [EMAIL].");
  auto long_reason = std::string(R"({"sentiment":"positive","sentimentReason":")") +
                     std::string(500, 'x') + "\"}";
  auto l = sentiment_from_analysis(long_reason);
  REQUIRE(l);
  CHECK(l->reason.size() < 210);
}

TEST_CASE("the lexicon scores the caller's words, not the assistant's", "[scoring]") {
  auto s = sentiment_from_transcript(
      "AI: We are terrible, awful and the worst.\n"
      "User: Great, thanks, that sounds perfect.\n");
  CHECK(s.source == "lexicon");
  CHECK(s.label == sentiment_label::positive);
  CHECK(s.score == Approx(1.0));
  CHECK(s.reason == "Caller's words: 3 positive (great, thanks, perfect), 0 negative.");

  auto mixed = sentiment_from_transcript("User: great but the price is ridiculous and expensive");
  CHECK(mixed.score == Approx(-1.0 / 3));
  CHECK(mixed.label == sentiment_label::negative);

  auto none = sentiment_from_transcript("User: I'd like some information on Tuesday.");
  CHECK(none.score == 0);
  CHECK(none.label == sentiment_label::neutral);
  CHECK(none.level == urgency::normal);
  CHECK(none.reason == "Caller's words: no positive or negative words.");
}

TEST_CASE("without speaker lines the whole text is read", "[scoring]") {
  auto s = sentiment_from_transcript("I am very unhappy and frustrated with the result");
  CHECK(s.label == sentiment_label::negative);
  CHECK(s.score == Approx(-1.0));
}

TEST_CASE("negation flips a word within three words of its clause", "[scoring]") {
  auto s = sentiment_from_transcript("User: I'm not happy at all.");
  CHECK(s.label == sentiment_label::negative);
  CHECK(s.reason == "Caller's words: 0 positive, 1 negative (not happy).");
  CHECK(sentiment_from_transcript("User: honestly that's not bad").label ==
        sentiment_label::positive);
  CHECK(sentiment_from_transcript("User: it really wasn't good").label ==
        sentiment_label::negative);
  // A clause break stops the negation; so does distance.
  CHECK(sentiment_from_transcript("User: no, great").label == sentiment_label::positive);
  CHECK(sentiment_from_transcript("User: not that I would say great").label ==
        sentiment_label::positive);
}

TEST_CASE("urgency: urgent words, negated ones, and callers in no rush", "[scoring]") {
  auto hi = sentiment_from_transcript("User: I have swelling and pain since the filler, asap please");
  CHECK(hi.level == urgency::high);
  CHECK(hi.reason.find("urgent: swelling, pain, asap") != std::string::npos);
  CHECK(sentiment_from_transcript("User: can I come today?").level == urgency::high);
  CHECK(sentiment_from_transcript("User: there's no pain at all").level == urgency::normal);
  auto lo = sentiment_from_transcript("User: no rush, I'm just browsing");
  CHECK(lo.level == urgency::low);
  CHECK(lo.reason.find("no rush") != std::string::npos);
  CHECK(sentiment_from_transcript("User: whenever works").level == urgency::low);
  // Urgent words win over "no rush".
  CHECK(sentiment_from_transcript("User: no rush but it is bleeding").level == urgency::high);
  // The assistant saying "today" does not make the caller urgent.
  CHECK(sentiment_from_transcript("AI: we have openings today\nUser: okay").level ==
        urgency::normal);
}
