// proto/marketing: the marketing system's WebService (营销系统, SG186-style) as halld calls it —
// SOAP 1.1 over HTTP, one Query operation per kind of record, keyset pages after a watermark
// (docs/marketing.wsdl, docs/protocols/marketing.md). Owns: the requests (with a WS-Security
// username token when the service wants one), the answers read into plain records, and every
// rule about what an answer may hold. Pure: bytes in, records or a clear error out; no I/O, no
// clock, no randomness (the caller brings the token's nonce and time).
// XML is read with pugixml, never by string search; elements are matched by namespace URI and
// local name, whatever prefixes the service chose. A DTD is refused outright, so no entity is
// ever expanded; GBK and GB18030 answers are converted to UTF-8 first.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "halld/records/events.hpp"

namespace halld::proto::marketing {

inline constexpr std::string_view service_namespace = "urn:halld:marketing:v1";
inline constexpr std::string_view soap11_namespace = "http://schemas.xmlsoap.org/soap/envelope/";
inline constexpr std::size_t max_answer_bytes = 32u << 20;
inline constexpr int max_page_size = 5000;

enum class Entity { business_types, halls, clerks, customers, applications };
inline constexpr Entity all_entities[] = {Entity::business_types, Entity::halls, Entity::clerks,
                                          Entity::customers, Entity::applications};
std::string_view entity_name(Entity entity);     // "applications"
std::string_view operation_name(Entity entity);  // "QueryApplications"
std::string soap_action(Entity entity);          // "urn:halld:marketing:v1#QueryApplications"
std::optional<Entity> parse_entity(std::string_view name);

// Where the last page ended: records are ordered by (changed_at, key); the next page starts
// after this pair. Empty: from the beginning.
struct Watermark {
  std::optional<records::Timestamp> changed_at;
  std::string key;
  bool operator==(const Watermark&) const = default;
};

// WS-Security 1.0 UsernameToken (OASIS), with the password as text or as its digest:
// Base64(SHA-1(nonce + created + password)).
struct UsernameToken {
  std::string username;
  std::string password;
  bool digest = true;
  std::string nonce;  // raw bytes (16 random ones)
  records::Timestamp created{};
};

struct PageRequest {
  Entity entity = Entity::applications;
  Watermark after;
  int page_size = 500;
};
// The SOAP envelope of one page's request, UTF-8.
std::string build_request(const PageRequest& request, const std::optional<UsernameToken>& token);

// ---- what the service answers ----
struct HallEntry {
  std::string code, name, city_code, county, address;
  std::string status;  // open, suspended, closed, retired
  records::Timestamp changed_at{};
  bool operator==(const HallEntry&) const = default;
};
struct ClerkEntry {
  std::string staff_no, name, hall_code;
  std::string status;  // active, inactive, retired
  records::Timestamp changed_at{};
  bool operator==(const ClerkEntry&) const = default;
};
struct BusinessTypeEntry {
  std::string code, name;
  std::string channel;  // counter, self_service, both
  records::Timestamp changed_at{};
  bool operator==(const BusinessTypeEntry&) const = default;
};
struct CustomerEntry {
  std::string number, name;
  bool dedicated_transformer = false;  // 专用变压器
  double contract_kva = 0;             // contract capacity
  double annual_kwh = 0;               // last year's consumption
  std::string category;                // resident, small_business, enterprise, unregistered
  records::Timestamp changed_at{};
  bool operator==(const CustomerEntry&) const = default;
};
struct ApplicationEntry {
  std::string number;  // application number (申请编号)
  std::string business, customer, city_code;
  std::string hall_code, staff_no;  // empty for online and mobile applications
  records::Timestamp accepted_at{};
  std::optional<records::Timestamp> finished_at;
  std::string status;   // accepted, in_progress, finished, cancelled
  std::string channel;  // counter, self_service, online, mobile
  records::Timestamp changed_at{};
  bool operator==(const ApplicationEntry&) const = default;
};

// A record of the page that broke a rule: left out, with why, so that one bad record neither
// stops the feed nor passes unseen.
struct RejectedEntry {
  std::string key;  // its key as far as it could be read
  std::string reason;
};

struct Page {
  Entity entity = Entity::applications;
  std::vector<HallEntry> halls;
  std::vector<ClerkEntry> clerks;
  std::vector<BusinessTypeEntry> business_types;
  std::vector<CustomerEntry> customers;
  std::vector<ApplicationEntry> applications;
  std::vector<RejectedEntry> rejected;
  bool more = false;  // the service holds further records after this page
  // Where the next page starts: after the last record of this one, rejected ones included;
  // nullopt when the page was empty.
  std::optional<Watermark> last;
  std::size_t size() const;  // records read, rejected ones included
};

struct AnswerError {
  enum class Kind {
    fault,       // a SOAP Fault: the service refused (fault_code says whose fault)
    malformed,   // not XML, not a SOAP 1.1 envelope, or a DTD
    too_large,   // over max_answer_bytes, or more records than were asked for
    encoding,    // a charset halld cannot read, or bytes invalid in it
    unexpected,  // well-formed, but not the answer to the operation asked
  };
  Kind kind = Kind::malformed;
  std::string message;     // one line for an operator
  std::string fault_code;  // "soap:Client", "wsse:FailedAuthentication" …
};
std::string_view kind_name(AnswerError::Kind kind);  // "fault", "malformed" …

using Answer = std::variant<Page, AnswerError>;
// `content_type` is the HTTP header (its charset= wins over the XML declaration's encoding).
Answer parse_answer(std::string_view body, std::string_view content_type, Entity asked,
                    int page_size);

// The answer a service gives (a page, or a fault), for the simulator and the tests: the same
// schema from the other side. `charset` "UTF-8" or "GBK" (converted as it is written).
std::string build_answer(const Page& page, std::string_view charset = "UTF-8");
std::string build_fault(std::string_view code, std::string_view text);
// The request from the service's side: what was asked, and whose token came with it (nullopt
// when none). Throws std::invalid_argument naming what is wrong.
struct ReadRequest {
  PageRequest request;
  std::optional<UsernameToken> token;  // password holds the digest when digest is set
};
ReadRequest read_request(std::string_view body);
// Whether `token` (as read by read_request) proves `password`.
bool token_matches(const UsernameToken& token, std::string_view password);

}  // namespace halld::proto::marketing
