#include "halld/notify/dispatch.hpp"

#include <algorithm>

namespace halld::notify {

Dispatcher::Dispatcher(DispatchPolicy policy, std::vector<Contact> contacts)
    : policy_(std::move(policy)), contacts_(std::move(contacts)) {}

bool Dispatcher::covers(const Contact& c, const AlarmNotice& n, Timestamp now) const {
  if (!c.city_code.empty() && c.city_code != n.city_code) return false;
  if (!c.hall_code.empty() && c.hall_code != n.hall_code) return false;
  if (n.facts.severity < c.min_severity) return false;
  const auto local = now + n.facts.utc_offset;
  const auto weekday =
      std::chrono::weekday(std::chrono::floor<std::chrono::days>(local)).iso_encoding() - 1;
  if ((c.duty_days & (1u << weekday)) == 0) return false;
  if (c.quiet && n.facts.severity != Severity::critical) {
    const int minute =
        static_cast<int>((local - std::chrono::floor<std::chrono::days>(local)).count() / 60);
    const auto [from, until] = *c.quiet;
    const bool quiet =
        from <= until ? (minute >= from && minute < until) : (minute >= from || minute < until);
    if (quiet) return false;
  }
  return true;
}

std::vector<Outgoing> Dispatcher::direct(const DirectText& text, Timestamp now) const {
  AlarmNotice area;
  area.city_code = text.city_code;
  area.hall_code = text.hall_code;
  area.facts.severity = Severity::critical;
  std::vector<Outgoing> out;
  for (const auto& c : contacts_) {
    if (c.level == text.level && covers(c, area, now))
      out.push_back({c.id, c.phone, text.text, {}});
  }
  return out;
}

void Dispatcher::set_contacts(std::vector<Contact> contacts) {
  contacts_ = std::move(contacts);
}

void Dispatcher::tell(const Contact& c, const AlarmNotice& n, Timestamp now) {
  auto& inbox = inboxes_[c.id];
  inbox.pending.push_back(n);
  if (!inbox.waiting_since) inbox.waiting_since = now;
}

void Dispatcher::tell_level(Open& open, Timestamp now) {
  for (const auto& c : contacts_) {
    if (c.level != open.level || open.told.contains(c.id) || !covers(c, open.raised, now)) continue;
    tell(c, open.raised, now);
    open.told.insert(c.id);
  }
}

void Dispatcher::notify(const AlarmNotice& notice, Timestamp now) {
  if (notice.facts.kind == Transition::Kind::clear) {
    auto it = open_.find(notice.alarm_id);
    if (it == open_.end()) return;  // nobody was told of it
    for (const auto& c : contacts_) {
      if (it->second.told.contains(c.id)) tell(c, notice, now);
    }
    open_.erase(it);
    return;
  }
  auto [it, fresh] = open_.try_emplace(notice.alarm_id);
  auto& open = it->second;
  open.raised = notice;
  if (fresh) {
    open.level = 1;
    open.next_escalation = now + policy_.escalate_after;
    tell_level(open, now);
  } else {  // escalated in severity: those already told hear of it, and those it now reaches
    for (const auto& c : contacts_) {
      if (open.told.contains(c.id) && covers(c, notice, now)) tell(c, notice, now);
    }
    tell_level(open, now);
  }
}

void Dispatcher::acknowledged(std::int64_t alarm_id) {
  if (auto it = open_.find(alarm_id); it != open_.end())
    it->second.next_escalation = Timestamp::max();
}

void Dispatcher::adopt(const AlarmNotice& raised, Timestamp raised_at, bool acknowledged,
                       Timestamp now) {
  auto& open = open_[raised.alarm_id];
  open.raised = raised;
  const auto steps =
      policy_.escalate_after.count() > 0 ? (now - raised_at) / policy_.escalate_after : 0;
  open.level = static_cast<int>(std::min<std::int64_t>(policy_.top_level, 1 + steps));
  open.next_escalation =
      acknowledged ? Timestamp::max() : raised_at + policy_.escalate_after * open.level;
  for (const auto& c : contacts_) {
    if (c.level <= open.level && covers(c, raised, now)) open.told.insert(c.id);
  }
}

std::vector<Outgoing> Dispatcher::due(Timestamp now) {
  for (auto& [id, open] : open_) {
    while (open.next_escalation <= now && open.level < policy_.top_level) {
      ++open.level;
      open.next_escalation += policy_.escalate_after;
      tell_level(open, now);
    }
  }
  std::vector<Outgoing> out;
  for (const auto& c : contacts_) {
    auto it = inboxes_.find(c.id);
    if (it == inboxes_.end() || it->second.pending.empty()) continue;
    auto& inbox = it->second;
    while (!inbox.sent.empty() && inbox.sent.front() <= now - std::chrono::hours(1))
      inbox.sent.pop_front();
    if (now - *inbox.waiting_since < policy_.group_window) continue;
    if (static_cast<int>(inbox.sent.size()) >= policy_.texts_per_hour)
      continue;  // waits for the next digest
    Outgoing o;
    o.contact_id = c.id;
    o.phone = c.phone;
    const std::vector<AlarmNotice> notices(inbox.pending.begin(), inbox.pending.end());
    if (notices.size() == 1) {
      const auto& facts = notices.front().facts;
      o.text = render(facts.has_value ? policy_.text_template : policy_.state_template, facts);
    } else {
      std::vector<AlarmFacts> facts;
      for (const auto& n : notices) facts.push_back(n.facts);
      o.text = digest(facts, policy_.max_units);
    }
    for (const auto& n : notices) o.alarm_ids.push_back(n.alarm_id);
    inbox.pending.clear();
    inbox.waiting_since.reset();
    inbox.sent.push_back(now);
    out.push_back(std::move(o));
  }
  return out;
}

}  // namespace halld::notify
