// tools/hall_sim/backlog: a device that loses its link for a while keeps what happens meanwhile
// and sends it when the link is back, oldest first, before anything new. Wrapped around a
// model's stream of events (in time order), it holds back those of [from, until) and hands
// them over just before the first event at or after `until` — so halld receives them late, the
// backlog ending in whatever state the hall was then in (windows open, a no-show after a call).
// The held events are due at `until` (the link is back), not at their own times, so that a
// simulator pacing events by their times (--speed) sends them late. Pure.
#pragma once

#include <deque>
#include <optional>

#include "halld/records/events.hpp"

namespace halld::tools {

class Backlog {
 public:
  Backlog(records::Timestamp from, records::Timestamp until) : from_(from), until_(until) {}

  struct Due {
    records::Event event;
    records::Timestamp at;  // when it goes out: its own time, or `until` for a held one
  };
  // The next event to send; `next_event` yields the model's events in time order.
  template <class NextEvent>
  Due next(NextEvent&& next_event) {
    for (;;) {
      if (!held_.empty() && resumed_) {
        auto event = std::move(held_.front());
        held_.pop_front();
        return {std::move(event), until_};
      }
      if (after_) {
        auto event = std::exchange(after_, std::nullopt).value();
        const auto at = event.at;
        return {std::move(event), at};
      }
      auto event = next_event();
      if (event.at >= from_ && event.at < until_) {
        held_.push_back(std::move(event));
        continue;
      }
      if (event.at >= until_ && !held_.empty()) {
        resumed_ = true;
        after_ = std::move(event);
        continue;
      }
      const auto at = event.at;
      return {std::move(event), at};
    }
  }

 private:
  records::Timestamp from_, until_;
  std::deque<records::Event> held_;
  std::optional<records::Event> after_;  // the first event after the outage, sent after the backlog
  bool resumed_ = false;
};

}  // namespace halld::tools
