#include "halld/auth/secrets.hpp"

#include <argon2.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <array>
#include <stdexcept>

namespace halld::auth {
namespace {

// OWASP's argon2id recommendation (19 MiB, two passes, one lane).
constexpr std::uint32_t time_cost = 2;
constexpr std::uint32_t memory_kib = 19 * 1024;
constexpr std::uint32_t lanes = 1;
constexpr std::size_t salt_bytes = 16;
constexpr std::size_t hash_bytes = 32;

void random_bytes(unsigned char* out, std::size_t size) {
  if (RAND_bytes(out, static_cast<int>(size)) != 1)
    throw std::runtime_error("the system's random source failed");
}

}  // namespace

std::string hash_password(std::string_view password) {
  std::array<unsigned char, salt_bytes> salt{};
  random_bytes(salt.data(), salt.size());
  std::string encoded(
      argon2_encodedlen(time_cost, memory_kib, lanes, salt_bytes, hash_bytes, Argon2_id), '\0');
  const int rc =
      argon2id_hash_encoded(time_cost, memory_kib, lanes, password.data(), password.size(),
                            salt.data(), salt.size(), hash_bytes, encoded.data(), encoded.size());
  if (rc != ARGON2_OK)
    throw std::runtime_error(std::string("argon2id: ") + argon2_error_message(rc));
  encoded.resize(encoded.find('\0'));
  return encoded;
}

bool verify_password(std::string_view password, const std::string& encoded) {
  if (!encoded.starts_with("$argon2id$")) return false;
  return argon2id_verify(encoded.c_str(), password.data(), password.size()) == ARGON2_OK;
}

std::string random_hex(std::size_t bytes) {
  std::string raw(bytes, '\0');
  random_bytes(reinterpret_cast<unsigned char*>(raw.data()), raw.size());
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes * 2);
  for (unsigned char c : raw) {
    out += digits[c >> 4];
    out += digits[c & 15];
  }
  return out;
}

std::string random_password() {
  static constexpr std::string_view alphabet =
      "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
  std::array<unsigned char, 16> raw{};
  std::string out;
  while (out.size() < raw.size()) {
    random_bytes(raw.data(), raw.size());
    for (unsigned char c : raw) {
      // Rejection sampling keeps every character equally likely.
      if (c < 256 - 256 % alphabet.size() && out.size() < raw.size())
        out += alphabet[c % alphabet.size()];
    }
  }
  return out;
}

std::string sha256(std::string_view text) {
  std::string digest(32, '\0');
  unsigned int size = 0;
  if (EVP_Digest(text.data(), text.size(), reinterpret_cast<unsigned char*>(digest.data()), &size,
                 EVP_sha256(), nullptr) != 1) {
    throw std::runtime_error("SHA-256 failed");
  }
  return digest;
}

std::string password_problem(std::string_view password) {
  if (password.size() < 10) return "a password has at least 10 characters";
  if (password.size() > 256) return "a password has at most 256 characters";
  return "";
}

}  // namespace halld::auth
