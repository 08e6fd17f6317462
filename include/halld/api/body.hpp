// api/body: reading an untrusted JSON request body, and making any JSON fit for the audit log.
// Pure (bytes in, values out), so it is unit tested and fuzzed (tests/fuzz/fuzz_json_body).
// Owns: the JSON nesting limit, what counts as a secret in an audit record.
// Every cost here is linear in the body's size: nesting is measured before parsing, and the
// audit masking walks each value once, in place.
// Must not touch: HTTP, the database.
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <variant>

namespace halld::api {

// Deeper than any document halld takes (an archive import nests five levels).
inline constexpr std::size_t max_json_depth = 32;

// Why a body was refused: a code for the error body and a message naming the place.
struct BodyProblem {
  std::string code;  // "too_deep", "bad_json", "bad_text"
  std::string message;
};

// The body as JSON, or why not: nested deeper than max_json_depth, not JSON (which includes
// malformed UTF-8 inside strings), or a string or member name holding U+0000 (named by its
// JSON pointer, e.g. '/cities/0/name').
std::variant<nlohmann::json, BodyProblem> parse_body_json(std::string_view text);

// Makes `value` safe to keep in the audit log, in place and in one walk: secrets (passwords,
// token secrets, CSRF tokens) become "***", and any string or member name that PostgreSQL's
// jsonb would refuse (U+0000, malformed UTF-8) is repaired with U+FFFD.
void mask_for_audit(nlohmann::json& value);

// What the audit log keeps of a request body: the masked JSON, or, for a body that is not
// readable JSON, its size and why (never its bytes, which may hold a password).
nlohmann::json audit_view_of_body(std::string_view body);

}  // namespace halld::api
