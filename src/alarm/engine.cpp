#include "halld/alarm/engine.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <limits>

#include "halld/alarm/alarm_store.hpp"
#include "halld/alarm/rule_store.hpp"
#include "halld/core/run_on.hpp"
#include "halld/records/event_json.hpp"

namespace halld::alarm {

namespace {

constexpr std::string_view state_names[] = {"raised", "acknowledged", "cleared", "closed"};
constexpr std::string_view change_names[] = {"raise", "escalate", "acknowledge", "clear", "close"};
constexpr std::string_view system_actor = "system";

nlohmann::json instant(const std::optional<Timestamp>& t) {
  return t ? nlohmann::json(records::iso8601(*t)) : nlohmann::json(nullptr);
}

}  // namespace

struct Engine::Loaded {
  std::vector<Rule> rules;
  std::vector<MaintenanceWindow> maintenance;
};

std::string_view to_string(AlarmState state) {
  return state_names[static_cast<int>(state)];
}
std::string_view to_string(Change change) {
  return change_names[static_cast<int>(change)];
}

std::optional<AlarmState> parse_alarm_state(std::string_view text) {
  for (std::size_t i = 0; i < std::size(state_names); ++i) {
    if (state_names[i] == text) return static_cast<AlarmState>(i);
  }
  return std::nullopt;
}

std::string what_of(const Alarm& a) {
  switch (a.kind) {
    case RuleKind::limit:
      return std::string(display_name(a.indicator.value_or(Indicator::queue_length)));
    case RuleKind::terminal_fault:
      return "自助终端故障";
    case RuleKind::part_fault:
      return "终端部件故障";
    case RuleKind::door_open:
      return "终端门开启";
    case RuleKind::comm_loss:
      return "通信中断";
    case RuleKind::clock_skew:
      return "设备时钟偏差";
  }
  return "";
}

std::string unit_of(const Alarm& a) {
  if (a.kind == RuleKind::comm_loss || a.kind == RuleKind::clock_skew) return "秒";
  if (a.kind == RuleKind::limit)
    return std::string(unit_of(a.indicator.value_or(Indicator::queue_length)));
  return "";
}

nlohmann::json to_json(const Alarm& a) {
  return {{"id", a.id},
          {"rule_id", a.rule_id},
          {"rule", a.rule_name},
          {"kind", to_string(a.kind)},
          {"indicator",
           a.indicator ? nlohmann::json(to_string(*a.indicator)) : nlohmann::json(nullptr)},
          {"what", what_of(a)},
          {"unit", unit_of(a)},
          {"hall", a.hall_code},
          {"hall_name", a.hall_name},
          {"city", a.city_code},
          {"object", a.object},
          {"severity", a.severity == Severity::critical ? "critical" : "warning"},
          {"state", to_string(a.state)},
          {"raised_at", records::iso8601(a.raised_at)},
          {"raised_value", a.raised_value},
          {"threshold", a.threshold ? nlohmann::json(*a.threshold) : nlohmann::json(nullptr)},
          {"last_value", a.last_value},
          {"acknowledged_at", instant(a.acknowledged_at)},
          {"acknowledged_by", a.acknowledged_by},
          {"acknowledge_note", a.acknowledge_note},
          {"cleared_at", instant(a.cleared_at)},
          {"cleared_by", a.cleared_by},
          {"clear_reason", a.clear_reason},
          {"closed_at", instant(a.closed_at)}};
}

nlohmann::json to_json(const AlarmEvent& e) {
  return {{"type", "alarm"},
          {"sequence", e.sequence},
          {"change", to_string(e.change)},
          {"at", records::iso8601(e.at)},
          {"actor", e.actor},
          {"note", e.note},
          {"alarm", to_json(e.alarm)}};
}

Engine::Engine(asio::any_io_executor executor, store::Database& database, MetricsRegistry& metrics,
               live::Engine& live, EngineOptions options, const Clock& clock)
    : strand_(asio::make_strand(executor)),
      database_(database),
      live_(live),
      options_(options),
      clock_(clock),
      loops_(strand_, "alarms"),
      tick_timer_(strand_, clock),
      write_timer_(strand_, clock),
      transitions_(
          metrics.counter("halld_alarm_transitions_total",
                          "Alarm transitions (raise, escalate, acknowledge, clear, close).")),
      write_failures_(
          metrics.counter("halld_alarm_write_failures_total",
                          "Attempts to store alarm transitions that failed (retried).")),
      queued_writes_(
          metrics.gauge("halld_alarm_writes_queued", "Alarm transitions waiting to be stored.")),
      evaluation_seconds_(metrics.histogram(
          "halld_alarm_evaluation_seconds", "Time to judge one hall view with the rules.",
          {0.00001, 0.00005, 0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05})) {
  metrics.gauge_callback("halld_alarms_standing", "Alarms not closed.", [this] {
    std::lock_guard lock(mutex_);
    return static_cast<double>(standing_.size());
  });
  metrics.gauge_callback("halld_alarm_rules", "Alarm rules enabled.", [this] {
    std::lock_guard lock(mutex_);
    return static_cast<double>(stats_.rules);
  });
}

Engine::~Engine() = default;

void Engine::load() {
  const auto now = clock_.now_seconds();
  struct Stored {
    Loaded loaded;
    std::vector<Alarm> standing;
    std::int64_t max_id = 0;
  };
  auto stored = database_.run_blocking([now](pqxx::connection& c) {
    store::ReadTransaction tx(c);
    Stored s;
    s.loaded.rules = load_rules(tx);
    s.loaded.maintenance = load_maintenance(tx, now);
    s.standing = load_standing(tx);
    s.max_id = max_alarm_id(tx);
    return s;
  });
  next_id_ = stored.max_id + 1;
  std::lock_guard lock(mutex_);
  for (auto& a : stored.standing) {
    if (auto view = live_.view(a.hall_id); view && view->info)
      a.utc_offset = view->info->terms.calendar.utc_offset();
    if (a.state == AlarmState::raised || a.state == AlarmState::acknowledged) {
      evaluator_.restore(a.rule_id, a.hall_id, a.object, a.severity, a.raised_at);
      open_[{a.rule_id, a.hall_id, a.object}] = a.id;
    }
    standing_.emplace(a.id, std::move(a));
  }
  evaluator_.set_rules(std::move(stored.loaded.rules));
  evaluator_.set_maintenance(std::move(stored.loaded.maintenance));
  stats_ = evaluator_.stats();
  spdlog::info("alarms: {} rules, {} standing alarm(s)", stats_.rules, standing_.size());
}

void Engine::start() {
  live_subscription_ = live_.subscribe([this](const live::PublishedViews& views) {
    asio::post(strand_, [this, views] { on_views(*views); });
  });
  loops_.spawn("ticker", ticker());
  loops_.spawn("writer", writer());
}

void Engine::stop(std::function<void()> done) {
  if (live_subscription_) live_.unsubscribe(*live_subscription_);
  asio::post(strand_, [this, done = std::move(done)]() mutable {
    loops_.stop(std::move(done));
    tick_timer_.cancel();
    write_timer_.cancel();
  });
}

void Engine::on_views(const std::vector<std::shared_ptr<const live::HallView>>& views) {
  if (loops_.stopping()) return;
  const auto now = clock_.now_seconds();
  for (const auto& view : views) {
    latest_[view->hall_id] = view;
    evaluate(*view, now);
  }
}

void Engine::evaluate(const live::HallView& view, Timestamp now) {
  const auto started = std::chrono::steady_clock::now();
  for (const auto& decision : evaluator_.evaluate(view, now)) decide(decision, view);
  evaluation_seconds_.observe(
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
}

void Engine::decide(const Decision& d, const live::HallView& view) {
  const std::tuple key{d.rule_id, d.hall_id, d.object};
  const auto& t = d.transition;
  auto open = open_.find(key);
  std::unique_lock lock(mutex_);
  if (t.kind == Transition::Kind::raise) {
    if (open != open_.end()) return;  // restored open: the state already says so
    const Rule* rule = evaluator_.rule(d.rule_id);
    Alarm a;
    a.id = next_id_++;
    a.rule_id = d.rule_id;
    a.rule_name = rule ? rule->name : "";
    a.kind = rule ? rule->kind : RuleKind::limit;
    if (rule && rule->kind == RuleKind::limit) a.indicator = rule->indicator;
    a.hall_id = view.hall_id;
    a.hall_code = view.code;
    a.hall_name = view.name;
    a.city_code = view.city_code;
    if (view.info) a.utc_offset = view.info->terms.calendar.utc_offset();
    a.object = d.object;
    a.severity = t.severity;
    a.raised_at = t.at;
    a.raised_value = t.value;
    a.threshold = d.threshold;
    a.last_value = t.value;
    open_[key] = a.id;
    auto& stored = standing_.emplace(a.id, std::move(a)).first->second;
    emit(stored, Change::raise, t.at, t.value, std::string(system_actor), "");
    return;
  }
  if (open == open_.end()) return;
  auto it = standing_.find(open->second);
  if (it == standing_.end()) return;
  Alarm& a = it->second;
  a.last_value = t.value;
  if (t.kind == Transition::Kind::escalate) {
    a.severity = t.severity;
    a.threshold = d.threshold;
    emit(a, Change::escalate, t.at, t.value, std::string(system_actor), "");
    return;
  }
  open_.erase(open);
  clear_alarm(a, t.at, std::string(system_actor), "");
}

// Under mutex_. An acknowledged alarm that clears is closed (and leaves the standing list, so
// `a` dangles after: the alarm as it ends up is returned); an unacknowledged one stands
// (cleared) until someone acknowledges it — or an operator cleared it, having seen it.
Alarm Engine::clear_alarm(Alarm& a, Timestamp at, std::string actor, std::string reason) {
  const bool by_hand = actor != system_actor;
  a.state = AlarmState::cleared;
  a.cleared_at = at;
  a.cleared_by = actor;
  a.clear_reason = reason;
  emit(a, Change::clear, at, by_hand ? std::nullopt : std::optional(a.last_value), actor, reason);
  if (a.acknowledged_at || by_hand) {
    a.state = AlarmState::closed;
    a.closed_at = at;
    emit(a, Change::close, at, std::nullopt, actor, "");
    Alarm closed = a;
    standing_.erase(a.id);
    return closed;
  }
  return a;
}

// Under mutex_.
void Engine::emit(Alarm& alarm, Change change, Timestamp at, std::optional<double> value,
                  std::string actor, std::string note) {
  transitions_.inc();
  AlarmEvent event{++sequence_, change, at, actor, note, alarm};
  subscribers_.notify(event);
  writes_.push_back({event.sequence, std::move(event.alarm), change, at, value, std::move(actor),
                     std::move(note)});
  queued_writes_.set(static_cast<double>(writes_.size()));
  if (writes_.size() == 1) write_timer_.cancel();  // wakes the writer
}

asio::awaitable<ActionResult> Engine::act(Action action) {
  // Answered when the writer has tried the action's events: an operator who reads the alarm
  // back right after finds what was done.
  auto initiate = [this, action = std::move(action)](auto handler) mutable {
    asio::post(strand_, [this, action = std::move(action), handler = std::move(handler)]() mutable {
      auto result = act_on_strand(action);
      auto answer = [handler = std::make_shared<decltype(handler)>(std::move(handler)),
                     result = std::move(result)](bool stored) mutable {
        result.stored = stored;
        auto resume = asio::get_associated_executor(*handler);
        asio::post(resume, [handler, result = std::move(result)]() mutable {
          (*handler)(std::move(result));
        });
      };
      if (result.outcome != ActionResult::Outcome::done) return answer(false);
      std::uint64_t last;
      {
        std::lock_guard lock(mutex_);
        last = sequence_;
      }
      waiting_actions_.emplace(last, std::move(answer));
    });
  };
  return asio::async_initiate<decltype(asio::use_awaitable), void(ActionResult)>(
      std::move(initiate), asio::use_awaitable);
}

void Engine::answer_waiting(std::uint64_t sequence, bool stored) {
  auto end = waiting_actions_.upper_bound(sequence);
  std::vector<std::function<void(bool)>> answers;
  for (auto it = waiting_actions_.begin(); it != end; ++it)
    answers.push_back(std::move(it->second));
  waiting_actions_.erase(waiting_actions_.begin(), end);
  for (auto& answer : answers) answer(stored);
}

ActionResult Engine::act_on_strand(const Action& action) {
  const auto now = clock_.now_seconds();
  std::lock_guard lock(mutex_);
  auto it = standing_.find(action.alarm_id);
  if (it == standing_.end()) {
    return {ActionResult::Outcome::not_found,
            fmt::format("no standing alarm {} (closed or never raised)", action.alarm_id),
            {}};
  }
  Alarm& a = it->second;
  if (action.kind == Action::Kind::acknowledge) {
    if (a.acknowledged_at) {
      return {ActionResult::Outcome::conflict,
              fmt::format("alarm {} was acknowledged by {}", a.id, a.acknowledged_by), a};
    }
    a.acknowledged_at = now;
    a.acknowledged_by = action.actor;
    a.acknowledge_note = action.note;
    const bool cleared = a.state == AlarmState::cleared;
    if (!cleared) a.state = AlarmState::acknowledged;
    emit(a, Change::acknowledge, now, std::nullopt, action.actor, action.note);
    Alarm after = a;
    if (cleared) {
      a.state = AlarmState::closed;
      a.closed_at = now;
      emit(a, Change::close, now, std::nullopt, action.actor, "");
      after = a;
      standing_.erase(it);
    }
    return {ActionResult::Outcome::done, "", after};
  }
  if (a.state == AlarmState::cleared) {
    return {ActionResult::Outcome::conflict,
            fmt::format("alarm {} is cleared already; acknowledge it to close it", a.id), a};
  }
  open_.erase({a.rule_id, a.hall_id, a.object});
  evaluator_.forget(a.rule_id, a.hall_id, a.object);
  return {ActionResult::Outcome::done, "", clear_alarm(a, now, action.actor, action.note)};
}

asio::awaitable<void> Engine::reload() {
  const auto now = clock_.now_seconds();
  auto loaded = co_await database_.run([now](pqxx::connection& c) {
    store::ReadTransaction tx(c);
    Loaded l;
    l.rules = load_rules(tx);
    l.maintenance = load_maintenance(tx, now);
    return l;
  });
  // Named, not a temporary in the co_await: GCC 12 destroys such temporaries' captures twice.
  auto applying = run_on(
      strand_, [this, loaded = std::move(loaded)]() mutable { apply_loaded(std::move(loaded)); });
  co_await std::move(applying);
}

void Engine::apply_loaded(Loaded loaded) {
  evaluator_.set_rules(std::move(loaded.rules));
  evaluator_.set_maintenance(std::move(loaded.maintenance));
  const auto now = clock_.now_seconds();
  std::lock_guard lock(mutex_);
  stats_ = evaluator_.stats();
  for (auto it = open_.begin(); it != open_.end();) {
    const auto& [rule_id, hall_id, object] = it->first;
    const Rule* rule = evaluator_.rule(rule_id);
    auto view = latest_.find(hall_id);
    const bool still = rule && (view == latest_.end() || applies(*rule, *view->second));
    auto alarm = standing_.find(it->second);
    if (still || alarm == standing_.end()) {
      ++it;
      continue;
    }
    evaluator_.forget(rule_id, hall_id, object);
    it = open_.erase(it);
    clear_alarm(alarm->second, now, std::string(system_actor), "规则已删除、停用或不再覆盖本厅");
  }
}

std::vector<Alarm> Engine::standing() const {
  std::lock_guard lock(mutex_);
  std::vector<Alarm> all;
  for (const auto& [id, a] : standing_) all.push_back(a);
  return all;
}

std::pair<std::uint64_t, std::vector<Alarm>> Engine::subscribe(Subscriber subscriber) {
  std::lock_guard lock(mutex_);
  const auto id = subscribers_.add(std::move(subscriber));
  std::vector<Alarm> all;
  for (const auto& [alarm_id, a] : standing_) all.push_back(a);
  return {id, std::move(all)};
}

void Engine::unsubscribe(std::uint64_t id) {
  subscribers_.remove(id);
}

EvaluatorStats Engine::stats() const {
  std::lock_guard lock(mutex_);
  return stats_;
}

asio::awaitable<void> Engine::ticker() {
  while (!loops_.stopping()) {
    auto waiting = tick_timer_.wait(options_.tick);
    co_await std::move(waiting);
    if (loops_.stopping()) break;
    const auto now = clock_.now_seconds();
    for (const auto& [hall_id, view] : latest_) evaluate(*view, now);
    std::lock_guard lock(mutex_);
    stats_ = evaluator_.stats();
  }
}

asio::awaitable<void> Engine::writer() {
  for (;;) {
    std::vector<Write> batch;
    {
      std::lock_guard lock(mutex_);
      while (!writes_.empty() && batch.size() < options_.write_batch) {
        batch.push_back(std::move(writes_.front()));
        writes_.pop_front();
      }
    }
    if (batch.empty()) {
      if (loops_.stopping()) break;
      auto waiting = write_timer_.wait(std::chrono::seconds(1));
      co_await std::move(waiting);
      continue;
    }
    bool written = false;
    try {
      auto writing = database_.run([batch](pqxx::connection& c) {
        pqxx::work tx(c);
        for (const auto& w : batch)
          write_transition(tx, w.alarm, w.change, w.at, w.value, w.actor, w.note);
        tx.commit();
      });
      co_await std::move(writing);
      written = true;
    } catch (const std::exception& e) {
      write_failures_.inc();
      spdlog::warn("alarms: cannot store {} transition(s), retrying: {}", batch.size(), e.what());
    }
    answer_waiting(batch.back().sequence, written);
    {
      std::lock_guard lock(mutex_);
      if (!written) {
        writes_.insert(writes_.begin(), std::make_move_iterator(batch.begin()),
                       std::make_move_iterator(batch.end()));
      }
      queued_writes_.set(static_cast<double>(writes_.size()));
    }
    if (!written) {
      if (loops_.stopping()) break;  // what is left is lost with the process; the log says how much
      auto waiting = write_timer_.wait(std::chrono::seconds(2));
      co_await std::move(waiting);
    }
  }
  if (!writes_.empty())
    spdlog::error("alarms: {} transition(s) not stored at shutdown", writes_.size());
  answer_waiting(std::numeric_limits<std::uint64_t>::max(), false);
}

}  // namespace halld::alarm
