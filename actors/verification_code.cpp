#include "actors/verification_code.hpp"

#include <cstdint>
#include <cstring>
#include <stdexcept>

#include <openssl/rand.h>
#include <sodium.h>

#include "domain/verification.hpp"

namespace rm::actors {
namespace {

void ensure_sodium() {
  static const int ready = sodium_init();  // thread-safe; 1 = already initialised
  if (ready < 0) throw std::runtime_error("libsodium could not be initialised");
}

}  // namespace

std::string generate_verification_code() {
  for (int i = 0; i < 64; ++i) {
    unsigned char bytes[4];
    if (RAND_bytes(bytes, sizeof bytes) != 1) throw std::runtime_error("RAND_bytes failed");
    std::uint32_t bits = 0;
    std::memcpy(&bits, bytes, sizeof bits);
    if (auto code = domain::code_from_random(bits)) return *code;
  }
  throw std::runtime_error("the CSPRNG kept drawing out-of-range values");
}

std::string hash_verification_code(const std::string& code) {
  ensure_sodium();
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str(out, code.data(), code.size(), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                        crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
    throw std::runtime_error("argon2id hashing failed (out of memory?)");
  return out;
}

bool verification_code_matches(const std::string& hash, const std::string& code) {
  ensure_sodium();
  if (hash.empty()) return false;
  return crypto_pwhash_str_verify(hash.c_str(), code.data(), code.size()) == 0;
}

}  // namespace rm::actors
