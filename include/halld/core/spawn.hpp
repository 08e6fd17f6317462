// core/spawn: starting a coroutine that nobody awaits. An exception that escapes it is logged
// with what the coroutine was and counted (coroutine_failures(), served as
// halld_coroutine_failures_total), never lost as it would be with asio::detached.
#pragma once

#include <cstdint>
#include <exception>
#include <string>
#include <string_view>

#include "halld/core/asio.hpp"

namespace halld {

// Logs the failure of the coroutine `what` (when `failure` is set) and counts it.
void report_coroutine_end(std::string_view what, std::exception_ptr failure);
// Failures reported in this process so far.
std::uint64_t coroutine_failures();

// `coroutine` is an asio::awaitable<void>, or a function object returning one (which co_spawn
// keeps alive while it runs, so a lambda's captures may be used across its co_awaits).
template <class Executor, class Coroutine>
void spawn(Executor executor, std::string what, Coroutine coroutine) {
  asio::co_spawn(executor, std::move(coroutine),
                 [what = std::move(what)](std::exception_ptr e) { report_coroutine_end(what, e); });
}

}  // namespace halld
