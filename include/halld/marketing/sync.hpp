// marketing/sync: the marketing system's feeds brought into halld. Each round reads the
// archive lists whole when they are due (business types, halls, clerks: compared with halld's
// archive after each full pass) and the incremental feeds (customers, applications) page by
// page after their watermarks, each page stored with its watermark in one transaction; then
// links the applications whose tickets should be in. An exchange that fails is retried with
// backoff; rounds that keep failing open the circuit for a while, so a service that is down is
// asked once per pause rather than hammered; the comm status goes down and up like a channel's.
// Owns: the exchanges, the circuit, the comm status. Must not touch: the records' meaning
// (marketing/rules) or their tables (marketing/store).
#pragma once

#include <mutex>

#include "halld/acq/channel.hpp"
#include "halld/core/clock.hpp"
#include "halld/core/metrics.hpp"
#include "halld/core/service.hpp"
#include "halld/link/http_client.hpp"
#include "halld/marketing/store.hpp"
#include "halld/store/database.hpp"

namespace halld::marketing {

struct SyncOptions {
  std::string url;       // http://host:port/path of the WebService
  std::string username;  // empty: no WS-Security header
  std::string password;
  bool password_digest = true;
  int page_size = 500;
  int max_pages_per_round = 200;  // per feed: a long backlog is taken over several rounds
  std::chrono::milliseconds interval{std::chrono::seconds(60)};
  std::chrono::milliseconds archive_interval{std::chrono::hours(1)};
  link::HttpLimits http{std::chrono::seconds(5), std::chrono::seconds(60), wire::max_answer_bytes};
  int attempts = 3;                             // per page, the first included
  std::chrono::milliseconds retry_delay{1000};  // doubles at each further attempt
  int breaker_rounds = 3;                       // failed rounds in a row that open the circuit
  std::chrono::milliseconds breaker_pause{std::chrono::minutes(5)};
  ClassThresholds thresholds;
  LinkRound link;
};

class Sync final : public Service {
 public:
  // Throws std::invalid_argument for a URL that is not http://host[:port]/path.
  Sync(asio::any_io_executor executor, store::Database& database, MetricsRegistry& metrics,
       SyncOptions options, const Clock& clock);
  std::string_view name() const override { return "marketing"; }
  void start() override;
  void stop(std::function<void()> done) override;
  // The feed as a channel (protocol "marketing", link "http"), for /api/v1/channels. Thread-safe.
  acq::ChannelStatus status() const;
  // "closed", "open" (pausing after failures) or "half_open" (the next round is the probe).
  std::string circuit() const;

 private:
  struct Failure : std::runtime_error {
    Failure(const std::string& what, bool retry) : std::runtime_error(what), retry(retry) {}
    bool retry;
  };
  asio::awaitable<void> loop();
  asio::awaitable<void> round();
  // One feed: every page after its watermark (a full pass when `whole`).
  asio::awaitable<void> feed(wire::Entity entity, bool whole);
  asio::awaitable<wire::Page> fetch(wire::Entity entity, const wire::Watermark& after);
  asio::awaitable<wire::Page> exchange(wire::Entity entity, const wire::Watermark& after);
  void note_success();
  void note_failure(const std::string& why);
  void record_comm(const std::string& state, const std::string& detail);

  asio::strand<asio::any_io_executor> strand_;
  store::Database& database_;
  SyncOptions options_;
  link::HttpEndpoint endpoint_;
  const Clock& clock_;
  Loops loops_;
  Timer timer_;
  std::optional<std::chrono::steady_clock::time_point> archive_due_;  // none: at once
  int failed_rounds_ = 0;
  std::optional<std::chrono::steady_clock::time_point> open_until_;

  mutable std::mutex status_mutex_;
  acq::ChannelStatus status_;
  bool half_open_ = false;

  Counter& pages_;
  Counter& records_;
  Counter& rejected_;
  Counter& failures_;
  Counter& linked_;
  Counter& unmatched_;
  Gauge& up_;
};

}  // namespace halld::marketing
