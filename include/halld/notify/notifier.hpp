// notify/notifier: alarms to people's phones. Listens to the alarm engine, lets the dispatcher
// (alarm/dispatch) decide who hears what and when (area, severity, duty, quiet hours,
// escalation, storm digests), records each text in PostgreSQL before sending it, and sends it
// through the configured channels in order — the next channel when one refuses, again after
// `retry_after` when all refuse, failed after `max_attempts` rounds. Texts left queued by a
// crash are sent at the next start. Delivery reports are recorded by the API (sms_store).
// Owns: the dispatcher, the send queue, the channels. Lives on its own strand.
// Must not touch: alarm state (it only listens), HTTP.
#pragma once

#include <deque>
#include <functional>
#include <memory>
#include <vector>

#include "halld/alarm/engine.hpp"
#include "halld/notify/channel.hpp"
#include "halld/notify/sms_store.hpp"

namespace halld::notify {

struct NotifierOptions {
  DispatchPolicy policy;
  int max_attempts = 3;
  std::chrono::seconds retry_after{30};
  std::chrono::milliseconds tick{1000};
};

// What a transition tells a person; nullopt for changes nobody is texted about (closing).
std::optional<AlarmNotice> notice_of(const alarm::AlarmEvent& event);

class Notifier final : public Service {
 public:
  Notifier(asio::any_io_executor executor, store::Database& database, MetricsRegistry& metrics,
           alarm::Engine& alarms, std::vector<std::unique_ptr<Channel>> channels,
           NotifierOptions options, const Clock& clock);
  ~Notifier() override;
  std::string_view name() const override { return "sms"; }

  // Blocking, before start(): the contacts and the texts an earlier run left queued.
  void load();
  void start() override;
  void stop(std::function<void()> done) override;
  // Thread-safe: a direct text (not about one alarm), sent with the next round of texts.
  void tell(DirectText text);
  // The contacts again from the database, after the API changed them.
  asio::awaitable<void> reload_contacts();

 private:
  struct Pending {
    QueuedText text;
    std::chrono::steady_clock::time_point next_try;
  };
  void on_event(const alarm::AlarmEvent& event);
  asio::awaitable<void> ticker();
  asio::awaitable<void> sender();
  asio::awaitable<void> attempt(Pending& pending);

  asio::strand<asio::any_io_executor> strand_;
  store::Database& database_;
  alarm::Engine& alarms_;
  std::vector<std::unique_ptr<Channel>> channels_;
  NotifierOptions options_;
  const Clock& clock_;
  Dispatcher dispatcher_;
  std::deque<Pending> pending_;
  std::vector<DirectText> direct_;  // told, not yet recorded
  std::optional<std::uint64_t> subscription_;
  Loops loops_;
  Timer tick_timer_;
  Timer send_timer_;

  Counter& texts_queued_;
  Counter& texts_sent_;
  Counter& texts_failed_;
  Counter& channel_refusals_;
};

}  // namespace halld::notify
