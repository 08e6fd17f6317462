#pragma once

#include <string_view>

namespace halld {

std::string_view version();

}  // namespace halld
