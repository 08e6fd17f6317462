#include "halld/emergency/manager.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <set>

#include "halld/core/run_on.hpp"
#include "halld/notice/store.hpp"
#include "halld/records/event_json.hpp"
#include "halld/store/command_store.hpp"

namespace halld::emergency {
namespace {

using nlohmann::json;
using records::Timestamp;

std::int64_t epoch(Timestamp at) {
  return at.time_since_epoch().count();
}

Outcome refusal(Outcome::Kind kind, std::string message) {
  return {kind, std::move(message), nullptr};
}

}  // namespace

// The texts a change makes, sent once its transaction has committed.
struct Manager::Texts {
  std::vector<Text> items;
};

Manager::Manager(asio::any_io_executor executor, store::Database& database,
                 MetricsRegistry& metrics, alarm::Engine& alarms, live::Engine& live,
                 ManagerOptions options, const Clock& clock, Tell tell)
    : strand_(asio::make_strand(executor)),
      database_(database),
      alarms_(alarms),
      live_(live),
      options_(options),
      clock_(clock),
      tell_(std::move(tell)),
      loops_(strand_, "emergency"),
      tick_timer_(strand_, clock),
      suggested_(
          metrics.counter("halld_emergencies_suggested_total",
                          "Emergencies a raised alarm suggested (or started, by its plan).")),
      started_(metrics.counter("halld_emergencies_started_total", "Emergencies started.")),
      escalations_(metrics.counter("halld_emergency_step_escalations_total",
                                   "Emergency steps past their time limit, escalated.")),
      work_orders_(metrics.counter("halld_work_orders_opened_total", "Work orders opened.")),
      failures_(metrics.counter("halld_emergency_failures_total",
                                "Emergency and work-order changes the database refused.")) {}

Manager::~Manager() = default;

notice::SyncOptions Manager::notice_sync() const {
  notice::SyncOptions sync;
  sync.command_expiry = options_.command_expiry;
  return sync;
}

void Manager::load() {
  auto [plans, rules] = database_.run_blocking([](pqxx::connection& c) {
    store::ReadTransaction tx(c);
    return std::pair(load_plans(tx), load_work_order_rules(tx));
  });
  plans_ = std::move(plans);
  work_order_rules_ = std::move(rules);
}

void Manager::start() {
  auto [subscription, standing] = alarms_.subscribe([this](const alarm::AlarmEvent& event) {
    if (event.change == alarm::Change::raise || event.change == alarm::Change::escalate)
      asio::post(strand_, [this, event] { on_alarm(event); });
  });
  subscription_ = subscription;
  loops_.spawn("ticker", ticker());
}

void Manager::stop(std::function<void()> done) {
  if (subscription_) alarms_.unsubscribe(*subscription_);
  asio::post(strand_, [this, done = std::move(done)]() mutable {
    loops_.stop(std::move(done));
    tick_timer_.cancel();
  });
}

asio::awaitable<void> Manager::reload() {
  auto loading = database_.run([](pqxx::connection& c) {
    store::ReadTransaction tx(c);
    return std::pair(load_plans(tx), load_work_order_rules(tx));
  });
  auto [plans, rules] = co_await std::move(loading);
  auto applying = run_on(strand_, [this, plans = std::move(plans), rules = std::move(rules)]() {
    plans_ = plans;
    work_order_rules_ = rules;
  });
  co_await std::move(applying);
}

void Manager::on_alarm(const alarm::AlarmEvent& event) {
  if (loops_.stopping()) return;
  const auto& a = event.alarm;
  std::vector<Plan> chosen;
  for (const auto* plan :
       plans_for_alarm(plans_, a.rule_id, static_cast<int>(a.severity), a.city_code, a.hall_code))
    chosen.push_back(*plan);
  if (!chosen.empty()) loops_.spawn("suggestion", suggest(a, std::move(chosen)));
}

asio::awaitable<void> Manager::suggest(alarm::Alarm a, std::vector<Plan> plans) {
  const auto what = alarm::what_of(a);
  const auto content = a.threshold ? fmt::format("{}：{} {}{}（阈值 {}）", a.rule_name, what,
                                                 a.last_value, alarm::unit_of(a), *a.threshold)
                                   : fmt::format("{}：{}", a.rule_name, what);
  for (auto& plan : plans) {
    auto suggesting = change([this, &a, &plan, &content](pqxx::work& tx, Texts& texts) {
      auto id = insert_emergency(tx, plan, a.hall_id, a.id, content, "system");
      if (!id) return refusal(Outcome::Kind::conflict, "under way already");
      suggested_.inc();
      if (plan.auto_start) {
        auto locked = lock_emergency(tx, *id);
        start_locked(tx, *locked, "system", texts);
      } else {
        texts.items.push_back(
            {a.city_code, a.hall_code, 1,
             fmt::format("【应急预案建议】{}：{}。建议启动《{}》，请登录系统处理（事件 {}）。",
                         a.hall_name, content, plan.name, *id)});
      }
      return Outcome{Outcome::Kind::done, "", json{{"id", *id}}};
    });
    auto outcome = co_await std::move(suggesting);
    if (outcome.kind == Outcome::Kind::done)
      spdlog::info("emergency {}: {} suggested for hall {} by alarm {}",
                   outcome.record["id"].dump(), plan.name, a.hall_code, a.id);
  }
}

asio::awaitable<Outcome> Manager::change(std::function<Outcome(pqxx::work&, Texts&)> job) {
  Texts texts;
  Outcome outcome;
  try {
    auto running = database_.run([&job, &texts](pqxx::connection& c) {
      pqxx::work tx(c);
      auto outcome = job(tx, texts);
      if (outcome.kind == Outcome::Kind::done) tx.commit();
      return outcome;
    });
    outcome = co_await std::move(running);
  } catch (const std::exception& e) {
    failures_.inc();
    spdlog::error("emergency: a change failed: {}", e.what());
    throw;
  }
  if (outcome.kind == Outcome::Kind::done) {
    for (auto& text : texts.items) tell_(std::move(text));
  }
  co_return outcome;
}

Indicators Manager::indicators_of(int hall_id) const {
  Indicators out;
  auto view = live_.view(hall_id);
  if (!view) return out;
  const auto now = clock_.now_seconds();
  const auto value = [&](alarm::Indicator indicator) {
    return alarm::indicator_value(indicator, *view, "", now);
  };
  out.queue_length = value(alarm::Indicator::queue_length).value_or(0);
  out.longest_wait_min = value(alarm::Indicator::longest_wait_min).value_or(0);
  out.predicted_wait_min = value(alarm::Indicator::predicted_wait_min).value_or(0);
  out.average_wait_15_min = value(alarm::Indicator::average_wait_15_min);
  for (const auto& w : view->state.windows)
    if (w.state != records::WindowState::closed) ++out.windows_open;
  for (const auto& t : view->state.terminals)
    if (t.state &&
        (*t.state == records::TerminalState::fault || *t.state == records::TerminalState::offline ||
         *t.state == records::TerminalState::maintenance))
      ++out.terminals_out;
  return out;
}

bool Manager::alarm_standing(std::optional<std::int64_t> alarm_id) const {
  if (!alarm_id) return false;
  for (const auto& a : alarms_.standing()) {
    if (a.id == *alarm_id)
      return a.state == alarm::AlarmState::raised || a.state == alarm::AlarmState::acknowledged;
  }
  return false;
}

void Manager::start_locked(pqxx::work& tx, const Locked& e, const std::string& actor,
                           Texts& texts) {
  mark_started(tx, e.id, actor, indicators_of(e.hall.id), epoch(clock_.now_seconds()));
  log_event(tx, e.id, actor, "start", "启动预案");
  started_.inc();
  int position = 0;
  for (const auto& step : e.steps) {
    ++position;
    if (step.executes || step.action == Action::divert) execute(tx, e, position, step, texts);
  }
}

void Manager::execute(pqxx::work& tx, const Locked& e, int position, const Step& step,
                      Texts& texts) {
  StepUpdate update{position, "running", "", {}, "system"};
  const auto finish = [&] {
    update_step(tx, e.id, update);
    log_event(tx, e.id, "system", "step",
              fmt::format("第 {} 步 {}：{}", position, describe(step), update.result));
  };
  // Windows open through the hall's queue system.
  store::CommandTarget queue;
  if (step.action == Action::open_windows) {
    auto target = store::hall_command_target(tx, e.hall.id, records::ChannelProtocol::queue_eval);
    if (auto* why = std::get_if<std::string>(&target)) {
      update.state = "failed";
      update.result = *why;
      finish();
      return;
    }
    queue = std::get<store::CommandTarget>(target);
  }
  switch (step.action) {
    case Action::open_windows: {
      std::set<int> open;
      if (auto view = live_.view(e.hall.id)) {
        for (const auto& w : view->state.windows)
          if (w.state != records::WindowState::closed) open.insert(w.number);
      }
      std::vector<int> chosen;
      for (const auto& row : tx.exec_params(
               "SELECT number FROM counter_window WHERE hall_id = $1 ORDER BY number", e.hall.id)) {
        const int number = row[0].as<int>();
        if (!open.contains(number) && chosen.size() < static_cast<std::size_t>(step.count))
          chosen.push_back(number);
      }
      if (chosen.empty()) {
        update.state = "done";
        update.result = "所有窗口均已开放，无可增开的窗口";
        break;
      }
      for (int number : chosen) {
        update.command_ids.push_back(
            store::queue_command(tx, queue, {{"kind", "open_window"}, {"window", number}},
                                 fmt::format("emergency:{}", e.id), options_.command_expiry));
      }
      update.result = fmt::format("已下发开窗命令：{} 号窗口", fmt::join(chosen, "、"));
      break;
    }
    case Action::publish_notice: {
      // Through the notices, so the hall's screens list it, it can be withdrawn, and a
      // notice of another (lower) priority comes back when it ends.
      const auto now = clock_.now_seconds();
      notice::Draft draft{step.text, notice::Priority::urgent, notice::Display::all, now,
                          now + std::chrono::minutes(step.minutes)};
      const auto id = notice::publish(tx, draft, {notice::Level::hall, e.hall.code},
                                      fmt::format("emergency:{}", e.id), now, e.id);
      update.result = fmt::format("已发布公告（公告 {}）到营业厅屏幕", id);
      for (const auto& d : notice::sync_boards(tx, now, {e.hall.id}, notice_sync())) {
        if (d.command_id) {
          update.command_ids.push_back(*d.command_id);
        } else {
          update.state = "failed";
          update.result = fmt::format("公告 {} 无法送达：{}", id, d.detail);
        }
      }
      break;
    }
    case Action::notify:
      texts.items.push_back({e.hall.city_code, e.hall.code, step.level,
                             fmt::format("【应急】{}：{}", e.hall.name, step.text)});
      update.state = "done";
      update.result = fmt::format("已短信通知第 {} 级联系人", step.level);
      break;
    case Action::divert: {
      // A suggestion for the person who carries the step out: the step stays theirs to confirm.
      update.state = "pending";
      if (step.to == "terminals") {
        update.result = "引导缴费、查询等简单业务到自助终端办理";
        break;
      }
      std::vector<HallLoad> halls;
      HallLoad origin;
      for (const auto& row : tx.exec_params(
               "SELECT h.id, h.code, h.name, h.latitude, h.longitude FROM hall h "
               "WHERE h.city_id = (SELECT city_id FROM hall WHERE id = $1) AND h.status = 'open'",
               e.hall.id)) {
        HallLoad load{row[1].as<std::string>(), row[2].as<std::string>(), row[3].as<double>(),
                      row[4].as<double>()};
        const auto now = indicators_of(row[0].as<int>());
        load.predicted_wait_min = now.predicted_wait_min;
        load.queue_length = static_cast<int>(now.queue_length);
        load.windows_open = now.windows_open;
        (row[0].as<int>() == e.hall.id ? origin : halls.emplace_back()) = load;
      }
      auto targets = divert_targets(origin, halls, 20);
      if (targets.empty()) {
        update.result = "附近暂无有余量的营业厅，建议引导客户到自助终端或预约改日办理";
        break;
      }
      std::vector<std::string> names;
      for (const auto& t : targets)
        names.push_back(fmt::format("{}（{:.1f} 公里，预计等候 {:.0f} 分钟）", t.hall.name,
                                    t.distance_km, t.hall.predicted_wait_min));
      update.result = "建议分流至：" + fmt::format("{}", fmt::join(names, "；"));
      break;
    }
    default:
      return;  // a person carries it out
  }
  finish();
}

asio::awaitable<Outcome> Manager::activate(int plan_id, std::string hall_code, std::string content,
                                           std::string actor) {
  return change([this, plan_id, hall_code, content, actor](pqxx::work& tx, Texts& texts) {
    auto plan = load_plan(tx, plan_id);
    if (!plan) return refusal(Outcome::Kind::not_found, "no such plan");
    auto hall = hall_by_code(tx, hall_code);
    if (!hall) return refusal(Outcome::Kind::not_found, "no such hall");
    if (!plan->enabled) return refusal(Outcome::Kind::conflict, "the plan is disabled");
    if (!covers(*plan, hall->city_code, hall->code))
      return refusal(Outcome::Kind::invalid, "the plan does not cover this hall");
    auto id = insert_emergency(tx, *plan, hall->id, std::nullopt,
                               content.empty() ? "人工启动" : content, actor);
    if (!id) {
      return refusal(Outcome::Kind::conflict,
                     "an emergency of this event type is under way in the hall already");
    }
    start_locked(tx, *lock_emergency(tx, *id), actor, texts);
    return Outcome{Outcome::Kind::done, "", emergency_record(tx, *id)};
  });
}

asio::awaitable<Outcome> Manager::start_emergency(std::int64_t id, std::string actor) {
  return change([this, id, actor](pqxx::work& tx, Texts& texts) {
    auto locked = lock_emergency(tx, id);
    if (!locked) return refusal(Outcome::Kind::not_found, "no such emergency");
    if (locked->state != "suggested")
      return refusal(Outcome::Kind::conflict, fmt::format("the emergency is {}", locked->state));
    start_locked(tx, *locked, actor, texts);
    return Outcome{Outcome::Kind::done, "", emergency_record(tx, id)};
  });
}

asio::awaitable<Outcome> Manager::finish_step(std::int64_t id, int position, std::string state,
                                              std::string result, std::string actor) {
  return change([id, position, state, result, actor](pqxx::work& tx, Texts&) {
    auto locked = lock_emergency(tx, id);
    if (!locked) return refusal(Outcome::Kind::not_found, "no such emergency");
    if (locked->state != "active")
      return refusal(Outcome::Kind::conflict, "only a started emergency's steps are carried out");
    auto current = step_state(tx, id, position);
    if (!current) return refusal(Outcome::Kind::not_found, "no such step");
    if (*current != "pending" && *current != "running")
      return refusal(Outcome::Kind::conflict, fmt::format("the step is {} already", *current));
    update_step(tx, id, {position, state, result, {}, actor});
    const auto& step = locked->steps.at(static_cast<std::size_t>(position - 1));
    const auto word = state == "done" ? "完成" : state == "skipped" ? "跳过" : "未能完成";
    log_event(tx, id, actor, "step",
              fmt::format("第 {} 步 {}：{}{}{}", position, describe(step), word,
                          result.empty() ? "" : "，", result));
    return Outcome{Outcome::Kind::done, "", emergency_record(tx, id)};
  });
}

asio::awaitable<Outcome> Manager::close(std::int64_t id, Closing closing, std::string actor) {
  return change([this, id, closing, actor](pqxx::work& tx, Texts&) {
    auto locked = lock_emergency(tx, id);
    if (!locked) return refusal(Outcome::Kind::not_found, "no such emergency");
    if (closing.dismiss && locked->state != "suggested")
      return refusal(Outcome::Kind::conflict,
                     "only a suggestion is dismissed; close a started one");
    if (!closing.dismiss && locked->state != "active")
      return refusal(Outcome::Kind::conflict, fmt::format("the emergency is {}", locked->state));
    if (!closing.dismiss && !locked->has_after) measure_effect(tx, *locked);
    const auto now = clock_.now_seconds();
    if (!notice::withdraw_for_emergency(tx, id, actor, now).empty())
      notice::sync_boards(tx, now, {locked->hall.id}, notice_sync());
    mark_closed(tx, id, closing.dismiss ? "dismissed" : "closed", actor,
                closing.dismiss ? "dismissed" : closing.outcome, closing.result, closing.nature,
                closing.content);
    log_event(tx, id, actor, closing.dismiss ? "dismiss" : "close",
              closing.dismiss ? "不启动预案：" + closing.result
                              : fmt::format("结束处置（{}）：{}", closing.outcome, closing.result));
    return Outcome{Outcome::Kind::done, "", emergency_record(tx, id)};
  });
}

void Manager::measure_effect(pqxx::work& tx, const Locked& e) {
  const auto before = indicators_from_json(e.before.value_or(json::object()));
  const auto after = indicators_of(e.hall.id);
  const bool worked = effective(e.event_type, before, after, !alarm_standing(e.alarm_id));
  record_effect(tx, e.id, after, worked);
  log_event(tx, e.id, "system", "effect",
            fmt::format("效果评估：排队 {:.0f} → {:.0f} 人，预计等候 {:.0f} → {:.0f} 分钟，{}",
                        before.queue_length, after.queue_length, before.predicted_wait_min,
                        after.predicted_wait_min, worked ? "有效" : "未见成效"));
}

asio::awaitable<void> Manager::ticker() {
  while (!loops_.stopping()) {
    auto waiting = tick_timer_.wait(options_.tick);
    if (!co_await std::move(waiting) || loops_.stopping()) continue;
    try {
      auto following = follow_up();
      co_await std::move(following);
      auto judging = judge_work_orders();
      co_await std::move(judging);
    } catch (const std::exception& e) {
      spdlog::warn("emergency: follow-up deferred to the next tick: {}", e.what());
    }
  }
}

// Command answers into steps, overdue steps escalated, effects measured when due.
asio::awaitable<void> Manager::follow_up() {
  const auto now = epoch(clock_.now_seconds());
  auto answering = change([](pqxx::work& tx, Texts&) {
    for (const auto& step : running_steps(tx)) {
      auto states = store::command_states(tx, step.command_ids);
      const bool open = std::any_of(states.begin(), states.end(), [](const auto& s) {
        return s.second.state == "queued" || s.second.state == "sent";
      });
      if (open) continue;
      std::vector<std::string> failures;
      for (const auto& [command, state] : states) {
        if (state.state != "done")
          failures.push_back(fmt::format("命令 {} {}{}{}", command, state.state,
                                         state.detail.empty() ? "" : "：", state.detail));
      }
      const auto verdict = failures.empty() ? std::string("营业厅系统已确认执行")
                                            : fmt::format("{}", fmt::join(failures, "；"));
      tx.exec_params(
          "UPDATE emergency_step SET state = $3, done_at = now(), done_by = 'system', "
          "result = result || '；' || $4 WHERE emergency_id = $1 AND position = $2",
          step.emergency_id, step.position, failures.empty() ? "done" : "failed", verdict);
      log_event(tx, step.emergency_id, "system", "answer",
                fmt::format("第 {} 步：{}", step.position, verdict));
    }
    return Outcome{};
  });
  co_await std::move(answering);
  auto escalating = change([this, now](pqxx::work& tx, Texts& texts) {
    for (const auto& step : take_overdue_steps(tx, now)) {
      escalations_.inc();
      log_event(tx, step.emergency_id, "system", "escalate",
                fmt::format("第 {} 步「{}」超时未完成，已上报", step.position, step.description));
      texts.items.push_back(
          {step.hall.city_code, step.hall.code, 2,
           fmt::format("【应急处置超时】{}《{}》第 {} 步「{}」超时未完成（事件 {}）。",
                       step.hall.name, step.plan_name, step.position, step.description,
                       step.emergency_id)});
    }
    return Outcome{};
  });
  co_await std::move(escalating);
  auto measuring = change([this, now](pqxx::work& tx, Texts&) {
    for (auto id : effect_due(tx, now)) {
      auto locked = lock_emergency(tx, id);
      if (locked && locked->state == "active" && !locked->has_after) measure_effect(tx, *locked);
    }
    return Outcome{};
  });
  co_await std::move(measuring);
}

asio::awaitable<void> Manager::judge_work_orders() {
  const auto now = clock_.now_seconds();
  struct Due {
    WorkOrderRule rule;
    int hall_id;
    std::string city_code, hall_code, hall_name;
    json evidence;
  };
  std::vector<Due> due;
  std::set<std::pair<int, int>> seen;
  for (const auto& view : live_.views()) {
    for (const auto& rule : work_order_rules_) {
      if (!rule.enabled || (!rule.city_code.empty() && rule.city_code != view->city_code) ||
          (!rule.hall_code.empty() && rule.hall_code != view->code))
        continue;
      auto indicator = alarm::parse_indicator(rule.indicator);
      if (!indicator) continue;
      auto value = alarm::indicator_value(*indicator, *view, "", now);
      if (!value || *value <= rule.threshold) continue;
      const std::pair key{rule.id, view->hall_id};
      seen.insert(key);
      auto [hold, fresh] = holds_.try_emplace(key, Hold{now, false});
      if (hold->second.reported || now - hold->second.since < std::chrono::minutes(rule.hold_min))
        continue;
      hold->second.reported = true;
      const auto current = indicators_of(view->hall_id);
      due.push_back({rule, view->hall_id, view->city_code, view->code, view->name,
                     json{{"value", *value},
                          {"threshold", rule.threshold},
                          {"since", records::iso8601(hold->second.since)},
                          {"hold_min", rule.hold_min},
                          {"indicators", to_json(current)}}});
    }
  }
  std::erase_if(holds_, [&seen](const auto& entry) { return !seen.contains(entry.first); });
  if (due.empty()) co_return;
  auto opening = change([this, due, now](pqxx::work& tx, Texts& texts) {
    for (const auto& d : due) {
      auto id = open_work_order(tx, d.rule, d.hall_id, d.evidence, epoch(now));
      if (!id) continue;
      work_orders_.inc();
      texts.items.push_back(
          {d.city_code, d.hall_code, 1,
           fmt::format("【工单】{}：{}持续超过 {} 分钟高于 {}（当前 {:.0f}），请于 {} "
                       "小时内登录系统反馈原因和整改措施（工单 {}）。",
                       d.hall_name, d.rule.name, d.rule.hold_min, d.rule.threshold,
                       d.evidence["value"].get<double>(), d.rule.answer_within_h, *id)});
    }
    return Outcome{};
  });
  co_await std::move(opening);
}

}  // namespace halld::emergency
