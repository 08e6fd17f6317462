#include "halld/proto/marketing/soap.hpp"

#include <fmt/format.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <pugixml.hpp>
#include <stdexcept>

#include "halld/core/text.hpp"
#include "halld/records/event_json.hpp"

namespace halld::proto::marketing {
namespace {

constexpr std::string_view wsse_namespace =
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd";
constexpr std::string_view wsu_namespace =
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd";
constexpr std::string_view soap12_namespace = "http://www.w3.org/2003/05/soap-envelope";
constexpr std::string_view password_digest_type =
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#"
    "PasswordDigest";
constexpr std::string_view password_text_type =
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#"
    "PasswordText";
constexpr std::string_view base64_encoding_type =
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0#"
    "Base64Binary";
constexpr std::chrono::hours beijing_offset{8};

struct EntityNames {
  Entity entity;
  std::string_view name, operation, element;
  std::string_view key;  // the field that names a record
};
constexpr EntityNames entity_names[] = {
    {Entity::business_types, "business_types", "QueryBusinessTypes", "businessType", "code"},
    {Entity::halls, "halls", "QueryHalls", "hall", "code"},
    {Entity::clerks, "clerks", "QueryClerks", "clerk", "staffNo"},
    {Entity::customers, "customers", "QueryCustomers", "customer", "customerNo"},
    {Entity::applications, "applications", "QueryApplications", "application", "applicationNo"},
};
const EntityNames& names_of(Entity entity) {
  return *std::find_if(std::begin(entity_names), std::end(entity_names),
                       [entity](const auto& n) { return n.entity == entity; });
}

// ---- text and encodings ----
std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string trim(std::string_view text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return {};
  const auto last = text.find_last_not_of(" \t\r\n");
  return std::string(text.substr(first, last - first + 1));
}

// The charset the HTTP header names, else the XML declaration's encoding, else UTF-8.
std::string charset_of(std::string_view content_type, std::string_view body) {
  const auto header = lower(content_type);
  if (const auto at = header.find("charset="); at != std::string::npos) {
    auto value = header.substr(at + 8);
    value = value.substr(0, value.find(';'));
    std::erase(value, '"');
    return trim(value);
  }
  if (body.starts_with("<?xml")) {
    const auto declaration = lower(body.substr(0, body.find("?>")));
    if (const auto at = declaration.find("encoding=");
        at != std::string::npos && at + 10 < declaration.size()) {
      const char quote = declaration[at + 9];
      const auto end = declaration.find(quote, at + 10);
      if (end != std::string::npos) return declaration.substr(at + 10, end - at - 10);
    }
  }
  return "utf-8";
}

bool is_chinese_charset(std::string_view charset) {
  return charset == "gbk" || charset == "gb2312" || charset == "gb18030" || charset == "cp936" ||
         charset == "x-gbk";
}

// ---- namespaces: pugixml keeps prefixes as written; these resolve them ----
std::string_view local_name(pugi::xml_node node) {
  std::string_view name = node.name();
  const auto colon = name.find(':');
  return colon == std::string_view::npos ? name : name.substr(colon + 1);
}

std::string_view namespace_of(pugi::xml_node node) {
  std::string_view name = node.name();
  const auto colon = name.find(':');
  const std::string attribute =
      colon == std::string_view::npos ? "xmlns" : "xmlns:" + std::string(name.substr(0, colon));
  for (auto n = node; n; n = n.parent()) {
    if (auto a = n.attribute(attribute.c_str())) return a.value();
  }
  return {};
}

bool is(pugi::xml_node node, std::string_view ns, std::string_view local) {
  return node.type() == pugi::node_element && local_name(node) == local && namespace_of(node) == ns;
}

pugi::xml_node child(pugi::xml_node parent, std::string_view ns, std::string_view local) {
  for (auto c : parent.children())
    if (is(c, ns, local)) return c;
  return {};
}

// A field of a record: qualified with the service's namespace or unqualified (services differ
// in elementFormDefault); the first such child's text, trimmed.
std::optional<std::string> field(pugi::xml_node record, std::string_view local) {
  for (auto c : record.children()) {
    if (c.type() != pugi::node_element || local_name(c) != local) continue;
    const auto ns = namespace_of(c);
    if (!ns.empty() && ns != service_namespace) continue;
    return trim(c.child_value());
  }
  return std::nullopt;
}

// ---- values ----
struct BadRecord : std::invalid_argument {
  using std::invalid_argument::invalid_argument;
};

std::string required(pugi::xml_node record, std::string_view name, std::size_t max_bytes = 64) {
  auto value = field(record, name);
  if (!value || value->empty()) throw BadRecord(fmt::format("{} is missing", name));
  if (value->size() > max_bytes)
    throw BadRecord(fmt::format("{} is longer than {} bytes", name, max_bytes));
  if (!is_display_text(*value)) throw BadRecord(fmt::format("{} holds control characters", name));
  return *value;
}

std::string optional_text(pugi::xml_node record, std::string_view name,
                          std::size_t max_bytes = 256) {
  auto value = field(record, name).value_or("");
  if (value.size() > max_bytes)
    throw BadRecord(fmt::format("{} is longer than {} bytes", name, max_bytes));
  if (!is_display_text(value)) throw BadRecord(fmt::format("{} holds control characters", name));
  return value;
}

// A code, a number or a key: letters, digits and - _ . only.
std::string code(pugi::xml_node record, std::string_view name, bool needed = true) {
  auto value = needed ? required(record, name) : optional_text(record, name, 64);
  const bool plain = std::all_of(value.begin(), value.end(), [](unsigned char c) {
    return std::isalnum(c) || c == '-' || c == '_' || c == '.';
  });
  if (!plain) throw BadRecord(fmt::format("{} \"{}\" is not a code", name, value));
  return value;
}

std::string one_of(pugi::xml_node record, std::string_view name,
                   std::initializer_list<std::string_view> allowed) {
  auto value = required(record, name);
  if (std::find(allowed.begin(), allowed.end(), value) == allowed.end()) {
    std::string list;
    for (auto a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
    throw BadRecord(fmt::format("{} \"{}\" is not one of: {}", name, value, list));
  }
  return value;
}

// ISO 8601 with Z or an offset; a time without one (as many such services write) is Beijing
// time; fractions of a second are dropped.
std::optional<records::Timestamp> parse_time_text(std::string text) {
  if (text.size() >= 19 && text[10] == ' ') text[10] = 'T';
  if (const auto dot = text.find('.', 19); dot != std::string::npos && text.size() > 19) {
    auto end = dot + 1;
    while (end < text.size() && std::isdigit(static_cast<unsigned char>(text[end]))) ++end;
    text.erase(dot, end - dot);
  }
  if (text.size() == 19 || text.size() == 16) text += "+08:00";
  if (text.size() < 16 || text[10] != 'T') return std::nullopt;
  auto instant = records::parse_instant(text, beijing_offset);
  if (!instant) return std::nullopt;
  return instant->at;
}

records::Timestamp time_field(pugi::xml_node record, std::string_view name) {
  auto text = required(record, name);
  auto at = parse_time_text(text);
  if (!at) throw BadRecord(fmt::format("{} \"{}\" is not a time", name, text));
  return *at;
}

double number_field(pugi::xml_node record, std::string_view name) {
  const auto text = field(record, name).value_or("");
  if (text.empty()) return 0;
  double value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc{} || end != text.data() + text.size() || !std::isfinite(value) ||
      value < 0 || value > 1e12)
    throw BadRecord(fmt::format("{} \"{}\" is not a number from 0 to 10^12", name, text));
  return value;
}

bool flag_field(pugi::xml_node record, std::string_view name) {
  const auto text = lower(field(record, name).value_or("false"));
  if (text == "true" || text == "1" || text == "y") return true;
  if (text == "false" || text == "0" || text == "n" || text.empty()) return false;
  throw BadRecord(fmt::format("{} \"{}\" is not true or false", name, text));
}

// ---- records ----
HallEntry read_hall(pugi::xml_node n) {
  HallEntry e;
  e.code = code(n, "code");
  e.name = required(n, "name", 128);
  e.city_code = code(n, "cityCode");
  e.county = optional_text(n, "county", 128);
  e.address = optional_text(n, "address");
  e.status = one_of(n, "status", {"open", "suspended", "closed", "retired"});
  e.changed_at = time_field(n, "changedAt");
  return e;
}
ClerkEntry read_clerk(pugi::xml_node n) {
  ClerkEntry e;
  e.staff_no = code(n, "staffNo");
  e.name = required(n, "name", 128);
  e.hall_code = code(n, "hallCode");
  e.status = one_of(n, "status", {"active", "inactive", "retired"});
  e.changed_at = time_field(n, "changedAt");
  return e;
}
BusinessTypeEntry read_business_type(pugi::xml_node n) {
  BusinessTypeEntry e;
  e.code = code(n, "code");
  e.name = required(n, "name", 128);
  e.channel = one_of(n, "channel", {"counter", "self_service", "both"});
  e.changed_at = time_field(n, "changedAt");
  return e;
}
CustomerEntry read_customer(pugi::xml_node n) {
  CustomerEntry e;
  e.number = code(n, "customerNo");
  e.name = required(n, "name", 128);
  e.dedicated_transformer = flag_field(n, "dedicatedTransformer");
  e.contract_kva = number_field(n, "contractCapacityKva");
  e.annual_kwh = number_field(n, "annualConsumptionKwh");
  e.category = one_of(n, "category", {"resident", "small_business", "enterprise", "unregistered"});
  e.changed_at = time_field(n, "changedAt");
  return e;
}
ApplicationEntry read_application(pugi::xml_node n) {
  ApplicationEntry e;
  e.number = code(n, "applicationNo");
  e.business = code(n, "businessCode");
  e.customer = code(n, "customerNo");
  e.city_code = code(n, "cityCode");
  e.channel = one_of(n, "channel", {"counter", "self_service", "online", "mobile"});
  e.hall_code = code(n, "hallCode", false);
  e.staff_no = code(n, "staffNo", false);
  if ((e.channel == "counter") && (e.hall_code.empty() || e.staff_no.empty()))
    throw BadRecord("a counter application needs hallCode and staffNo");
  e.accepted_at = time_field(n, "acceptedAt");
  if (const auto finished = field(n, "finishedAt"); finished && !finished->empty()) {
    e.finished_at = time_field(n, "finishedAt");
    if (*e.finished_at < e.accepted_at) throw BadRecord("finishedAt is before acceptedAt");
  }
  e.status = one_of(n, "status", {"accepted", "in_progress", "finished", "cancelled"});
  e.changed_at = time_field(n, "changedAt");
  return e;
}

void read_record(Page& page, pugi::xml_node n) {
  switch (page.entity) {
    case Entity::business_types:
      page.business_types.push_back(read_business_type(n));
      break;
    case Entity::halls:
      page.halls.push_back(read_hall(n));
      break;
    case Entity::clerks:
      page.clerks.push_back(read_clerk(n));
      break;
    case Entity::customers:
      page.customers.push_back(read_customer(n));
      break;
    case Entity::applications:
      page.applications.push_back(read_application(n));
      break;
  }
}

AnswerError error(AnswerError::Kind kind, std::string message, std::string fault_code = {}) {
  return AnswerError{kind, std::move(message), std::move(fault_code)};
}

// Whether the text holds a character reference to U+0000 ("&#0;", "&#x000;"). XML 1.0 forbids
// it, and pugixml would decode it into its C strings, silently cutting the text there.
bool references_nul(std::string_view text) {
  for (auto at = text.find("&#"); at != std::string_view::npos; at = text.find("&#", at + 2)) {
    auto digits = text.substr(at + 2);
    const bool hex = !digits.empty() && (digits[0] == 'x' || digits[0] == 'X');
    if (hex) digits.remove_prefix(1);
    const auto end = digits.find(';');
    if (end == 0 || end == std::string_view::npos) continue;
    if (digits.substr(0, end).find_first_not_of('0') == std::string_view::npos) return true;
  }
  return false;
}

// Parses UTF-8 XML without a DTD; the message of why not, or nothing.
std::optional<std::string> load(pugi::xml_document& document, std::string_view utf8) {
  if (references_nul(utf8)) return std::string("a character reference to U+0000");
  const auto result = document.load_buffer(
      utf8.data(), utf8.size(), pugi::parse_default | pugi::parse_doctype, pugi::encoding_utf8);
  if (!result)
    return fmt::format("not well-formed XML at byte {}: {}", result.offset, result.description());
  for (auto n : document.children())
    if (n.type() == pugi::node_doctype) return std::string("a DTD is not accepted");
  return std::nullopt;
}

std::string save(const pugi::xml_document& document) {
  struct Writer : pugi::xml_writer {
    std::string out;
    void write(const void* data, std::size_t size) override {
      out.append(static_cast<const char*>(data), size);
    }
  } writer;
  document.save(writer, "", pugi::format_raw | pugi::format_no_declaration, pugi::encoding_utf8);
  return R"(<?xml version="1.0" encoding="UTF-8"?>)" + writer.out;
}

pugi::xml_node envelope_body(pugi::xml_document& document, bool with_header) {
  auto envelope = document.append_child("soap:Envelope");
  envelope.append_attribute("xmlns:soap") = std::string(soap11_namespace).c_str();
  if (with_header) envelope.append_child("soap:Header");
  return envelope.append_child("soap:Body");
}

void add_text(pugi::xml_node parent, const char* name, std::string_view text) {
  parent.append_child(name).text() = std::string(text).c_str();
}

std::string base64(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(bytes.data()),
                                static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

std::optional<std::string> unbase64(std::string_view text) {
  if (text.size() % 4 != 0 || text.size() > 1024) return std::nullopt;
  std::string out(3 * text.size() / 4 + 1, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(text.data()),
                                static_cast<int>(text.size()));
  if (n < 0) return std::nullopt;
  auto size = static_cast<std::size_t>(n);
  for (auto it = text.rbegin(); it != text.rend() && *it == '='; ++it) --size;  // padding
  out.resize(size);
  return out;
}

std::string password_digest(std::string_view nonce, std::string_view created,
                            std::string_view password) {
  const std::string input = std::string(nonce) + std::string(created) + std::string(password);
  unsigned char hash[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(input.data()), input.size(), hash);
  return base64(std::string_view(reinterpret_cast<const char*>(hash), sizeof hash));
}

}  // namespace

std::string_view entity_name(Entity entity) {
  return names_of(entity).name;
}
std::string_view operation_name(Entity entity) {
  return names_of(entity).operation;
}
std::string soap_action(Entity entity) {
  return fmt::format("{}#{}", service_namespace, operation_name(entity));
}
std::optional<Entity> parse_entity(std::string_view name) {
  for (const auto& n : entity_names)
    if (n.name == name) return n.entity;
  return std::nullopt;
}

std::string_view kind_name(AnswerError::Kind kind) {
  switch (kind) {
    case AnswerError::Kind::fault:
      return "fault";
    case AnswerError::Kind::malformed:
      return "malformed";
    case AnswerError::Kind::too_large:
      return "too_large";
    case AnswerError::Kind::encoding:
      return "encoding";
    case AnswerError::Kind::unexpected:
      return "unexpected";
  }
  return "malformed";
}

std::size_t Page::size() const {
  return halls.size() + clerks.size() + business_types.size() + customers.size() +
         applications.size() + rejected.size();
}

std::string build_request(const PageRequest& request, const std::optional<UsernameToken>& token) {
  pugi::xml_document document;
  auto body = envelope_body(document, token.has_value());
  if (token) {
    auto security = document.first_child().child("soap:Header").append_child("wsse:Security");
    security.append_attribute("xmlns:wsse") = std::string(wsse_namespace).c_str();
    security.append_attribute("xmlns:wsu") = std::string(wsu_namespace).c_str();
    security.append_attribute("soap:mustUnderstand") = "1";
    auto username_token = security.append_child("wsse:UsernameToken");
    add_text(username_token, "wsse:Username", token->username);
    const auto created = records::iso8601(token->created);
    auto password = username_token.append_child("wsse:Password");
    if (token->digest) {
      password.append_attribute("Type") = std::string(password_digest_type).c_str();
      password.text() = password_digest(token->nonce, created, token->password).c_str();
    } else {
      password.append_attribute("Type") = std::string(password_text_type).c_str();
      password.text() = token->password.c_str();
    }
    auto nonce = username_token.append_child("wsse:Nonce");
    nonce.append_attribute("EncodingType") = std::string(base64_encoding_type).c_str();
    nonce.text() = base64(token->nonce).c_str();
    add_text(username_token, "wsu:Created", created);
  }
  auto query = body.append_child(fmt::format("m:{}", operation_name(request.entity)).c_str());
  query.append_attribute("xmlns:m") = std::string(service_namespace).c_str();
  if (request.after.changed_at) {
    add_text(query, "m:changedAfter", records::iso8601(*request.after.changed_at));
    add_text(query, "m:afterKey", request.after.key);
  }
  add_text(query, "m:pageSize", std::to_string(request.page_size));
  return save(document);
}

Answer parse_answer(std::string_view body, std::string_view content_type, Entity asked,
                    int page_size) {
  using Kind = AnswerError::Kind;
  if (body.size() > max_answer_bytes)
    return error(Kind::too_large, fmt::format("the answer is {} bytes, more than {}", body.size(),
                                              max_answer_bytes));
  const auto charset = charset_of(content_type, body);
  std::string converted;
  if (is_chinese_charset(charset)) {
    auto utf8 = convert_charset(body, "UTF-8", "GB18030");
    if (!utf8) return error(Kind::encoding, fmt::format("bytes invalid in {}", charset));
    converted = std::move(*utf8);
    body = converted;
  } else if (charset != "utf-8" && charset != "utf8") {
    return error(Kind::encoding, fmt::format("charset \"{}\" is not UTF-8, GBK or GB18030",
                                             printable_excerpt(charset, 40)));
  } else if (!is_valid_utf8(body)) {
    return error(Kind::encoding, "bytes invalid in UTF-8");
  }

  pugi::xml_document document;
  if (auto problem = load(document, body)) return error(Kind::malformed, *problem);
  auto envelope = document.document_element();
  if (local_name(envelope) == "Envelope" && namespace_of(envelope) == soap12_namespace)
    return error(Kind::malformed, "a SOAP 1.2 envelope; the service must answer in SOAP 1.1");
  if (!is(envelope, soap11_namespace, "Envelope"))
    return error(Kind::malformed, "not a SOAP 1.1 envelope");
  auto soap_body = child(envelope, soap11_namespace, "Body");
  if (!soap_body) return error(Kind::malformed, "the envelope has no Body");
  auto content =
      soap_body.find_child([](pugi::xml_node n) { return n.type() == pugi::node_element; });
  if (!content) return error(Kind::unexpected, "the Body is empty");
  if (is(content, soap11_namespace, "Fault")) {
    const auto fault_code = printable_excerpt(trim(content.child_value("faultcode")), 100);
    const auto fault_text = printable_excerpt(trim(content.child_value("faultstring")), 300);
    return error(Kind::fault, fmt::format("SOAP Fault {}: {}", fault_code, fault_text), fault_code);
  }
  const auto& names = names_of(asked);
  const auto expected = fmt::format("{}Response", names.operation);
  if (!is(content, service_namespace, expected))
    return error(Kind::unexpected,
                 fmt::format("answered <{}> ({}), not {}", printable_excerpt(content.name(), 60),
                             printable_excerpt(namespace_of(content), 60), expected));

  Page page;
  page.entity = asked;
  for (auto n : content.children()) {
    if (n.type() != pugi::node_element) continue;
    const auto ns = namespace_of(n);
    if (!ns.empty() && ns != service_namespace) continue;
    if (local_name(n) == "more") {
      const auto more = lower(trim(n.child_value()));
      page.more = more == "true" || more == "1";
      continue;
    }
    if (local_name(n) != names.element) continue;
    if (page.size() >= static_cast<std::size_t>(page_size))
      return error(Kind::too_large,
                   fmt::format("more than the {} records asked for in one page", page_size));
    const auto key = printable_excerpt(field(n, names.key).value_or(""), 64);
    const auto changed = field(n, "changedAt");
    const auto changed_at = changed ? parse_time_text(*changed) : std::nullopt;
    try {
      read_record(page, n);
    } catch (const BadRecord& e) {
      page.rejected.push_back({key, printable_excerpt(e.what(), 300)});
    }
    // Keys the service sorted by: a record without a readable change time cannot move the
    // watermark, and one that moves it backwards means the service does not page as agreed.
    if (changed_at) {
      Watermark here{changed_at, key};
      if (page.last &&
          (std::tie(*here.changed_at, here.key) < std::tie(*page.last->changed_at, page.last->key)))
        return error(Kind::unexpected, fmt::format("records out of order at \"{}\"", key));
      page.last = std::move(here);
    }
  }
  return page;
}

std::string build_answer(const Page& page, std::string_view charset) {
  pugi::xml_document document;
  auto body = envelope_body(document, false);
  const auto& names = names_of(page.entity);
  auto response = body.append_child(fmt::format("m:{}Response", names.operation).c_str());
  response.append_attribute("xmlns:m") = std::string(service_namespace).c_str();
  add_text(response, "m:more", page.more ? "true" : "false");
  const auto element = fmt::format("m:{}", names.element);
  auto record = [&] { return response.append_child(element.c_str()); };
  auto put = [](pugi::xml_node n, const char* name, std::string_view text) {
    add_text(n, fmt::format("m:{}", name).c_str(), text);
  };
  auto time = [](records::Timestamp t) { return records::iso8601(t); };
  for (const auto& e : page.business_types) {
    auto n = record();
    put(n, "code", e.code), put(n, "name", e.name), put(n, "channel", e.channel);
    put(n, "changedAt", time(e.changed_at));
  }
  for (const auto& e : page.halls) {
    auto n = record();
    put(n, "code", e.code), put(n, "name", e.name), put(n, "cityCode", e.city_code);
    put(n, "county", e.county), put(n, "address", e.address), put(n, "status", e.status);
    put(n, "changedAt", time(e.changed_at));
  }
  for (const auto& e : page.clerks) {
    auto n = record();
    put(n, "staffNo", e.staff_no), put(n, "name", e.name), put(n, "hallCode", e.hall_code);
    put(n, "status", e.status), put(n, "changedAt", time(e.changed_at));
  }
  for (const auto& e : page.customers) {
    auto n = record();
    put(n, "customerNo", e.number), put(n, "name", e.name);
    put(n, "dedicatedTransformer", e.dedicated_transformer ? "true" : "false");
    put(n, "contractCapacityKva", fmt::format("{}", e.contract_kva));
    put(n, "annualConsumptionKwh", fmt::format("{}", e.annual_kwh));
    put(n, "category", e.category), put(n, "changedAt", time(e.changed_at));
  }
  for (const auto& e : page.applications) {
    auto n = record();
    put(n, "applicationNo", e.number), put(n, "businessCode", e.business);
    put(n, "customerNo", e.customer), put(n, "cityCode", e.city_code);
    put(n, "hallCode", e.hall_code), put(n, "staffNo", e.staff_no);
    put(n, "acceptedAt", time(e.accepted_at));
    put(n, "finishedAt", e.finished_at ? time(*e.finished_at) : "");
    put(n, "status", e.status), put(n, "channel", e.channel);
    put(n, "changedAt", time(e.changed_at));
  }
  auto utf8 = save(document);
  if (lower(charset) == "utf-8") return utf8;
  utf8.replace(0, utf8.find("?>") + 2, R"(<?xml version="1.0" encoding="GBK"?>)");
  auto converted = convert_charset(utf8, "GB18030", "UTF-8");
  if (!converted) throw std::invalid_argument("text not representable in GBK");
  return std::move(*converted);
}

std::string build_fault(std::string_view code, std::string_view text) {
  pugi::xml_document document;
  auto fault = envelope_body(document, false).append_child("soap:Fault");
  add_text(fault, "faultcode", code);
  add_text(fault, "faultstring", text);
  return save(document);
}

ReadRequest read_request(std::string_view body) {
  if (!is_valid_utf8(body)) throw std::invalid_argument("the request is not UTF-8");
  pugi::xml_document document;
  if (auto problem = load(document, body)) throw std::invalid_argument(*problem);
  auto envelope = document.document_element();
  if (!is(envelope, soap11_namespace, "Envelope"))
    throw std::invalid_argument("not a SOAP 1.1 envelope");
  ReadRequest read;
  if (auto security =
          child(child(envelope, soap11_namespace, "Header"), wsse_namespace, "Security")) {
    auto username_token = child(security, wsse_namespace, "UsernameToken");
    UsernameToken token;
    token.username = trim(child(username_token, wsse_namespace, "Username").child_value());
    auto password = child(username_token, wsse_namespace, "Password");
    token.digest = std::string_view(password.attribute("Type").value()) == password_digest_type;
    token.password = trim(password.child_value());
    token.nonce =
        unbase64(trim(child(username_token, wsse_namespace, "Nonce").child_value())).value_or("");
    auto created =
        parse_time_text(trim(child(username_token, wsu_namespace, "Created").child_value()));
    if (!created) throw std::invalid_argument("the token has no Created time");
    token.created = *created;
    read.token = std::move(token);
  }
  auto content = child(envelope, soap11_namespace, "Body").find_child([](pugi::xml_node n) {
    return n.type() == pugi::node_element;
  });
  const auto operation = local_name(content);
  const auto* names = std::find_if(std::begin(entity_names), std::end(entity_names),
                                   [&](const auto& n) { return n.operation == operation; });
  if (names == std::end(entity_names) || namespace_of(content) != service_namespace)
    throw std::invalid_argument(fmt::format("no operation {}", printable_excerpt(operation, 60)));
  read.request.entity = names->entity;
  if (auto after = field(content, "changedAfter"); after && !after->empty()) {
    read.request.after.changed_at = parse_time_text(*after);
    if (!read.request.after.changed_at) throw std::invalid_argument("changedAfter is not a time");
    read.request.after.key = field(content, "afterKey").value_or("");
  }
  const auto size = field(content, "pageSize").value_or("100");
  int page_size = 0;
  const auto [end, problem] = std::from_chars(size.data(), size.data() + size.size(), page_size);
  if (problem != std::errc{} || end != size.data() + size.size() || page_size < 1 ||
      page_size > max_page_size)
    throw std::invalid_argument(fmt::format("pageSize must be 1 to {}", max_page_size));
  read.request.page_size = page_size;
  return read;
}

bool token_matches(const UsernameToken& token, std::string_view password) {
  if (!token.digest) return token.password == password;
  return token.password == password_digest(token.nonce, records::iso8601(token.created), password);
}

}  // namespace halld::proto::marketing
