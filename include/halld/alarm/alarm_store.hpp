// alarm/alarm_store: the alarms and their transitions (sql/0010_alarms.sql) as halld writes and
// reads them, and the API's queries over that record. Owns: that SQL (parameterised, each
// function one transaction of the caller's).
// Must not touch: the lifecycle (alarm/engine decides transitions), HTTP.
#pragma once

#include <pqxx/pqxx>
#include <variant>

#include "halld/alarm/engine.hpp"

namespace halld::alarm {

// The alarms not closed, with their halls' codes, names and cities (the offset is the caller's).
std::vector<Alarm> load_standing(pqxx::transaction_base& tx);
std::int64_t max_alarm_id(pqxx::transaction_base& tx);
// The code of the hall an alarm (closed or not) is about; nullopt when there is no such alarm.
std::optional<std::string> hall_of_alarm(pqxx::transaction_base& tx, std::int64_t alarm_id);
// The alarm as it now stands (inserted or replaced whole) and the transition that made it so.
void write_transition(pqxx::transaction_base& tx, const Alarm& alarm, Change change, Timestamp at,
                      std::optional<double> value, const std::string& actor,
                      const std::string& note);

}  // namespace halld::alarm

namespace halld::alarm {

// Queries of the API over the stored record (closed alarms included).
struct AlarmFilter {
  std::vector<std::string> states;  // empty: any
  std::string severity;             // warning, critical or empty
  std::string city_code;
  std::string hall_code;
  std::string kind;
  Timestamp from{};
  Timestamp until{};
  int limit = 100;
  int offset = 0;
};
nlohmann::json list_alarms(pqxx::transaction_base& tx, const AlarmFilter& filter);
// The alarm with every transition, or null.
nlohmann::json alarm_history(pqxx::transaction_base& tx, std::int64_t id);
// Counts by `group` (kind, rule, hall, city, severity or day) over alarms raised in the range, with
// mean minutes to acknowledge and to clear.
nlohmann::json alarm_statistics(pqxx::transaction_base& tx, const AlarmFilter& filter,
                                std::string_view group);
// Fault alarms per terminal and per component type over the range: failures, downtime, MTTR and
// MTBF (the time up between failures: the range less downtime, over the failures).
nlohmann::json terminal_reliability(pqxx::transaction_base& tx, const AlarmFilter& filter);

}  // namespace halld::alarm
