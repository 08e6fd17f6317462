#include "halld/sms/pdu.hpp"

#include <fmt/format.h>

#include <span>

namespace halld::sms {

namespace {

// TP-MTI (bits 1–0), TP-VPF (4–3), TP-SRR (5), TP-UDHI (6) of the first octet.
constexpr std::uint8_t mti_submit = 0x01;
constexpr std::uint8_t vpf_mask = 0x18;
constexpr std::uint8_t vpf_relative = 0x10;
constexpr std::uint8_t srr = 0x20;
constexpr std::uint8_t udhi = 0x40;
constexpr std::uint8_t dcs_8bit = 0x04;
constexpr std::uint8_t dcs_ucs2 = 0x08;
constexpr std::uint8_t toa_international = 0x91;
constexpr std::uint8_t toa_unknown = 0x81;
constexpr std::size_t max_address_digits = 20;
constexpr std::size_t user_data_octets = 140;

bool is_high_surrogate(char16_t u) {
  return u >= 0xD800 && u <= 0xDBFF;
}
bool is_low_surrogate(char16_t u) {
  return u >= 0xDC00 && u <= 0xDFFF;
}

void put_hex(std::string& out, std::uint8_t octet) {
  static constexpr char digits[] = "0123456789ABCDEF";
  out += digits[octet >> 4];
  out += digits[octet & 0x0F];
}

std::optional<std::uint8_t> hex_value(char c) {
  if (c >= '0' && c <= '9') return static_cast<std::uint8_t>(c - '0');
  if (c >= 'A' && c <= 'F') return static_cast<std::uint8_t>(c - 'A' + 10);
  if (c >= 'a' && c <= 'f') return static_cast<std::uint8_t>(c - 'a' + 10);
  return std::nullopt;
}

// Reads octets front to back; every read is checked against what is left.
class Octets {
 public:
  explicit Octets(std::span<const std::uint8_t> bytes) : bytes_(bytes) {}
  std::optional<std::uint8_t> next() {
    if (at_ >= bytes_.size()) return std::nullopt;
    return bytes_[at_++];
  }
  std::optional<std::span<const std::uint8_t>> take(std::size_t n) {
    if (bytes_.size() - at_ < n) return std::nullopt;
    auto part = bytes_.subspan(at_, n);
    at_ += n;
    return part;
  }
  std::size_t left() const { return bytes_.size() - at_; }

 private:
  std::span<const std::uint8_t> bytes_;
  std::size_t at_ = 0;
};

PduError error(std::string message) {
  return PduError{std::move(message)};
}

}  // namespace

std::variant<std::u16string, PduError> utf16_of(std::string_view utf8) {
  std::u16string out;
  for (std::size_t i = 0; i < utf8.size();) {
    const auto lead = static_cast<unsigned char>(utf8[i]);
    const std::size_t length = lead < 0x80           ? 1
                               : (lead >> 5) == 0x6  ? 2
                               : (lead >> 4) == 0xE  ? 3
                               : (lead >> 3) == 0x1E ? 4
                                                     : 0;
    if (length == 0 || i + length > utf8.size())
      return error(fmt::format("the text is not UTF-8 at byte {}", i));
    char32_t code = length == 1   ? lead
                    : length == 2 ? (lead & 0x1F)
                    : length == 3 ? (lead & 0x0F)
                                  : (lead & 0x07);
    for (std::size_t k = 1; k < length; ++k) {
      const auto next = static_cast<unsigned char>(utf8[i + k]);
      if ((next >> 6) != 0x2) return error(fmt::format("the text is not UTF-8 at byte {}", i));
      code = (code << 6) | (next & 0x3F);
    }
    static constexpr char32_t smallest[] = {0, 0, 0x80, 0x800, 0x10000};
    if (code < smallest[length] || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) {
      return error(fmt::format("the text is not UTF-8 at byte {}", i));
    }
    if (code >= 0x10000) {
      code -= 0x10000;
      out += static_cast<char16_t>(0xD800 + (code >> 10));
      out += static_cast<char16_t>(0xDC00 + (code & 0x3FF));
    } else {
      out += static_cast<char16_t>(code);
    }
    i += length;
  }
  return out;
}

std::string utf8_of(std::u16string_view utf16) {
  std::string out;
  for (std::size_t i = 0; i < utf16.size(); ++i) {
    char32_t code = utf16[i];
    if (is_high_surrogate(utf16[i]) && i + 1 < utf16.size() && is_low_surrogate(utf16[i + 1])) {
      code = 0x10000 + ((code - 0xD800) << 10) + (utf16[i + 1] - 0xDC00);
      ++i;
    } else if (is_high_surrogate(utf16[i]) || is_low_surrogate(utf16[i])) {
      code = 0xFFFD;
    }
    if (code < 0x80) {
      out += static_cast<char>(code);
    } else if (code < 0x800) {
      out += static_cast<char>(0xC0 | (code >> 6));
      out += static_cast<char>(0x80 | (code & 0x3F));
    } else if (code < 0x10000) {
      out += static_cast<char>(0xE0 | (code >> 12));
      out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (code & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (code >> 18));
      out += static_cast<char>(0x80 | ((code >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (code & 0x3F));
    }
  }
  return out;
}

std::variant<std::vector<EncodedPdu>, PduError> encode_submit(std::string_view destination,
                                                              std::string_view utf8_text,
                                                              const SubmitOptions& options) {
  const bool international = !destination.empty() && destination.front() == '+';
  const std::string_view digits = international ? destination.substr(1) : destination;
  if (digits.empty() || digits.size() > max_address_digits ||
      digits.find_first_not_of("0123456789") != std::string_view::npos) {
    return error(
        fmt::format("'{}' is not a phone number (digits, optionally after '+', at most {})",
                    destination, max_address_digits));
  }
  auto converted = utf16_of(utf8_text);
  if (auto* e = std::get_if<PduError>(&converted)) return *e;
  const auto& text = std::get<std::u16string>(converted);
  if (text.empty()) return error("the text is empty");

  // Parts of at most part_units code units, never splitting a surrogate pair.
  std::vector<std::u16string_view> parts;
  if (text.size() <= single_units) {
    parts.push_back(text);
  } else {
    for (std::size_t at = 0; at < text.size();) {
      std::size_t n = std::min(part_units, text.size() - at);
      if (at + n < text.size() && is_high_surrogate(text[at + n - 1])) --n;
      parts.push_back(std::u16string_view(text).substr(at, n));
      at += n;
    }
  }
  if (parts.size() > max_parts)
    return error(fmt::format("the text needs {} parts; at most {}", parts.size(), max_parts));

  std::string address;
  put_hex(address, static_cast<std::uint8_t>(digits.size()));
  put_hex(address, international ? toa_international : toa_unknown);
  for (std::size_t i = 0; i < digits.size(); i += 2) {
    const auto low = static_cast<std::uint8_t>(digits[i] - '0');
    const auto high = static_cast<std::uint8_t>(i + 1 < digits.size() ? digits[i + 1] - '0' : 0xF);
    put_hex(address, static_cast<std::uint8_t>(high << 4 | low));
  }

  std::vector<EncodedPdu> out;
  for (std::size_t p = 0; p < parts.size(); ++p) {
    const bool concatenated = parts.size() > 1;
    std::string hex = "00";  // no SMSC here: the modem uses the one on its SIM
    put_hex(hex, static_cast<std::uint8_t>(mti_submit | vpf_relative |
                                           (options.status_report ? srr : 0) |
                                           (concatenated ? udhi : 0)));
    put_hex(hex, 0x00);  // TP-MR: the modem sets it
    hex += address;
    put_hex(hex, 0x00);  // TP-PID
    put_hex(hex, dcs_ucs2);
    put_hex(hex, options.validity_relative);
    const std::size_t header = concatenated ? 6 : 0;
    put_hex(hex, static_cast<std::uint8_t>(header + 2 * parts[p].size()));
    if (concatenated) {
      for (std::uint8_t octet :
           {std::uint8_t{0x05}, std::uint8_t{0x00}, std::uint8_t{0x03}, options.concat_reference,
            static_cast<std::uint8_t>(parts.size()), static_cast<std::uint8_t>(p + 1)}) {
        put_hex(hex, octet);
      }
    }
    for (char16_t unit : parts[p]) {
      put_hex(hex, static_cast<std::uint8_t>(unit >> 8));
      put_hex(hex, static_cast<std::uint8_t>(unit & 0xFF));
    }
    out.push_back(EncodedPdu{hex, hex.size() / 2 - 1});
  }
  return out;
}

std::variant<Submit, PduError> decode_submit(std::string_view hex) {
  if (hex.size() % 2 != 0) return error("odd number of hex digits");
  if (hex.size() > 2 * (1 + 12 + 176)) return error("longer than any SMS-SUBMIT PDU");
  std::vector<std::uint8_t> bytes;
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    auto high = hex_value(hex[i]), low = hex_value(hex[i + 1]);
    if (!high || !low) return error(fmt::format("not a hex digit at {}", i));
    bytes.push_back(static_cast<std::uint8_t>(*high << 4 | *low));
  }
  Octets in(bytes);
  const auto smsc_length = in.next();
  if (!smsc_length || !in.take(*smsc_length)) return error("the SMSC field is cut short");
  const auto first = in.next();
  if (!first) return error("no first octet");
  if ((*first & 0x03) != mti_submit)
    return error(fmt::format("not an SMS-SUBMIT (TP-MTI {})", *first & 0x03));
  Submit s;
  s.status_report = (*first & srr) != 0;
  const auto reference = in.next();
  const auto address_digits = in.next();
  const auto toa = in.next();
  if (!reference || !address_digits || !toa) return error("the destination is cut short");
  s.message_reference = *reference;
  if (*address_digits == 0 || *address_digits > max_address_digits) {
    return error(fmt::format("a destination of {} digits", *address_digits));
  }
  const auto semi_octets = in.take((*address_digits + 1u) / 2);
  if (!semi_octets) return error("the destination is cut short");
  if (*toa == toa_international) s.destination = "+";
  for (std::size_t i = 0; i < *address_digits; ++i) {
    const std::uint8_t octet = (*semi_octets)[i / 2];
    const std::uint8_t digit = i % 2 == 0 ? (octet & 0x0F) : (octet >> 4);
    if (digit > 9) return error("a destination digit that is not 0–9");
    s.destination += static_cast<char>('0' + digit);
  }
  const auto pid = in.next();
  const auto dcs = in.next();
  if (!pid || !dcs) return error("cut short before the data coding");
  s.data_coding = *dcs;
  if (*dcs != dcs_ucs2 && *dcs != dcs_8bit)
    return error(fmt::format("data coding 0x{:02X} is not UCS-2 or 8-bit", *dcs));
  const std::size_t validity = (*first & vpf_mask) == 0              ? 0
                               : (*first & vpf_mask) == vpf_relative ? 1
                                                                     : 7;
  if (!in.take(validity)) return error("the validity period is cut short");
  const auto udl = in.next();
  if (!udl) return error("no user data length");
  if (*udl > user_data_octets)
    return error(fmt::format("{} octets of user data; at most {}", *udl, user_data_octets));
  if (in.left() != *udl)
    return error(fmt::format("user data length {} but {} octets follow", *udl, in.left()));
  auto data = *in.take(*udl);
  if (*first & udhi) {
    if (data.empty() || data[0] + 1u > data.size())
      return error("the user data header is cut short");
    Octets header(data.subspan(1, data[0]));
    while (header.left() > 0) {
      const auto id = header.next();
      const auto length = header.next();
      if (!id || !length) return error("an information element is cut short");
      const auto body = header.take(*length);
      if (!body) return error("an information element is cut short");
      if ((*id == 0x00 && *length == 3) || (*id == 0x08 && *length == 4)) {
        Concatenation c;
        c.reference =
            *id == 0x00 ? (*body)[0] : static_cast<std::uint16_t>((*body)[0] << 8 | (*body)[1]);
        c.total = (*body)[*length - 2];
        c.sequence = (*body)[*length - 1];
        if (c.total == 0 || c.sequence == 0 || c.sequence > c.total) {
          return error(fmt::format("part {} of {}", c.sequence, c.total));
        }
        s.concatenation = c;
      }
    }
    data = data.subspan(data[0] + 1u);
  }
  if (*dcs == dcs_ucs2) {
    if (data.size() % 2 != 0) return error("UCS-2 text of an odd number of octets");
    for (std::size_t i = 0; i < data.size(); i += 2)
      s.text += static_cast<char16_t>(data[i] << 8 | data[i + 1]);
  } else {
    for (auto octet : data) s.text += static_cast<char16_t>(octet);
  }
  return s;
}

}  // namespace halld::sms
