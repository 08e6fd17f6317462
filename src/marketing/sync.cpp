#include "halld/marketing/sync.hpp"

#include <fmt/format.h>
#include <openssl/rand.h>
#include <spdlog/spdlog.h>

#include "halld/core/text.hpp"
#include "halld/records/event_json.hpp"

namespace halld::marketing {
namespace {

bool retryable(const wire::AnswerError& error) {
  // A Client fault is halld's request or credentials: asking again changes nothing.
  return !(error.kind == wire::AnswerError::Kind::fault &&
           (error.fault_code.ends_with("Client") ||
            error.fault_code.find("Authentication") != std::string::npos));
}

std::string nonce() {
  std::string bytes(16, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(bytes.data()), 16) != 1)
    throw std::runtime_error("no random bytes for the WS-Security nonce");
  return bytes;
}

}  // namespace

Sync::Sync(asio::any_io_executor executor, store::Database& database, MetricsRegistry& metrics,
           SyncOptions options, const Clock& clock)
    : strand_(asio::make_strand(executor)),
      database_(database),
      options_(std::move(options)),
      endpoint_(link::parse_http_url(options_.url)),
      clock_(clock),
      loops_(strand_, "marketing"),
      timer_(strand_, clock),
      pages_(metrics.counter("halld_marketing_pages_total",
                             "Pages read from the marketing system's WebService and stored.")),
      records_(metrics.counter("halld_marketing_records_total",
                               "Records of the marketing system stored (upserted by key).")),
      rejected_(metrics.counter("halld_marketing_rejected_total",
                                "Records of the marketing system refused by the codec (kept in "
                                "marketing_rejected with why).")),
      failures_(metrics.counter("halld_marketing_failures_total",
                                "Exchanges with the marketing system that failed (timeouts, "
                                "faults, malformed answers).")),
      linked_(metrics.counter("halld_marketing_linked_total",
                              "Counter applications linked to the queue ticket they were "
                              "handled under.")),
      unmatched_(metrics.counter("halld_marketing_unmatched_total",
                                 "Counter applications no ticket fitted.")),
      up_(metrics.gauge("halld_marketing_up",
                        "1 while the marketing system's WebService answers, else 0.")) {
  status_.code = "marketing";
  status_.protocol = "marketing";
  status_.link = "http";
  status_.peer = fmt::format("{}:{}{}", endpoint_.host, endpoint_.port, endpoint_.path);
}

void Sync::start() {
  loops_.spawn("sync", loop());
}

void Sync::stop(std::function<void()> done) {
  asio::post(strand_, [this, done = std::move(done)]() mutable {
    loops_.stop(std::move(done));
    timer_.cancel();
  });
}

acq::ChannelStatus Sync::status() const {
  std::lock_guard lock(status_mutex_);
  return status_;
}

std::string Sync::circuit() const {
  std::lock_guard lock(status_mutex_);
  if (half_open_) return "half_open";
  return open_until_ ? "open" : "closed";
}

asio::awaitable<void> Sync::loop() {
  while (!loops_.stopping()) {
    try {
      co_await round();
      note_success();
    } catch (const Failure& e) {
      if (loops_.stopping()) break;  // cut short by the stop, not by the service
      note_failure(e.what());
    } catch (const std::exception& e) {  // the database refused: the round is tried again
      failures_.inc();
      spdlog::warn("marketing: round not stored, tried again later: {}", e.what());
    }
    auto pause = options_.interval;
    {
      std::lock_guard lock(status_mutex_);
      if (open_until_) pause = options_.breaker_pause, half_open_ = true;
    }
    auto waiting = timer_.wait(pause);
    if (!co_await std::move(waiting)) continue;
  }
}

asio::awaitable<void> Sync::round() {
  const auto now = clock_.elapsed();
  if (!archive_due_ || now >= *archive_due_) {
    for (auto entity : {wire::Entity::business_types, wire::Entity::halls, wire::Entity::clerks}) {
      auto reading = feed(entity, true);
      co_await std::move(reading);
    }
    archive_due_ = now + options_.archive_interval;
  }
  for (auto entity : {wire::Entity::customers, wire::Entity::applications}) {
    auto reading = feed(entity, false);
    co_await std::move(reading);
  }
  const auto at = clock_.now_seconds();
  auto linking = database_.run([at, link = options_.link](pqxx::connection& c) {
    pqxx::work tx(c);
    auto counts = link_waiting(tx, at, link);
    tx.commit();
    return counts;
  });
  const auto counts = co_await std::move(linking);
  linked_.inc(counts.linked);
  unmatched_.inc(counts.unmatched);
}

asio::awaitable<void> Sync::feed(wire::Entity entity, bool whole) {
  const auto pass_started = clock_.now_seconds();
  wire::Watermark after;
  if (!whole) {
    auto reading = database_.run([entity](pqxx::connection& c) {
      store::ReadTransaction tx(c);
      return feed_position(tx, entity);
    });
    after = co_await std::move(reading);
  }
  // A whole list is read to its end (a service that never ends it is cut off at 100,000 pages).
  const int max_pages = whole ? 100'000 : options_.max_pages_per_round;
  for (int page_number = 0; page_number < max_pages; ++page_number) {
    auto fetching = fetch(entity, after);
    auto page = co_await std::move(fetching);
    const bool last = !page.more || !page.last;
    const auto now = clock_.now_seconds();
    auto storing = database_.run([page, whole, last, now, pass_started,
                                  thresholds = options_.thresholds](pqxx::connection& c) {
      pqxx::work tx(c);
      store_page(tx, page, thresholds, now, pass_started);
      std::vector<nlohmann::json> changes;
      if (whole && last && page.entity != wire::Entity::business_types)
        changes = finish_archive_pass(tx, page.entity, pass_started, now);
      tx.commit();
      return changes;
    });
    const auto changes = co_await std::move(storing);
    pages_.inc();
    records_.inc(page.size() - page.rejected.size());
    rejected_.inc(page.rejected.size());
    for (const auto& r : page.rejected)
      spdlog::warn("marketing: {} \"{}\" refused: {}", wire::entity_name(entity), r.key, r.reason);
    if (!changes.empty())
      spdlog::info(
          "marketing: the {} archive differs in {} records (see /api/v1/marketing/"
          "archive-changes)",
          wire::entity_name(entity), changes.size());
    if (last) break;
    after = *page.last;
  }
}

asio::awaitable<wire::Page> Sync::fetch(wire::Entity entity, const wire::Watermark& after) {
  auto delay = options_.retry_delay;
  for (int attempt = 1;; ++attempt) {
    try {
      auto exchanging = exchange(entity, after);
      co_return co_await std::move(exchanging);
    } catch (const Failure& e) {
      failures_.inc();
      if (!e.retry || attempt >= options_.attempts || loops_.stopping()) throw;
      spdlog::info("marketing: {} (attempt {} of {}; again in {} ms)", e.what(), attempt,
                   options_.attempts, delay.count());
    }
    auto waiting = timer_.wait(delay);
    if (!co_await std::move(waiting)) throw Failure("stopping", false);
    delay *= 2;
  }
}

asio::awaitable<wire::Page> Sync::exchange(wire::Entity entity, const wire::Watermark& after) {
  std::optional<wire::UsernameToken> token;
  if (!options_.username.empty())
    token = wire::UsernameToken{options_.username, options_.password, options_.password_digest,
                                nonce(), clock_.now_seconds()};
  link::HttpRequest request{"POST",
                            endpoint_.path,
                            {{"Content-Type", "text/xml; charset=utf-8"},
                             {"SOAPAction", fmt::format("\"{}\"", wire::soap_action(entity))}},
                            wire::build_request({entity, after, options_.page_size}, token)};
  link::HttpResponse response;
  try {
    auto exchanging = link::http_exchange(strand_, endpoint_, std::move(request), options_.http);
    response = co_await std::move(exchanging);
  } catch (const link::HttpFailure& e) {
    throw Failure(fmt::format("{}: {}", wire::operation_name(entity), e.what()), true);
  }
  {
    std::lock_guard lock(status_mutex_);
    status_.bytes_in += response.body.size();
  }
  // SOAP 1.1 answers a fault with 500; anything else but 200 is the web server's, not the
  // service's.
  if (response.status != 200 && response.status != 500)
    throw Failure(fmt::format("{}: HTTP {}", wire::operation_name(entity), response.status),
                  response.status >= 500 || response.status == 429);
  auto answer =
      wire::parse_answer(response.body, response.content_type, entity, options_.page_size);
  if (auto* error = std::get_if<wire::AnswerError>(&answer))
    throw Failure(fmt::format("{}: {} ({})", wire::operation_name(entity), error->message,
                              wire::kind_name(error->kind)),
                  retryable(*error));
  auto& page = std::get<wire::Page>(answer);
  {
    std::lock_guard lock(status_mutex_);
    status_.events_received += page.size();
    status_.events_acknowledged += page.size();
  }
  co_return std::move(page);
}

void Sync::note_success() {
  failed_rounds_ = 0;
  bool came_up = false;
  {
    std::lock_guard lock(status_mutex_);
    open_until_.reset();
    half_open_ = false;
    came_up = !status_.up;
    status_.up = status_.logged_in = true;
    if (came_up) ++status_.connects;
  }
  up_.set(1);
  if (came_up) {
    spdlog::info("marketing: the WebService at {} answers", status().peer);
    record_comm("up", "");
  }
}

void Sync::note_failure(const std::string& why) {
  ++failed_rounds_;
  bool went_down = false;
  bool opened = false;
  {
    std::lock_guard lock(status_mutex_);
    went_down = status_.up || status_.connects == 0;
    status_.up = status_.logged_in = false;
    status_.last_down_reason = why;
    half_open_ = false;
    if (failed_rounds_ >= options_.breaker_rounds) {
      opened = !open_until_;
      open_until_ = clock_.elapsed() + options_.breaker_pause;
    }
  }
  up_.set(0);
  if (went_down) {
    spdlog::warn("marketing: the WebService fails: {}", why);
    record_comm("down", why);
  }
  if (opened)
    spdlog::warn("marketing: {} rounds failed; asking again every {} s", failed_rounds_,
                 std::chrono::duration_cast<std::chrono::seconds>(options_.breaker_pause).count());
}

void Sync::record_comm(const std::string& state, const std::string& detail) {
  const auto at = records::iso8601(clock_.now_seconds());
  halld::spawn(strand_, "marketing comm event",
               [](store::Database& database, std::string at, std::string state,
                  std::string detail) -> asio::awaitable<void> {
                 auto recording = database.run([at, state, detail](pqxx::connection& c) {
                   pqxx::work tx(c);
                   tx.exec_params(
                       "INSERT INTO marketing_comm_event (at, state, detail) VALUES ($1, $2, $3)",
                       at, state, printable_excerpt(detail, 500));
                   tx.commit();
                 });
                 co_await std::move(recording);
               }(database_, at, state, detail));
}

}  // namespace halld::marketing
