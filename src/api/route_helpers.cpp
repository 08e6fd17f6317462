#include "route_helpers.hpp"

#include <fmt/format.h>

#include <limits>

#include "halld/api/guard.hpp"
#include "query_reader.hpp"
#include "xlsx.hpp"

namespace halld::api {

using nlohmann::ordered_json;

std::optional<std::string> text_field(const nlohmann::json& body, const char* name,
                                      std::size_t max) {
  auto it = body.find(name);
  if (it == body.end() || it->is_null()) return std::string();
  if (!it->is_string() || it->get_ref<const std::string&>().size() > max) return std::nullopt;
  return it->get<std::string>();
}

asio::awaitable<Response> run_write(store::Database& database, const RequestContext& context,
                                    PreparedWrite prepared,
                                    std::function<asio::awaitable<void>()> after) {
  if (prepared.refusal) co_return std::move(*prepared.refusal);
  const int status = static_cast<int>(prepared.status);
  auto pending = database.run(
      [job = std::move(prepared.job), audit = context.audit, status](pqxx::connection& c) {
        pqxx::work tx(c);
        auto body = job(tx);
        if (body.empty()) return body;  // no such object: nothing changed, nothing committed
        if (audit) audit->write(tx, status, body);
        tx.commit();
        return body;
      });
  std::string body;
  try {
    body = co_await std::move(pending);
  } catch (const Conflict& e) {
    co_return error_response(http::status::conflict, "conflict", e.what());
  }
  if (body.empty())
    co_return error_response(http::status::not_found, "not_found", "no such object");
  if (after) {
    auto applying = after();
    co_await std::move(applying);
  }
  co_return json_response(prepared.status, std::move(body));
}

void add_write(Router& router, store::Database& database, http::verb method, std::string pattern,
               std::function<PreparedWrite(const RequestContext&)> prepare,
               std::function<asio::awaitable<void>()> after) {
  router.add(
      method, std::move(pattern),
      [&database, prepare = std::move(prepare), after = std::move(after)](RequestContext& context) {
        return run_write(database, context, prepare(context), after);
      },
      AuditMode::in_transaction);
}

void add_read(Router& router, store::Database& database, std::string pattern,
              std::function<Prepared(const RequestContext&)> prepare) {
  router.add(http::verb::get, std::move(pattern),
             [&database,
              prepare = std::move(prepare)](RequestContext& context) -> asio::awaitable<Response> {
               Prepared prepared = prepare(context);
               if (prepared.refusal) co_return std::move(*prepared.refusal);
               auto pending = database.run(std::move(prepared.job));
               std::string body = co_await std::move(pending);
               if (body.empty())
                 co_return error_response(http::status::not_found, "not_found", "no such object");
               co_return json_response(http::status::ok, std::move(body));
             });
}

void add_list(Router& router, store::Database& database, std::string pattern,
              std::function<nlohmann::json(pqxx::transaction_base&)> items) {
  add_read(router, database, std::move(pattern),
           [items](const RequestContext& context) -> Prepared {
             QueryReader query(context, {});
             if (query.problem()) return bad_query(*query.problem());
             return {[items](pqxx::connection& c) {
               store::ReadTransaction tx(c);
               return nlohmann::json{{"items", items(tx)}}.dump();
             }};
           });
}

void add_object_read(Router& router, store::Database& database, std::string pattern,
                     std::string noun,
                     std::function<std::string(pqxx::transaction_base&, int id)> text) {
  add_read(router, database, std::move(pattern),
           [noun = std::move(noun), text](const RequestContext& context) -> Prepared {
             auto id = int_id_param(context);
             if (!id) return refuse(http::status::not_found, "not_found", "no such " + noun);
             return {[text, id = *id](pqxx::connection& c) {
               store::ReadTransaction tx(c);
               return text(tx, id);
             }};
           });
}

// Rows of flat objects as CSV (RFC 4180), columns from the first row; nested values as JSON.
std::string to_csv(const ordered_json& rows) {
  std::string out;
  if (rows.empty()) return out;
  auto cell = [](const ordered_json& v) {
    std::string text = v.is_string() ? v.get<std::string>()
                       : v.is_null() ? std::string()
                                     : v.dump();
    if (text.find_first_of(",\"\n\r") == std::string::npos) return text;
    std::string quoted = "\"";
    for (char c : text) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
    return quoted + "\"";
  };
  auto line = [&](auto&& value_of) {
    bool first = true;
    for (const auto& [name, value] : rows.front().items()) {
      if (!first) out += ',';
      out += cell(value_of(name));
      first = false;
    }
    out += "\r\n";
  };
  line([](const std::string& name) { return ordered_json(name); });
  for (const auto& row : rows) {
    line([&](const std::string& name) { return row.contains(name) ? row[name] : ordered_json(); });
  }
  return out;
}

Response table_response(const ordered_json& body, const ordered_json& rows, TableFormat format,
                        std::string_view name) {
  if (format == TableFormat::json) return json_response(http::status::ok, body.dump());
  if (format == TableFormat::xlsx) {
    auto response =
        text_response(http::status::ok, to_xlsx(rows, std::string(name)),
                      "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
    response.set(http::field::content_disposition,
                 fmt::format("attachment; filename=\"{}.xlsx\"", name));
    return response;
  }
  auto response =
      text_response(http::status::ok, "\xEF\xBB\xBF" + to_csv(rows), "text/csv; charset=utf-8");
  // The byte-order mark lets spreadsheet programs read the Chinese names as UTF-8.
  response.set(http::field::content_disposition,
               fmt::format("attachment; filename=\"{}.csv\"", name));
  return response;
}

Response import_response(const store::ImportOutcome& outcome, store::ImportMode mode) {
  if (!outcome.valid) {
    nlohmann::json problems = nlohmann::json::array();
    for (const auto& problem : outcome.read.problems) {
      problems.push_back({{"location", problem.location}, {"reason", problem.reason}});
    }
    const auto total = outcome.read.problems.size() + outcome.read.problems_not_listed;
    return error_response(
        http::status::unprocessable_entity, "import_rejected",
        fmt::format("the archives were rejected with {} problem(s); nothing was imported", total),
        {{"problems", std::move(problems)},
         {"problems_not_listed", outcome.read.problems_not_listed}});
  }
  const auto& n = outcome.counts;
  nlohmann::json body = {{"applied", outcome.applied},
                         {"dry_run", mode == store::ImportMode::dry_run},
                         {"counts",
                          {{"cities", n.cities},
                           {"business_types", n.business_types},
                           {"customer_classes", n.customer_classes},
                           {"halls", n.halls},
                           {"windows", n.windows},
                           {"clerks", n.clerks},
                           {"terminals", n.terminals},
                           {"devices", n.devices},
                           {"channels", n.channels}}}};
  return json_response(http::status::ok, body.dump());
}

}  // namespace halld::api
