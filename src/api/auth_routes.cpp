// Sign-in and sessions, users, intranet API tokens and the audit log.
#include <fmt/format.h>

#include "halld/api/routes.hpp"
#include "halld/auth/secrets.hpp"
#include "halld/auth/user_store.hpp"
#include "query_reader.hpp"
#include "route_helpers.hpp"

namespace halld::api {
namespace {

using nlohmann::json;

json principal_json(const auth::Principal& p) {
  return {{"kind", p.kind == auth::Principal::Kind::user ? "user" : "token"},
          {"id", p.id},
          {"name", p.name},
          {"role", auth::to_string(p.role)},
          {"scope", p.scope.to_string()}};
}

// Secure under halld's own TLS: the browser then never sends the cookie over plain HTTP.
std::string session_cookie_header(std::string_view value, bool expire, bool secure) {
  return fmt::format("{}={}; Path=/; HttpOnly; SameSite=Strict{}{}", Guard::session_cookie, value,
                     secure ? "; Secure" : "", expire ? "; Max-Age=0" : "");
}

std::string iso(std::chrono::system_clock::time_point t) {
  return records::iso8601(std::chrono::time_point_cast<std::chrono::seconds>(t));
}

// Role and scope of a user or token body, checked against each other.
std::variant<std::pair<auth::Role, auth::Scope>, std::string> role_and_scope(const json& body) {
  auto role_text = text_field(body, "role", 32);
  auto scope_text = text_field(body, "scope", 64);
  auto role = role_text ? auth::parse_role(*role_text) : std::nullopt;
  if (!role)
    return std::string(
        "'role' is one of province_admin, city_manager, hall_manager, monitor, data_clerk");
  auto scope = scope_text ? auth::Scope::parse(*scope_text) : std::nullopt;
  if (!scope) return std::string("'scope' is province, city:CODE or hall:CODE");
  if (auto problem = auth::scope_problem(*role, *scope)) return *problem;
  return std::pair{*role, *scope};
}

std::variant<auth::UserFields, std::string> user_from_json(const json& body, bool create) {
  auth::UserFields fields;
  auto username = text_field(body, "username", 64);
  auto display = text_field(body, "display_name", 100);
  auto password = text_field(body, "password", 256);
  if (!username || !display || !password)
    return std::string("'username', 'display_name' and 'password' are text");
  fields.username = *username;
  fields.display_name = *display;
  fields.password = *password;
  if (create && fields.username.empty()) return std::string("'username' is required");
  if (create || !fields.password.empty()) {
    if (auto problem = auth::password_problem(fields.password); !problem.empty()) return problem;
  }
  auto role_scope = role_and_scope(body);
  if (auto* problem = std::get_if<std::string>(&role_scope)) return *problem;
  std::tie(fields.role, fields.scope) = std::get<0>(role_scope);
  if (auto it = body.find("disabled"); it != body.end()) {
    if (!it->is_boolean()) return std::string("'disabled' is true or false");
    fields.disabled = it->get<bool>();
  }
  return fields;
}

bool is_self(const RequestContext& context, std::int64_t id) {
  return context.principal && context.principal->kind == auth::Principal::Kind::user &&
         context.principal->id == id;
}

// The answer to a sign-in that may not be checked now: throttled (429) or shed (503), with
// the seconds to wait.
Response try_later(http::status status, std::string_view code, std::string_view message,
                   std::chrono::seconds wait) {
  auto response = error_response(status, code, message, json{{"retry_after_s", wait.count()}});
  response.set(http::field::retry_after, std::to_string(wait.count()));
  return response;
}

// Checks a password on the guard's hashing pool; nullopt when the pool sheds it.
asio::awaitable<std::optional<bool>> check_password(Guard& guard, std::string password,
                                                    std::string hash) {
  try {
    auto checking = guard.hashing().verify(std::move(password), std::move(hash));
    co_return co_await std::move(checking);
  } catch (const auth::HashingOverloaded&) {
    co_return std::nullopt;
  }
}

// A new hash of `password` made on the guard's hashing pool; nullopt when the pool sheds it.
asio::awaitable<std::optional<std::string>> new_hash(Guard& guard, std::string password) {
  try {
    auto hashing = guard.hashing().hash(std::move(password));
    co_return co_await std::move(hashing);
  } catch (const auth::HashingOverloaded&) {
    co_return std::nullopt;
  }
}

Response overloaded() {
  return try_later(http::status::service_unavailable, "overloaded",
                   "too many sign-ins are being checked; try again shortly",
                   std::chrono::seconds(1));
}

// What runs once a change to a user is committed: that user's sessions end.
std::function<asio::awaitable<void>()> ending_sessions_of(Guard& guard, int user_id) {
  return [&guard, user_id]() -> asio::awaitable<void> {
    guard.sessions().close_user(user_id);
    co_return;
  };
}

struct Credentials {
  std::string username;
  std::string password;
};
// (Plain functions build what holds JSON: a coroutine frame holding JSON values trips GCC 12's
// -Wmismatched-new-delete.)
std::variant<Credentials, Response> read_credentials(const RequestContext& context) {
  auto parsed = json_body(context.request);
  if (auto* refusal = std::get_if<Response>(&parsed)) return std::move(*refusal);
  const auto& body = std::get<json>(parsed);
  auto username = text_field(body, "username", 64);
  auto password = text_field(body, "password", 256);
  if (!username || !password || username->empty() || password->empty()) {
    return error_response(http::status::bad_request, "bad_body", "send 'username' and 'password'");
  }
  return Credentials{*username, *password};
}

// A wrong password (or a name nobody has): counted, and the count's block, when this failure
// began one, said in the answer (and so in the audit log).
Response refuse_sign_in(Guard& guard, const Credentials& credentials, const std::string& remote) {
  const auto failure = guard.throttle().failed(credentials.username, remote);
  json details = nullptr;
  if (failure.block_began) {
    guard.count_block(failure.by);
    details = {{"throttled_for_s", failure.wait.count()}, {"counted_by", failure.by}};
  }
  return error_response(http::status::unauthorized, "bad_credentials", "wrong username or password",
                        details);
}

std::string session_answer(const auth::Principal& principal, const auth::Sessions::Opened& opened) {
  return json{{"principal", principal_json(principal)},
              {"csrf_token", opened.session.csrf_token},
              {"expires_at", iso(opened.session.expires_at)}}
      .dump();
}

// A sign-in: throttled per (name, address) and per address before any password is checked, the
// same answer and cost for a name nobody has as for a wrong password, the password checked on
// the hashing pool, and the success recorded with its audit row in one transaction.
asio::awaitable<Response> sign_in(store::Database& database, Guard& guard, bool secure_cookie,
                                  RequestContext& context) {
  auto read = read_credentials(context);
  if (auto* refusal = std::get_if<Response>(&read)) {
    context.audit->skip();  // names no one
    co_return std::move(*refusal);
  }
  const auto credentials = std::get<Credentials>(std::move(read));
  if (const auto wait = guard.throttle().wait(credentials.username, context.remote);
      wait.count() > 0) {
    context.audit->skip();  // recorded when the throttle began; a guesser's retries add nothing
    co_return try_later(http::status::too_many_requests, "throttled",
                        "too many failed sign-ins from here: wait and try again", wait);
  }
  auto finding = database.run([username = credentials.username](pqxx::connection& c) {
    store::ReadTransaction tx(c);
    return auth::find_sign_in(tx, username);
  });
  std::optional<auth::SignInCandidate> candidate = co_await std::move(finding);
  auto checking = check_password(guard, credentials.password,
                                 candidate ? candidate->password_hash : std::string());
  std::optional<bool> matches = co_await std::move(checking);
  if (!matches) {
    context.audit->skip();
    co_return overloaded();
  }
  if (!*matches) co_return refuse_sign_in(guard, credentials, context.remote);
  guard.throttle().succeeded(credentials.username, context.remote);
  context.principal = candidate->principal;
  auto opened = guard.sessions().open(candidate->principal);
  auto text = session_answer(candidate->principal, opened);
  auto recording =
      database.run([id = candidate->principal.id, audit = context.audit, text,
                    cookie = opened.cookie, csrf = opened.session.csrf_token](pqxx::connection& c) {
        pqxx::work tx(c);
        auth::record_sign_in(tx, id);
        auth::store_session(tx, cookie, id, csrf);
        audit->write(tx, 200, text);
        tx.commit();
      });
  std::exception_ptr failure;
  try {
    co_await std::move(recording);
  } catch (...) {
    failure = std::current_exception();
  }
  if (failure) {
    guard.sessions().close(opened.cookie);  // not recorded, so not signed in
    std::rethrow_exception(failure);
  }
  auto response = json_response(http::status::ok, std::move(text));
  response.set(http::field::set_cookie, session_cookie_header(opened.cookie, false, secure_cookie));
  co_return response;
}

// A change of one's own password: the current one checked and the new one hashed on the
// hashing pool, the hash replaced (only if unchanged meanwhile) with the audit row.
asio::awaitable<Response> change_password(store::Database& database, Guard& guard,
                                          bool secure_cookie, RequestContext& context) {
  if (context.principal->kind != auth::Principal::Kind::user) {
    co_return error_response(http::status::forbidden, "forbidden", "a token has no password");
  }
  auto parsed = json_body(context.request);
  if (auto* refusal = std::get_if<Response>(&parsed)) co_return std::move(*refusal);
  const auto& body = std::get<json>(parsed);
  auto current = text_field(body, "current_password", 256);
  auto next = text_field(body, "new_password", 256);
  if (!current || !next)
    co_return error_response(http::status::bad_request, "bad_body",
                             "send 'current_password' and 'new_password'");
  if (auto problem = auth::password_problem(*next); !problem.empty()) {
    co_return error_response(http::status::unprocessable_entity, "invalid", problem);
  }
  const int id = context.principal->id;
  auto reading = database.run([id](pqxx::connection& c) {
    store::ReadTransaction tx(c);
    return auth::password_hash_of(tx, id);
  });
  std::optional<std::string> stored = co_await std::move(reading);
  auto checking = check_password(guard, *current, stored.value_or(""));
  std::optional<bool> matches = co_await std::move(checking);
  if (!matches) co_return overloaded();
  if (!*matches)
    co_return error_response(http::status::forbidden, "bad_credentials",
                             "the current password is wrong");
  auto hashing = new_hash(guard, *next);
  std::optional<std::string> next_hash = co_await std::move(hashing);
  if (!next_hash) co_return overloaded();
  const std::string answer = R"({"changed":true})";
  auto replacing = database.run([id, stored = *stored, next_hash = *next_hash,
                                 audit = context.audit, answer](pqxx::connection& c) {
    pqxx::work tx(c);
    if (!auth::replace_password_hash(tx, id, stored, next_hash)) return false;
    audit->write(tx, 200, answer);
    tx.commit();
    return true;
  });
  const bool changed = co_await std::move(replacing);
  if (!changed)
    co_return error_response(http::status::conflict, "conflict",
                             "the password changed meanwhile; sign in again");
  guard.sessions().close_user(id);  // every browser signed in as this user signs in again
  auto response = json_response(http::status::ok, answer);
  response.set(http::field::set_cookie, session_cookie_header("", true, secure_cookie));
  co_return response;
}

void add_session_routes(Router& router, store::Database& database, Guard& guard,
                        bool secure_cookie) {
  router.add(
      http::verb::post, "/api/v1/session",
      [&database, &guard, secure_cookie](RequestContext& context) {
        return sign_in(database, guard, secure_cookie, context);
      },
      AuditMode::in_transaction);

  router.add(http::verb::get, "/api/v1/session",
             [&guard](RequestContext& context) -> asio::awaitable<Response> {
               json answer = {{"principal", principal_json(*context.principal)}};
               // A browser reloading the page gets its CSRF token again; a token caller has none.
               const auto cookie = cookie_value(to_std(context.request[http::field::cookie]),
                                                Guard::session_cookie);
               if (!cookie.empty()) {
                 if (auto session = guard.sessions().use(std::string(cookie))) {
                   answer["csrf_token"] = session->csrf_token;
                   answer["expires_at"] = iso(session->expires_at);
                 }
               }
               co_return json_response(http::status::ok, answer.dump());
             });

  router.add(
      http::verb::delete_, "/api/v1/session",
      [&database, &guard, secure_cookie](RequestContext& context) -> asio::awaitable<Response> {
        const auto cookie = std::string(
            cookie_value(to_std(context.request[http::field::cookie]), Guard::session_cookie));
        if (!cookie.empty()) {
          guard.sessions().close(cookie);
          auto ending = database.run([cookie](pqxx::connection& c) {
            pqxx::work tx(c);
            auth::delete_session(tx, cookie);
            tx.commit();
          });
          co_await std::move(ending);
        }
        auto response = json_response(http::status::ok, R"({"signed_out":true})");
        response.set(http::field::set_cookie, session_cookie_header("", true, secure_cookie));
        co_return response;
      });

  router.add(
      http::verb::post, "/api/v1/session/password",
      [&database, &guard, secure_cookie](RequestContext& context) {
        return change_password(database, guard, secure_cookie, context);
      },
      AuditMode::in_transaction);
}

// A user as the administration sees it: the stored fields, and whether the sign-in throttle
// holds the name back anywhere now.
void add_throttle_state(Guard& guard, json& user) {
  const auto until = guard.throttle().blocked_until(user.value("username", ""));
  user["locked"] = until.has_value();
  user["locked_until"] = nullptr;
  if (until) {
    const auto in = std::chrono::duration_cast<std::chrono::system_clock::duration>(
        *until - std::chrono::steady_clock::now());
    user["locked_until"] = iso(std::chrono::system_clock::now() + in);
  }
}
std::string with_throttle(Guard& guard, const std::string& user_text) {
  if (user_text.empty()) return user_text;
  auto user = json::parse(user_text);
  add_throttle_state(guard, user);
  return user.dump();
}

// The user a POST or PUT body describes, or its refusal.
std::variant<auth::UserFields, Response> read_user(const RequestContext& context,
                                                   std::optional<int> id, bool create) {
  if (!id) return error_response(http::status::not_found, "not_found", "no such user");
  auto read = read_object<auth::UserFields>(
      context, [create](const json& body) { return user_from_json(body, create); });
  if (auto* refusal = std::get_if<Response>(&read)) return std::move(*refusal);
  auto fields = std::get<auth::UserFields>(std::move(read));
  if (!create && is_self(context, *id) &&
      (fields.disabled || fields.role != context.principal->role)) {
    return error_response(http::status::conflict, "conflict",
                          "you cannot disable yourself or change your own role");
  }
  return fields;
}

PreparedWrite user_write(Guard& guard, auth::UserFields fields, int user_id, bool create) {
  return {[fields = std::move(fields), user_id, create, &guard](pqxx::work& tx) {
            int id = user_id;
            if (create) {
              try {
                id = auth::create_user(tx, fields);
              } catch (const pqxx::unique_violation&) {
                throw Conflict("that username is taken");  // the constraint decides: no race
              }
            } else if (!auth::update_user(tx, id, fields)) {
              return std::string();
            }
            return with_throttle(guard, auth::user_json(tx, id));
          },
          create ? http::status::created : http::status::ok};
}

// POST /api/v1/users (create) and PUT /api/v1/users/{id}: the body read, the password hashed on
// the hashing pool, then written with the audit row.
asio::awaitable<Response> write_user(store::Database& database, Guard& guard,
                                     RequestContext& context, bool create) {
  const auto id = create ? std::optional<int>(0) : int_id_param(context);
  auto read = read_user(context, id, create);
  if (auto* refusal = std::get_if<Response>(&read)) co_return std::move(*refusal);
  auto fields = std::get<auth::UserFields>(std::move(read));
  if (!fields.password.empty()) {
    auto hashing = new_hash(guard, fields.password);
    std::optional<std::string> hash = co_await std::move(hashing);
    if (!hash) co_return overloaded();
    fields.password_hash = std::move(*hash);
  }
  // Whoever the user was signed in as is no longer who they are: once the change is committed,
  // their sessions end.
  std::function<asio::awaitable<void>()> after;
  if (!create) after = ending_sessions_of(guard, *id);
  auto writing =
      run_write(database, context, user_write(guard, std::move(fields), *id, create), after);
  Response response = co_await std::move(writing);
  co_return response;
}

void add_user_routes(Router& router, store::Database& database, Guard& guard) {
  add_list(router, database, "/api/v1/users", [&guard](pqxx::transaction_base& tx) {
    json items = auth::list_users(tx);
    for (auto& user : items) add_throttle_state(guard, user);
    return items;
  });
  add_object_read(router, database, "/api/v1/users/{id}", "user",
                  [&guard](pqxx::transaction_base& tx, int id) {
                    return with_throttle(guard, auth::user_json(tx, id));
                  });
  router.add(
      http::verb::post, "/api/v1/users",
      [&database, &guard](RequestContext& context) {
        return write_user(database, guard, context, true);
      },
      AuditMode::in_transaction);
  router.add(
      http::verb::put, "/api/v1/users/{id}",
      [&database, &guard](RequestContext& context) {
        return write_user(database, guard, context, false);
      },
      AuditMode::in_transaction);
  router.add(
      http::verb::delete_, "/api/v1/users/{id}",
      [&database, &guard](RequestContext& context) -> asio::awaitable<Response> {
        const auto id = int_id_param(context);
        if (!id) co_return error_response(http::status::not_found, "not_found", "no such user");
        if (is_self(context, *id))
          co_return error_response(http::status::conflict, "conflict",
                                   "you cannot delete yourself");
        const int user_id = *id;
        PreparedWrite deletion([user_id](pqxx::work& tx) {
          return auth::delete_user(tx, user_id) ? json{{"deleted", user_id}}.dump() : std::string();
        });
        auto writing =
            run_write(database, context, std::move(deletion), ending_sessions_of(guard, user_id));
        Response response = co_await std::move(writing);
        co_return response;
      },
      AuditMode::in_transaction);
  // Unlocking forgets the throttle's counts of the name at every address; the record of it is
  // committed first (the counts live in memory).
  router.add(http::verb::post, "/api/v1/users/{id}/unlock",
             [&database, &guard](RequestContext& context) -> asio::awaitable<Response> {
               const auto id = int_id_param(context);
               if (!id)
                 co_return error_response(http::status::not_found, "not_found", "no such user");
               auto reading = database.run([id = *id](pqxx::connection& c) {
                 store::ReadTransaction tx(c);
                 auto name = auth::username_of(tx, id);
                 return name ? std::pair{*name, auth::user_json(tx, id)}
                             : std::pair<std::string, std::string>{};
               });
               auto [username, user_text] = co_await std::move(reading);
               if (username.empty())
                 co_return error_response(http::status::not_found, "not_found", "no such user");
               guard.throttle().unlock(username);
               co_return json_response(http::status::ok, with_throttle(guard, user_text));
             });
}

void add_token_routes(Router& router, store::Database& database, Guard& guard,
                      std::size_t default_days) {
  add_list(router, database, "/api/v1/tokens", auth::list_tokens);
  add_object_read(router, database, "/api/v1/tokens/{id}", "token", auth::token_json);
  add_write(
      router, database, http::verb::post, "/api/v1/tokens",
      [default_days](const RequestContext& context) -> PreparedWrite {
        auto read = read_object<auth::TokenFields>(
            context, [&](const json& body) -> std::variant<auth::TokenFields, std::string> {
              auth::TokenFields fields;
              auto name = text_field(body, "name", 100);
              if (!name || name->empty())
                return std::string("'name' says whose token this is (1 to 100 bytes)");
              fields.name = *name;
              auto role_scope = role_and_scope(body);
              if (auto* problem = std::get_if<std::string>(&role_scope)) return *problem;
              std::tie(fields.role, fields.scope) = std::get<0>(role_scope);
              auto number = [&](const char* key, long fallback, long min,
                                long max) -> std::optional<long> {
                auto it = body.find(key);
                if (it == body.end()) return fallback;
                if (!it->is_number_integer() || it->get<long>() < min || it->get<long>() > max)
                  return std::nullopt;
                return it->get<long>();
              };
              auto rate = number("requests_per_minute", 600, 1, 1'000'000);
              auto days = number("expires_in_days", static_cast<long>(default_days), 1, 3660);
              if (!rate) return std::string("'requests_per_minute' is from 1 to 1000000");
              if (!days) return std::string("'expires_in_days' is from 1 to 3660");
              fields.requests_per_minute = static_cast<int>(*rate);
              fields.expires_at = std::chrono::system_clock::now() + std::chrono::days(*days);
              return fields;
            });
        if (auto* refusal = std::get_if<Response>(&read)) return std::move(*refusal);
        auto fields = std::get<auth::TokenFields>(std::move(read));
        fields.created_by = context.principal->actor();
        return {[fields = std::move(fields)](pqxx::work& tx) {
                  auto created = auth::create_token(tx, fields);
                  json answer = {{"token", json::parse(auth::token_json(tx, created.id))},
                                 {"secret", created.secret}};
                  return answer.dump();
                },
                http::status::created};
      });
  add_write(
      router, database, http::verb::delete_, "/api/v1/tokens/{id}",
      [](const RequestContext& context) -> PreparedWrite {
        const auto id = int_id_param(context);
        if (!id) return refuse(http::status::not_found, "not_found", "no such token");
        return {[id = *id](pqxx::work& tx) {
          return auth::revoke_token(tx, id) ? auth::token_json(tx, id) : std::string();
        }};
      },
      [&guard]() -> asio::awaitable<void> {
        guard.forget_tokens();
        co_return;
      });
}

void add_audit_route(Router& router, store::Database& database) {
  add_read(router, database, "/api/v1/audit", [](const RequestContext& context) -> Prepared {
    QueryReader query(context, {"actor", "path", "from", "to", "limit", "offset"});
    auth::AuditFilter filter;
    if (auto actor = query.text("actor", 200); !actor.empty()) filter.actor = actor;
    if (auto path = query.text("path", 500); !path.empty()) filter.path_prefix = path;
    const auto now = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
    const records::Instant to{now + std::chrono::seconds(1), std::chrono::minutes(8 * 60)};
    const records::Instant from{to.at - std::chrono::days(30), to.offset};
    if (auto range = query.range(from, to, std::chrono::minutes(8 * 60))) {
      filter.from = range->first.at;
      filter.to = range->second.at;
    }
    filter.limit = static_cast<std::size_t>(query.integer("limit", 100, 1, 1000));
    filter.offset = static_cast<std::size_t>(query.integer("offset", 0, 0, 10'000'000));
    if (query.problem()) return bad_query(*query.problem());
    return {[filter](pqxx::connection& c) {
      store::ReadTransaction tx(c);
      return auth::list_audit(tx, filter).dump();
    }};
  });
}

}  // namespace

void add_auth_routes(Router& router, store::Database& database, Guard& guard,
                     const AuthConfig& config, bool secure_cookie) {
  add_session_routes(router, database, guard, secure_cookie);
  add_user_routes(router, database, guard);
  add_token_routes(router, database, guard, config.token_days);
  add_audit_route(router, database);
}

}  // namespace halld::api
