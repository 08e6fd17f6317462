#include "halld/notify/contact_store.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

#include "halld/records/json_fields.hpp"

namespace halld::notify {
namespace {

using nlohmann::json;
using records::take;

std::optional<int> minute_of_day(const json& v) {
  if (!v.is_string()) return std::nullopt;
  const auto text = v.get<std::string>();
  if (text.size() != 5 || text[2] != ':') return std::nullopt;
  if (!std::isdigit(static_cast<unsigned char>(text[0])) ||
      !std::isdigit(static_cast<unsigned char>(text[1])) ||
      !std::isdigit(static_cast<unsigned char>(text[3])) ||
      !std::isdigit(static_cast<unsigned char>(text[4]))) {
    return std::nullopt;
  }
  const int h = (text[0] - '0') * 10 + (text[1] - '0');
  const int m = (text[3] - '0') * 10 + (text[4] - '0');
  if (h > 23 || m > 59) return std::nullopt;
  return h * 60 + m;
}

std::string clock_text(int minute) {
  return fmt::format("{:02}:{:02}", minute / 60, minute % 60);
}

bool valid_phone(const std::string& phone) {
  const std::size_t start = !phone.empty() && phone[0] == '+' ? 1 : 0;
  const std::size_t digits = phone.size() - start;
  return digits >= 5 && digits <= 20 &&
         std::all_of(phone.begin() + static_cast<std::ptrdiff_t>(start), phone.end(),
                     [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

std::vector<Contact> load_contacts(pqxx::transaction_base& tx) {
  std::vector<Contact> contacts;
  for (const auto& row :
       tx.exec("SELECT id, name, phone, level, city_code, hall_code, min_severity, duty_days, "
               "quiet_from, quiet_until FROM contact WHERE enabled ORDER BY id")) {
    Contact c;
    c.id = row[0].as<int>();
    c.name = row[1].as<std::string>();
    c.phone = row[2].as<std::string>();
    c.level = row[3].as<int>();
    c.city_code = row[4].as<std::string>();
    c.hall_code = row[5].as<std::string>();
    c.min_severity = row[6].as<int>() == 2 ? Severity::critical : Severity::warning;
    c.duty_days = static_cast<std::uint8_t>(row[7].as<int>());
    if (!row[8].is_null()) c.quiet = std::pair(row[8].as<int>(), row[9].as<int>());
    contacts.push_back(std::move(c));
  }
  return contacts;
}

json to_json(const Contact& c) {
  json j{{"id", c.id},
         {"name", c.name},
         {"phone", c.phone},
         {"level", c.level},
         {"city", c.city_code},
         {"hall", c.hall_code},
         {"min_severity", c.min_severity == Severity::critical ? "critical" : "warning"},
         {"duty_days", c.duty_days}};
  j["quiet_from"] = c.quiet ? json(clock_text(c.quiet->first)) : json(nullptr);
  j["quiet_until"] = c.quiet ? json(clock_text(c.quiet->second)) : json(nullptr);
  return j;
}

std::variant<Contact, std::string> contact_from_json(const json& body) {
  if (!body.is_object()) return std::string("the body must be a JSON object");
  Contact c;
  std::string severity = "warning";
  int duty = c.duty_days;
  for (auto problem :
       {take(body, "name", c.name), take(body, "phone", c.phone), take(body, "level", c.level),
        take(body, "city", c.city_code), take(body, "hall", c.hall_code),
        take(body, "min_severity", severity), take(body, "duty_days", duty)}) {
    if (problem) return *problem;
  }
  if (c.name.empty() || c.name.size() > 100)
    return std::string("a contact needs a name of at most 100 bytes");
  if (!valid_phone(c.phone))
    return std::string("'phone' must be 5 to 20 digits, optionally after a '+'");
  if (c.level < 1 || c.level > 9) return std::string("'level' must be 1 to 9");
  if (duty < 0 || duty > 127) return std::string("'duty_days' is a mask of weekdays, 0 to 127");
  c.duty_days = static_cast<std::uint8_t>(duty);
  if (severity != "warning" && severity != "critical")
    return std::string("'min_severity' must be warning or critical");
  c.min_severity = severity == "critical" ? Severity::critical : Severity::warning;
  const bool has_from = body.contains("quiet_from") && !body["quiet_from"].is_null();
  const bool has_until = body.contains("quiet_until") && !body["quiet_until"].is_null();
  if (has_from != has_until)
    return std::string("quiet hours need both 'quiet_from' and 'quiet_until'");
  if (has_from) {
    auto from = minute_of_day(body["quiet_from"]);
    auto until = minute_of_day(body["quiet_until"]);
    if (!from || !until) return std::string("quiet hours are local times \"HH:MM\"");
    c.quiet = std::pair(*from, *until);
  }
  return c;
}

int insert_contact(pqxx::transaction_base& tx, const Contact& c) {
  return tx
      .exec_params1(
          "INSERT INTO contact (name, phone, level, city_code, hall_code, min_severity, duty_days, "
          "quiet_from, "
          "quiet_until) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
          c.name, c.phone, c.level, c.city_code, c.hall_code, static_cast<int>(c.min_severity),
          static_cast<int>(c.duty_days), c.quiet ? std::optional(c.quiet->first) : std::nullopt,
          c.quiet ? std::optional(c.quiet->second) : std::nullopt)[0]
      .as<int>();
}

bool update_contact(pqxx::transaction_base& tx, const Contact& c) {
  return tx.exec_params(
               "UPDATE contact SET name = $2, phone = $3, level = $4, city_code = $5, hall_code = "
               "$6, "
               "min_severity = $7, duty_days = $8, quiet_from = $9, quiet_until = $10 WHERE id = "
               "$1",
               c.id, c.name, c.phone, c.level, c.city_code, c.hall_code,
               static_cast<int>(c.min_severity), static_cast<int>(c.duty_days),
               c.quiet ? std::optional(c.quiet->first) : std::nullopt,
               c.quiet ? std::optional(c.quiet->second) : std::nullopt)
             .affected_rows() == 1;
}

bool delete_contact(pqxx::transaction_base& tx, int id) {
  return tx.exec_params("DELETE FROM contact WHERE id = $1", id).affected_rows() == 1;
}

}  // namespace halld::notify
