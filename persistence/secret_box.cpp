#include "persistence/secret_box.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <memory>
#include <mutex>
#include <sstream>
#include <stdexcept>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

namespace rm::persistence {
namespace {

constexpr std::size_t iv_size = 12;
constexpr std::size_t tag_size = 16;

std::string trim(const std::string& s) {
  const char* ws = " \t\r\n";
  auto b = s.find_first_not_of(ws);
  if (b == std::string::npos) return "";
  auto e = s.find_last_not_of(ws);
  return s.substr(b, e - b + 1);
}

std::string key_id_of(const std::array<unsigned char, 32>& bytes) {
  std::string input = "ringmaster-master-key-id:";
  input.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(input.data()), input.size(), digest);
  OPENSSL_cleanse(input.data(), input.size());
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < 8; ++i) {
    out += hex[digest[i] >> 4];
    out += hex[digest[i] & 0xf];
  }
  return out;
}

struct ctx_deleter {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};
using ctx_ptr = std::unique_ptr<EVP_CIPHER_CTX, ctx_deleter>;

const unsigned char* u(const std::string& s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

std::mutex installed_mutex;
std::unique_ptr<master_key> installed;

}  // namespace

std::optional<std::string> parse_master_key(const std::string& base64, master_key& out) {
  const std::string text = trim(base64);
  if (text.empty()) return "is empty (expected the base64 of 32 random bytes)";
  if (text.size() != 44 || text.size() % 4 != 0)
    return "must be the base64 of exactly 32 bytes (44 characters), e.g. from "
           "`openssl rand -base64 32`";
  unsigned char buf[33];
  const int n = EVP_DecodeBlock(buf, u(text), static_cast<int>(text.size()));
  if (n != 33 || text[43] != '=' || text[42] == '=') {
    OPENSSL_cleanse(buf, sizeof buf);
    return "is not valid base64 of 32 bytes (e.g. from `openssl rand -base64 32`)";
  }
  // EVP_DecodeBlock accepts some malformed input; insist on the canonical encoding.
  std::array<unsigned char, 32> bytes{};
  std::memcpy(bytes.data(), buf, 32);
  OPENSSL_cleanse(buf, sizeof buf);
  master_key k;
  k.bytes = bytes;
  if (encode_master_key(k) != text) return "is not canonical base64 of 32 bytes";
  k.id = key_id_of(k.bytes);
  out = k;
  OPENSSL_cleanse(bytes.data(), bytes.size());
  return std::nullopt;
}

std::optional<std::string> read_master_key_file(const std::string& path, master_key& out) {
  std::ifstream in{path};
  if (!in) return "cannot read " + path + ": " + std::strerror(errno);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();
  auto err = parse_master_key(text, out);
  OPENSSL_cleanse(text.data(), text.size());
  if (err) return path + " " + *err;
  return std::nullopt;
}

master_key generate_master_key() {
  master_key k;
  if (RAND_bytes(k.bytes.data(), static_cast<int>(k.bytes.size())) != 1)
    throw std::runtime_error("RAND_bytes failed: cannot generate a master key");
  k.id = key_id_of(k.bytes);
  return k;
}

std::string encode_master_key(const master_key& k) {
  unsigned char out[45];
  const int n = EVP_EncodeBlock(out, k.bytes.data(), static_cast<int>(k.bytes.size()));
  std::string s(reinterpret_cast<char*>(out), static_cast<std::size_t>(n));
  OPENSSL_cleanse(out, sizeof out);
  return s;
}

std::optional<std::string> write_master_key_file(const std::string& path, const master_key& k) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return "cannot create " + path + ": " + std::strerror(errno);
  std::string text = encode_master_key(k) + "\n";
  const auto written = ::write(fd, text.data(), text.size());
  OPENSSL_cleanse(text.data(), text.size());
  const bool ok = written == static_cast<ssize_t>(45) && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok) {
    ::unlink(path.c_str());
    return "cannot write " + path;
  }
  return std::nullopt;
}

sealed_secret seal(const master_key& k, const std::string& plaintext, const std::string& aad) {
  sealed_secret s;
  s.key_id = k.id;
  s.iv.resize(iv_size);
  if (RAND_bytes(reinterpret_cast<unsigned char*>(s.iv.data()), iv_size) != 1)
    throw std::runtime_error("RAND_bytes failed: cannot draw an IV");
  ctx_ptr ctx{EVP_CIPHER_CTX_new()};
  if (!ctx) throw std::runtime_error("EVP_CIPHER_CTX_new failed");
  int len = 0;
  s.ciphertext.resize(plaintext.size());
  s.tag.resize(tag_size);
  auto* out = reinterpret_cast<unsigned char*>(s.ciphertext.data());
  if (EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, iv_size, nullptr) != 1 ||
      EVP_EncryptInit_ex(ctx.get(), nullptr, nullptr, k.bytes.data(), u(s.iv)) != 1 ||
      (!aad.empty() &&
       EVP_EncryptUpdate(ctx.get(), nullptr, &len, u(aad), static_cast<int>(aad.size())) != 1) ||
      EVP_EncryptUpdate(ctx.get(), out, &len, u(plaintext), static_cast<int>(plaintext.size())) != 1 ||
      EVP_EncryptFinal_ex(ctx.get(), out + len, &len) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, tag_size, s.tag.data()) != 1)
    throw std::runtime_error("AES-256-GCM encryption failed");
  return s;
}

opened_secret open(const master_key& k, const sealed_secret& s, const std::string& aad) {
  if (s.key_id != k.id) return {open_error::wrong_key, ""};
  if (s.iv.size() != iv_size || s.tag.size() != tag_size) return {open_error::malformed, ""};
  ctx_ptr ctx{EVP_CIPHER_CTX_new()};
  if (!ctx) throw std::runtime_error("EVP_CIPHER_CTX_new failed");
  std::string plain(s.ciphertext.size(), '\0');
  auto* out = reinterpret_cast<unsigned char*>(plain.data());
  int len = 0;
  std::string tag = s.tag;  // EVP_CTRL_GCM_SET_TAG takes a non-const pointer
  const bool ok =
      EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) == 1 &&
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, iv_size, nullptr) == 1 &&
      EVP_DecryptInit_ex(ctx.get(), nullptr, nullptr, k.bytes.data(), u(s.iv)) == 1 &&
      (aad.empty() ||
       EVP_DecryptUpdate(ctx.get(), nullptr, &len, u(aad), static_cast<int>(aad.size())) == 1) &&
      EVP_DecryptUpdate(ctx.get(), out, &len, u(s.ciphertext),
                        static_cast<int>(s.ciphertext.size())) == 1 &&
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, tag_size, tag.data()) == 1 &&
      EVP_DecryptFinal_ex(ctx.get(), out + len, &len) == 1;
  if (!ok) {
    OPENSSL_cleanse(plain.data(), plain.size());
    return {open_error::authentication_failed, ""};
  }
  return {open_error::none, std::move(plain)};
}

std::string credential_aad(const std::string& org_id, const std::string& provider) {
  return "ringmaster/org_credentials/v1|" + org_id + "|" + provider;
}

void install_master_key(const master_key& k) {
  std::lock_guard<std::mutex> lock{installed_mutex};
  installed = std::make_unique<master_key>(k);
}

bool has_master_key() {
  std::lock_guard<std::mutex> lock{installed_mutex};
  return installed != nullptr;
}

master_key installed_master_key() {
  std::lock_guard<std::mutex> lock{installed_mutex};
  if (!installed)
    throw std::runtime_error(
        "no master key installed: credentials cannot be encrypted or decrypted "
        "(RINGMASTER_MASTER_KEY or RINGMASTER_MASTER_KEY_FILE)");
  return *installed;
}

}  // namespace rm::persistence
