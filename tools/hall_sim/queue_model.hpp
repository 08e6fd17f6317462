// A hall's queue as a stream of events: customers arrive (Poisson), take a ticket for a
// business type, are called to a window, served for a log-normally distributed time, and
// evaluate the service — worse after long waits; some leave before being called. Pure and
// deterministic from its seed (on one standard library: <random>'s distributions differ
// between implementations).
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "halld/records/events.hpp"

namespace halld::tools {

struct QueueModelOptions {
  std::uint64_t seed = 1;
  int windows = 4;
  double arrivals_per_hour = 60;
  double mean_service_minutes = 8;
  std::vector<std::string> business_types = {"bill_payment", "consultation", "new_conn_resident", "ownership_transfer"};
  records::Timestamp start{};
};

class QueueModel {
 public:
  explicit QueueModel(QueueModelOptions options);
  // The next event in time order.
  records::Event next();

 private:
  struct Waiting {
    std::string ticket;
    std::string business;
    records::Timestamp issued;
  };
  struct Serving {
    Waiting ticket;
    records::Timestamp finishes;
  };
  records::Event arrive();
  bool start_service(records::Timestamp at);  // queues the events of one call, if a window is free
  void finish(int window);  // queues the end of the service and its evaluation

  QueueModelOptions options_;
  std::mt19937_64 random_;
  records::Timestamp clock_;
  records::Timestamp next_arrival_;
  std::deque<Waiting> queue_;
  std::vector<std::optional<Serving>> windows_;
  std::deque<records::Event> ready_;  // events decided but not yet handed out
  int ticket_number_ = 0;
};

}  // namespace halld::tools
