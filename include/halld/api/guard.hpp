// api/guard: who may call which route, and on which halls. Owns: the access policy (one table,
// api/access.cpp, with an entry for every route: a test keeps it complete), authentication of
// each request (session cookie or intranet API token), CSRF and Origin checks, per-token rate
// limits, confining queries to the caller's scope, the audit log of every change, and what
// makes sign-in safe against guessing and flooding (the throttle, the hashing pool).
// A city's principal can never read or change another city's halls: routes name halls in
// their path ({code}), in their query (city, hall, level+code) or through an alarm ({id}), and
// the guard checks each, or narrows an unnamed query to the caller's own city or hall.
// Must not touch: what handlers do once admitted.
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "halld/api/router.hpp"
#include "halld/auth/hashing_pool.hpp"
#include "halld/auth/rate_limit.hpp"
#include "halld/auth/sessions.hpp"
#include "halld/auth/throttle.hpp"
#include "halld/auth/user_store.hpp"
#include "halld/core/config.hpp"
#include "halld/core/metrics.hpp"
#include "halld/store/database.hpp"

namespace halld::api {

// How a route names the halls it touches.
enum class ScopeRule {
  public_route,      // no sign-in: health, the OpenAPI document, the login itself, Kannel's reports
  any_hall,          // signed in; the answer is no hall's (catalogues, one's own session)
  province,          // the province's scope only: configuration, users, tokens, audit, channels
  hall_path,         // {code} is a hall
  city_hall_query,   // 'city' and 'hall' query parameters; narrowed when absent
  level_code_query,  // 'level' (hall, city, province) and 'code'; narrowed when absent
  alarm_path,        // {id} is an alarm, whose hall decides
  emergency_path,    // {id} is an emergency, whose hall decides
  work_order_path,   // {id} is a work order, whose hall decides
  notice_path,       // {id} is a notice: the caller's scope must hold all it reaches
};

struct Access {
  auth::Permission permission = auth::Permission::view;
  ScopeRule rule = ScopeRule::any_hall;
};

// The entry for a route ("GET", "/api/v1/halls/{code}"); nullopt for a route missing from the
// table, which the guard then refuses to everyone.
std::optional<Access> access_of(http::verb method, std::string_view pattern);

// The value of one cookie in a Cookie header ("a=1; halld_session=…"); empty when absent.
std::string_view cookie_value(std::string_view header, std::string_view name);

// A change whose audit row could not be written: the change is not made (503).
struct AuditUnavailable : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// The audit row of one change, made ready by the server before the change runs, so that the
// change and its record are all or nothing:
// - a change that is a database write writes the row inside its own transaction (write), so
//   both commit or neither does;
// - a change to memory (a session closed, an alarm acknowledged in the engine, a recomputation
//   started) has its row committed ahead of it (write_ahead, status 0 meaning "under way") and
//   goes ahead only once it is; its outcome is added after (settle);
// - a request that changed nothing (refused, or failed before its change) is recorded alone.
// Every value is masked (api/body.hpp) and so can always be stored; only a database that
// refuses the row can stop a change, and then it does.
class AuditRecord {
 public:
  AuditRecord(store::Database& database, auth::AuditEntry entry);
  // Inside the change's transaction, before its commit; throws AuditUnavailable when the row
  // is refused (the transaction is then aborted).
  void write(pqxx::transaction_base& tx, int status, std::string_view response_body);
  // Commits the row before a change to memory; false when it could not be written.
  asio::awaitable<bool> write_ahead();
  asio::awaitable<void> settle(int status, std::string_view response_body);
  asio::awaitable<void> write_alone(int status, std::string_view response_body);
  // The request named no one and reached no change (a sign-in body without a name, an attempt
  // while throttled): not worth a row, which would let anyone fill the log.
  void skip() { skipped_ = true; }
  bool written() const { return written_ || skipped_; }
  bool ahead() const { return ahead_id_.has_value(); }

 private:
  void complete(int status, std::string_view response_body);
  // Inserts the row in a transaction of its own; answers its id.
  asio::awaitable<std::int64_t> insert_alone();

  store::Database& database_;
  auth::AuditEntry entry_;
  std::atomic<bool> written_{false};
  std::atomic<bool> skipped_{false};
  std::optional<std::int64_t> ahead_id_;
};

class Guard {
 public:
  Guard(store::Database& database, const AuthConfig& config, MetricsRegistry& metrics);

  // Decides on a routed request: nullopt when it may go on (context.principal set and the query
  // narrowed to the caller's scope), else the refusal to send.
  asio::awaitable<std::optional<Response>> admit(RequestContext& context, const Route& route);

  // The audit row of a change (any method but GET/HEAD) by whoever makes it: `before` is the
  // object as a GET of it answered before the change (null if none).
  std::shared_ptr<AuditRecord> audit_record(const RequestContext& context, const Route& route,
                                            nlohmann::json before);

  auth::Sessions& sessions() { return sessions_; }
  auth::SignInThrottle& throttle() { return throttle_; }
  auth::HashingPool& hashing() { return hashing_; }
  // Counts a sign-in throttle that began (by "account_address" or "address").
  void count_block(std::string_view by);
  // Tokens are cached briefly; a revocation through the API forgets them at once.
  void forget_tokens();
  // An archive import may move halls between cities: the next scope check reads them afresh.
  void forget_halls();
  void update(const AuthConfig& config);

  static constexpr std::string_view session_cookie = "halld_session";

 private:
  struct Caller {
    std::optional<auth::Principal> principal;
    std::optional<Response> refusal;
  };
  asio::awaitable<Caller> identify(const RequestContext& context, const Route& route);
  // The live session a cookie names: this node's, or one adopted from the database; its use
  // written to the database at most once a minute.
  asio::awaitable<std::optional<auth::Session>> session_of(std::string cookie);
  asio::awaitable<std::optional<Response>> confine(RequestContext& context, const Access& access);
  // The city of a hall, from a map of the archives reloaded when a code is not in it.
  asio::awaitable<std::optional<std::string>> city_of_hall(std::string hall);
  // Whether the hall is inside the scope; an unknown hall is outside (its city is unknown).
  asio::awaitable<bool> covers(auth::Scope scope, std::string hall);
  asio::awaitable<std::optional<auth::TokenGrant>> token(std::string secret);

  store::Database& database_;
  auth::Sessions sessions_;
  auth::RateLimiter rate_limiter_;
  auth::SignInThrottle throttle_;
  auth::HashingPool hashing_;
  std::mutex mutex_;  // guards the two caches below
  std::map<std::string, std::string, std::less<>> hall_cities_;
  std::chrono::steady_clock::time_point halls_loaded_{};
  struct CachedToken {
    std::optional<auth::TokenGrant> grant;
    std::chrono::steady_clock::time_point fetched;
  };
  std::map<std::string, CachedToken> tokens_;  // by SHA-256 of the secret
  Counter& refused_unauthenticated_;
  Counter& refused_forbidden_;
  Counter& refused_csrf_;
  Counter& refused_rate_;
  Counter& blocks_by_account_address_;
  Counter& blocks_by_address_;
};

}  // namespace halld::api
