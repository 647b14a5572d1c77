#include "actors/verification_code.hpp"

#include <cstdint>
#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <thread>

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

argon2_limiter::argon2_limiter(unsigned capacity, std::chrono::milliseconds max_wait)
    : capacity_(capacity ? capacity : std::max(1u, std::thread::hardware_concurrency())),
      max_wait_(max_wait) {
  s_.capacity = capacity_;
}

bool argon2_limiter::run(const std::function<void()>& fn) {
  {
    std::unique_lock<std::mutex> lock{m_};
    if (!freed_.wait_for(lock, max_wait_, [&] { return s_.in_flight < capacity_; })) {
      ++s_.refused;
      return false;
    }
    ++s_.in_flight;
    ++s_.runs;
    s_.max_in_flight = std::max(s_.max_in_flight, s_.in_flight);
  }
  struct release {
    argon2_limiter& l;
    ~release() {
      {
        std::lock_guard<std::mutex> lock{l.m_};
        --l.s_.in_flight;
      }
      l.freed_.notify_one();
    }
  } guard{*this};
  fn();
  return true;
}

argon2_limiter::stats argon2_limiter::snapshot() const {
  std::lock_guard<std::mutex> lock{m_};
  return s_;
}

}  // namespace rm::actors
