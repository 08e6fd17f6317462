// auth/user_store: the SQL of people (app_user), intranet API tokens (api_token) and the audit
// log. Owns: those tables, the lockout rule and token lifetimes. Blocking: runs on the
// database pool. Must not touch: HTTP, sessions.
#pragma once

#include <chrono>
#include <nlohmann/json.hpp>
#include <optional>
#include <pqxx/pqxx>
#include <string>

#include "halld/auth/principal.hpp"

namespace halld::auth {

struct LoginPolicy {
  std::size_t max_failed_logins = 5;
  std::chrono::seconds lockout{900};
};

struct LoginResult {
  enum class Outcome { signed_in, refused, locked, disabled };
  Outcome outcome = Outcome::refused;
  std::optional<Principal> principal;
};
// Checks a password (argon2id, also for unknown names, so timing does not tell names apart),
// counting failures: the max_failed_logins-th failure in a row locks the account.
LoginResult log_in(pqxx::connection& connection, const std::string& username, const std::string& password,
                   const LoginPolicy& policy);

// A user as the administration needs it, or for creating one. An empty password leaves it.
struct UserFields {
  std::string username;
  std::string display_name;
  Role role = Role::monitor;
  Scope scope;
  bool disabled = false;
  std::string password;  // plain, hashed here; empty on update: unchanged
};
nlohmann::json list_users(pqxx::transaction_base& tx);
// "" when there is no such user.
std::string user_json(pqxx::transaction_base& tx, int id);
// Returns the new user's id; throws pqxx::unique_violation for a username taken.
int create_user(pqxx::transaction_base& tx, const UserFields& fields);
bool update_user(pqxx::transaction_base& tx, int id, const UserFields& fields);
bool delete_user(pqxx::transaction_base& tx, int id);
bool unlock_user(pqxx::transaction_base& tx, int id);
// Checks the current password before setting a new one.
bool change_own_password(pqxx::connection& connection, int id, const std::string& current, const std::string& next);
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
void insert_audit(pqxx::transaction_base& tx, const AuditEntry& entry);

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
