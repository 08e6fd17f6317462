// auth/user_store: the SQL of people (app_user), their browser sessions (app_session), intranet
// API tokens (api_token) and the audit log. Owns: those tables and token lifetimes. Blocking: runs
// on the database pool. Must not touch: HTTP, sessions.
#pragma once

#include <chrono>
#include <nlohmann/json.hpp>
#include <optional>
#include <pqxx/pqxx>
#include <string>

#include "halld/auth/principal.hpp"

namespace halld::auth {

// Who a sign-in names, and the hash to check its password against; nullopt for a name nobody
// has or a disabled account (the caller checks a decoy hash then, at the same cost).
struct SignInCandidate {
  Principal principal;
  std::string password_hash;
};
std::optional<SignInCandidate> find_sign_in(pqxx::transaction_base& tx,
                                            const std::string& username);
void record_sign_in(pqxx::transaction_base& tx, int id);

// Browser sessions as stored, so that another node or a restart takes them over (auth/sessions
// holds them in memory). The cookie is hashed here; only its SHA-256 is stored. A change of a
// user (update_user, replace_password_hash, delete_user) ends that user's stored sessions.
void store_session(pqxx::transaction_base& tx, std::string_view cookie, int user_id,
                   const std::string& csrf_token);
void touch_session(pqxx::transaction_base& tx, std::string_view cookie);
void delete_session(pqxx::transaction_base& tx, std::string_view cookie);
struct StoredSession {
  Principal principal;
  std::string csrf_token;
  std::chrono::seconds age{0};   // since sign-in
  std::chrono::seconds idle{0};  // since last stored use
};
// The session a cookie names, unless unknown, its user disabled, or past `idle` or `absolute`.
std::optional<StoredSession> find_session(pqxx::transaction_base& tx, std::string_view cookie,
                                          std::chrono::seconds idle, std::chrono::seconds absolute);

// A user as the administration needs it, or for creating one. An empty password leaves it.
struct UserFields {
  std::string username;
  std::string display_name;
  Role role = Role::monitor;
  Scope scope;
  bool disabled = false;
  std::string password;       // plain, as sent: checked against the password rules, never stored
  std::string password_hash;  // its argon2id hash (auth::HashingPool); empty on update: unchanged
};
nlohmann::json list_users(pqxx::transaction_base& tx);
// "" when there is no such user.
std::string user_json(pqxx::transaction_base& tx, int id);
// Returns the new user's id; throws pqxx::unique_violation for a username taken.
int create_user(pqxx::transaction_base& tx, const UserFields& fields);
bool update_user(pqxx::transaction_base& tx, int id, const UserFields& fields);
bool delete_user(pqxx::transaction_base& tx, int id);
// The username of the user `id`, or nullopt.
std::optional<std::string> username_of(pqxx::transaction_base& tx, int id);
// The password hash of an enabled user, for checking their current password.
std::optional<std::string> password_hash_of(pqxx::transaction_base& tx, int id);
// Replaces the hash only if it is still `current_hash` (no change in between); false otherwise.
bool replace_password_hash(pqxx::transaction_base& tx, int id, const std::string& current_hash,
                           const std::string& next_hash);
std::size_t count_users(pqxx::transaction_base& tx);

struct TokenFields {
  std::string name;
  Role role = Role::monitor;
  Scope scope;
  int requests_per_minute = 600;
  std::chrono::system_clock::time_point expires_at;
  std::string created_by;
};
struct CreatedToken {
  int id = 0;
  std::string secret;  // "hld_" + 64 hex digits: shown once, stored only as its SHA-256
};
CreatedToken create_token(pqxx::transaction_base& tx, const TokenFields& fields);
nlohmann::json list_tokens(pqxx::transaction_base& tx);
std::string token_json(pqxx::transaction_base& tx, int id);
bool revoke_token(pqxx::transaction_base& tx, int id);

struct TokenGrant {
  Principal principal;
  int requests_per_minute = 0;
  std::chrono::system_clock::time_point expires_at;
};
// The live (unrevoked, unexpired) token whose secret is `secret`.
std::optional<TokenGrant> find_token(pqxx::transaction_base& tx, std::string_view secret);

struct AuditEntry {
  std::string actor;
  std::string role;
  std::string remote;
  std::string method;
  std::string path;
  int status = 0;
  std::string object;
  nlohmann::json before;   // null when unknown or new
  nlohmann::json after;    // null when deleted or refused
  nlohmann::json request;  // the body sent (passwords and secrets masked)
};
// Returns the row's id. Every text must be valid UTF-8 without U+0000 (api/body masks them).
std::int64_t insert_audit(pqxx::transaction_base& tx, const AuditEntry& entry);
// Gives a row written ahead of its change (status 0) the change's outcome.
void settle_audit(pqxx::transaction_base& tx, std::int64_t id, const AuditEntry& entry);

struct AuditFilter {
  std::optional<std::string> actor;
  std::optional<std::string> path_prefix;
  std::chrono::system_clock::time_point from;
  std::chrono::system_clock::time_point to;
  std::size_t limit = 100;
  std::size_t offset = 0;
};
nlohmann::json list_audit(pqxx::transaction_base& tx, const AuditFilter& filter);

}  // namespace halld::auth
