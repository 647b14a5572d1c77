// AES-256-GCM sealing of stored secrets: round trip, tampering, wrong key, wrong AAD, fresh IVs,
// and master-key parsing.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <set>
#include <sys/stat.h>

#include "persistence/secret_box.hpp"

using namespace rm::persistence;

namespace {
const std::string aad_a = credential_aad("11111111-1111-1111-1111-111111111111", "twilio");
const std::string aad_b = credential_aad("22222222-2222-2222-2222-222222222222", "twilio");
const std::string token = "0123456789abcdef0123456789abcdef";
}  // namespace

TEST_CASE("a sealed secret opens with the same key and AAD") {
  const auto k = generate_master_key();
  const auto s = seal(k, token, aad_a);
  CHECK(s.key_id == k.id);
  CHECK(s.iv.size() == 12);
  CHECK(s.tag.size() == 16);
  CHECK(s.ciphertext.size() == token.size());
  CHECK(s.ciphertext != token);
  auto o = open(k, s, aad_a);
  REQUIRE(o.error == open_error::none);
  CHECK(o.plaintext == token);

  auto empty = seal(k, "", aad_a);
  auto oe = open(k, empty, aad_a);
  REQUIRE(oe.error == open_error::none);
  CHECK(oe.plaintext.empty());
}

TEST_CASE("any tampered byte fails authentication") {
  const auto k = generate_master_key();
  const auto s = seal(k, token, aad_a);
  for (std::size_t i = 0; i < s.ciphertext.size(); ++i) {
    auto t = s;
    t.ciphertext[i] = static_cast<char>(t.ciphertext[i] ^ 0x01);
    CHECK(open(k, t, aad_a).error == open_error::authentication_failed);
  }
  for (std::size_t i = 0; i < s.tag.size(); ++i) {
    auto t = s;
    t.tag[i] = static_cast<char>(t.tag[i] ^ 0x80);
    CHECK(open(k, t, aad_a).error == open_error::authentication_failed);
  }
  auto t = s;
  t.iv[0] = static_cast<char>(t.iv[0] ^ 0x01);
  CHECK(open(k, t, aad_a).error == open_error::authentication_failed);
  auto shorter = s;
  shorter.ciphertext.pop_back();
  CHECK(open(k, shorter, aad_a).error == open_error::authentication_failed);
  auto bad_tag = s;
  bad_tag.tag.resize(12);
  CHECK(open(k, bad_tag, aad_a).error == open_error::malformed);
}

TEST_CASE("another key does not open it, even under the same key id") {
  const auto k = generate_master_key();
  const auto other = generate_master_key();
  CHECK(k.id != other.id);
  const auto s = seal(k, token, aad_a);
  CHECK(open(other, s, aad_a).error == open_error::wrong_key);
  auto forged = other;
  forged.id = k.id;  // a key that claims the right id still fails the tag
  CHECK(open(forged, s, aad_a).error == open_error::authentication_failed);
}

TEST_CASE("a row copied to another tenant or provider does not open (AAD)") {
  const auto k = generate_master_key();
  const auto s = seal(k, token, aad_a);
  CHECK(open(k, s, aad_b).error == open_error::authentication_failed);
  CHECK(open(k, s, credential_aad("11111111-1111-1111-1111-111111111111", "vapi_webhook")).error ==
        open_error::authentication_failed);
  CHECK(open(k, s, "").error == open_error::authentication_failed);
}

TEST_CASE("every seal draws a fresh IV") {
  const auto k = generate_master_key();
  std::set<std::string> ivs, ciphertexts;
  for (int i = 0; i < 1000; ++i) {
    auto s = seal(k, token, aad_a);
    ivs.insert(s.iv);
    ciphertexts.insert(s.ciphertext);
  }
  CHECK(ivs.size() == 1000);
  CHECK(ciphertexts.size() == 1000);
}

TEST_CASE("master keys: base64 of exactly 32 bytes, stable ids, key files") {
  const auto k = generate_master_key();
  const auto text = encode_master_key(k);
  CHECK(text.size() == 44);
  master_key parsed;
  REQUIRE_FALSE(parse_master_key("  " + text + "\n", parsed));
  CHECK(parsed.bytes == k.bytes);
  CHECK(parsed.id == k.id);
  CHECK(parsed.id.size() == 16);

  master_key ignored;
  CHECK(parse_master_key("", ignored));
  CHECK(parse_master_key("c2hvcnQ=", ignored));                       // 5 bytes
  CHECK(parse_master_key(text.substr(0, 43) + "!", ignored));         // bad character
  CHECK(parse_master_key(text + text, ignored));                      // 64 bytes
  CHECK(parse_master_key(std::string(44, '='), ignored));
  // The error never repeats the (possibly secret) input.
  auto err = parse_master_key(text.substr(0, 40), ignored);
  REQUIRE(err);
  CHECK(err->find(text.substr(0, 40)) == std::string::npos);

  const std::string path = "/tmp/rm-crypto-test-key-" + std::to_string(::getpid());
  std::remove(path.c_str());
  REQUIRE_FALSE(write_master_key_file(path, k));
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  CHECK(write_master_key_file(path, k));  // never overwrites
  master_key from_file;
  REQUIRE_FALSE(read_master_key_file(path, from_file));
  CHECK(from_file.bytes == k.bytes);
  std::remove(path.c_str());
  CHECK(read_master_key_file(path, from_file));
}
