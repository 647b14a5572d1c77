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
//
// argon2_limiter caps how many of those hashes (initiate) and comparisons (confirm) run at once,
// so a burst of requests cannot take N × 64 MiB and every core: docs/hybrid-telephony.md
// "Verification cost".
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>

namespace rm::actors {

std::string generate_verification_code();
std::string hash_verification_code(const std::string& code);
bool verification_code_matches(const std::string& hash, const std::string& code);

// A counting semaphore for argon2id work. At most `capacity` functions run inside run() at once;
// a caller waits up to `max_wait` for a slot and is refused after that (run() returns false and
// the function does not run; the facade answers rm::ec::rate_limited "busy" with retry_after 1). Thread-safe.
class argon2_limiter {
 public:
  // capacity 0 → std::thread::hardware_concurrency() (at least 1).
  explicit argon2_limiter(unsigned capacity = 0,
                          std::chrono::milliseconds max_wait = std::chrono::milliseconds(2000));
  argon2_limiter(const argon2_limiter&) = delete;
  argon2_limiter& operator=(const argon2_limiter&) = delete;

  // Runs fn() holding one slot; false when no slot freed within max_wait (fn not run).
  // Exceptions from fn propagate after the slot is given back.
  bool run(const std::function<void()>& fn);

  struct stats {
    unsigned capacity = 0;
    std::uint64_t runs = 0;     // functions run (hashes + comparisons)
    std::uint64_t refused = 0;  // callers that waited max_wait in vain
    unsigned in_flight = 0;
    unsigned max_in_flight = 0;  // the most ever running at once
  };
  stats snapshot() const;
  unsigned capacity() const { return capacity_; }
  std::chrono::milliseconds max_wait() const { return max_wait_; }

 private:
  const unsigned capacity_;
  const std::chrono::milliseconds max_wait_;
  mutable std::mutex m_;
  std::condition_variable freed_;
  stats s_;
};

}  // namespace rm::actors
