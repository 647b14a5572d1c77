#include <catch2/catch.hpp>

#include "adapters/twilio/twiml.hpp"

using namespace rm::twilio;

TEST_CASE("every TwiML answer is an XML document with a Response root") {
  for (const auto& doc : {twiml_reject(), twiml_dial_sip("sip:a@b"), twiml_dial_number("+1415"),
                          twiml_say_hangup("sorry"), twiml_empty()}) {
    CHECK(doc.rfind("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response", 0) == 0);
  }
  CHECK(twiml_empty() == "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response/>");
}

TEST_CASE("a reject answer has Reject as its first and only verb") {
  CHECK(twiml_reject() ==
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Reject/></Response>");
}

TEST_CASE("values put into TwiML are XML-escaped, text and attributes alike") {
  CHECK(xml_escape(R"(a&b<c>"d'e)") == "a&amp;b&lt;c&gt;&quot;d&apos;e");
  CHECK(twiml_dial_sip("sip:x@h?X-A=1&X-B=<2>")
            .find("<Sip>sip:x@h?X-A=1&amp;X-B=&lt;2&gt;</Sip>") != std::string::npos);
  CHECK(twiml_say_hangup("Tom & Jerry's").find("<Say>Tom &amp; Jerry&apos;s</Say><Hangup/>") !=
        std::string::npos);
}

TEST_CASE("control characters that XML 1.0 forbids are dropped, tab and newline kept") {
  CHECK(xml_escape(std::string{"a\x01" "b\tc\nd\x1f"}) == "ab\tc\nd");
}

TEST_CASE("Twilio's opt-out keywords are recognised whole, trimmed and in any case") {
  for (const char* w : {"STOP", "stop", "  Stop\n", "STOPALL", "unsubscribe", "Cancel", "END",
                        "quit"})
    CHECK(classify_sms_keyword(w) == sms_keyword::opt_out);
  for (const char* w : {"START", "start ", "Yes", "UNSTOP"})
    CHECK(classify_sms_keyword(w) == sms_keyword::opt_in);
  for (const char* w : {"", "   ", "please stop", "STOP!", "stopp", "yes please", "OK"})
    CHECK(classify_sms_keyword(w) == sms_keyword::none);
}
