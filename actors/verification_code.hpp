// The one-time code's cryptography, kept out of the actors so it can be tested alone.
//  - generate: 6 digits from OpenSSL's CSPRNG (RAND_bytes), rejection-sampled without modulo bias
//    (domain::code_from_random).
//  - hash: libsodium argon2id (crypto_pwhash_str), random salt inside the string. Cost
//    OPSLIMIT_INTERACTIVE / MEMLIMIT_INTERACTIVE (2 passes, 64 MiB, ~50–100 ms): a 6-digit code
//    lives 10 minutes and allows 3 guesses, so the hash only has to resist an offline search of
//    10^6 codes by someone who stole the database within those minutes; MODERATE (256 MiB,
//    ~0.7 s) would make every confirm and every test slow and let 4 concurrent confirms take
//    1 GiB on a 2-core machine for little gain.
//  - matches: crypto_pwhash_str_verify (constant time in the code).
// Throws std::runtime_error when libsodium or the CSPRNG fails (out of memory, no entropy).
#pragma once

#include <string>

namespace rm::actors {

std::string generate_verification_code();
std::string hash_verification_code(const std::string& code);
bool verification_code_matches(const std::string& hash, const std::string& code);

}  // namespace rm::actors
