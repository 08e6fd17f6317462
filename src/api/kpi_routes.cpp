// The KPI endpoints: /api/v1/kpi, /api/v1/kpi/halls, /api/v1/kpi/breakdown,
// /api/v1/halls/{code}/best-hours, /api/v1/saturation.
#include <fmt/format.h>

#include <charconv>
#include <mutex>
#include <nlohmann/json.hpp>

#include "halld/api/routes.hpp"
#include "halld/live/view_json.hpp"
#include "halld/records/event_json.hpp"
#include "query_reader.hpp"
#include "route_helpers.hpp"

namespace halld::api {
namespace {

using nlohmann::ordered_json;
using records::Timestamp;
using std::chrono::days;
using std::chrono::minutes;
using std::chrono::sys_days;

constexpr std::size_t max_rows = 20'000;
// Dates without an offset are read at the offset of China's halls.
constexpr minutes default_offset{8 * 60};

using live::indicators_json;
using live::put;
using live::summary_json;
using records::Instant;

using records::date_text;

// Which halls a level and code name: a hall, a city's halls, or the province (empty list).
struct Scope {
  std::string level;
  std::string code;
  std::vector<int> halls;
  std::map<int, std::shared_ptr<const live::HallView>> views;  // the halls in scope, by id
};

std::optional<Scope> read_scope(QueryReader& query, const live::Engine& engine,
                                std::string& missing) {
  Scope scope{query.text("level", 16), query.text("code", 32), {}, {}};
  if (scope.level.empty()) scope.level = "province";
  if (scope.level != "hall" && scope.level != "city" && scope.level != "province") {
    query.fail("'level' must be hall, city or province");
    return std::nullopt;
  }
  if (scope.level != "province" && scope.code.empty()) {
    query.fail(fmt::format("'code' is required for level={}", scope.level));
    return std::nullopt;
  }
  for (const auto& view : engine.views()) {
    const bool in = scope.level == "province" ||
                    (scope.level == "hall" && view->code == scope.code) ||
                    (scope.level == "city" && view->city_code == scope.code);
    if (!in) continue;
    scope.views[view->hall_id] = view;
    if (scope.level != "province") scope.halls.push_back(view->hall_id);
  }
  if (scope.level != "province" && scope.halls.empty()) {
    missing = fmt::format("no {} '{}'", scope.level, scope.code);
    return std::nullopt;
  }
  return scope;
}

// from/to and granularity into a store query; defaults: today for 15min/hour, else 30 days.
bool read_range(QueryReader& query, store::KpiQuery& q, Timestamp now,
                store::Granularity fallback) {
  const auto granularity_text = query.text("granularity", 8);
  auto granularity = granularity_text.empty() ? std::optional(fallback)
                                              : store::parse_granularity(granularity_text);
  if (!granularity) {
    query.fail("'granularity' must be one of 15min, hour, day, week, month, total");
    return false;
  }
  q.granularity = *granularity;
  const bool daily = q.granularity == store::Granularity::day ||
                     q.granularity == store::Granularity::week ||
                     q.granularity == store::Granularity::month;
  const Instant today{Timestamp(std::chrono::floor<days>(now + default_offset)) - default_offset,
                      default_offset};
  Instant from = daily ? Instant{today.at - days(30), default_offset} : today;
  auto range =
      query.range(from, Instant{now + std::chrono::seconds(1), default_offset}, default_offset);
  if (!range) return false;
  from = range->first;
  const Instant to = range->second;
  q.from = from.at;
  q.until = to.at;
  q.first_day = from.local_day();
  // Days up to the one 'to' falls in, that one too unless 'to' is its very start.
  q.last_day =
      to.local_day() + (to.at == Timestamp(to.local_day()) - to.offset ? days(0) : days(1));
  return true;
}

ordered_json range_json(const store::KpiQuery& q) {
  const bool daily = q.granularity == store::Granularity::day ||
                     q.granularity == store::Granularity::week ||
                     q.granularity == store::Granularity::month;
  if (daily)
    return {{"from", date_text(q.first_day)},
            {"to", date_text(q.last_day - days(1))}};  // both included
  return {{"from", records::iso8601(q.from)}, {"to", records::iso8601(q.until)}};
}

// -1, 0 or 1: a hall's value below, at or above the average.
ordered_json compare(const ordered_json& mine, const ordered_json& average) {
  ordered_json out;
  for (const char* name :
       {"average_wait_min", "service_level", "abandonment_rate", "average_handling_min",
        "satisfaction_rate", "window_utilisation", "terminal_availability"}) {
    if (mine[name].is_null() || average[name].is_null()) {
      out[name] = nullptr;
      continue;
    }
    const double a = mine[name].get<double>(), b = average[name].get<double>();
    out[name] = std::abs(a - b) < 1e-9 ? 0 : a > b ? 1 : -1;
  }
  return out;
}

// A KPI endpoint: reads the query, runs one rollup query, shapes the answer. The shaping runs
// on the pool thread with the query: an Excel workbook of up to 20,000 rows is CPU work and a
// temporary file, which on an I/O thread would stall every connection that thread serves.
using Shape = std::function<Response(const store::KpiQuery&, const Scope&,
                                     std::vector<store::KpiRow>, TableFormat)>;
void add_kpi_query(Router& router, store::Database& database, live::Engine& engine,
                   std::string pattern, std::vector<std::string_view> parameters,
                   store::Granularity fallback, bool per_hall, bool needs_dimension, Shape shape) {
  router.add(
      http::verb::get, std::move(pattern),
      [&database, &engine, parameters = std::move(parameters), fallback, per_hall, needs_dimension,
       shape = std::move(shape)](RequestContext& context) -> asio::awaitable<Response> {
        QueryReader query(context, parameters);
        std::string missing;
        auto scope = read_scope(query, engine, missing);
        store::KpiQuery q;
        q.per_hall = per_hall;
        const auto now = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
        if (scope) read_range(query, q, now, fallback);
        const auto business = query.text("business", 32);
        const auto dimension_text = query.text("dimension", 16);
        if (needs_dimension) {
          auto d = kpi::parse_dimension(dimension_text.empty() ? "clerk" : dimension_text);
          if (!d || *d == kpi::Dimension::hall)
            query.fail("'dimension' must be business, window, clerk, terminal, method or part");
          else
            q.dimension = *d;
        } else if (!business.empty()) {
          q.dimension = kpi::Dimension::business;
          q.key = business;
        }
        const auto table_format = query.table_format();
        if (query.problem()) co_return bad_query(*query.problem());
        if (!scope) co_return error_response(http::status::not_found, "not_found", missing);
        q.halls = scope->halls;
        try {
          auto answering = database.run(
              [q, scope = std::move(*scope), table_format, &shape](pqxx::connection& c) {
                return shape(q, scope, store::query_kpis(c, q, max_rows), table_format);
              });
          auto response = co_await std::move(answering);
          co_return response;
        } catch (const std::length_error& e) {
          co_return error_response(
              http::status::unprocessable_entity, "too_many_rows",
              fmt::format("{}; ask for a coarser granularity or a shorter range", e.what()));
        }
      });
}

}  // namespace

void add_kpi_routes(Router& router, store::Database& database, live::Engine& engine) {
  add_kpi_query(
      router, database, engine, "/api/v1/kpi",
      {"level", "code", "from", "to", "granularity", "business", "format"},
      store::Granularity::hour, false, false,
      [](const store::KpiQuery& q, const Scope& scope, std::vector<store::KpiRow> rows,
         TableFormat format) {
        ordered_json series = ordered_json::array();
        kpi::Tally whole;
        for (const auto& r : rows) {
          ordered_json row{{"period", r.period}};
          row.update(indicators_json(r.tally));
          series.push_back(std::move(row));
          whole += r.tally;
        }
        ordered_json body{
            {"level", scope.level},
            {"code", scope.level == "province" ? ordered_json(nullptr) : ordered_json(scope.code)},
            {"business", q.key.empty() ? ordered_json(nullptr) : ordered_json(q.key)}};
        body.update(range_json(q));
        body["series"] = series;
        body["whole_range"] = indicators_json(whole);  // the yardstick for "above / below average"
        return table_response(body, series, format, "kpi");
      });

  add_kpi_query(
      router, database, engine, "/api/v1/kpi/halls",
      {"level", "code", "from", "to", "business", "format"}, store::Granularity::day, true, false,
      [](const store::KpiQuery& q, const Scope& scope, std::vector<store::KpiRow> rows,
         TableFormat format) {
        std::map<int, kpi::Tally> by_hall;
        kpi::Tally whole;
        for (const auto& r : rows) {
          by_hall[r.hall_id] += r.tally;
          whole += r.tally;
        }
        const auto average = indicators_json(whole);
        ordered_json halls = ordered_json::array();
        for (const auto& [id, tally] : by_hall) {
          auto view = scope.views.find(id);
          if (view == scope.views.end()) continue;
          ordered_json row{{"hall", view->second->code},
                           {"name", view->second->name},
                           {"city", view->second->city_code}};
          auto k = indicators_json(tally);
          row["compared_with_average"] = compare(k, average);
          row.update(k);
          halls.push_back(std::move(row));
        }
        ordered_json body{
            {"level", scope.level},
            {"code", scope.level == "province" ? ordered_json(nullptr) : ordered_json(scope.code)}};
        body.update(range_json(q));
        body["average"] = average;
        body["halls"] = halls;
        return table_response(body, halls, format, "kpi-halls");
      });

  add_kpi_query(
      router, database, engine, "/api/v1/kpi/breakdown",
      {"level", "code", "from", "to", "dimension", "format"}, store::Granularity::day, false, true,
      [](const store::KpiQuery& q, const Scope& scope, std::vector<store::KpiRow> rows,
         TableFormat format) {
        std::map<std::string, kpi::Tally> by_key;
        for (const auto& r : rows) by_key[r.key] += r.tally;
        ordered_json items = ordered_json::array();
        for (const auto& [key, tally] : by_key) {
          ordered_json row{{"key", key}};
          row.update(indicators_json(tally));
          items.push_back(std::move(row));
        }
        ordered_json body{
            {"level", scope.level},
            {"code", scope.level == "province" ? ordered_json(nullptr) : ordered_json(scope.code)},
            {"dimension", kpi::to_string(q.dimension)}};
        body.update(range_json(q));
        body["items"] = items;
        return table_response(body, items, format,
                              fmt::format("kpi-{}", kpi::to_string(q.dimension)));
      });

  add_kpi_query(
      router, database, engine, "/api/v1/saturation", {"level", "code", "from", "to", "format"},
      store::Granularity::day, true, false,
      [](const store::KpiQuery& q, const Scope& scope, std::vector<store::KpiRow> rows,
         TableFormat format) {
        std::map<int, kpi::Tally> by_hall;
        for (const auto& r : rows) by_hall[r.hall_id] += r.tally;
        std::vector<std::pair<double, ordered_json>> ranked;
        for (const auto& [id, tally] : by_hall) {
          auto view = scope.views.find(id);
          if (view == scope.views.end()) continue;
          const auto k = kpi::indicators(tally);
          if (!k.window_utilisation) continue;
          ordered_json row{{"hall", view->second->code},
                           {"name", view->second->name},
                           {"city", view->second->city_code},
                           {"utilisation", *k.window_utilisation},
                           {"served", k.served}};
          put(row, "average_wait_min", k.average_wait_min);
          put(row, "service_level", k.service_level);
          row["window_hours"] = static_cast<double>(tally.serving_s + tally.idle_s) / 3600.0;
          ranked.emplace_back(*k.window_utilisation, std::move(row));
        }
        std::stable_sort(ranked.begin(), ranked.end(),
                         [](const auto& a, const auto& b) { return a.first > b.first; });
        ordered_json halls = ordered_json::array();
        int rank = 0;
        for (auto& [u, row] : ranked) {
          ordered_json ranked_row{{"rank", ++rank}};
          ranked_row.update(row);
          halls.push_back(std::move(ranked_row));
        }
        ordered_json body{
            {"level", scope.level},
            {"code", scope.level == "province" ? ordered_json(nullptr) : ordered_json(scope.code)}};
        body.update(range_json(q));
        body["halls"] = halls;
        return table_response(body, halls, format, "saturation");
      });

  router.add(
      http::verb::get, "/api/v1/halls/{code}/best-hours",
      [&database, &engine](RequestContext& context) -> asio::awaitable<Response> {
        QueryReader query(context, {"weeks"});
        const int weeks = query.integer("weeks", 8, 1, 52);
        if (query.problem()) co_return bad_query(*query.problem());
        auto id = engine.hall_id(context.path_params.at("code"));
        auto view = id ? engine.view(*id) : nullptr;
        if (!view) co_return error_response(http::status::not_found, "not_found", "no such hall");
        const auto now = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
        auto reading = database.run([id = *id, weeks, now](pqxx::connection& c) {
          return store::hour_of_week_profile(c, id, default_offset, now - days(7 * weeks), now);
        });
        auto hours = co_await std::move(reading);
        ordered_json by_day = ordered_json::array();
        for (int weekday = 1; weekday <= 7; ++weekday) {
          ordered_json slots = ordered_json::array();
          std::vector<std::pair<double, int>> candidates;
          for (const auto& h : hours) {
            if (h.weekday != weekday || h.arrivals == 0) continue;
            const double wait = h.calls > 0 ? static_cast<double>(h.wait_sum_s) /
                                                  static_cast<double>(h.calls) / 60.0
                                            : 0.0;
            slots.push_back(
                {{"hour", h.hour},
                 {"expected_wait_min", wait},
                 {"arrivals_per_hour", static_cast<double>(h.arrivals) /
                                           static_cast<double>(std::max<std::int64_t>(h.days, 1))},
                 {"days_observed", h.days}});
            candidates.emplace_back(wait, h.hour);
          }
          std::stable_sort(candidates.begin(), candidates.end());
          ordered_json best = ordered_json::array();
          for (std::size_t i = 0; i < candidates.size() && i < 3; ++i)
            best.push_back(candidates[i].second);
          by_day.push_back({{"weekday", weekday}, {"best_hours", best}, {"hours", slots}});
        }
        ordered_json body{{"hall", view->code},
                          {"weeks", weeks},
                          {"utc_offset_min", default_offset.count()},
                          {"days", by_day}};
        co_return json_response(http::status::ok, body.dump());
      });
}

}  // namespace halld::api
