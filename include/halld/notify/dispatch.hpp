// notify/dispatch: who is told of which alarm, when, and in how many texts. Contacts are chosen
// by the area they cover (a hall, a city, the province), the lowest severity they want and
// their quiet hours; an alarm nobody acknowledges climbs the escalation chain (level 1 the hall,
// 2 the city's operations, 3 the province) every `escalate_after`; each recipient's texts are
// grouped over `group_window` and limited per hour, so a storm becomes a digest or two.
// Owns: recipients, escalation timing, grouping and rate limits. Pure, on the caller's clock.
// Must not touch: storage, SMS channels (the caller sends what due() returns), alarm rules.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "halld/notify/message.hpp"

namespace halld::notify {

struct Contact {
  int id = 0;
  std::string name;
  std::string phone;
  int level = 1;          // on the escalation chain: 1 hall, 2 city, 3 province
  std::string city_code;  // empty: the whole province
  std::string hall_code;  // empty: every hall of the city (or province)
  Severity min_severity = Severity::warning;
  // Local minutes of the day [from, until) in which only critical alarms are sent; may wrap
  // midnight.
  std::optional<std::pair<int, int>> quiet;
  std::uint8_t duty_days = 0x7f;  // local weekdays on duty: bit 0 Monday … bit 6 Sunday
};

struct DispatchPolicy {
  std::chrono::seconds escalate_after{10 * 60};
  int top_level = 3;
  std::chrono::seconds group_window{60};  // texts to one recipient wait this long for company
  int texts_per_hour = 6;          // per recipient; what waits beyond goes in the next digest
  std::size_t max_units = 2 * 67;  // a digest fills at most two SMS parts
  std::string text_template = std::string(default_template);
  std::string state_template = std::string(default_state_template);
};

// An alarm transition to tell.
struct AlarmNotice {
  std::int64_t alarm_id = 0;
  std::string city_code;
  std::string hall_code;
  AlarmFacts facts;
};

struct Outgoing {
  int contact_id = 0;
  std::string phone;
  std::string text;
  std::vector<std::int64_t> alarm_ids;  // what the text reports
};

// A text not about one alarm (an emergency's suggestion or escalation, a work order) for the
// contacts at `level` who cover the hall.
struct DirectText {
  std::string city_code;
  std::string hall_code;
  int level = 1;
  std::string text;
};

class Dispatcher {
 public:
  Dispatcher(DispatchPolicy policy, std::vector<Contact> contacts);

  // New contacts (edited by operators); alarms open and texts waiting stay.
  void set_contacts(std::vector<Contact> contacts);

  void notify(const AlarmNotice& notice, Timestamp now);
  // Stops the alarm's escalation (it is being handled).
  void acknowledged(std::int64_t alarm_id);
  // An alarm raised before a restart: nobody is told again now, those its escalation has
  // reached by `now` count as told (they will hear of its clearing), and it climbs on from there
  // unless acknowledged.
  void adopt(const AlarmNotice& raised, Timestamp raised_at, bool acknowledged, Timestamp now);
  // The texts of a direct message, at once: to the contacts at its level covering its hall and
  // on duty today (quiet hours do not hold it back: it asks for action).
  std::vector<Outgoing> direct(const DirectText& text, Timestamp now) const;
  // The texts to send now; escalations fall due here too.
  std::vector<Outgoing> due(Timestamp now);

 private:
  struct Open {
    AlarmNotice raised;
    int level = 1;
    Timestamp next_escalation{};
    std::set<int> told;  // contacts that were told of it: they hear of its clearing
  };
  struct Inbox {
    std::deque<AlarmNotice> pending;
    std::optional<Timestamp> waiting_since;
    std::deque<Timestamp> sent;  // within the last hour
  };
  bool covers(const Contact& c, const AlarmNotice& n, Timestamp now) const;
  void tell(const Contact& c, const AlarmNotice& n, Timestamp now);
  void tell_level(Open& open, Timestamp now);

  DispatchPolicy policy_;
  std::vector<Contact> contacts_;
  std::map<std::int64_t, Open> open_;
  std::map<int, Inbox> inboxes_;  // by contact id
};

}  // namespace halld::notify
