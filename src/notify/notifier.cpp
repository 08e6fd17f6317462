#include "halld/notify/notifier.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <random>

#include "halld/alarm/alarm_store.hpp"
#include "halld/core/run_on.hpp"
#include "halld/notify/contact_store.hpp"

namespace halld::notify {
namespace {

// Unguessable enough that a delivery report cannot be forged for someone else's text.
std::string fresh_token() {
  static thread_local std::random_device device;
  return fmt::format("{:08x}{:08x}{:08x}{:08x}", device(), device(), device(), device());
}

}  // namespace

std::optional<AlarmNotice> notice_of(const alarm::AlarmEvent& event) {
  alarm::Transition::Kind kind;
  switch (event.change) {
    case alarm::Change::raise:
      kind = alarm::Transition::Kind::raise;
      break;
    case alarm::Change::escalate:
      kind = alarm::Transition::Kind::escalate;
      break;
    case alarm::Change::clear:
      kind = alarm::Transition::Kind::clear;
      break;
    default:
      return std::nullopt;
  }
  const auto& a = event.alarm;
  AlarmNotice notice;
  notice.alarm_id = a.id;
  notice.city_code = a.city_code;
  notice.hall_code = a.hall_code;
  auto& f = notice.facts;
  f.kind = kind;
  f.severity = a.severity;
  f.hall = a.hall_name;
  f.hall_code = a.hall_code;
  f.indicator = alarm::what_of(a);
  f.object = a.object;
  f.has_value = a.kind == alarm::RuleKind::limit || a.kind == alarm::RuleKind::comm_loss;
  f.value = kind == alarm::Transition::Kind::raise ? a.raised_value : a.last_value;
  f.limit = a.threshold;
  f.unit = alarm::unit_of(a);
  f.at = event.at;
  f.utc_offset = a.utc_offset;
  return notice;
}

Notifier::Notifier(asio::any_io_executor executor, store::Database& database,
                   MetricsRegistry& metrics, alarm::Engine& alarms,
                   std::vector<std::unique_ptr<Channel>> channels, NotifierOptions options,
                   const Clock& clock)
    : strand_(asio::make_strand(executor)),
      database_(database),
      alarms_(alarms),
      channels_(std::move(channels)),
      options_(std::move(options)),
      clock_(clock),
      dispatcher_(options_.policy, {}),
      loops_(strand_, "sms"),
      tick_timer_(strand_, clock),
      send_timer_(strand_, clock),
      texts_queued_(metrics.counter("halld_sms_texts_queued_total",
                                    "Alarm texts handed over by the dispatcher.")),
      texts_sent_(metrics.counter("halld_sms_texts_sent_total", "Alarm texts a channel accepted.")),
      texts_failed_(metrics.counter("halld_sms_texts_failed_total",
                                    "Alarm texts given up after every attempt.")),
      channel_refusals_(
          metrics.counter("halld_sms_channel_refusals_total",
                          "Attempts on one channel that failed (the next channel is tried).")) {}

Notifier::~Notifier() = default;

void Notifier::load() {
  const auto since =
      clock_.now_seconds() - std::chrono::hours(1);  // older texts would tell stale news
  auto [contacts, queued] = database_.run_blocking([since](pqxx::connection& c) {
    store::ReadTransaction tx(c);
    return std::pair(load_contacts(tx), load_queued(tx, since));
  });
  dispatcher_.set_contacts(std::move(contacts));
  const auto now = clock_.elapsed();
  for (auto& text : queued) pending_.push_back({std::move(text), now});
  if (!pending_.empty())
    spdlog::info("sms: {} text(s) left queued by the last run will be sent", pending_.size());
}

void Notifier::start() {
  auto [subscription, standing] = alarms_.subscribe([this](const alarm::AlarmEvent& event) {
    asio::post(strand_, [this, event] { on_event(event); });
  });
  subscription_ = subscription;
  // Alarms open from before a restart keep climbing the escalation chain.
  asio::post(strand_, [this, standing = std::move(standing)] {
    for (const auto& a : standing) {
      if (a.state != alarm::AlarmState::raised && a.state != alarm::AlarmState::acknowledged)
        continue;
      auto notice = notice_of({0, alarm::Change::raise, a.raised_at, "", "", a});
      if (notice)
        dispatcher_.adopt(*notice, a.raised_at, a.acknowledged_at.has_value(),
                          clock_.now_seconds());
    }
  });
  loops_.spawn("ticker", ticker());
  loops_.spawn("sender", sender());
}

void Notifier::stop(std::function<void()> done) {
  if (subscription_) alarms_.unsubscribe(*subscription_);
  asio::post(strand_, [this, done = std::move(done)]() mutable {
    loops_.stop(std::move(done));
    for (auto& channel : channels_) channel->stop();
    tick_timer_.cancel();
    send_timer_.cancel();
  });
}

asio::awaitable<void> Notifier::reload_contacts() {
  auto contacts = co_await database_.run([](pqxx::connection& c) {
    store::ReadTransaction tx(c);
    return load_contacts(tx);
  });
  // Named, not a temporary in the co_await: GCC 12 destroys such temporaries' captures twice.
  auto applying = run_on(strand_, [this, contacts = std::move(contacts)]() mutable {
    dispatcher_.set_contacts(std::move(contacts));
  });
  co_await std::move(applying);
}

void Notifier::tell(DirectText text) {
  asio::post(strand_, [this, text = std::move(text)]() mutable {
    if (!loops_.stopping()) direct_.push_back(std::move(text));
  });
}

void Notifier::on_event(const alarm::AlarmEvent& event) {
  if (loops_.stopping()) return;
  if (event.change == alarm::Change::acknowledge) {
    dispatcher_.acknowledged(event.alarm.id);
  } else if (auto notice = notice_of(event)) {
    dispatcher_.notify(*notice, clock_.now_seconds());
  }
}

asio::awaitable<void> Notifier::ticker() {
  while (!loops_.stopping()) {
    auto waiting = tick_timer_.wait(options_.tick);
    co_await std::move(waiting);
    if (loops_.stopping()) break;
    auto due = dispatcher_.due(clock_.now_seconds());
    for (const auto& text : std::exchange(direct_, {})) {
      auto outgoing = dispatcher_.direct(text, clock_.now_seconds());
      if (outgoing.empty())
        spdlog::warn("sms: nobody at level {} covers hall {} for: {}", text.level, text.hall_code,
                     text.text);
      due.insert(due.end(), outgoing.begin(), outgoing.end());
    }
    if (due.empty()) continue;
    std::vector<QueuedText> stored;
    try {
      auto storing = database_.run([due](pqxx::connection& c) {
        pqxx::work tx(c);
        std::vector<QueuedText> texts;
        for (const auto& outgoing : due) texts.push_back(insert_text(tx, outgoing, fresh_token()));
        tx.commit();
        return texts;
      });
      stored = co_await std::move(storing);
    } catch (const std::exception& e) {
      // Sent unrecorded rather than not at all: the alarm matters more than its paperwork.
      spdlog::error("sms: cannot record {} text(s), sending them unrecorded: {}", due.size(),
                    e.what());
      for (const auto& outgoing : due)
        stored.push_back({{0, outgoing.phone, outgoing.text, ""}, 0});
    }
    const auto now = clock_.elapsed();
    for (auto& text : stored) pending_.push_back({std::move(text), now});
    texts_queued_.inc(static_cast<double>(stored.size()));
    send_timer_.cancel();
  }
}

asio::awaitable<void> Notifier::sender() {
  while (!loops_.stopping()) {
    const auto now = clock_.elapsed();
    auto next = std::find_if(pending_.begin(), pending_.end(),
                             [now](const Pending& p) { return p.next_try <= now; });
    if (next == pending_.end()) {
      auto waiting = send_timer_.wait(std::chrono::seconds(1));
      co_await std::move(waiting);
      continue;
    }
    Pending pending = std::move(*next);
    pending_.erase(next);
    co_await attempt(pending);
    if (pending.next_try > now) pending_.push_back(std::move(pending));
  }
}

// One round over the channels in order. The text's record is updated after the round; a
// database that is away costs the record, not the text.
asio::awaitable<void> Notifier::attempt(Pending& pending) {
  auto& text = pending.text;
  ++text.attempts;
  std::vector<std::string> refusals;
  TextState state = TextState::queued;
  std::string taken_by;
  for (auto& channel : channels_) {
    if (loops_.stopping()) break;
    auto outcome = co_await channel->send(text.message);
    if (outcome.accepted) {
      state = outcome.delivered ? TextState::delivered : TextState::sent;
      taken_by = std::string(channel->name());
      break;
    }
    channel_refusals_.inc();
    refusals.push_back(fmt::format("{}: {}", channel->name(), outcome.detail));
    spdlog::warn("sms: text {} to {} not taken by {}: {}", text.message.id, text.message.phone,
                 channel->name(), outcome.detail);
  }
  if (state == TextState::queued) {
    if (text.attempts >= options_.max_attempts || channels_.empty()) {
      state = TextState::failed;
      texts_failed_.inc();
      spdlog::error("sms: text {} to {} failed after {} attempt(s)", text.message.id,
                    text.message.phone, text.attempts);
    } else {
      pending.next_try = clock_.elapsed() + options_.retry_after;
    }
  } else {
    texts_sent_.inc();
  }
  if (text.message.id == 0) co_return;
  const auto error = fmt::format("{}", fmt::join(refusals, "; "));
  try {
    auto recording = database_.run([id = text.message.id, state, attempts = text.attempts, taken_by,
                                    error](pqxx::connection& c) {
      pqxx::work tx(c);
      record_attempt(tx, id, state, attempts, taken_by, error);
      tx.commit();
    });
    co_await std::move(recording);
  } catch (const std::exception& e) {
    spdlog::warn("sms: cannot record the outcome of text {}: {}", text.message.id, e.what());
  }
}

}  // namespace halld::notify
