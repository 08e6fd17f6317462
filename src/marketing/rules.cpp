#include "halld/marketing/rules.hpp"

#include <algorithm>
#include <map>

namespace halld::marketing {

records::CustomerClassCode classify(const proto::marketing::CustomerEntry& customer,
                                    const ClassThresholds& thresholds) {
  using Code = records::CustomerClassCode;
  if (customer.category == "unregistered") return Code::potential;
  if (customer.dedicated_transformer) return Code::premium;
  if (customer.category == "enterprise" &&
      (customer.annual_kwh >= thresholds.premium_annual_kwh ||
       customer.contract_kva >= thresholds.premium_contract_kva))
    return Code::premium;
  return Code::general;
}

std::string_view class_name(records::CustomerClassCode code) {
  switch (code) {
    case records::CustomerClassCode::premium:
      return "premium";
    case records::CustomerClassCode::potential:
      return "potential";
    default:
      return "general";
  }
}

std::vector<Linked> link_applications(const std::vector<Handled>& applications,
                                      const std::vector<TicketService>& services,
                                      const LinkOptions& options) {
  std::multimap<std::string, std::size_t> by_clerk;
  for (std::size_t i = 0; i < services.size(); ++i) by_clerk.emplace(services[i].staff_no, i);
  std::vector<Linked> linked(applications.size());
  std::vector<double> overlaps(applications.size(), 0);
  for (std::size_t a = 0; a < applications.size(); ++a) {
    const auto& application = applications[a];
    std::optional<std::size_t> best;
    std::chrono::seconds best_overlap{};
    std::chrono::seconds best_distance{};
    auto [first, last] = by_clerk.equal_range(application.staff_no);
    for (auto it = first; it != last; ++it) {
      const auto& service = services[it->second];
      // Negative: the gap between the two spans, acceptable up to the tolerance.
      const auto overlap = std::min(application.finished, service.finished) -
                           std::max(application.accepted, service.started);
      if (overlap < -options.tolerance) continue;
      const auto distance = application.accepted > service.started
                                ? application.accepted - service.started
                                : service.started - application.accepted;
      if (!best || overlap > best_overlap ||
          (overlap == best_overlap && distance < best_distance)) {
        best = it->second, best_overlap = overlap, best_distance = distance;
      }
    }
    linked[a].service = best;
    if (best) overlaps[a] = static_cast<double>(std::max<std::int64_t>(best_overlap.count(), 1));
  }
  std::map<std::size_t, double> shared;  // service → Σ overlaps of its applications
  for (std::size_t a = 0; a < linked.size(); ++a)
    if (linked[a].service) shared[*linked[a].service] += overlaps[a];
  for (std::size_t a = 0; a < linked.size(); ++a) {
    if (!linked[a].service) continue;
    const auto& service = services[*linked[a].service];
    const auto duration = static_cast<double>((service.finished - service.started).count());
    linked[a].handling_s = duration * overlaps[a] / shared[*linked[a].service];
  }
  return linked;
}

namespace {

KnownHall known(const proto::marketing::HallEntry& e) {
  return {e.code, e.name, e.city_code, e.county, e.address, e.status};
}
KnownClerk known(const proto::marketing::ClerkEntry& e) {
  return {e.staff_no, e.name, e.hall_code, e.status};
}
bool same(const KnownHall& a, const KnownHall& b) {
  return std::tie(a.name, a.city_code, a.county, a.address, a.status) ==
         std::tie(b.name, b.city_code, b.county, b.address, b.status);
}
bool same(const KnownClerk& a, const KnownClerk& b) {
  return std::tie(a.name, a.hall_code, a.status) == std::tie(b.name, b.hall_code, b.status);
}
// Closed on halld's side already: nothing left to retire.
bool dormant(const KnownHall& h) {
  return h.status == "closed";
}
bool dormant(const KnownClerk& c) {
  return c.status == "inactive";
}
const std::string& key(const KnownHall& h) {
  return h.code;
}
const std::string& key(const KnownClerk& c) {
  return c.staff_no;
}
void put(ArchiveChange& c, const std::optional<KnownHall>& before,
         const std::optional<KnownHall>& after) {
  c.hall_before = before, c.hall_after = after;
}
void put(ArchiveChange& c, const std::optional<KnownClerk>& before,
         const std::optional<KnownClerk>& after) {
  c.clerk_before = before, c.clerk_after = after;
}

// One diff for both kinds: their records keyed like ours.
template <class Known, class Entry>
std::vector<ArchiveChange> diff(const char* kind, const std::vector<Known>& ours,
                                const std::vector<Entry>& theirs) {
  std::map<std::string, const Known*> mine;
  for (const auto& k : ours) mine.emplace(key(k), &k);
  std::map<std::string, Known> their_view;
  for (const auto& e : theirs) their_view.insert_or_assign(key(known(e)), known(e));
  std::vector<ArchiveChange> changes;
  for (const auto& [code, theirs_now] : their_view) {
    auto it = mine.find(code);
    ArchiveChange c{kind, code, "", {}, {}, {}, {}};
    if (theirs_now.status == "retired") {
      if (it == mine.end() || dormant(*it->second)) continue;
      c.change = "retired";
      put(c, *it->second, theirs_now);
    } else if (it == mine.end()) {
      c.change = "new";
      put(c, std::nullopt, theirs_now);
    } else if (!same(*it->second, theirs_now)) {
      c.change = "changed";
      put(c, *it->second, theirs_now);
    } else {
      continue;
    }
    changes.push_back(std::move(c));
  }
  for (const auto& [code, mine_now] : mine) {
    if (their_view.contains(code) || dormant(*mine_now)) continue;
    ArchiveChange c{kind, code, "retired", {}, {}, {}, {}};
    put(c, *mine_now, std::nullopt);
    changes.push_back(std::move(c));
  }
  return changes;
}

}  // namespace

std::vector<ArchiveChange> diff_halls(const std::vector<KnownHall>& ours,
                                      const std::vector<proto::marketing::HallEntry>& theirs) {
  return diff("hall", ours, theirs);
}
std::vector<ArchiveChange> diff_clerks(const std::vector<KnownClerk>& ours,
                                       const std::vector<proto::marketing::ClerkEntry>& theirs) {
  return diff("clerk", ours, theirs);
}

}  // namespace halld::marketing
