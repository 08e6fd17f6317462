#include "halld/retention/plan.hpp"

#include <fmt/format.h>

#include <charconv>

namespace halld::retention {
namespace {

using std::chrono::days;
using std::chrono::sys_days;

constexpr auto loaded_hold = days(7);

std::size_t months_kept(std::string_view parent, const RetentionConfig& retention) {
  if (parent == "hall_event") return retention.event_months;
  if (parent == "kpi_rollup") return retention.rollup_months;
  return retention.facility_months;
}

std::string date_of(Timestamp at) {
  const std::chrono::year_month_day date{std::chrono::floor<days>(at)};
  return fmt::format("{:04}-{:02}-{:02}", int(date.year()), unsigned(date.month()),
                     unsigned(date.day()));
}

}  // namespace

std::optional<Partition> monthly_partition(std::string_view parent, std::string_view name) {
  // <parent>_YYYYmMM
  if (name.size() != parent.size() + 8 || !name.starts_with(parent) || name[parent.size()] != '_' ||
      name[parent.size() + 5] != 'm')
    return std::nullopt;
  const auto number = [&](std::size_t at, std::size_t width) -> std::optional<int> {
    int value = 0;
    const char* first = name.data() + at;
    auto [end, ec] = std::from_chars(first, first + width, value);
    if (ec != std::errc() || end != first + width) return std::nullopt;
    return value;
  };
  const auto year = number(parent.size() + 1, 4), month = number(parent.size() + 6, 2);
  if (!year || !month || *month < 1 || *month > 12 || *year < 1970) return std::nullopt;
  const std::chrono::year_month first{std::chrono::year(*year),
                                      std::chrono::month(static_cast<unsigned>(*month))};
  const auto next = first + std::chrono::months(1);
  return Partition{std::string(parent), std::string(name), sys_days(first / std::chrono::day(1)),
                   sys_days(next / std::chrono::day(1))};
}

Timestamp months_back(Timestamp now, int months) {
  const std::chrono::year_month_day today{std::chrono::floor<days>(now)};
  const auto month = today.year() / today.month() - std::chrono::months(months);
  return sys_days(month / std::chrono::day(1));
}

std::vector<PartitionPlan> plan_partitions(std::span<const Partition> partitions,
                                           const PartitionFacts& facts, Timestamp now,
                                           const RetentionConfig& retention) {
  std::vector<PartitionPlan> plans;
  for (const auto& p : partitions) {
    PartitionPlan plan{p, Verdict::keep, ""};
    const auto kept = months_kept(p.parent, retention);
    const auto cutoff = months_back(now, static_cast<int>(kept));
    if (p.to > cutoff) {
      plan.reason = fmt::format("within {} months", kept);
      plans.push_back(std::move(plan));
      continue;
    }
    plan.verdict = Verdict::drop;
    plan.reason = fmt::format("older than {} months (before {})", kept, date_of(cutoff));
    for (const auto& [name, at] : facts.loaded) {
      if (name == p.name && now < at + loaded_hold) {
        plan.verdict = Verdict::hold;
        plan.reason = fmt::format("loaded back on {}: kept until {} for its recomputation",
                                  date_of(at), date_of(at + loaded_hold));
      }
    }
    if (p.parent == "hall_event" && plan.verdict == Verdict::drop) {
      // A hall's local day straddles the UTC month's edge: the day before and after count too.
      const auto first = std::chrono::floor<days>(p.from) - days(1),
                 last = std::chrono::floor<days>(p.to);
      const auto waiting =
          std::distance(facts.stale_days.lower_bound(first), facts.stale_days.upper_bound(last));
      if (waiting > 0) {
        plan.verdict = Verdict::hold;
        plan.reason = fmt::format(
            "its rollups are not final: {} day(s) wait to be recomputed from its events", waiting);
      }
    }
    plans.push_back(std::move(plan));
  }
  return plans;
}

std::vector<RowRule> row_rules(const RetentionConfig& retention) {
  return {
      {"alarm", retention.alarm_days,
       "state IN ('cleared', 'closed') AND coalesce(closed_at, cleared_at) < $1"},
      {"sms_message", retention.sms_days,
       "state IN ('sent', 'delivered', 'failed') AND created_at < $1"},
      {"audit_log", retention.audit_days, "at < $1"},
      // A command a hall's notice still refers to stays with it.
      {"hall_command", retention.command_days,
       "state NOT IN ('queued', 'sent') AND requested_at < $1 AND NOT EXISTS (SELECT 1 FROM "
       "hall_notice_display d WHERE d.command_id = hall_command.id) AND NOT EXISTS (SELECT 1 FROM "
       "hall_notice_delivery d WHERE d.command_id = hall_command.id)"},
      {"channel_comm_event", retention.comm_log_days, "at < $1"},
      {"marketing_comm_event", retention.comm_log_days, "at < $1"},
      // No session outlives auth.session_absolute_s (at most 7 days): what is older has ended.
      {"app_session", 8, "last_used_at < $1"},
  };
}

}  // namespace halld::retention
