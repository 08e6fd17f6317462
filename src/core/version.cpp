#include "halld/core/version.hpp"

namespace halld {

std::string_view version() {
  return HALLD_VERSION;
}

}  // namespace halld
