// RINGMASTER_SMTP_URL / RINGMASTER_SMTP_FROM (app/config.hpp): read, validated, masked.
#include <catch2/catch.hpp>

#include "tests/auth/config_env.hpp"

using rm::test::load_with;
using rm::test::scoped_env;

TEST_CASE("RINGMASTER_SMTP_URL is read with its sender and masked in the settings line") {
  scoped_env from{"RINGMASTER_SMTP_FROM", "clinic@example.com"};
  rm::app::config c;
  REQUIRE(!load_with("RINGMASTER_SMTP_URL", "smtps://mailer:pa55word@mail.example.com:465", c));
  CHECK(c.smtp_url == "smtps://mailer:pa55word@mail.example.com:465");
  CHECK(c.smtp_from == "clinic@example.com");
  const auto line = rm::app::settings_summary(c);
  CHECK(line.find("pa55word") == std::string::npos);
  CHECK(line.find("smtp_url=smtps://mailer:***@mail.example.com:465") != std::string::npos);
  CHECK(line.find("smtp_from=clinic@example.com") != std::string::npos);
}

TEST_CASE("RINGMASTER_SMTP_URL refuses a bad URL or a missing sender, naming the setting") {
  rm::app::config c;
  {
    auto err = load_with("RINGMASTER_SMTP_URL", "smtp://mail.example.com", c);
    REQUIRE(err);
    CHECK(err->setting == "RINGMASTER_SMTP_FROM");
  }
  scoped_env from{"RINGMASTER_SMTP_FROM", "clinic@example.com"};
  for (const char* bad : {"http://mail.example.com", "smtp://", "mail.example.com:25"}) {
    INFO(bad);
    auto err = load_with("RINGMASTER_SMTP_URL", bad, c);
    REQUIRE(err);
    CHECK(err->setting == "RINGMASTER_SMTP_URL");
  }
  auto secret = load_with("RINGMASTER_SMTP_URL", "ftp://u:hunter2@x", c);
  REQUIRE(secret);
  CHECK(secret->message.find("hunter2") == std::string::npos);
}

TEST_CASE("RINGMASTER_SMTP_FROM must be a bare address, and no URL means no e-mail") {
  rm::app::config c;
  auto err = load_with("RINGMASTER_SMTP_FROM", "Clinic <clinic@example.com>", c);
  REQUIRE(err);
  CHECK(err->setting == "RINGMASTER_SMTP_FROM");
  rm::app::config unset;
  REQUIRE(!rm::app::load_config({}, false, unset));
  CHECK(unset.smtp_url.empty());
  CHECK(rm::app::settings_summary(unset).find("smtp_url=unset") != std::string::npos);
}
