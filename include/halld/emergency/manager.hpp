// emergency/manager: emergencies from suggestion to record, and work orders (seed 000 §4.4.1,
// seed 001 §3.2). A raised alarm calls up the plans linked to its rule (emergency/plan): each
// becomes a suggested emergency of its hall — the hall's people are texted — or starts at once
// when the plan says so. Started, the steps halld carries out go down as commands to the hall's
// queue system (windows opened, notices shown) or as texts; their answers come back as the
// step's result. Steps past their time limit are escalated (texts to the next level); the
// indicators are taken when a plan starts and again effect_minutes later (or at closing), and
// the plan judged by them. A hall whose indicator stays past a work-order rule's threshold for
// its hold gets a work order, its responsible person a text.
// Owns: the emergencies' and work orders' state changes (emergency/store is its SQL; operators'
// actions reach it through the API), the plans and work-order rules in memory, the holds.
// Its loops live on its strand; every change is one transaction, rows locked, so the API's
// actions and the ticker never interleave on one emergency.
// A plan's notice is published as an urgent notice of the hall (notice/store), withdrawn when
// the emergency closes.
// Must not touch: alarms' lifecycle (it listens), sending texts (the caller's `tell`), links.
#pragma once

#include <functional>
#include <map>
#include <nlohmann/json.hpp>

#include "halld/alarm/engine.hpp"
#include "halld/emergency/plan.hpp"
#include "halld/emergency/store.hpp"
#include "halld/notice/store.hpp"

namespace halld::emergency {

// A text for the people at `level` of a hall's escalation chain (notify/dispatch's contacts).
struct Text {
  std::string city_code;
  std::string hall_code;
  int level = 1;
  std::string text;
};

struct ManagerOptions {
  std::chrono::milliseconds tick{2000};
  std::chrono::seconds command_expiry{120};  // a step's command not sent by then has failed
};

// What an operator's action came to: the emergency's record after it, or why not.
struct Outcome {
  enum class Kind : std::uint8_t { done, not_found, conflict, invalid } kind = Kind::done;
  std::string message;
  nlohmann::json record;
};

// How an emergency ends: closed with its outcome, or a suggestion dismissed.
struct Closing {
  bool dismiss = false;
  std::string outcome;  // resolved, partly, unresolved (closing)
  std::string result;   // the handler's words: what was done, what came of it
  std::string nature;   // general, major, severe; empty: unchanged
  std::string content;  // empty: unchanged
};

class Manager final : public Service {
 public:
  using Tell = std::function<void(Text)>;

  Manager(asio::any_io_executor executor, store::Database& database, MetricsRegistry& metrics,
          alarm::Engine& alarms, live::Engine& live, ManagerOptions options, const Clock& clock,
          Tell tell);
  ~Manager() override;
  std::string_view name() const override { return "emergency"; }

  // Blocking, before start(): the plans and work-order rules.
  void load();
  void start() override;
  void stop(std::function<void()> done) override;
  // Plans and work-order rules again, after the API changed them.
  asio::awaitable<void> reload();

  // Thread-safe. A plan started by hand in a hall (the plan must cover it).
  asio::awaitable<Outcome> activate(int plan_id, std::string hall_code, std::string content,
                                    std::string actor);
  // A suggested emergency started.
  asio::awaitable<Outcome> start_emergency(std::int64_t id, std::string actor);
  // A person's word on a step: done, failed or skipped, and what came of it.
  asio::awaitable<Outcome> finish_step(std::int64_t id, int position, std::string state,
                                       std::string result, std::string actor);
  asio::awaitable<Outcome> close(std::int64_t id, Closing closing, std::string actor);

 private:
  struct Texts;
  void on_alarm(const alarm::AlarmEvent& event);
  asio::awaitable<void> suggest(alarm::Alarm alarm, std::vector<Plan> plans);
  asio::awaitable<void> ticker();
  asio::awaitable<void> follow_up();
  asio::awaitable<void> judge_work_orders();
  // Runs one change in a transaction on the database pool, then sends the texts it made.
  asio::awaitable<Outcome> change(std::function<Outcome(pqxx::work&, Texts&)> job);
  Indicators indicators_of(int hall_id) const;
  bool alarm_standing(std::optional<std::int64_t> alarm_id) const;
  // Starts a locked, suggested emergency: its indicators before, its executable steps.
  void start_locked(pqxx::work& tx, const Locked& emergency, const std::string& actor,
                    Texts& texts);
  void execute(pqxx::work& tx, const Locked& emergency, int position, const Step& step,
               Texts& texts);
  void measure_effect(pqxx::work& tx, const Locked& emergency);
  notice::SyncOptions notice_sync() const;

  asio::strand<asio::any_io_executor> strand_;
  store::Database& database_;
  alarm::Engine& alarms_;
  live::Engine& live_;
  ManagerOptions options_;
  const Clock& clock_;
  Tell tell_;
  Loops loops_;
  Timer tick_timer_;
  std::optional<std::uint64_t> subscription_;
  std::vector<Plan> plans_;
  std::vector<WorkOrderRule> work_order_rules_;
  // (rule, hall) → since when its indicator has been past the threshold; `reported` once its
  // work order was opened (or found open), until the indicator falls back.
  struct Hold {
    records::Timestamp since{};
    bool reported = false;
  };
  std::map<std::pair<int, int>, Hold> holds_;

  Counter& suggested_;
  Counter& started_;
  Counter& escalations_;
  Counter& work_orders_;
  Counter& failures_;
};

}  // namespace halld::emergency
