// Self-service terminals as one stream of events, as a terminal-management server reports
// them for all the terminals it runs (of one hall or a whole city): each terminal comes into
// service, customers transact (Poisson over its opening hours, around the clock in a 24-hour
// zone; bill payments and power purchases, amounts in fen, cash / bank card / QR / cheque,
// now and then a failure or a cancellation), components fail at random (printer out of paper
// or jammed, cash box full, card reader, network) and take the terminal out of service until
// a maintenance visit (door opened, maintenance, part repaired, door closed, back in service),
// and at local midnight each terminal settles its day per payment method. Pure and
// deterministic from its seed.
#pragma once

#include <deque>
#include <map>
#include <optional>
#include <set>

#include "schedule.hpp"

namespace halld::tools {

struct TerminalSpec {
  std::string code;
  bool around_the_clock = false;  // a 24-hour self-service zone
};

struct TerminalFleetOptions {
  std::uint64_t seed = 1;
  std::vector<TerminalSpec> terminals;
  double transactions_per_hour = 10;  // per terminal, mean over its opening hours
  double faults_per_day = 0.5;        // per terminal
  OpeningHours hours;                 // of the halls (terminals in 24-hour zones ignore them)
  records::Timestamp start{};
};

class TerminalFleet {
 public:
  explicit TerminalFleet(TerminalFleetOptions options);
  records::Event next();

 private:
  struct DayTotal {
    std::uint32_t count = 0;
    std::int64_t total_fen = 0;
  };
  struct Terminal {
    TerminalSpec spec;
    OpeningHours hours;
    records::Timestamp next_transaction{}, next_fault{}, next_settlement{};
    records::Timestamp visit_at = records::Timestamp::max();     // the maintenance visit starts
    records::Timestamp repaired_at = records::Timestamp::max();  // and ends
    std::optional<records::TerminalPart> broken;
    records::Timestamp day_start{};
    std::map<records::PaymentMethod, DayTotal> day;
    std::uint32_t transactions = 0;
    records::Timestamp soonest() const;
  };
  void step(Terminal& t);  // the terminal's earliest happening, as events
  void transact(Terminal& t);
  void fail(Terminal& t);
  void settle(Terminal& t);
  records::Timestamp after_exponential(records::Timestamp from, double per_day);

  TerminalFleetOptions options_;
  std::mt19937_64 random_;
  std::vector<Terminal> terminals_;
  std::set<std::pair<records::Timestamp, std::size_t>> due_;  // (soonest happening, terminal)
  std::deque<records::Event> ready_;
};

}  // namespace halld::tools
