// core/run_on: work on a component's strand, awaited from a coroutine elsewhere. Its own
// header because it needs Asio's coroutine support, which the clang fuzz builds lack.
#pragma once

#include <type_traits>

#include "halld/core/asio.hpp"

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
    return asio::async_initiate<decltype(asio::use_awaitable), void()>(std::move(initiate),
                                                                       asio::use_awaitable);
  } else {
    auto initiate = [executor, work = std::move(work)](auto handler) mutable {
      asio::post(executor, [work = std::move(work), handler = std::move(handler)]() mutable {
        auto result = work();
        auto resume = asio::get_associated_executor(handler);
        asio::post(resume, [handler = std::move(handler), result = std::move(result)]() mutable {
          handler(std::move(result));
        });
      });
    };
    return asio::async_initiate<decltype(asio::use_awaitable), void(Result)>(std::move(initiate),
                                                                             asio::use_awaitable);
  }
}

}  // namespace halld
