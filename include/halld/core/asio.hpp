// The one way halld includes Boost.Asio and Beast.
// Boost 1.74's asio/awaitable.hpp uses std::exchange without including <utility>, so <utility>
// must come first; every halld file that needs Asio includes this header instead of Boost's.
#pragma once

// <utility> must stay first.
// clang-format off
#include <utility>

#include <boost/asio.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
// clang-format on

namespace halld {
namespace asio = boost::asio;
}  // namespace halld
