// marketing/rules: what halld makes of the marketing system's records — a customer's class from
// its criteria (seed 000 §4.3), which queue ticket each business application was handled under
// and its share of that ticket's service, and how the marketing system's archive differs from
// halld's. Pure: values in, values out. Must not touch: the database or the wire.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "halld/proto/marketing/soap.hpp"
#include "halld/records/events.hpp"

namespace halld::marketing {

// Premium (优质): a dedicated transformer (专用变压器), or an enterprise at or above either
// threshold; potential (潜在): consulted but not registered; general (普通): everyone else.
struct ClassThresholds {
  double premium_annual_kwh = 1'000'000;
  double premium_contract_kva = 315;
};
records::CustomerClassCode classify(const proto::marketing::CustomerEntry& customer,
                                    const ClassThresholds& thresholds);
std::string_view class_name(records::CustomerClassCode code);  // "premium", "general" …

// A ticket's service at a window, from the hall's events (service_started → service_finished).
struct TicketService {
  std::string ticket;
  std::string staff_no;
  records::Timestamp started{}, finished{};
};
// A finished application handled at a counter.
struct Handled {
  std::string staff_no;
  records::Timestamp accepted{}, finished{};
};
struct LinkOptions {
  // Clocks of the two systems differ, and clerks key an application in a little before calling
  // or after finishing: a service this close to an application's span is still a candidate.
  std::chrono::seconds tolerance{120};
};
struct Linked {
  std::optional<std::size_t> service;  // index into the services; nullopt: none fits
  double handling_s = 0;               // the application's share of that service
};
// For each application, the service of the same clerk that overlaps its own span most — or, when
// none overlaps, the nearest within the tolerance (ties: the nearest start). Several
// applications of one visit share one service, each in proportion to its overlap with it.
std::vector<Linked> link_applications(const std::vector<Handled>& applications,
                                      const std::vector<TicketService>& services,
                                      const LinkOptions& options);

// ---- the archive: halld's view against the marketing system's ----
struct KnownHall {
  std::string code, name, city_code, county, address, status;
};
struct KnownClerk {
  std::string staff_no, name, hall_code, status;
};
struct ArchiveChange {
  std::string kind;  // hall, clerk
  std::string code;
  std::string change;  // new, changed, retired
  std::optional<KnownHall> hall_before, hall_after;
  std::optional<KnownClerk> clerk_before, clerk_after;
};
// New: only in theirs. Changed: a field differs (status too, unless theirs says retired).
// Retired: marked retired in theirs, or missing from theirs — `theirs` is their whole list.
std::vector<ArchiveChange> diff_halls(const std::vector<KnownHall>& ours,
                                      const std::vector<proto::marketing::HallEntry>& theirs);
std::vector<ArchiveChange> diff_clerks(const std::vector<KnownClerk>& ours,
                                       const std::vector<proto::marketing::ClerkEntry>& theirs);

}  // namespace halld::marketing
