// The one way halld includes Boost.Asio and Beast.
// Boost 1.74's asio/awaitable.hpp uses std::exchange without including <utility>, so <utility>
// must come first; every halld file that needs Asio includes this header instead of Boost's.
#pragma once

#include <utility>

#include <boost/asio.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace halld {
namespace asio = boost::asio;
}  // namespace halld

#include <type_traits>

namespace halld {

// Runs `work` on `executor` (a strand that owns some state) and resumes the awaiting coroutine
// on its own executor with what `work` returned. `work` is a plain function object, not a
// coroutine, so nothing it captures outlives the call.
template <class Executor, class Work, class Result = std::invoke_result_t<Work&>>
asio::awaitable<Result> run_on(Executor executor, Work work) {
  if constexpr (std::is_void_v<Result>) {
    auto initiate = [executor, work = std::move(work)](auto handler) mutable {
      asio::post(executor, [work = std::move(work), handler = std::move(handler)]() mutable {
        work();
        auto resume = asio::get_associated_executor(handler);
        asio::post(resume, std::move(handler));
      });
    };
    return asio::async_initiate<decltype(asio::use_awaitable), void()>(std::move(initiate), asio::use_awaitable);
  } else {
    auto initiate = [executor, work = std::move(work)](auto handler) mutable {
      asio::post(executor, [work = std::move(work), handler = std::move(handler)]() mutable {
        auto result = work();
        auto resume = asio::get_associated_executor(handler);
        asio::post(resume, [handler = std::move(handler), result = std::move(result)]() mutable { handler(std::move(result)); });
      });
    };
    return asio::async_initiate<decltype(asio::use_awaitable), void(Result)>(std::move(initiate), asio::use_awaitable);
  }
}

}  // namespace halld
