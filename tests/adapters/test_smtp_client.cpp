// The SMTP client (adapters/email) against the local SMTP sink (tests/fakes/fake_smtp.hpp).
#include <catch2/catch.hpp>

#include "adapters/email/smtp_client.hpp"
#include "tests/fakes/fake_smtp.hpp"

using namespace rm;

TEST_CASE("smtp_client delivers a plain-text message the sink records") {
  fakes::fake_smtp sink;
  email::smtp_client client{{sink.url(), "clinic@ringmaster.test"}};
  auto r = client.send({"ada@example.com", "Your recording", "Hello Ada,\n.hidden dot line\nbye"});
  INFO(r.error);
  REQUIRE(r.ok);
  CHECK(r.smtp_status == 250);
  auto got = sink.messages();
  REQUIRE(got.size() == 1);
  CHECK(got[0].mail_from == "clinic@ringmaster.test");
  CHECK(got[0].rcpt_to == std::vector<std::string>{"ada@example.com"});
  CHECK(got[0].header("From") == "clinic@ringmaster.test");
  CHECK(got[0].header("To") == "ada@example.com");
  CHECK(got[0].header("Subject") == "Your recording");
  CHECK(got[0].header("Message-ID") == r.message_id);
  CHECK(got[0].header("Content-Type") == "text/plain; charset=utf-8");
  // CRLF line ends, and a leading dot survives libcurl's dot-stuffing and the sink's unstuffing.
  CHECK(got[0].body() == "Hello Ada,\r\n.hidden dot line\r\nbye\r\n");
  CHECK(got[0].auth_user.empty());
}

TEST_CASE("smtp_client authenticates with the URL's user and password") {
  fakes::fake_smtp sink{0, "mailer", "s3cret"};
  email::smtp_client good{{sink.url(), "clinic@ringmaster.test"}};
  auto r = good.send({"ada@example.com", "Hi", "x"});
  INFO(r.error);
  REQUIRE(r.ok);
  REQUIRE(sink.messages().size() == 1);
  CHECK(sink.messages()[0].auth_user == "mailer");
  email::smtp_client bad{{"smtp://mailer:wrong@127.0.0.1:" + std::to_string(sink.port()),
                          "clinic@ringmaster.test"}};
  auto refused = bad.send({"ada@example.com", "Hi", "x"});
  CHECK(!refused.ok);
  CHECK(refused.error.find("wrong") == std::string::npos);  // never the password
  CHECK(sink.messages().size() == 1);
}

TEST_CASE("smtp_client failures: rejected recipient, server down, not configured") {
  fakes::fake_smtp sink;
  sink.reject_recipient("gone@example.com");
  email::smtp_client client{{sink.url(), "clinic@ringmaster.test"}};
  auto rejected = client.send({"gone@example.com", "Hi", "x"});
  CHECK(!rejected.ok);
  CHECK(rejected.smtp_status == 550);
  CHECK(!rejected.transient());  // the message's fault, not the server's
  sink.fail_all(true);
  auto busy = client.send({"ada@example.com", "Hi", "x"});
  CHECK(!busy.ok);
  CHECK(busy.transient());
  CHECK(sink.messages().empty());

  int closed_port = 0;
  { fakes::fake_smtp gone; closed_port = gone.port(); }
  email::smtp_client nowhere{{"smtp://127.0.0.1:" + std::to_string(closed_port), "c@r.test"}};
  auto down = nowhere.send({"ada@example.com", "Hi", "x"});
  CHECK(!down.ok);
  CHECK(down.smtp_status == 0);
  CHECK(down.transient());

  auto unset = email::smtp_client{{"", "c@r.test"}}.send({"ada@example.com", "Hi", "x"});
  CHECK(!unset.ok);
  CHECK(unset.error.find("RINGMASTER_SMTP_URL") != std::string::npos);
}

TEST_CASE("smtp message text and address rules") {
  auto text = email::build_message("c@r.test", {"a@b.test", "Line\r\nBcc: evil@x.test", "one\ntwo"},
                                   "<id@r.test>", "Sat, 05 Dec 2026 04:40:00 +0000");
  CHECK(text.find("Subject: Line  Bcc: evil@x.test\r\n") != std::string::npos);  // no injection
  CHECK(text.find("\r\nBcc:") == std::string::npos);
  CHECK(text.substr(text.size() - 10) == "one\r\ntwo\r\n");
  auto utf8 = email::build_message("c@r.test", {"a@b.test", "Rappel: caf\xC3\xA9", "x"}, "<i@r>", "d");
  CHECK(utf8.find("Subject: =?UTF-8?B?UmFwcGVsOiBjYWbDqQ==?=\r\n") != std::string::npos);
  CHECK(email::valid_address("ada@example.com"));
  CHECK(!email::valid_address("ada@example"));
  CHECK(!email::valid_address("ada example@x.com"));
  CHECK(!email::valid_address("a@b.com\r\nRCPT TO:<x@y.com>"));
  CHECK(!email::valid_address("<a@b.com>"));
  CHECK(!email::valid_address("a@@b.com"));
  CHECK(email::validate({"smtp://127.0.0.1:25", "c@r.test"}).empty());
  CHECK(email::validate({"smtps://u:p@mail.example.com", "c@r.test"}).empty());
  CHECK(!email::validate({"http://mail.example.com", "c@r.test"}).empty());
  CHECK(!email::validate({"smtp://", "c@r.test"}).empty());
  CHECK(!email::validate({"smtp://mail.example.com", "not an address"}).empty());
}
