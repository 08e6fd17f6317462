#include "halld/api/guard.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <charconv>

#include "halld/alarm/alarm_store.hpp"
#include "halld/api/body.hpp"
#include "halld/auth/secrets.hpp"
#include "halld/core/text.hpp"
#include "halld/emergency/store.hpp"
#include "halld/notice/store.hpp"
#include "halld/store/archive_store.hpp"

namespace halld::api {
namespace {

using auth::ScopeLevel;
using nlohmann::json;

constexpr auto token_cache_for = std::chrono::seconds(10);
constexpr auto halls_reload_after = std::chrono::seconds(5);

Response refuse(http::status status, std::string_view code, std::string_view message) {
  return error_response(status, code, message);
}

Response out_of_scope(const auth::Principal& principal) {
  return refuse(http::status::forbidden, "out_of_scope",
                fmt::format("outside your scope ({})", principal.scope.to_string()));
}

}  // namespace

std::string_view cookie_value(std::string_view header, std::string_view name) {
  while (!header.empty()) {
    const auto semicolon = header.find(';');
    auto pair = header.substr(0, semicolon);
    header =
        semicolon == std::string_view::npos ? std::string_view() : header.substr(semicolon + 1);
    while (!pair.empty() && pair.front() == ' ') pair.remove_prefix(1);
    if (pair.size() > name.size() && pair.substr(0, name.size()) == name &&
        pair[name.size()] == '=') {
      return pair.substr(name.size() + 1);
    }
  }
  return {};
}

namespace {

bool changes_state(http::verb method) {
  return method != http::verb::get && method != http::verb::head;
}

// A browser's Origin must be this server's own: what makes a cross-site form or WebSocket fail.
bool same_origin(const Request& request) {
  const auto origin = to_std(request[http::field::origin]);
  const auto host = to_std(request[http::field::host]);
  if (host.empty()) return false;
  return origin == fmt::format("http://{}", host) || origin == fmt::format("https://{}", host);
}

}  // namespace

Guard::Guard(store::Database& database, const AuthConfig& config, MetricsRegistry& metrics)
    : database_(database),
      sessions_(config.session_idle, config.session_absolute),
      throttle_(auth::ThrottlePolicy{config.max_failed_logins, config.max_failed_logins_per_address,
                                     config.lockout}),
      hashing_(config.hashing_threads, config.hashing_queue, metrics),
      refused_unauthenticated_(metrics.counter("halld_auth_refused_total",
                                               "Requests refused by the guard, by reason.",
                                               {{"reason", "unauthenticated"}})),
      refused_forbidden_(metrics.counter("halld_auth_refused_total",
                                         "Requests refused by the guard, by reason.",
                                         {{"reason", "forbidden"}})),
      refused_csrf_(metrics.counter("halld_auth_refused_total",
                                    "Requests refused by the guard, by reason.",
                                    {{"reason", "csrf"}})),
      refused_rate_(metrics.counter("halld_auth_refused_total",
                                    "Requests refused by the guard, by reason.",
                                    {{"reason", "rate_limited"}})),
      blocks_by_account_address_(
          metrics.counter("halld_auth_signin_blocks_total",
                          "Sign-in throttles begun, by what was counted (OWASP: no hard lockout).",
                          {{"by", "account_address"}})),
      blocks_by_address_(
          metrics.counter("halld_auth_signin_blocks_total",
                          "Sign-in throttles begun, by what was counted (OWASP: no hard lockout).",
                          {{"by", "address"}})) {
  metrics.gauge_callback("halld_auth_signin_blocked",
                         "Sign-in counts (account at an address, or an address) blocking now.",
                         [this] { return static_cast<double>(throttle_.blocked()); });
}

void Guard::count_block(std::string_view by) {
  (by == "address" ? blocks_by_address_ : blocks_by_account_address_).inc();
}

void Guard::update(const AuthConfig& config) {
  sessions_.set_timeouts(config.session_idle, config.session_absolute);
  throttle_.set_policy(
      {config.max_failed_logins, config.max_failed_logins_per_address, config.lockout});
}

void Guard::forget_tokens() {
  std::lock_guard lock(mutex_);
  tokens_.clear();
}

void Guard::forget_halls() {
  std::lock_guard lock(mutex_);
  hall_cities_.clear();
  halls_loaded_ = {};
}

asio::awaitable<std::optional<auth::TokenGrant>> Guard::token(std::string secret) {
  const auto key = auth::sha256(secret);
  const auto now = std::chrono::steady_clock::now();
  std::optional<auth::TokenGrant> known;  // what the cache says, fresh or not
  {
    std::lock_guard lock(mutex_);
    if (auto found = tokens_.find(key); found != tokens_.end()) {
      known = found->second.grant;
      if (known && known->expires_at <= std::chrono::system_clock::now()) co_return std::nullopt;
      if (now - found->second.fetched < token_cache_for) co_return known;
    }
  }
  std::optional<auth::TokenGrant> grant;
  try {
    auto pending = database_.run([secret = std::move(secret)](pqxx::connection& c) {
      store::ReadTransaction tx(c);
      return auth::find_token(tx, secret);
    });
    grant = co_await std::move(pending);
  } catch (const pqxx::broken_connection&) {
    // While the database is away, a token it vouched for keeps working (a city's monitoring
    // must not go blind with it); revocations through the API have already left the cache.
    if (known) co_return known;
    throw;
  }
  std::lock_guard lock(mutex_);
  if (tokens_.size() > 10'000)
    tokens_.clear();  // forged secrets must not grow the cache without end
  tokens_[key] = {grant, now};
  co_return grant;
}

asio::awaitable<std::optional<std::string>> Guard::city_of_hall(std::string hall) {
  {
    std::lock_guard lock(mutex_);
    if (auto found = hall_cities_.find(hall); found != hall_cities_.end()) co_return found->second;
    if (std::chrono::steady_clock::now() - halls_loaded_ < halls_reload_after)
      co_return std::nullopt;
  }
  auto pending = database_.run([](pqxx::connection& c) {
    store::ReadTransaction tx(c);
    return store::hall_cities(tx);
  });
  auto cities = co_await std::move(pending);
  std::lock_guard lock(mutex_);
  hall_cities_ = std::move(cities);
  halls_loaded_ = std::chrono::steady_clock::now();
  if (auto found = hall_cities_.find(hall); found != hall_cities_.end()) co_return found->second;
  co_return std::nullopt;
}

asio::awaitable<Guard::Caller> Guard::identify(const RequestContext& context, const Route& route) {
  const auto& request = context.request;
  const auto authorization = to_std(request[http::field::authorization]);
  if (!authorization.empty()) {
    if (!authorization.starts_with("Bearer ")) {
      refused_unauthenticated_.inc();
      co_return Caller{{},
                       refuse(http::status::unauthorized, "unauthenticated",
                              "use 'Authorization: Bearer <token>'")};
    }
    auto looking_up = token(std::string(authorization.substr(7)));
    std::optional<auth::TokenGrant> grant = co_await std::move(looking_up);
    if (!grant) {
      refused_unauthenticated_.inc();
      co_return Caller{{},
                       refuse(http::status::unauthorized, "unauthenticated",
                              "the token is unknown, revoked or expired")};
    }
    if (int wait = rate_limiter_.take(grant->principal.id, grant->requests_per_minute); wait > 0) {
      refused_rate_.inc();
      auto response = refuse(
          http::status::too_many_requests, "rate_limited",
          fmt::format("this token may make {} requests a minute", grant->requests_per_minute));
      response.set(http::field::retry_after, std::to_string(wait));
      co_return Caller{{}, std::move(response)};
    }
    co_return Caller{grant->principal, {}};
  }
  const auto cookie = cookie_value(to_std(request[http::field::cookie]), session_cookie);
  std::optional<auth::Session> session;
  if (!cookie.empty()) {
    auto finding = session_of(std::string(cookie));
    session = co_await std::move(finding);
  }
  if (!session) {
    refused_unauthenticated_.inc();
    co_return Caller{{},
                     cookie.empty()
                         ? refuse(http::status::unauthorized, "unauthenticated", "sign in first")
                         : refuse(http::status::unauthorized, "session_expired",
                                  "the session has ended; sign in again")};
  }
  // A cookie goes with every request the browser makes, whichever site caused it: state changes
  // and WebSockets must prove they come from halld's own pages.
  const bool upgrade = route.websocket && beast::websocket::is_upgrade(request);
  if (changes_state(request.method()) || upgrade) {
    const bool origin_ok = request[http::field::origin].empty() ? !upgrade : same_origin(request);
    // Refused, but with the session's principal: the audit log names whose session was abused.
    if (!origin_ok) {
      refused_csrf_.inc();
      co_return Caller{session->principal, refuse(http::status::forbidden, "bad_origin",
                                                  "the request comes from another site")};
    }
    if (!upgrade && to_std(request["X-CSRF-Token"]) != session->csrf_token) {
      refused_csrf_.inc();
      co_return Caller{session->principal,
                       refuse(http::status::forbidden, "csrf",
                              "a state-changing request needs the session's X-CSRF-Token header")};
    }
  }
  co_return Caller{std::move(session->principal), {}};
}

asio::awaitable<std::optional<auth::Session>> Guard::session_of(std::string cookie) {
  constexpr auto store_every = std::chrono::minutes(1);
  auto session = sessions_.use(cookie);
  try {
    if (!session) {
      const auto [idle, absolute] = sessions_.timeouts();
      auto finding = database_.run([cookie, idle, absolute](pqxx::connection& c) {
        store::ReadTransaction tx(c);
        return auth::find_session(tx, cookie, idle, absolute);
      });
      auto stored = co_await std::move(finding);
      if (!stored) co_return std::nullopt;
      sessions_.adopt(cookie, std::move(stored->principal), std::move(stored->csrf_token),
                      stored->age, stored->idle);
      session = sessions_.use(cookie);
    } else if (std::chrono::steady_clock::now() - session->stored >= store_every) {
      sessions_.stored(cookie);
      auto touching = database_.run([cookie](pqxx::connection& c) {
        pqxx::work tx(c);
        auth::touch_session(tx, cookie);
        tx.commit();
      });
      co_await std::move(touching);
    }
  } catch (const std::exception& e) {
    // The database away: this node's own sessions go on; others wait for it.
    spdlog::debug("sessions: the database could not be asked: {}", e.what());
  }
  co_return session;
}

asio::awaitable<std::optional<Response>> Guard::admit(RequestContext& context, const Route& route) {
  auto access = access_of(route.method, route.pattern);
  if (!access) {
    refused_forbidden_.inc();
    co_return refuse(http::status::forbidden, "forbidden", "this endpoint has no access policy");
  }
  if (access->rule == ScopeRule::public_route) co_return std::nullopt;
  auto identifying = identify(context, route);
  Caller caller = co_await std::move(identifying);
  context.principal = std::move(caller.principal);
  if (caller.refusal) co_return std::move(caller.refusal);
  if (!context.principal->may(access->permission)) {
    refused_forbidden_.inc();
    co_return refuse(
        http::status::forbidden, "forbidden",
        fmt::format("the role {} may not do this", auth::to_string(context.principal->role)));
  }
  auto confining = confine(context, *access);
  std::optional<Response> refusal = co_await std::move(confining);
  if (refusal) refused_forbidden_.inc();
  co_return refusal;
}

asio::awaitable<bool> Guard::covers(auth::Scope scope, std::string hall) {
  if (scope.level == ScopeLevel::hall) co_return hall == scope.code;
  auto looking_up = city_of_hall(std::move(hall));
  std::optional<std::string> city = co_await std::move(looking_up);
  co_return city&&* city == scope.code;
}

asio::awaitable<std::optional<Response>> Guard::confine(RequestContext& context,
                                                        const Access& access) {
  const auto& principal = *context.principal;
  const auto& scope = principal.scope;
  if (scope.is_province() || access.rule == ScopeRule::any_hall) co_return std::nullopt;
  auto& query = context.query;
  auto param = [&](std::string_view name) -> std::string {
    auto found = query.find(name);
    return found == query.end() ? std::string() : found->second;
  };
  // {id} as a number; nullopt for anything else, which the handler answers with a 404.
  auto path_id = [&]() -> std::optional<std::int64_t> {
    const auto& text = context.path_params.at("id");
    std::int64_t id = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
    if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
    return id;
  };

  switch (access.rule) {
    case ScopeRule::public_route:
    case ScopeRule::any_hall:
      co_return std::nullopt;
    case ScopeRule::province:
      co_return out_of_scope(principal);
    case ScopeRule::hall_path: {
      auto checking = covers(scope, context.path_params.at("code"));
      const bool inside = co_await std::move(checking);
      if (!inside) co_return out_of_scope(principal);
      co_return std::nullopt;
    }
    case ScopeRule::city_hall_query: {
      const auto city = param("city"), hall = param("hall");
      if (!hall.empty()) {
        auto checking = covers(scope, hall);
        const bool inside = co_await std::move(checking);
        if (!inside) co_return out_of_scope(principal);
      }
      if (scope.level == ScopeLevel::city) {
        if (!city.empty() && city != scope.code) co_return out_of_scope(principal);
        query["city"] = scope.code;
      } else {
        if (!city.empty()) {
          auto looking_up = city_of_hall(scope.code);
          std::optional<std::string> own_city = co_await std::move(looking_up);
          if (!own_city || city != *own_city) co_return out_of_scope(principal);
        }
        query["hall"] = scope.code;
      }
      co_return std::nullopt;
    }
    case ScopeRule::level_code_query: {
      const auto level = param("level"), code = param("code");
      if (level.empty() || level == "province") {
        if (!level.empty() || !code.empty()) co_return out_of_scope(principal);
        query["level"] = std::string(auth::to_string(scope.level));
        query["code"] = scope.code;
        co_return std::nullopt;
      }
      if (level == "city" && scope.level == ScopeLevel::city && code == scope.code)
        co_return std::nullopt;
      if (level == "hall") {
        auto checking = covers(scope, code);
        const bool inside = co_await std::move(checking);
        if (inside) co_return std::nullopt;
      }
      co_return out_of_scope(principal);
    }
    case ScopeRule::notice_path: {
      auto id = path_id();
      if (!id) co_return std::nullopt;
      auto pending = database_.run([id = *id](pqxx::connection& c) {
        store::ReadTransaction tx(c);
        return notice::reach_of_notice(tx, id);
      });
      std::optional<notice::Reach> reach = co_await std::move(pending);
      if (!reach) co_return std::nullopt;
      bool inside = false;
      if (reach->level == notice::Level::city) {
        inside = scope.level == ScopeLevel::city && reach->code == scope.code;
      } else if (reach->level == notice::Level::hall) {
        auto checking = covers(scope, reach->code);
        inside = co_await std::move(checking);
      }
      if (!inside) co_return out_of_scope(principal);
      co_return std::nullopt;
    }
    case ScopeRule::alarm_path:
    case ScopeRule::emergency_path:
    case ScopeRule::work_order_path: {
      auto id = path_id();
      if (!id) co_return std::nullopt;
      auto pending = database_.run(
          [id = *id, rule = access.rule](pqxx::connection& c) -> std::optional<std::string> {
            store::ReadTransaction tx(c);
            switch (rule) {
              case ScopeRule::emergency_path:
                return emergency::hall_of_emergency(tx, id);
              case ScopeRule::work_order_path:
                return emergency::hall_of_work_order(tx, id);
              default:
                return alarm::hall_of_alarm(tx, id);
            }
          });
      std::optional<std::string> hall = co_await std::move(pending);
      if (!hall) co_return std::nullopt;
      auto checking = covers(scope, std::move(*hall));
      const bool inside = co_await std::move(checking);
      if (!inside) co_return out_of_scope(principal);
      co_return std::nullopt;
    }
  }
  co_return out_of_scope(principal);
}

std::shared_ptr<AuditRecord> Guard::audit_record(const RequestContext& context, const Route& route,
                                                 json before) {
  auth::AuditEntry entry;
  entry.actor = context.principal ? context.principal->actor() : "anonymous";
  entry.role = context.principal ? std::string(auth::to_string(context.principal->role)) : "";
  entry.remote = printable_excerpt(context.remote, 100);
  entry.method = printable_excerpt(to_std(context.request.method_string()), 20);
  entry.path = printable_excerpt(to_std(context.request.target()), 500);
  entry.object = route.pattern;
  mask_for_audit(before);
  entry.before = std::move(before);
  entry.request = audit_view_of_body(context.request.body());
  return std::make_shared<AuditRecord>(database_, std::move(entry));
}

AuditRecord::AuditRecord(store::Database& database, auth::AuditEntry entry)
    : database_(database), entry_(std::move(entry)) {}

void AuditRecord::complete(int status, std::string_view response_body) {
  entry_.status = status;
  // A deletion's answer says only what went; a refusal's says why, which the record keeps.
  const bool deleted = status < 300 && entry_.method == "DELETE";
  entry_.after = deleted ? json() : audit_view_of_body(response_body);
}

void AuditRecord::write(pqxx::transaction_base& tx, int status, std::string_view response_body) {
  complete(status, response_body);
  try {
    auth::insert_audit(tx, entry_);
  } catch (const pqxx::broken_connection&) {
    throw;
  } catch (const std::exception& e) {
    throw AuditUnavailable(fmt::format("the audit log refused the record: {}", e.what()));
  }
  written_ = true;
}

asio::awaitable<std::int64_t> AuditRecord::insert_alone() {
  return database_.run([entry = entry_](pqxx::connection& c) {
    pqxx::work tx(c);
    const auto id = auth::insert_audit(tx, entry);
    tx.commit();
    return id;
  });
}

asio::awaitable<bool> AuditRecord::write_ahead() {
  entry_.status = 0;  // under way: settle() gives the outcome
  try {
    auto inserting = insert_alone();
    ahead_id_ = co_await std::move(inserting);
  } catch (const std::exception& e) {
    spdlog::error("audit log: {} {} not done, its record could not be written: {}", entry_.method,
                  entry_.path, e.what());
    co_return false;
  }
  written_ = true;
  co_return true;
}

asio::awaitable<void> AuditRecord::settle(int status, std::string_view response_body) {
  complete(status, response_body);
  try {
    auto pending = database_.run([id = *ahead_id_, entry = entry_](pqxx::connection& c) {
      pqxx::work tx(c);
      auth::settle_audit(tx, id, entry);
      tx.commit();
    });
    co_await std::move(pending);
  } catch (const std::exception& e) {
    spdlog::error("audit log: the outcome {} of record {} could not be added: {}", status,
                  *ahead_id_, e.what());
  }
}

asio::awaitable<void> AuditRecord::write_alone(int status, std::string_view response_body) {
  complete(status, response_body);
  try {
    auto inserting = insert_alone();
    co_await std::move(inserting);
    written_ = true;
  } catch (const std::exception& e) {
    spdlog::error("audit log: could not record {} {} ({}): {}", entry_.method, entry_.path, status,
                  e.what());
  }
}

}  // namespace halld::api
