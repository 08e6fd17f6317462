// store/database: the PostgreSQL connection pool. Owns: the connections and the threads that
// use them. Every blocking libpqxx call in halld runs here, never on an I/O thread: each worker
// thread owns one connection (so no connection is ever shared) and takes jobs from one queue;
// results are posted back to the awaiting coroutine's executor.
// A broken connection is dropped and reopened on the worker's next job; the job that saw it
// fails with the error. Prepared statements are (re)declared on every new connection.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <mutex>
#include <optional>
#include <pqxx/pqxx>
#include <string>
#include <thread>
#include <type_traits>
#include <variant>
#include <vector>

#include "halld/core/asio.hpp"
#include "halld/core/metrics.hpp"

namespace halld::store {

// What every read in halld runs in: its statements see one snapshot, so a page's items and
// its total (two statements) never disagree with a write committed between them. Read-only
// REPEATABLE READ never fails with a serialization error.
using ReadTransaction = pqxx::transaction<pqxx::repeatable_read, pqxx::read_only>;

// A prepared statement: a name used in code and its SQL text, declared on each connection.
struct Statement {
  const char* name;
  const char* sql;
};

class Database {
 public:
  Database(std::string conninfo, std::size_t threads, std::vector<Statement> statements,
           MetricsRegistry& metrics);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  // Runs `job(connection)` on a pool thread; the awaiting coroutine resumes on its own executor
  // with the result or the exception the job threw. The pool must be stopped (or destroyed)
  // before that executor's io_context is destroyed: a pool thread that has just posted the
  // result still holds a copy of the executor for a moment.
  template <class Job, class Result = std::invoke_result_t<Job, pqxx::connection&>>
  asio::awaitable<Result> run(Job job);

  // The same for code that is not on an I/O thread (command-line subcommands, startup).
  template <class Job, class Result = std::invoke_result_t<Job, pqxx::connection&>>
  Result run_blocking(Job job);

  // Finishes every queued job, then closes the connections and joins the threads.
  void stop();

  std::size_t queued() const;

 private:
  // A queued job; returns false when it failed (for the failure counter).
  using Task = std::function<bool(std::optional<pqxx::connection>&)>;
  // What a job hands back: a void job carries a placeholder. Results must be default-constructible.
  template <class Result>
  using Carried = std::conditional_t<std::is_void_v<Result>, std::monostate, Result>;
  template <class Job, class Result>
  std::pair<std::exception_ptr, Carried<Result>> attempt(Job& job,
                                                         std::optional<pqxx::connection>& slot);
  void enqueue(Task task);
  void worker_loop();
  pqxx::connection& connection(std::optional<pqxx::connection>& slot);

  std::string conninfo_;
  std::vector<Statement> statements_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Task> queue_;
  bool stopping_ = false;
  std::vector<std::thread> workers_;

  Counter& jobs_;
  Counter& failures_;
  Counter& reconnects_;
  Gauge& busy_;
  Histogram& job_seconds_;
};

template <class Job, class Result>
std::pair<std::exception_ptr, Database::Carried<Result>> Database::attempt(
    Job& job, std::optional<pqxx::connection>& slot) {
  try {
    if constexpr (std::is_void_v<Result>) {
      job(connection(slot));
      return {nullptr, {}};
    } else {
      return {nullptr, job(connection(slot))};
    }
  } catch (const pqxx::broken_connection&) {
    slot.reset();
    return {std::current_exception(), Carried<Result>{}};
  } catch (...) {
    return {std::current_exception(), Carried<Result>{}};
  }
}

template <class Job, class Result>
asio::awaitable<Result> Database::run(Job job) {
  // Deliberately not a coroutine: GCC 12 mishandles by-value parameters of coroutines that
  // capture them (double free), so the job moves straight into the initiation instead.
  auto initiate = [this, job = std::move(job)](auto handler) mutable {
    // Task is a std::function and so must be copyable; the completion handler is move-only.
    auto shared_handler = std::make_shared<decltype(handler)>(std::move(handler));
    enqueue([this, job = std::move(job),
             shared_handler](std::optional<pqxx::connection>& slot) mutable {
      auto [error, value] = attempt<Job, Result>(job, slot);
      auto executor = asio::get_associated_executor(*shared_handler);
      asio::post(executor, [shared_handler, error = error, value = std::move(value)]() mutable {
        if constexpr (std::is_void_v<Result>)
          (*shared_handler)(error);
        else
          (*shared_handler)(error, std::move(value));
      });
      return !error;
    });
  };
  using Signature = std::conditional_t<std::is_void_v<Result>, void(std::exception_ptr),
                                       void(std::exception_ptr, Carried<Result>)>;
  return asio::async_initiate<decltype(asio::use_awaitable), Signature>(std::move(initiate),
                                                                        asio::use_awaitable);
}

template <class Job, class Result>
Result Database::run_blocking(Job job) {
  std::promise<Carried<Result>> promise;
  auto future = promise.get_future();
  enqueue([this, &job, &promise](std::optional<pqxx::connection>& slot) {
    auto [error, value] = attempt<Job, Result>(job, slot);
    if (error)
      promise.set_exception(error);
    else
      promise.set_value(std::move(value));
    return !error;
  });
  if constexpr (std::is_void_v<Result>)
    future.get();
  else
    return future.get();
}

}  // namespace halld::store
