#include "xlsx.hpp"

#include <unistd.h>
#include <xlsxwriter.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace halld::api {

std::string to_xlsx(const nlohmann::ordered_json& rows, const std::string& sheet_name) {
  std::string path = (std::filesystem::temp_directory_path() / "halld-report-XXXXXX.xlsx").string();
  const int fd = mkstemps(path.data(), 5);
  if (fd < 0) throw std::runtime_error("cannot create a temporary file for the workbook");
  close(fd);
  struct Remove {
    const std::string& path;
    ~Remove() { std::filesystem::remove(path); }
  } remove{path};

  lxw_workbook* workbook = workbook_new(path.c_str());
  if (!workbook) throw std::runtime_error("cannot start the workbook");
  lxw_worksheet* sheet = workbook_add_worksheet(workbook, sheet_name.substr(0, 31).c_str());
  lxw_format* bold = workbook_add_format(workbook);
  format_set_bold(bold);
  if (!rows.empty()) {
    lxw_col_t column = 0;
    for (const auto& [name, value] : rows.front().items())
      worksheet_write_string(sheet, 0, column++, name.c_str(), bold);
    lxw_row_t row = 1;
    for (const auto& object : rows) {
      column = 0;
      for (const auto& [name, ignored] : rows.front().items()) {
        const auto& cell = object.contains(name) ? object[name] : nlohmann::ordered_json();
        if (cell.is_number())
          worksheet_write_number(sheet, row, column, cell.get<double>(), nullptr);
        else if (cell.is_string())
          worksheet_write_string(sheet, row, column, cell.get_ref<const std::string&>().c_str(),
                                 nullptr);
        else if (!cell.is_null())
          worksheet_write_string(sheet, row, column, cell.dump().c_str(), nullptr);
        ++column;
      }
      ++row;
    }
  }
  if (workbook_close(workbook) != LXW_NO_ERROR)
    throw std::runtime_error("cannot write the workbook");
  std::ifstream in(path, std::ios::binary);
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

}  // namespace halld::api
