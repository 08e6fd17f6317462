#include "halld/auth/user_store.hpp"

#include <fmt/format.h>

#include "halld/auth/secrets.hpp"

namespace halld::auth {
namespace {

using nlohmann::json;

double epoch(std::chrono::system_clock::time_point t) {
  return std::chrono::duration<double>(t.time_since_epoch()).count();
}

// A user row as JSON, built by PostgreSQL so times come out ISO-8601 with their offset.
constexpr const char* user_columns =
    "json_build_object('id', id, 'username', username, 'display_name', display_name, 'role', role, "
    "'scope', CASE WHEN scope_level = 'province' THEN 'province' ELSE scope_level || ':' || "
    "scope_code END, "
    "'disabled', disabled, 'created_at', created_at, 'password_changed_at', password_changed_at, "
    "'last_login_at', last_login_at)::text";

constexpr const char* token_columns =
    "json_build_object('id', id, 'name', name, 'role', role, "
    "'scope', CASE WHEN scope_level = 'province' THEN 'province' ELSE scope_level || ':' || "
    "scope_code END, "
    "'requests_per_minute', requests_per_minute, 'created_by', created_by, 'created_at', "
    "created_at, "
    "'expires_at', expires_at, 'revoked_at', revoked_at, "
    "'state', CASE WHEN revoked_at IS NOT NULL THEN 'revoked' WHEN expires_at <= now() THEN "
    "'expired' ELSE 'active' END)::text";

json rows_as_items(const pqxx::result& rows) {
  json items = json::array();
  for (const auto& row : rows) items.push_back(json::parse(row[0].as<std::string>()));
  return items;
}

Principal principal_of(const pqxx::row& row, Principal::Kind kind) {
  // Columns: id, name, role, scope_level, scope_code
  Principal p;
  p.kind = kind;
  p.id = row[0].as<int>();
  p.name = row[1].as<std::string>();
  p.role = parse_role(row[2].as<std::string>()).value_or(Role::monitor);
  p.scope.level = parse_scope_level(row[3].as<std::string>()).value_or(ScopeLevel::hall);
  p.scope.code = row[4].as<std::string>();
  return p;
}

}  // namespace

std::optional<SignInCandidate> find_sign_in(pqxx::transaction_base& tx,
                                            const std::string& username) {
  auto rows = tx.exec_params(
      "SELECT id, username, role, scope_level, scope_code, password_hash FROM app_user WHERE "
      "username = $1 AND NOT disabled",
      username);
  if (rows.empty()) return std::nullopt;
  return SignInCandidate{principal_of(rows[0], Principal::Kind::user),
                         rows[0][5].as<std::string>()};
}

void record_sign_in(pqxx::transaction_base& tx, int id) {
  tx.exec_params("UPDATE app_user SET last_login_at = now() WHERE id = $1", id);
}

json list_users(pqxx::transaction_base& tx) {
  return rows_as_items(
      tx.exec(fmt::format("SELECT {} FROM app_user ORDER BY username", user_columns)));
}

std::string user_json(pqxx::transaction_base& tx, int id) {
  auto rows =
      tx.exec_params(fmt::format("SELECT {} FROM app_user WHERE id = $1", user_columns), id);
  return rows.empty() ? std::string() : rows[0][0].as<std::string>();
}

int create_user(pqxx::transaction_base& tx, const UserFields& fields) {
  return tx
      .exec_params1(
          "INSERT INTO app_user (username, display_name, password_hash, role, scope_level, "
          "scope_code, disabled) "
          "VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
          fields.username, fields.display_name, fields.password_hash,
          std::string(to_string(fields.role)), std::string(to_string(fields.scope.level)),
          fields.scope.code, fields.disabled)[0]
      .as<int>();
}

void store_session(pqxx::transaction_base& tx, std::string_view cookie, int user_id,
                   const std::string& csrf_token) {
  tx.exec_params("INSERT INTO app_session (cookie_sha256, user_id, csrf_token) VALUES ($1, $2, $3)",
                 pqxx::binarystring(sha256(cookie)), user_id, csrf_token);
}

void touch_session(pqxx::transaction_base& tx, std::string_view cookie) {
  tx.exec_params("UPDATE app_session SET last_used_at = now() WHERE cookie_sha256 = $1",
                 pqxx::binarystring(sha256(cookie)));
}

void delete_session(pqxx::transaction_base& tx, std::string_view cookie) {
  tx.exec_params("DELETE FROM app_session WHERE cookie_sha256 = $1",
                 pqxx::binarystring(sha256(cookie)));
}

std::optional<StoredSession> find_session(pqxx::transaction_base& tx, std::string_view cookie,
                                          std::chrono::seconds idle,
                                          std::chrono::seconds absolute) {
  if (cookie.size() != 64) return std::nullopt;
  auto rows = tx.exec_params(
      "SELECT u.id, u.username, u.role, u.scope_level, u.scope_code, s.csrf_token, "
      "extract(epoch FROM now() - s.started_at)::bigint, extract(epoch FROM now() - "
      "s.last_used_at)::bigint FROM app_session s JOIN app_user u ON u.id = s.user_id WHERE "
      "s.cookie_sha256 = $1 AND NOT u.disabled AND s.last_used_at > now() - $2 * interval '1 "
      "second' AND s.started_at > now() - $3 * interval '1 second'",
      pqxx::binarystring(sha256(cookie)), static_cast<long long>(idle.count()),
      static_cast<long long>(absolute.count()));
  if (rows.empty()) return std::nullopt;
  return StoredSession{principal_of(rows[0], Principal::Kind::user), rows[0][5].as<std::string>(),
                       std::chrono::seconds(rows[0][6].as<long long>()),
                       std::chrono::seconds(rows[0][7].as<long long>())};
}

bool update_user(pqxx::transaction_base& tx, int id, const UserFields& fields) {
  // An empty hash keeps the stored one.
  const std::string& hash = fields.password_hash;
  auto rows = tx.exec_params(
      "UPDATE app_user SET display_name = $2, role = $3, scope_level = $4, scope_code = $5, "
      "disabled = $6, "
      "password_hash = CASE WHEN $7 = '' THEN password_hash ELSE $7 END, "
      "password_changed_at = CASE WHEN $7 = '' THEN password_changed_at ELSE now() END "
      "WHERE id = $1 RETURNING id",
      id, fields.display_name, std::string(to_string(fields.role)),
      std::string(to_string(fields.scope.level)), fields.scope.code, fields.disabled, hash);
  tx.exec_params("DELETE FROM app_session WHERE user_id = $1", id);
  return !rows.empty();
}

bool delete_user(pqxx::transaction_base& tx, int id) {
  return !tx.exec_params("DELETE FROM app_user WHERE id = $1 RETURNING id", id).empty();
}

std::optional<std::string> username_of(pqxx::transaction_base& tx, int id) {
  auto rows = tx.exec_params("SELECT username FROM app_user WHERE id = $1", id);
  if (rows.empty()) return std::nullopt;
  return rows[0][0].as<std::string>();
}

std::optional<std::string> password_hash_of(pqxx::transaction_base& tx, int id) {
  auto rows =
      tx.exec_params("SELECT password_hash FROM app_user WHERE id = $1 AND NOT disabled", id);
  if (rows.empty()) return std::nullopt;
  return rows[0][0].as<std::string>();
}

bool replace_password_hash(pqxx::transaction_base& tx, int id, const std::string& current_hash,
                           const std::string& next_hash) {
  const bool replaced =
      !tx.exec_params(
             "UPDATE app_user SET password_hash = $3, password_changed_at = now() "
             "WHERE id = $1 AND password_hash = $2 AND NOT disabled RETURNING id",
             id, current_hash, next_hash)
           .empty();
  if (replaced) tx.exec_params("DELETE FROM app_session WHERE user_id = $1", id);
  return replaced;
}

std::size_t count_users(pqxx::transaction_base& tx) {
  return tx.exec1("SELECT count(*) FROM app_user")[0].as<std::size_t>();
}

CreatedToken create_token(pqxx::transaction_base& tx, const TokenFields& fields) {
  CreatedToken created;
  created.secret = "hld_" + random_hex(32);
  created.id = tx.exec_params1(
                     "INSERT INTO api_token (name, token_sha256, role, scope_level, scope_code, "
                     "requests_per_minute, "
                     "created_by, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, "
                     "to_timestamp($8)) RETURNING id",
                     fields.name, pqxx::binarystring(sha256(created.secret)),
                     std::string(to_string(fields.role)),
                     std::string(to_string(fields.scope.level)), fields.scope.code,
                     fields.requests_per_minute, fields.created_by, epoch(fields.expires_at))[0]
                   .as<int>();
  return created;
}

json list_tokens(pqxx::transaction_base& tx) {
  return rows_as_items(tx.exec(fmt::format("SELECT {} FROM api_token ORDER BY id", token_columns)));
}

std::string token_json(pqxx::transaction_base& tx, int id) {
  auto rows =
      tx.exec_params(fmt::format("SELECT {} FROM api_token WHERE id = $1", token_columns), id);
  return rows.empty() ? std::string() : rows[0][0].as<std::string>();
}

bool revoke_token(pqxx::transaction_base& tx, int id) {
  return !tx.exec_params(
                "UPDATE api_token SET revoked_at = coalesce(revoked_at, now()) WHERE id = $1 "
                "RETURNING id",
                id)
              .empty();
}

std::optional<TokenGrant> find_token(pqxx::transaction_base& tx, std::string_view secret) {
  if (secret.size() != 68 || !secret.starts_with("hld_")) return std::nullopt;
  auto rows = tx.exec_params(
      "SELECT id, name, role, scope_level, scope_code, requests_per_minute, extract(epoch FROM "
      "expires_at) "
      "FROM api_token WHERE token_sha256 = $1 AND revoked_at IS NULL AND expires_at > now()",
      pqxx::binarystring(sha256(secret)));
  if (rows.empty()) return std::nullopt;
  TokenGrant grant{principal_of(rows[0], Principal::Kind::token), rows[0][5].as<int>(), {}};
  grant.expires_at = std::chrono::system_clock::time_point(
      std::chrono::duration_cast<std::chrono::system_clock::duration>(
          std::chrono::duration<double>(rows[0][6].as<double>())));
  return grant;
}

namespace {
std::optional<std::string> json_or_null(const json& value) {
  if (value.is_null()) return std::nullopt;
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}
}  // namespace

std::int64_t insert_audit(pqxx::transaction_base& tx, const AuditEntry& entry) {
  return tx
      .exec_params1(
          "INSERT INTO audit_log (actor, role, remote, method, path, status, object, before, "
          "after, request) "
          "VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9::jsonb, $10::jsonb) RETURNING id",
          entry.actor, entry.role, entry.remote, entry.method, entry.path, entry.status,
          entry.object, json_or_null(entry.before), json_or_null(entry.after),
          json_or_null(entry.request))[0]
      .as<std::int64_t>();
}

void settle_audit(pqxx::transaction_base& tx, std::int64_t id, const AuditEntry& entry) {
  tx.exec_params("UPDATE audit_log SET status = $2, after = $3::jsonb WHERE id = $1 AND status = 0",
                 id, entry.status, json_or_null(entry.after));
}

json list_audit(pqxx::transaction_base& tx, const AuditFilter& filter) {
  auto rows = tx.exec_params(
      "SELECT json_build_object('id', id, 'at', at, 'actor', actor, 'role', role, 'remote', "
      "remote, "
      "'method', method, 'path', path, 'status', status, 'object', object, 'before', before, "
      "'after', after, "
      "'request', request)::text, count(*) OVER () FROM audit_log "
      "WHERE ($1::text IS NULL OR actor = $1) AND ($2::text IS NULL OR starts_with(path, $2)) "
      "AND at >= to_timestamp($3) AND at < to_timestamp($4) ORDER BY id DESC LIMIT $5 OFFSET $6",
      filter.actor, filter.path_prefix, epoch(filter.from), epoch(filter.to), filter.limit,
      filter.offset);
  const auto total = rows.empty() ? 0 : rows[0][1].as<std::int64_t>();
  return {{"items", rows_as_items(rows)},
          {"total", total},
          {"limit", filter.limit},
          {"offset", filter.offset}};
}

}  // namespace halld::auth
