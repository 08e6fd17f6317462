// api/routes: the endpoints halld serves, registered on a Router. Owns: request validation and
// the mapping of endpoints onto store queries. Every route here is described in
// docs/openapi.json (served at /api/v1/openapi.json); a test keeps the two in step.
#pragma once

#include <nlohmann/json.hpp>

#include "halld/alarm/engine.hpp"
#include "halld/api/guard.hpp"
#include "halld/api/router.hpp"
#include "halld/core/metrics.hpp"
#include "halld/emergency/manager.hpp"
#include "halld/live/engine.hpp"
#include "halld/marketing/sync.hpp"
#include "halld/notice/publisher.hpp"
#include "halld/store/database.hpp"

namespace halld::api {

// /healthz, /readyz, /metrics and /api/v1/openapi.json. `standby`, when given, says whether
// this node stands by (ha/lease): then /readyz answers 503 with what it returns (who is active
// and where), so that a load balancer or virtual-IP check sends clients to the active node.
using StandbyState = std::function<std::optional<nlohmann::json>()>;
void add_system_routes(Router& router, store::Database& database, MetricsRegistry& metrics,
                       StandbyState standby = {});
// Archive endpoints under /api/v1: reads, and an import in the documented JSON format
// (docs/archives.md) that applies all or nothing, as `halld import` does; `archives_changed`
// runs after an import was applied.
void add_archive_routes(Router& router, store::Database& database,
                        std::function<void()> archives_changed);

// The acquisition channels and the protocol registry (docs/protocols/adapters.md): the channels'
// live status; channels added, changed, retired and tested, and protocol descriptions registered
// and retired, while halld runs. What the running parts do, the daemon provides.
struct AcquisitionHooks {
  std::function<std::vector<nlohmann::json>()> statuses;  // of the running channels
  // Makes the running channels what the database now says; answers what it changed.
  std::function<asio::awaitable<nlohmann::json>()> apply_channels;
  // Tries a running channel's peer now; null JSON when no channel of that code runs.
  std::function<asio::awaitable<nlohmann::json>(std::string code)> test_channel;
};
void add_acquisition_routes(Router& router, store::Database& database, AcquisitionHooks hooks);

// A hall's facility devices (facility/facility) and their readings' history.
struct FacilityHooks {
  // The devices of the hall of that code as JSON; nullopt when no such hall.
  std::function<std::optional<nlohmann::json>(const std::string& hall_code)> devices;
};
void add_facility_routes(Router& router, store::Database& database, FacilityHooks hooks);

// The live model and KPIs: live hall views, KPI series and comparisons, breakdowns (clerk
// assessment), best hours to visit, hall saturation; JSON or CSV.
void add_kpi_routes(Router& router, store::Database& database, live::Engine& engine);

// The live views: a hall's whole view, the overview of a city or the province, and their stream
// (WebSocket) of what each publication changed.
void add_live_routes(Router& router, live::Engine& engine);

// Recomputations of KPI rollups from the event log (what `halld recompute` does), run in the
// background one at a time through the live engine (the one writer of rollups), with their
// progress readable, and cancellable.
void add_recompute_routes(Router& router, store::Database& database, live::Engine& engine);

// Alarms: the standing list and the record, acknowledge and clear, the alarm window's WebSocket
// stream, statistics, terminal reliability; rules, contacts and maintenance windows (each change
// is applied at once: the engine reloads, `contacts_changed` tells the notifier).
void add_alarm_routes(Router& router, store::Database& database, alarm::Engine& engine,
                      std::function<asio::awaitable<void>()> contacts_changed);

// Emergencies and work orders: plans (read, written, their record of use), emergencies (the
// list and its export, one whole record, started by hand or from a suggestion, steps confirmed,
// closed or dismissed — each through the manager), commands to a hall's windows, screens, queue
// and terminals by object, work orders (answered by the hall, reviewed by its city) and their
// statistics and rules; the dissatisfaction analysis (seed 000 §4.4.2).
void add_emergency_routes(Router& router, store::Database& database, emergency::Manager& manager);

// Notices on the halls' screens: listed (those reaching the caller's halls), published to a hall,
// a city or the province (named by the 'hall' or 'city' query parameter, none: the province),
// read with their deliveries, withdrawn; each publication and withdrawal syncs its halls' screens
// in its own transaction, the publisher the rest.
void add_notice_routes(Router& router, store::Database& database, notice::Publisher& publisher);

// The marketing system's records: the feeds and the sync's connection (`sync` null when no
// marketing.url is configured), a summary and the applications of a city or hall, the archive
// changes the reconciliation found and the approval or rejection of retirements.
void add_marketing_routes(Router& router, store::Database& database, const marketing::Sync* sync);

// Sign-in (POST/GET/DELETE /api/v1/session, own password), users, intranet API tokens and the
// audit log; sessions live in the guard. `secure_cookie`: the session cookie is marked Secure
// (halld serves TLS itself).
void add_auth_routes(Router& router, store::Database& database, Guard& guard,
                     const AuthConfig& config, bool secure_cookie);

std::string_view openapi_document();

}  // namespace halld::api
