// Authenticated encryption of stored secrets (org_credentials): AES-256-GCM through OpenSSL EVP.
//
// Every seal draws a fresh random 96-bit IV (RAND_bytes) and yields a 16-byte tag. The caller's
// `aad` (additional authenticated data) is bound into the tag but not stored: org_credentials
// uses "ringmaster/org_credentials/v1|<org_id>|<provider>", so a row copied to another tenant or
// provider no longer opens. Nothing here logs or returns a secret in an error.
//
// The master key (RINGMASTER_MASTER_KEY: base64 of 32 bytes, or RINGMASTER_MASTER_KEY_FILE) is
// identified by a key id: the first 16 hex digits of SHA-256("ringmaster-master-key-id:" + key).
// The id is stored with each row, so a row sealed under another key is named as such instead of
// failing as "tampered".
#pragma once

#include <array>
#include <optional>
#include <string>

namespace rm::persistence {

struct master_key {
  std::array<unsigned char, 32> bytes{};
  std::string id;  // 16 hex digits, derived from the bytes (see above)
};

// Parses base64 (standard alphabet, padding required; surrounding whitespace ignored) of exactly
// 32 bytes. Returns an error sentence that never repeats the input, or nullopt on success.
std::optional<std::string> parse_master_key(const std::string& base64, master_key& out);
// Reads a key file holding the base64 text (as written by write_master_key_file).
std::optional<std::string> read_master_key_file(const std::string& path, master_key& out);
// A new random key (RAND_bytes).
master_key generate_master_key();
// Base64 of the key's bytes (for key files; never log it).
std::string encode_master_key(const master_key& k);
// Creates `path` with mode 0600 holding the base64 key and a newline; fails (error sentence)
// when the file already exists.
std::optional<std::string> write_master_key_file(const std::string& path, const master_key& k);

struct sealed_secret {
  std::string key_id;      // master_key::id at seal time
  std::string iv;          // 12 bytes
  std::string tag;         // 16 bytes
  std::string ciphertext;  // same length as the plaintext
};

// Encrypts `plaintext` under `k` with a fresh IV. Throws std::runtime_error if OpenSSL fails.
sealed_secret seal(const master_key& k, const std::string& plaintext, const std::string& aad);

enum class open_error { none, wrong_key, malformed, authentication_failed };
struct opened_secret {
  open_error error = open_error::none;
  std::string plaintext;  // when error == none
};
// Decrypts and verifies. wrong_key: s.key_id is not k.id; malformed: IV/tag sizes wrong;
// authentication_failed: the tag does not verify (tampered ciphertext/tag/IV, other AAD, or
// a key whose id collides).
opened_secret open(const master_key& k, const sealed_secret& s, const std::string& aad);

// The AAD of an org_credentials row.
std::string credential_aad(const std::string& org_id, const std::string& provider);

// ---- the process's master key ----------------------------------------------------------------
// Installed once by `ringmaster serve` (app/main.cpp) after it validated the configuration, and by
// test support; read by the credential repository (persistence/credentials.hpp).
void install_master_key(const master_key& k);
bool has_master_key();
// Throws std::runtime_error("no master key installed …") when none was installed.
master_key installed_master_key();

}  // namespace rm::persistence
