// live/view_json: the engine's published views as the API and the live streams show them
// (docs/api.md): a hall's whole view, its one-line summary, the overview of a city or the
// province, and the KPIs of a tally. Pure over the views. Must not touch: HTTP.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "halld/live/engine.hpp"

namespace halld::live {

using ordered_json = nlohmann::ordered_json;

// `value` under `name`, or null.
void put(ordered_json& j, const char* name, const std::optional<double>& value);
// The KPIs of one tally, in docs/kpi.md's names and order (also the CSV columns).
ordered_json indicators_json(const kpi::Tally& tally);
ordered_json live_json(const HallView& view);
// The one-line summary of a hall in the province overview.
ordered_json summary_json(const HallView& view);
// The province (or a city, or one hall) at a glance: every hall's summary, totals, today's pooled
// KPIs.
ordered_json overview_json(const Engine& engine, const std::string& city, const std::string& hall);

}  // namespace halld::live
