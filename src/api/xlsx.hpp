// Internal to api: report tables as Excel workbooks (libxlsxwriter). One sheet; the first row
// names the columns (from the first object's keys), numbers stay numbers.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace halld::api {

// The .xlsx file's bytes. libxlsxwriter writes only to files, so this goes through a private
// temporary file that is removed before returning. Throws std::runtime_error on failure.
std::string to_xlsx(const nlohmann::ordered_json& rows, const std::string& sheet_name);

}  // namespace halld::api
