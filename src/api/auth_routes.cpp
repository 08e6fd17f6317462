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
  if (!role) return std::string("'role' is one of province_admin, city_manager, hall_manager, monitor, data_clerk");
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
  if (!username || !display || !password) return std::string("'username', 'display_name' and 'password' are text");
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
  return context.principal && context.principal->kind == auth::Principal::Kind::user && context.principal->id == id;
}

void add_session_routes(Router& router, store::Database& database, Guard& guard, bool secure_cookie) {
  router.add(http::verb::post, "/api/v1/session", [&database, &guard, secure_cookie](RequestContext& context) -> asio::awaitable<Response> {
    auto parsed = json_body(context.request);
    if (auto* refusal = std::get_if<Response>(&parsed)) co_return std::move(*refusal);
    const auto& body = std::get<json>(parsed);
    auto username = text_field(body, "username", 64);
    auto password = text_field(body, "password", 256);
    if (!username || !password || username->empty() || password->empty()) {
      co_return error_response(http::status::bad_request, "bad_body", "send 'username' and 'password'");
    }
    auto pending = database.run([username = *username, password = *password, policy = guard.login_policy()](pqxx::connection& c) {
      return auth::log_in(c, username, password, policy);
    });
    auth::LoginResult result = co_await std::move(pending);
    using Outcome = auth::LoginResult::Outcome;
    if (result.outcome == Outcome::locked) {
      co_return error_response(http::status::locked, "locked", "too many failed sign-ins: the account is locked for a while");
    }
    if (result.outcome != Outcome::signed_in) {
      co_return error_response(http::status::unauthorized, "bad_credentials", "wrong username or password");
    }
    auto opened = guard.sessions().open(*result.principal);
    context.principal = result.principal;
    json answer = {{"principal", principal_json(*result.principal)},
                   {"csrf_token", opened.session.csrf_token},
                   {"expires_at", iso(opened.session.expires_at)}};
    auto response = json_response(http::status::ok, answer.dump());
    response.set(http::field::set_cookie, session_cookie_header(opened.cookie, false, secure_cookie));
    co_return response;
  });

  router.add(http::verb::get, "/api/v1/session", [&guard](RequestContext& context) -> asio::awaitable<Response> {
    json answer = {{"principal", principal_json(*context.principal)}};
    // A browser reloading the page gets its CSRF token again; a token caller has none.
    const auto cookie = cookie_value(to_std(context.request[http::field::cookie]), Guard::session_cookie);
    if (!cookie.empty()) {
      if (auto session = guard.sessions().use(cookie)) {
        answer["csrf_token"] = session->csrf_token;
        answer["expires_at"] = iso(session->expires_at);
      }
    }
    co_return json_response(http::status::ok, answer.dump());
  });

  router.add(http::verb::delete_, "/api/v1/session", [&guard, secure_cookie](RequestContext& context) -> asio::awaitable<Response> {
    const auto cookie = cookie_value(to_std(context.request[http::field::cookie]), Guard::session_cookie);
    if (!cookie.empty()) guard.sessions().close(cookie);
    auto response = json_response(http::status::ok, R"({"signed_out":true})");
    response.set(http::field::set_cookie, session_cookie_header("", true, secure_cookie));
    co_return response;
  });

  router.add(http::verb::post, "/api/v1/session/password", [&database, &guard, secure_cookie](RequestContext& context) -> asio::awaitable<Response> {
    if (context.principal->kind != auth::Principal::Kind::user) {
      co_return error_response(http::status::forbidden, "forbidden", "a token has no password");
    }
    auto parsed = json_body(context.request);
    if (auto* refusal = std::get_if<Response>(&parsed)) co_return std::move(*refusal);
    const auto& body = std::get<json>(parsed);
    auto current = text_field(body, "current_password", 256);
    auto next = text_field(body, "new_password", 256);
    if (!current || !next) co_return error_response(http::status::bad_request, "bad_body", "send 'current_password' and 'new_password'");
    if (auto problem = auth::password_problem(*next); !problem.empty()) {
      co_return error_response(http::status::unprocessable_entity, "invalid", problem);
    }
    const int id = context.principal->id;
    auto pending = database.run([id, current = *current, next = *next](pqxx::connection& c) {
      return auth::change_own_password(c, id, current, next);
    });
    const bool changed = co_await std::move(pending);
    if (!changed) co_return error_response(http::status::forbidden, "bad_credentials", "the current password is wrong");
    guard.sessions().close_user(id);  // every browser signed in as this user signs in again
    auto response = json_response(http::status::ok, R"({"changed":true})");
    response.set(http::field::set_cookie, session_cookie_header("", true, secure_cookie));
    co_return response;
  });
}

// An action on the {id} object (unlock a user, revoke a token): the object as it is afterwards,
// or a 404 when there is none.
using ObjectAction = bool (*)(pqxx::transaction_base&, int);
using ObjectJson = std::string (*)(pqxx::transaction_base&, int);
Prepared act_on_object(const RequestContext& context, std::string_view missing, ObjectAction action, ObjectJson show) {
  auto id = id_param(context);
  if (!id) return refuse(http::status::not_found, "not_found", missing);
  return {std::nullopt, [id = static_cast<int>(*id), action, show](pqxx::connection& c) {
            pqxx::work tx(c);
            if (!action(tx, id)) return std::string();
            auto answer = show(tx, id);
            tx.commit();
            return answer;
          }};
}

void add_user_routes(Router& router, store::Database& database, Guard& guard) {
  add_list(router, database, "/api/v1/users", auth::list_users);
  add_object_read(router, database, "/api/v1/users/{id}", "user", auth::user_json);
  add_write(router, database, http::verb::post, "/api/v1/users", [](const RequestContext& context) -> Prepared {
    auto read = read_object<auth::UserFields>(context, [](const json& body) { return user_from_json(body, true); });
    if (auto* refusal = std::get_if<Response>(&read)) return {std::move(*refusal), {}, {}};
    return {std::nullopt, [fields = std::get<auth::UserFields>(std::move(read))](pqxx::connection& c) {
              pqxx::work tx(c);
              int id = 0;
              try {
                id = auth::create_user(tx, fields);
              } catch (const pqxx::unique_violation&) {
                throw Conflict("that username is taken");  // the constraint decides: no race
              }
              auto answer = auth::user_json(tx, id);
              tx.commit();
              return answer;
            }, http::status::created};
  });
  add_write(router, database, http::verb::put, "/api/v1/users/{id}", [&guard](const RequestContext& context) -> Prepared {
    auto id = id_param(context);
    if (!id) return refuse(http::status::not_found, "not_found", "no such user");
    auto read = read_object<auth::UserFields>(context, [](const json& body) { return user_from_json(body, false); });
    if (auto* refusal = std::get_if<Response>(&read)) return {std::move(*refusal), {}, {}};
    auto fields = std::get<auth::UserFields>(std::move(read));
    if (is_self(context, *id) && (fields.disabled || fields.role != context.principal->role)) {
      return refuse(http::status::conflict, "conflict", "you cannot disable yourself or change your own role");
    }
    // Whoever the user was signed in as is no longer who they are: their sessions end.
    guard.sessions().close_user(static_cast<int>(*id));
    return {std::nullopt, [id = static_cast<int>(*id), fields = std::move(fields)](pqxx::connection& c) {
              pqxx::work tx(c);
              if (!auth::update_user(tx, id, fields)) return std::string();
              auto answer = auth::user_json(tx, id);
              tx.commit();
              return answer;
            }};
  });
  add_write(router, database, http::verb::delete_, "/api/v1/users/{id}", [&guard](const RequestContext& context) -> Prepared {
    auto id = id_param(context);
    if (!id) return refuse(http::status::not_found, "not_found", "no such user");
    if (is_self(context, *id)) return refuse(http::status::conflict, "conflict", "you cannot delete yourself");
    guard.sessions().close_user(static_cast<int>(*id));
    return {std::nullopt, [id = static_cast<int>(*id)](pqxx::connection& c) {
              pqxx::work tx(c);
              if (!auth::delete_user(tx, id)) return std::string();
              tx.commit();
              return json{{"deleted", id}}.dump();
            }};
  });
  add_write(router, database, http::verb::post, "/api/v1/users/{id}/unlock", [](const RequestContext& context) -> Prepared {
    return act_on_object(context, "no such user", auth::unlock_user, auth::user_json);
  });
}

void add_token_routes(Router& router, store::Database& database, Guard& guard, std::size_t default_days) {
  add_list(router, database, "/api/v1/tokens", auth::list_tokens);
  add_object_read(router, database, "/api/v1/tokens/{id}", "token", auth::token_json);
  add_write(router, database, http::verb::post, "/api/v1/tokens", [default_days](const RequestContext& context) -> Prepared {
    auto read = read_object<auth::TokenFields>(context, [&](const json& body) -> std::variant<auth::TokenFields, std::string> {
      auth::TokenFields fields;
      auto name = text_field(body, "name", 100);
      if (!name || name->empty()) return std::string("'name' says whose token this is (1 to 100 bytes)");
      fields.name = *name;
      auto role_scope = role_and_scope(body);
      if (auto* problem = std::get_if<std::string>(&role_scope)) return *problem;
      std::tie(fields.role, fields.scope) = std::get<0>(role_scope);
      auto number = [&](const char* key, long fallback, long min, long max) -> std::optional<long> {
        auto it = body.find(key);
        if (it == body.end()) return fallback;
        if (!it->is_number_integer() || it->get<long>() < min || it->get<long>() > max) return std::nullopt;
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
    if (auto* refusal = std::get_if<Response>(&read)) return {std::move(*refusal), {}, {}};
    auto fields = std::get<auth::TokenFields>(std::move(read));
    fields.created_by = context.principal->actor();
    return {std::nullopt, [fields = std::move(fields)](pqxx::connection& c) {
              pqxx::work tx(c);
              auto created = auth::create_token(tx, fields);
              json answer = {{"token", json::parse(auth::token_json(tx, created.id))}, {"secret", created.secret}};
              tx.commit();
              return answer.dump();
            }, http::status::created};
  });
  add_write(
      router, database, http::verb::delete_, "/api/v1/tokens/{id}",
      [](const RequestContext& context) -> Prepared {
        return act_on_object(context, "no such token", auth::revoke_token, auth::token_json);
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
    if (query.problem()) return {bad_query(*query.problem()), {}, {}};
    return {std::nullopt, [filter](pqxx::connection& c) {
              pqxx::read_transaction tx(c);
              return auth::list_audit(tx, filter).dump();
            }};
  });
}

}  // namespace

void add_auth_routes(Router& router, store::Database& database, Guard& guard, const AuthConfig& config,
                     bool secure_cookie) {
  add_session_routes(router, database, guard, secure_cookie);
  add_user_routes(router, database, guard);
  add_token_routes(router, database, guard, config.token_days);
  add_audit_route(router, database);
}

}  // namespace halld::api
