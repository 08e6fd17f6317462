// alarm_bench: what alarms cost.
//
//   alarm_bench evaluate [--rules 10000] [--halls 2000] [--rounds 20000]
//     Judges one hall's live view with a province's rule set of --rules rules (a few province-
//     wide, some per city, most per hall, as a province that tunes limits hall by hall has) and,
//     in the same run, with the six default rules (the baseline). Prints ns per view judged.
//
//   alarm_bench latency --port P --token T --writes FILE --seconds S
//     Listens to halld's alarm window (WebSocket) for S seconds and matches each alarm raised
//     for a probe hall (one that hall_sim logged writes of, --write-log FILE) with the write of
//     frames that caused it: that hall's latest write before the alarm arrived. Probe halls
//     send one event every few seconds, so the match is unambiguous. Both processes read
//     CLOCK_MONOTONIC, so their times compare. Prints the latency percentiles.
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>

#include "halld/alarm/rules.hpp"
#include "options.hpp"

namespace {

using namespace halld;
using std::chrono::steady_clock;

using halld::bench::option;
using halld::bench::percentile;

// A weekday hall, open now, with a queue over the default limits, three terminals and a channel.
live::HallView busy_hall(const std::string& code, const std::string& city, records::Timestamp now) {
  auto info = std::make_shared<store::KpiHall>();
  info->id = 1;
  info->code = code;
  info->city_code = city;
  std::optional<records::DayHours> week[7];
  for (auto& day : week) day = records::DayHours{0, 24 * 60, std::nullopt, std::nullopt};
  info->terms.calendar = model::HallCalendar(std::chrono::hours(8), week, {});
  info->terminal_types = {{"T1", "payment"}, {"T2", "query"}, {"T3", "business"}};
  live::HallView view;
  view.hall_id = info->id;
  view.info = info;
  view.code = code;
  view.city_code = city;
  view.state.hall_id = info->id;
  view.state.channels = {
      {fmt::format("qs-{}", code), true, now - std::chrono::hours(1), std::nullopt, 0}};
  for (int i = 0; i < 40; ++i) {
    const std::string business = i % 2 ? "A" : "B";
    view.state.waiting.push_back(
        {fmt::format("{}{}", business, i), business, {}, now - std::chrono::minutes(i)});
  }
  return view;
}

std::vector<alarm::Rule> province_rules(int count, int halls) {
  std::vector<alarm::Rule> rules;
  const alarm::Indicator indicators[] = {
      alarm::Indicator::queue_length, alarm::Indicator::longest_wait_min,
      alarm::Indicator::predicted_wait_min, alarm::Indicator::average_wait_15_min};
  for (int i = 0; i < count; ++i) {
    alarm::Rule r;
    r.id = i + 1;
    r.name = fmt::format("rule {}", i);
    r.indicator = indicators[i % 4];
    r.limit.warning = 10 + i % 20;
    r.limit.critical = 40 + i % 20;
    r.limit.clear = 5;
    r.limit.hold = std::chrono::seconds(60);
    r.schedule = alarm::Schedule::always;
    if (i < 20) {
      // province-wide
    } else if (i < 20 + 18 * 10) {
      r.scope.city_code = fmt::format("41{:02}", (i - 20) % 18 + 1);
    } else {
      const int hall = (i - 200) % halls;
      r.scope.city_code = fmt::format("41{:02}", hall % 18 + 1);
      r.scope.hall_code = fmt::format("41{:02}{:03}", hall % 18 + 1, hall / 18 + 1);
    }
    rules.push_back(std::move(r));
  }
  return rules;
}

std::vector<alarm::Rule> default_rules() {
  std::vector<alarm::Rule> rules;
  auto limit = [&](alarm::Indicator indicator, double warning, double critical, double clear,
                   int hold) {
    alarm::Rule r;
    r.id = static_cast<int>(rules.size()) + 1;
    r.indicator = indicator;
    r.limit.warning = warning;
    r.limit.critical = critical;
    r.limit.clear = clear;
    r.limit.hold = std::chrono::seconds(hold);
    rules.push_back(r);
  };
  limit(alarm::Indicator::queue_length, 15, 30, 10, 60);
  limit(alarm::Indicator::longest_wait_min, 20, 40, 15, 0);
  for (auto kind : {alarm::RuleKind::comm_loss, alarm::RuleKind::terminal_fault,
                    alarm::RuleKind::part_fault, alarm::RuleKind::door_open}) {
    alarm::Rule r;
    r.id = static_cast<int>(rules.size()) + 1;
    r.kind = kind;
    r.limit.warning = 60;
    r.limit.critical = 300;
    rules.push_back(r);
  }
  return rules;
}

// ns per evaluation of the view, the median of 5 batches.
double ns_per_view(std::vector<alarm::Rule> rules, const live::HallView& view,
                   records::Timestamp now, int rounds) {
  alarm::Evaluator evaluator;
  evaluator.set_rules(std::move(rules));
  std::vector<double> batches;
  std::size_t decisions = 0;
  for (int batch = 0; batch < 5; ++batch) {
    const auto start = steady_clock::now();
    for (int i = 0; i < rounds; ++i)
      decisions += evaluator.evaluate(view, now + std::chrono::seconds(i % 2)).size();
    batches.push_back(
        std::chrono::duration<double, std::nano>(steady_clock::now() - start).count() / rounds);
  }
  if (decisions == static_cast<std::size_t>(-1)) std::cerr << "";  // keeps the work observable
  return percentile(batches, 0.5);
}

int evaluate(int argc, char** argv) {
  const int count = std::stoi(option(argc, argv, "--rules", "10000"));
  const int halls = std::stoi(option(argc, argv, "--halls", "2000"));
  const int rounds = std::stoi(option(argc, argv, "--rounds", "20000"));
  const auto now = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
  const auto view = busy_hall("4101001", "4101", now);
  const auto rules = province_rules(count, halls);
  const auto baseline = ns_per_view(default_rules(), view, now, rounds);
  const auto with_rules = ns_per_view(rules, view, now, rounds);
  // The worst case: every rule province-wide, so every one applies to every hall.
  auto everywhere = rules;
  for (auto& r : everywhere) r.scope = {};
  const auto all_apply = ns_per_view(everywhere, view, now, std::max(1, rounds / 500));
  std::cout << nlohmann::json{{"bench", "alarm_evaluate"},
                              {"rules", count},
                              {"halls", halls},
                              {"default_rules_ns_per_view", baseline},
                              {"province_rules_ns_per_view", with_rules},
                              {"ratio_to_default_rules", with_rules / baseline},
                              {"all_rules_everywhere_ns_per_view", all_apply},
                              {"all_everywhere_ratio_to_default_rules", all_apply / baseline}}
                   .dump()
            << std::endl;
  return 0;
}

int latency(int argc, char** argv) {
  namespace beast = boost::beast;
  const auto port = static_cast<unsigned short>(std::stoi(option(argc, argv, "--port", "8080")));
  const auto writes_file = option(argc, argv, "--writes", "");
  const int seconds = std::stoi(option(argc, argv, "--seconds", "20"));
  const auto token = option(argc, argv, "--token", "");

  boost::asio::io_context io;
  beast::websocket::stream<beast::tcp_stream> ws(io);
  beast::get_lowest_layer(ws).connect({boost::asio::ip::make_address("127.0.0.1"), port});
  ws.set_option(
      beast::websocket::stream_base::decorator([&](beast::websocket::request_type& request) {
        request.set(beast::http::field::authorization, "Bearer " + token);
      }));
  ws.handshake("127.0.0.1", "/api/v1/alarms/stream");
  std::vector<std::pair<std::int64_t, std::string>> arrivals;  // steady ns, hall
  const auto until = steady_clock::now() + std::chrono::seconds(seconds);
  beast::flat_buffer buffer;
  std::function<void()> read_next = [&] {
    ws.async_read(buffer, [&](beast::error_code ec, std::size_t) {
      if (ec) return;
      const auto at = steady_clock::now().time_since_epoch().count();
      auto message = nlohmann::json::parse(beast::buffers_to_string(buffer.data()), nullptr, false);
      buffer.consume(buffer.size());
      if (message.is_object() && message["type"] == "alarm" && message["change"] == "raise") {
        arrivals.emplace_back(at, message["alarm"]["hall"].get<std::string>());
      }
      read_next();
    });
  };
  read_next();
  io.run_until(until);

  std::map<std::string, std::vector<std::int64_t>> writes;  // by hall, in order
  std::ifstream in(writes_file);
  std::int64_t at = 0;
  std::size_t bytes = 0;
  for (std::string site; in >> at >> bytes >> site;) writes[site].push_back(at);
  std::vector<double> latencies_ms;
  for (const auto& [at, hall] : arrivals) {
    auto probe = writes.find(hall);
    if (probe == writes.end()) continue;  // a hall under load, not a probe
    auto after = std::upper_bound(probe->second.begin(), probe->second.end(), at);
    if (after == probe->second.begin()) continue;
    latencies_ms.push_back(static_cast<double>(at - *std::prev(after)) / 1e6);
  }
  std::cout << nlohmann::json{{"bench", "alarm_latency"},
                              {"alarms", latencies_ms.size()},
                              {"alarms_all_halls", arrivals.size()},
                              {"latency_ms_p50", percentile(latencies_ms, 0.5)},
                              {"latency_ms_p99", percentile(latencies_ms, 0.99)},
                              {"latency_ms_max", percentile(latencies_ms, 1.0)}}
                   .dump()
            << std::endl;
  return latencies_ms.empty() ? 1 : 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "evaluate") return evaluate(argc, argv);
  if (mode == "latency") return latency(argc, argv);
  std::cerr << "usage: alarm_bench evaluate [--rules N] [--halls N] [--rounds N] | "
               "latency --port P --token T --writes FILE --seconds S\n";
  return 2;
}
