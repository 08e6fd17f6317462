// The live model's endpoints: /api/v1/halls/{code}/live, /api/v1/live and the stream
// /api/v1/live/stream. What they send is made by live/ (view_json, stream_texts); these only
// read the query and hand it over.
#include <fmt/format.h>

#include "halld/api/routes.hpp"
#include "halld/live/stream_texts.hpp"
#include "halld/live/view_json.hpp"
#include "query_reader.hpp"
#include "ws_feed.hpp"

namespace halld::api {
namespace {

using live::live_json;
using nlohmann::ordered_json;

Response live_response(const live::Engine& engine, const RequestContext& context) {
  QueryReader query(context, {});
  if (query.problem()) return bad_query(*query.problem());
  auto id = engine.hall_id(context.path_params.at("code"));
  auto view = id ? engine.view(*id) : nullptr;
  if (!view) return error_response(http::status::not_found, "not_found", "no such hall");
  return json_response(http::status::ok, live_json(*view).dump());
}

Response overview_response(live::OverviewTexts& overviews, const RequestContext& context) {
  QueryReader query(context, {"city", "hall"});
  const auto city = query.text("city", 32);
  const auto hall = query.text("hall", 32);
  if (query.problem()) return bad_query(*query.problem());
  return json_response(http::status::ok, *overviews.text(city, hall));
}

// Per client, in batches: at four publications a second, half a minute.
constexpr std::size_t max_queued_batches = 120;

// The first message of a live stream: one hall's whole view, or the overview.
std::string live_snapshot(const live::Engine& engine, live::OverviewTexts& overviews,
                          const std::string& city, const std::string& hall) {
  if (!hall.empty()) {
    auto id = engine.hall_id(hall);
    auto view = id ? engine.view(*id) : nullptr;
    return ordered_json{{"type", "hall"}, {"hall", view ? live_json(*view) : ordered_json(nullptr)}}
        .dump();
  }
  return fmt::format(R"({{"type":"overview","overview":{}}})", *overviews.text(city, hall));
}

// GET /api/v1/live/stream: with 'hall', that hall's whole view on each change; otherwise the
// summaries of the halls (of 'city', or of the province) each publication changed.
asio::awaitable<void> stream_live(live::Engine& engine, live::StreamTexts& texts,
                                  live::OverviewTexts& overviews, WebSocket& websocket,
                                  RequestContext& context) {
  std::string city, hall;
  {
    QueryReader query(context, {"city", "hall"});
    city = query.text("city", 32);
    hall = query.text("hall", 32);
  }
  auto feed = std::make_shared<Feed>(websocket.get_executor(), max_queued_batches);
  auto subscription =
      engine.subscribe([feed, &texts, city, hall](const live::PublishedViews& batch) {
        auto text = hall.empty() ? texts.summaries(batch, city) : texts.hall(batch, hall);
        if (text) Feed::post(feed, std::move(text));
      });
  auto pumping = Feed::pump(websocket, feed, live_snapshot(engine, overviews, city, hall));
  co_await std::move(pumping);
  engine.unsubscribe(subscription);
}

}  // namespace

void add_live_routes(Router& router, live::Engine& engine) {
  // (Handlers without a wait build their answer in a plain function: a coroutine frame holding
  // these JSON values trips GCC 12's -Wmismatched-new-delete.)
  router.add(http::verb::get, "/api/v1/halls/{code}/live",
             [&engine](RequestContext& context) -> asio::awaitable<Response> {
               co_return live_response(engine, context);
             });
  auto overviews = std::make_shared<live::OverviewTexts>(engine);
  router.add(http::verb::get, "/api/v1/live",
             [overviews](RequestContext& context) -> asio::awaitable<Response> {
               co_return overview_response(*overviews, context);
             });
  router.add_websocket("/api/v1/live/stream",
                       [&engine, overviews, texts = live::StreamTexts::following(engine)](
                           WebSocket& websocket, RequestContext& context) {
                         return stream_live(engine, *texts, *overviews, websocket, context);
                       });
}

}  // namespace halld::api
