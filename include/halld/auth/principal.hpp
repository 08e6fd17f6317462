// auth/principal: who is asking (a person's session or an intranet API token), with a role and
// a scope, and what each role may do. Owns: the role model (after seed 002 §5.3.2: administrator,
// agent, data clerk, monitor, with levels — here the level is the scope: province, city, hall).
// Pure: no I/O, no HTTP.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace halld::auth {

enum class Role { province_admin, city_manager, hall_manager, monitor, data_clerk };

// What a request needs, checked against the role before the scope is looked at.
enum class Permission {
  view,           // dashboards, live views, KPIs, reports, alarms
  handle_alarms,  // acknowledge and clear
  edit_archives,  // halls, windows, clerks, terminals
  configure,      // alarm rules, contacts, maintenance windows, texts sent
  administer      // users, tokens, the audit log
};

enum class ScopeLevel { province, city, hall };

// The part of the province a principal sees: all of it, one city company, or one hall.
struct Scope {
  ScopeLevel level = ScopeLevel::province;
  std::string code;  // empty for the province

  // Whether a hall of `city` lies inside.
  bool covers_hall(std::string_view city, std::string_view hall) const;
  bool covers_city(std::string_view city) const {
    return level == ScopeLevel::province || (level == ScopeLevel::city && code == city);
  }
  bool is_province() const { return level == ScopeLevel::province; }
  // "province", "city:4101", "hall:4101001"
  std::string to_string() const;
  static std::optional<Scope> parse(std::string_view text);
};

struct Principal {
  enum class Kind { user, token };
  Kind kind = Kind::user;
  int id = 0;
  std::string name;  // username, or the token's name
  Role role = Role::monitor;
  Scope scope;

  // How the audit log and alarm transitions name it: "user:admin", "token:7".
  std::string actor() const;
  bool may(Permission permission) const;
};

std::string_view to_string(Role role);
std::optional<Role> parse_role(std::string_view text);
std::string_view to_string(ScopeLevel level);
std::optional<ScopeLevel> parse_scope_level(std::string_view text);

// Why a role cannot hold a scope ("a city manager's scope is one city"), or nullopt when it can.
std::optional<std::string> scope_problem(Role role, const Scope& scope);

}  // namespace halld::auth
