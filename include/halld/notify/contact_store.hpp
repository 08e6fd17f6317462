// notify/contact_store: the people alarms are texted to (table contact of sql/0010_alarms.sql) as
// halld reads and writes them, and their JSON form in the API. Owns: that SQL (parameterised,
// each function one transaction of the caller's) and the validation of contacts arriving as JSON.
// Must not touch: who is told when (notify/dispatch), HTTP.
#pragma once

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>
#include <string>
#include <variant>
#include <vector>

#include "halld/notify/dispatch.hpp"

namespace halld::notify {

std::vector<Contact> load_contacts(pqxx::transaction_base& tx);  // enabled ones
nlohmann::json to_json(const Contact& contact);
std::variant<Contact, std::string> contact_from_json(const nlohmann::json& body);
int insert_contact(pqxx::transaction_base& tx, const Contact& contact);
bool update_contact(pqxx::transaction_base& tx, const Contact& contact);
bool delete_contact(pqxx::transaction_base& tx, int id);

}  // namespace halld::notify
