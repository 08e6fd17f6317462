// core/text: checks and repairs of untrusted text (UTF-8). Pure: no I/O, no allocation beyond
// the strings returned. Owns: what halld calls valid, safe and printable text.
// Must not touch: anything that knows where the text came from.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace halld {

// Well-formed UTF-8 (RFC 3629): no overlong forms, no surrogates, nothing above U+10FFFF.
bool is_valid_utf8(std::string_view text);

// Text a client may store: valid UTF-8 without U+0000 (PostgreSQL's text and jsonb refuse it).
bool is_storable_text(std::string_view text);

// Text fit to be a name a person reads (a hall, a city, a clerk): storable, and free of
// control characters and of the invisible format characters that make one name look like
// another or reorder what is shown around it (bidi overrides and isolates, zero-width
// characters, the byte-order mark).
bool is_display_text(std::string_view text);

// At most `max_bytes` of `text` as storable UTF-8: every malformed sequence and every U+0000
// becomes U+FFFD, and a character cut by the limit is dropped whole. For logs and the audit
// record of a request that could not be read.
std::string printable_excerpt(std::string_view text, std::size_t max_bytes);

// `text` from one charset to another (iconv names: "UTF-8", "GB18030"); nullopt when the bytes
// are not valid in `from` or cannot be written in `to`.
std::optional<std::string> convert_charset(std::string_view text, const char* to, const char* from);

}  // namespace halld
