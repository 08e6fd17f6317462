// auth/secrets: password hashing (argon2id, libargon2), random secrets and their digests
// (OpenSSL). Owns: the hashing parameters. Pure apart from the system's random source.
#pragma once

#include <string>
#include <string_view>

namespace halld::auth {

// An argon2id PHC string ("$argon2id$v=19$m=19456,t=2,p=1$salt$hash") with a fresh random salt.
// Tens of milliseconds of one core by design: call it off the I/O threads.
std::string hash_password(std::string_view password);
// Whether `password` matches the PHC string; false for a malformed string.
bool verify_password(std::string_view password, const std::string& encoded);

// `bytes` random bytes from the operating system's CSPRNG, as lower-case hex.
std::string random_hex(std::size_t bytes);
// A password people can type: 16 characters without look-alikes (0/O, 1/l/I).
std::string random_password();
// SHA-256 of `text`, raw 32 bytes: how tokens and session ids are stored and looked up.
std::string sha256(std::string_view text);

// Why a new password is refused (too short, too long), or "" when it is acceptable.
std::string password_problem(std::string_view password);

}  // namespace halld::auth
