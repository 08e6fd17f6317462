#include "halld/auth/principal.hpp"

#include <fmt/format.h>

#include <array>
#include <utility>

#include "halld/core/names.hpp"

namespace halld::auth {
namespace {

constexpr std::array roles{
    std::pair{Role::province_admin, std::string_view("province_admin")},
    std::pair{Role::city_manager, std::string_view("city_manager")},
    std::pair{Role::hall_manager, std::string_view("hall_manager")},
    std::pair{Role::monitor, std::string_view("monitor")},
    std::pair{Role::data_clerk, std::string_view("data_clerk")},
};
constexpr std::array levels{
    std::pair{ScopeLevel::province, std::string_view("province")},
    std::pair{ScopeLevel::city, std::string_view("city")},
    std::pair{ScopeLevel::hall, std::string_view("hall")},
};

bool valid_code(std::string_view code) {
  if (code.empty() || code.size() > 32) return false;
  for (char c : code) {
    const bool ok = (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                    c == '_' || c == '.' || c == '-';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

bool Scope::covers_hall(std::string_view city, std::string_view hall) const {
  switch (level) {
    case ScopeLevel::province:
      return true;
    case ScopeLevel::city:
      return code == city;
    case ScopeLevel::hall:
      return code == hall;
  }
  return false;
}

std::string Scope::to_string() const {
  if (level == ScopeLevel::province) return "province";
  return fmt::format("{}:{}", auth::to_string(level), code);
}

std::optional<Scope> Scope::parse(std::string_view text) {
  if (text == "province") return Scope{};
  const auto colon = text.find(':');
  if (colon == std::string_view::npos) return std::nullopt;
  auto level = parse_scope_level(text.substr(0, colon));
  const auto code = text.substr(colon + 1);
  if (!level || *level == ScopeLevel::province || !valid_code(code)) return std::nullopt;
  return Scope{*level, std::string(code)};
}

std::string Principal::actor() const {
  return kind == Kind::user ? fmt::format("user:{}", name) : fmt::format("token:{}", id);
}

bool Principal::may(Permission permission) const {
  switch (permission) {
    case Permission::view:
      return true;
    case Permission::handle_alarms:
      return role == Role::province_admin || role == Role::city_manager ||
             role == Role::hall_manager;
    case Permission::edit_archives:
      return role == Role::province_admin || role == Role::data_clerk;
    case Permission::configure:
    case Permission::administer:
      return role == Role::province_admin;
  }
  return false;
}

std::string_view to_string(Role role) {
  return name_in(roles, role);
}
std::optional<Role> parse_role(std::string_view text) {
  return value_in(roles, text);
}
std::string_view to_string(ScopeLevel level) {
  return name_in(levels, level);
}
std::optional<ScopeLevel> parse_scope_level(std::string_view text) {
  return value_in(levels, text);
}

std::optional<std::string> scope_problem(Role role, const Scope& scope) {
  switch (role) {
    case Role::province_admin:
      if (!scope.is_province()) return "a province administrator's scope is the province";
      break;
    case Role::city_manager:
      if (scope.level != ScopeLevel::city) return "a city manager's scope is one city (city:CODE)";
      break;
    case Role::hall_manager:
      if (scope.level != ScopeLevel::hall) return "a hall manager's scope is one hall (hall:CODE)";
      break;
    case Role::monitor:
    case Role::data_clerk:
      break;
  }
  return std::nullopt;
}

}  // namespace halld::auth
