// A hall's queue as a stream of events: the windows open with a clerk logged on at opening
// time; customers arrive (Poisson, with the hourly and Monday profile of schedule.hpp), take a
// ticket for a business type from the hall's mix, are called to a window, served for a
// log-normal time typical of their business, and evaluate the service — worse after long
// waits; some leave before being called, some are called and never come. A queue snapshot goes out
// every five minutes while the hall is open. At closing time no more tickets are issued; each
// window closes once the queue is served. Pure and deterministic from its seed (on one standard
// library: <random>'s distributions differ between implementations).
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "schedule.hpp"

namespace halld::tools {

struct BusinessMix {
  std::string code;
  double share;            // of arrivals
  double service_minutes;  // mean handling time
};

struct QueueModelOptions {
  std::uint64_t seed = 1;
  int windows = 4;
  int staffed = 0;                // windows open at opening time; 0: all (the rest open on command)
  int queue_at_start = 0;         // customers waiting at the door at the first opening
  double arrivals_per_hour = 60;  // the mean over opening hours
  std::vector<BusinessMix> mix = {{"bill_payment", 0.45, 3},
                                  {"consultation", 0.25, 6},
                                  {"new_conn_resident", 0.2, 15},
                                  {"ownership_transfer", 0.1, 20}};
  OpeningHours hours;
  std::string staff_prefix = "S";  // window w's clerk is prefix + w as two digits ("S01")
  records::Timestamp start{};
};

class QueueModel {
 public:
  explicit QueueModel(QueueModelOptions options);
  // The next event in time order.
  records::Event next();
  // A command from halld at simulated time `at`: a closed window opens with a clerk (false: no
  // such window, or the hall is closed); an idle open window closes. `change` is the window's
  // event when it changed, for the caller to send at once: the model runs ahead of `at`.
  bool open_window(int number, records::Timestamp at, std::optional<records::Event>& change);
  bool close_window(int number, records::Timestamp at, std::optional<records::Event>& change);
  // The time of the last event handed out.
  records::Timestamp now() const { return clock_; }

 private:
  struct Waiting {
    std::string ticket;
    std::size_t business;  // index into the mix
    records::Timestamp issued;
  };
  struct Serving {
    Waiting ticket;
    records::Timestamp finishes;
    bool no_show;  // called, and never came: the window waits until `finishes`
  };
  void open_or_close();
  void arrive();
  bool start_service();  // queues the events of one call, if a window is free
  void finish(
      std::size_t window);  // the end of the service, its evaluation, perhaps the window's closing
  void close_idle_windows();
  void snapshot();
  std::string staff_of(std::size_t window) const;

  QueueModelOptions options_;
  std::mt19937_64 random_;
  std::discrete_distribution<std::size_t> pick_business_;
  records::Timestamp clock_;
  records::Timestamp next_arrival_;
  records::Timestamp next_transition_;  // the next opening or closing
  records::Timestamp next_snapshot_;
  bool hall_open_ = false;
  std::deque<Waiting> queue_;
  std::vector<std::optional<Serving>> serving_;
  std::vector<bool> window_open_;
  std::deque<records::Event> ready_;  // events decided but not yet handed out
  int ticket_number_ = 0;
  bool opened_once_ = false;
};

}  // namespace halld::tools
