// Internal to api: the shapes most endpoints share. A request is read and validated on the
// I/O thread ("prepared"), then one job runs on the database pool; writes may let the running
// parts take the change afterwards.
#pragma once

#include <charconv>
#include <chrono>
#include <functional>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <variant>

#include "halld/api/router.hpp"
#include "halld/store/archive_store.hpp"
#include "halld/store/database.hpp"
#include "query_reader.hpp"

namespace halld::api {

// A database job whose result is a JSON text; "" means the object named does not exist.
using TextJob = std::function<std::string(pqxx::connection&)>;
// A change, made inside the request's transaction (which also takes the change's audit row and
// commits both); its result is the JSON answered, or "" when the object named does not exist.
using WriteJob = std::function<std::string(pqxx::work&)>;

// A read request read and validated: either its refusal or the job to run.
struct Prepared {
  Prepared(Response refusal) : refusal(std::move(refusal)) {}
  template <class Job>
  requires std::is_invocable_r_v<std::string, Job&, pqxx::connection&> Prepared(Job job)
      : job(std::move(job)) {}

  std::optional<Response> refusal;
  TextJob job;
};

// A write request read and validated: its refusal, or the change and the status it answers.
struct PreparedWrite {
  PreparedWrite(Response refusal) : refusal(std::move(refusal)) {}
  template <class Job>
  requires std::is_invocable_r_v<std::string, Job&, pqxx::work&> PreparedWrite(
      Job job, http::status status = http::status::ok)
      : job(std::move(job)), status(status) {}

  std::optional<Response> refusal;
  WriteJob job;
  http::status status = http::status::ok;
};

// The wall clock to the second: the instant a request's change is recorded at.
inline std::chrono::sys_seconds now_seconds() {
  return std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
}

// Who made a request, as the records name them ("user:li", "token:7"); "anonymous" before sign-in.
inline std::string actor_of(const RequestContext& context) {
  return context.principal ? context.principal->actor() : "anonymous";
}

inline Response refuse(http::status status, std::string_view code, std::string_view message) {
  return error_response(status, code, message);
}

inline std::optional<std::int64_t> id_param(const RequestContext& context) {
  const auto& text = context.path_params.at("id");
  std::int64_t id = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (ec != std::errc() || end != text.data() + text.size() || id <= 0) return std::nullopt;
  return id;
}

// {id} of an object whose key is a PostgreSQL integer; nullopt (a 404) for anything else.
inline std::optional<int> int_id_param(const RequestContext& context) {
  auto id = id_param(context);
  if (!id || *id > std::numeric_limits<int>::max()) return std::nullopt;
  return static_cast<int>(*id);
}

// Thrown by a write job when the change would clash with what is stored: a 409 with its message.
struct Conflict : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Runs a prepared write: its refusal, or the job and the change's audit row in one transaction
// (a Conflict thrown by the job answers 409, "" answers 404), then `after`.
asio::awaitable<Response> run_write(store::Database& database, const RequestContext& context,
                                    PreparedWrite prepared,
                                    std::function<asio::awaitable<void>()> after = nullptr);
// Registers an endpoint that changes something: `prepare` reads the request, the job writes
// in one transaction together with the change's audit row, then `after` (if set) lets the
// running parts take the change.
void add_write(Router& router, store::Database& database, http::verb method, std::string pattern,
               std::function<PreparedWrite(const RequestContext&)> prepare,
               std::function<asio::awaitable<void>()> after = nullptr);
// A GET answered by one job; "" from the job is a 404.
void add_read(Router& router, store::Database& database, std::string pattern,
              std::function<Prepared(const RequestContext&)> prepare);

// GET of a whole list, {"items": [...]}; it takes no query parameters.
void add_list(Router& router, store::Database& database, std::string pattern,
              std::function<nlohmann::json(pqxx::transaction_base&)> items);
// GET of one object by its {id}: `text` answers its JSON, or "" for none (a 404 naming `noun`).
void add_object_read(Router& router, store::Database& database, std::string pattern,
                     std::string noun,
                     std::function<std::string(pqxx::transaction_base&, int id)> text);

// The text at `name` in a request body, absent or null as "", or nullopt when it is not text or
// longer than `max`.
std::optional<std::string> text_field(const nlohmann::json& body, const char* name,
                                      std::size_t max);

// A JSON body turned into a configuration object by `from_json`, or the refusal.
template <class T, class FromJson>
std::variant<T, Response> read_object(const RequestContext& context, FromJson from_json) {
  auto parsed = json_body(context.request);
  if (auto* refusal = std::get_if<Response>(&parsed)) return std::move(*refusal);
  auto object = from_json(std::get<nlohmann::json>(parsed));
  if (auto* problem = std::get_if<std::string>(&object)) {
    return error_response(http::status::unprocessable_entity, "invalid", *problem);
  }
  return std::get<T>(std::move(object));
}

// POST `base` (create, 201) and PUT `base`/{id} (replace) of a configuration object: read by
// `from_json`, given what only the request knows by `stamp` (who changed it), stored by `insert`
// or `update` (which may fill in what the store decides, such as a version), then taken by the
// running parts (`after`). The answer is the object's to_json.
template <class T>
void add_object_writes(Router& router, store::Database& database, const std::string& base,
                       std::string noun,
                       std::variant<T, std::string> (*from_json)(const nlohmann::json&),
                       std::function<int(pqxx::transaction_base&, T&)> insert,
                       std::function<bool(pqxx::transaction_base&, T&)> update,
                       std::function<asio::awaitable<void>()> after,
                       std::function<void(T&, const RequestContext&)> stamp = nullptr) {
  const auto write = [=](const RequestContext& context, bool create) -> PreparedWrite {
    std::optional<std::int64_t> id = create ? std::optional<std::int64_t>(0) : id_param(context);
    if (!id) return refuse(http::status::not_found, "not_found", "no such " + noun);
    auto read = read_object<T>(context, from_json);
    if (auto* refusal = std::get_if<Response>(&read)) return std::move(*refusal);
    auto object = std::get<T>(std::move(read));
    object.id = static_cast<int>(*id);
    if (stamp) stamp(object, context);
    return {[object, create, insert, update](pqxx::work& tx) mutable {
              if (create)
                object.id = insert(tx, object);
              else if (!update(tx, object))
                return std::string();
              return to_json(object).dump();
            },
            create ? http::status::created : http::status::ok};
  };
  add_write(
      router, database, http::verb::post, base,
      [write](const RequestContext& context) { return write(context, true); }, after);
  add_write(
      router, database, http::verb::put, base + "/{id}",
      [write](const RequestContext& context) { return write(context, false); }, after);
}

// The answer to an import of archives: its counts, or every problem found (nothing was applied).
Response import_response(const store::ImportOutcome& outcome, store::ImportMode mode);

// Rows of flat objects as CSV (RFC 4180), columns from the first row; nested values as JSON.
std::string to_csv(const nlohmann::ordered_json& rows);
Response table_response(const nlohmann::ordered_json& body, const nlohmann::ordered_json& rows,
                        TableFormat format, std::string_view name);

}  // namespace halld::api
