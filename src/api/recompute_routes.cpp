// Recomputations from the web: what `halld recompute` does (rebuild the KPI rollups of a range
// of days from the event log), started by an administrator, with progress to watch and a
// cancel. Each hall-day is rebuilt by the live engine, the one writer of rollups. One runs at a
// time, one hall-day per database job, so the pool stays free for live traffic in between. The
// record of recent ones lives in memory: a restart forgets it and ends a running one (the days it
// rebuilt stay rebuilt).
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <deque>
#include <mutex>
#include <nlohmann/json.hpp>

#include "halld/api/routes.hpp"
#include "halld/core/spawn.hpp"
#include "halld/records/event_json.hpp"
#include "halld/store/kpi_store.hpp"
#include "route_helpers.hpp"

namespace halld::api {
namespace {

using nlohmann::json;
using records::Timestamp;

constexpr std::size_t kept_records = 50;
constexpr int max_days = 3660;  // as the command line allows

struct Recomputation {
  std::int64_t id = 0;
  std::chrono::sys_days first_day, last_day;
  std::string hall;  // empty: every hall
  std::string requested_by;
  std::string state =
      "running";  // running, done, cancelled, failed (shown "cancelling" once asked to stop)
  std::size_t hall_days = 0;
  std::size_t done = 0;
  Timestamp started_at;
  std::optional<Timestamp> finished_at;
  std::string error;
  bool cancel_requested = false;
};

json to_json(const Recomputation& r) {
  return {{"id", r.id},
          {"from", records::date_text(r.first_day)},
          {"to", records::date_text(r.last_day)},
          {"hall", r.hall.empty() ? json(nullptr) : json(r.hall)},
          {"requested_by", r.requested_by},
          {"state", r.state == "running" && r.cancel_requested ? "cancelling" : r.state},
          {"hall_days", r.hall_days},
          {"done", r.done},
          {"percent", r.hall_days == 0 ? 100 : static_cast<int>(r.done * 100 / r.hall_days)},
          {"started_at", records::iso8601(r.started_at)},
          {"finished_at", r.finished_at ? json(records::iso8601(*r.finished_at)) : json(nullptr)},
          {"error", r.error.empty() ? json(nullptr) : json(r.error)}};
}

// The record of recent recomputations, shared by the routes (on connections' strands) and the
// running one.
class Recomputations {
 public:
  // The new one's id, or nullopt while another still runs.
  std::optional<std::int64_t> start(Recomputation r) {
    std::lock_guard lock(mutex_);
    for (const auto& other : recent_) {
      if (other.state == "running") return std::nullopt;
    }
    r.id = next_id_++;
    r.started_at = now_seconds();
    recent_.push_back(std::move(r));
    if (recent_.size() > kept_records) recent_.pop_front();
    return recent_.back().id;
  }
  std::optional<json> find(std::int64_t id) {
    std::lock_guard lock(mutex_);
    auto* r = locked_find(id);
    return r ? std::optional<json>(to_json(*r)) : std::nullopt;
  }
  json list() {
    std::lock_guard lock(mutex_);
    json items = json::array();
    for (auto it = recent_.rbegin(); it != recent_.rend(); ++it) items.push_back(to_json(*it));
    return json{{"items", std::move(items)}};
  }
  // Asks a running one to stop after the hall-day in hand; false when there is none such.
  bool cancel(std::int64_t id) {
    std::lock_guard lock(mutex_);
    auto* r = locked_find(id);
    if (!r || r->state != "running") return false;
    r->cancel_requested = true;
    return true;
  }
  void advance(std::int64_t id) {
    std::lock_guard lock(mutex_);
    ++locked_find(id)->done;
  }
  bool cancel_requested(std::int64_t id) {
    std::lock_guard lock(mutex_);
    return locked_find(id)->cancel_requested;
  }
  void finish(std::int64_t id, std::string state, std::string error = {}) {
    std::lock_guard lock(mutex_);
    auto* r = locked_find(id);
    r->state = std::move(state);
    r->error = std::move(error);
    r->finished_at = now_seconds();
  }

 private:
  // A running recomputation is never dropped: start() refuses while one runs.
  Recomputation* locked_find(std::int64_t id) {
    for (auto& r : recent_) {
      if (r.id == id) return &r;
    }
    return nullptr;
  }
  std::mutex mutex_;
  std::deque<Recomputation> recent_;  // oldest first
  std::int64_t next_id_ = 1;
};

asio::awaitable<void> run_recomputation(std::shared_ptr<Recomputations> recomputations,
                                        live::Engine& engine, std::int64_t id,
                                        std::vector<store::KpiHall> halls,
                                        std::chrono::sys_days first_day,
                                        std::chrono::sys_days last_day) {
  const auto started = std::chrono::steady_clock::now();
  try {
    for (const auto& hall : halls) {
      for (auto day = first_day; day <= last_day; day += std::chrono::days(1)) {
        if (recomputations->cancel_requested(id)) {
          recomputations->finish(id, "cancelled");
          spdlog::info("recomputation {} cancelled", id);
          co_return;
        }
        auto rebuilding = engine.recompute(hall, day);  // the engine writes every rollup
        co_await std::move(rebuilding);
        recomputations->advance(id);
      }
    }
    recomputations->finish(id, "done");
    spdlog::info("recomputation {} done in {:.1f} s", id,
                 std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  } catch (const std::exception& e) {
    spdlog::error("recomputation {} failed: {}", id, e.what());
    recomputations->finish(id, "failed", e.what());
  }
}

Response recomputation_response(Recomputations& recomputations, std::optional<std::int64_t> id,
                                http::status status = http::status::ok) {
  auto found = id ? recomputations.find(*id) : std::nullopt;
  if (!found)
    return error_response(http::status::not_found, "not_found",
                          "no such recomputation (a restart forgets them)");
  auto response = json_response(status, found->dump());
  if (status == http::status::accepted)
    response.set(http::field::location, fmt::format("/api/v1/recomputations/{}", *id));
  return response;
}

// DELETE: asks a running recomputation to stop after the hall-day in hand.
Response cancel_response(Recomputations& recomputations, const RequestContext& context) {
  const auto id = id_param(context);
  if (id && !recomputations.cancel(*id) && recomputations.find(*id)) {
    return error_response(http::status::conflict, "not_running",
                          "the recomputation has ended already");
  }
  return recomputation_response(recomputations, id);
}

// The request's range and hall, or the refusal.
struct RangeRequest {
  std::chrono::sys_days first_day, last_day;
  std::string hall;
};
std::variant<RangeRequest, Response> read_range_request(const RequestContext& context) {
  auto parsed = json_body(context.request);
  if (auto* refusal = std::get_if<Response>(&parsed)) return std::move(*refusal);
  const auto& body = std::get<json>(parsed);
  const auto from = text_field(body, "from", 10), to = text_field(body, "to", 10),
             hall = text_field(body, "hall", 32);
  auto invalid = [](std::string_view message) {
    return error_response(http::status::unprocessable_entity, "invalid", message);
  };
  if (!body.is_object() || !from || !to || !hall)
    return invalid(
        "send {\"from\": \"yyyy-mm-dd\", \"to\": \"yyyy-mm-dd\", \"hall\": code or null}");
  const auto first_day = records::parse_date(*from), last_day = records::parse_date(*to);
  if (!first_day || !last_day) return invalid("'from' and 'to' are dates, yyyy-mm-dd");
  if (*last_day < *first_day) return invalid("'to' is before 'from'");
  if ((*last_day - *first_day).count() >= max_days)
    return invalid(fmt::format("a recomputation spans at most {} days", max_days));
  return RangeRequest{*first_day, *last_day, *hall};
}

asio::awaitable<Response> start_recomputation(std::shared_ptr<Recomputations> recomputations,
                                              store::Database& database, live::Engine& engine,
                                              RequestContext& context) {
  auto read = read_range_request(context);
  if (auto* refusal = std::get_if<Response>(&read)) co_return std::move(*refusal);
  const auto range = std::get<RangeRequest>(read);
  auto loading = database.run(store::load_kpi_halls);
  auto halls = co_await std::move(loading);
  if (!range.hall.empty()) {
    std::erase_if(halls, [&](const store::KpiHall& h) { return h.code != range.hall; });
    if (halls.empty())
      co_return error_response(http::status::not_found, "not_found",
                               fmt::format("no hall '{}'", range.hall));
  }
  Recomputation r;
  r.first_day = range.first_day;
  r.last_day = range.last_day;
  r.hall = range.hall;
  r.requested_by = context.principal->actor();
  r.hall_days =
      halls.size() * static_cast<std::size_t>((range.last_day - range.first_day).count() + 1);
  spdlog::info("recomputation of {} hall-days asked for by {}", r.hall_days, r.requested_by);
  const auto id = recomputations->start(std::move(r));
  if (!id)
    co_return error_response(http::status::conflict, "busy",
                             "a recomputation is running; wait for it or cancel it");
  auto executor = co_await asio::this_coro::executor;
  halld::spawn(executor, "recomputation " + std::to_string(*id),
               run_recomputation(recomputations, engine, *id, std::move(halls), range.first_day,
                                 range.last_day));
  co_return recomputation_response(*recomputations, *id, http::status::accepted);
}

}  // namespace

void add_recompute_routes(Router& router, store::Database& database, live::Engine& engine) {
  auto recomputations = std::make_shared<Recomputations>();
  router.add(http::verb::post, "/api/v1/recomputations",
             [recomputations, &database, &engine](RequestContext& context) {
               return start_recomputation(recomputations, database, engine, context);
             });
  router.add(http::verb::get, "/api/v1/recomputations",
             [recomputations](RequestContext&) -> asio::awaitable<Response> {
               co_return json_response(http::status::ok, recomputations->list().dump());
             });
  router.add(http::verb::get, "/api/v1/recomputations/{id}",
             [recomputations](RequestContext& context) -> asio::awaitable<Response> {
               co_return recomputation_response(*recomputations, id_param(context));
             });
  router.add(http::verb::delete_, "/api/v1/recomputations/{id}",
             [recomputations](RequestContext& context) -> asio::awaitable<Response> {
               co_return cancel_response(*recomputations, context);
             });
}

}  // namespace halld::api
