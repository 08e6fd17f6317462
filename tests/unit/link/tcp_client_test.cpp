// The TCP client against a real listening socket on loopback.
#include "halld/link/tcp_client.hpp"

#include <gtest/gtest.h>

namespace halld::link {
namespace {

using namespace std::chrono_literals;

class TcpClientTest : public ::testing::Test {
 protected:
  TcpClientTest() : acceptor(io, {asio::ip::make_address("127.0.0.1"), 0}) {}

  std::shared_ptr<TcpClient> client(LinkHandler handler) {
    TcpClientOptions options;
    options.host = "127.0.0.1";
    options.port = acceptor.local_endpoint().port();
    options.backoff.initial = 20ms;
    options.backoff.max = 100ms;
    return std::make_shared<TcpClient>(io.get_executor(), options, std::move(handler));
  }
  void run_until(const std::function<bool()>& done, std::chrono::milliseconds limit = 5000ms) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (!done() && std::chrono::steady_clock::now() < deadline) io.run_for(10ms);
  }

  asio::io_context io;
  asio::ip::tcp::acceptor acceptor;
};

TEST_F(TcpClientTest, ConnectsExchangesBytesAndReconnectsAfterTheServerCloses) {
  int ups = 0, downs = 0;
  std::string received;
  auto c = client({[&] { ++ups; },
                   [&](std::span<const std::uint8_t> b) { received.append(b.begin(), b.end()); },
                   [&](const std::string&) { ++downs; },
                   {},
                   {}});
  c->start();
  asio::ip::tcp::socket first(io);
  acceptor.async_accept(first, [](boost::system::error_code) {});
  run_until([&] { return ups == 1; });
  ASSERT_EQ(ups, 1);
  asio::write(first, asio::buffer(std::string("hello")));
  run_until([&] { return received == "hello"; });
  EXPECT_EQ(received, "hello");
  c->send({'p', 'i', 'n', 'g'});
  std::array<char, 4> answer{};
  run_until([&] { return first.available() >= 4; });
  asio::read(first, asio::buffer(answer));
  EXPECT_EQ(std::string(answer.data(), 4), "ping");

  first.close();  // the device goes away; the client comes back by itself
  asio::ip::tcp::socket second(io);
  acceptor.async_accept(second, [](boost::system::error_code) {});
  run_until([&] { return ups == 2; });
  EXPECT_EQ(downs, 1);
  EXPECT_EQ(ups, 2);
  EXPECT_EQ(c->connects(), 2u);
  c->stop();
  run_until([&] { return downs == 2; });
}

TEST_F(TcpClientTest, KeepsTryingWhileNothingListens) {
  const auto port = acceptor.local_endpoint().port();
  acceptor.close();
  int ups = 0;
  TcpClientOptions options;
  options.host = "127.0.0.1";
  options.port = port;
  options.backoff.initial = 20ms;
  options.backoff.max = 50ms;
  auto c = std::make_shared<TcpClient>(
      io.get_executor(), options,
      LinkHandler{
          [&] { ++ups; }, [](std::span<const std::uint8_t>) {}, [](const std::string&) {}, {}, {}});
  c->start();
  run_until([] { return false; }, 300ms);
  EXPECT_EQ(ups, 0);
  asio::ip::tcp::acceptor late(io, {asio::ip::make_address("127.0.0.1"), port});
  asio::ip::tcp::socket peer(io);
  late.async_accept(peer, [](boost::system::error_code) {});
  run_until([&] { return ups == 1; });
  EXPECT_EQ(ups, 1) << "connects once the device is there";
  c->stop();
  run_until([] { return false; }, 50ms);
}

TEST_F(TcpClientTest, HoldStopsReadingUntilReleased) {
  bool hold = true;
  std::size_t received = 0;
  auto c = client({[] {},
                   [&](std::span<const std::uint8_t> b) { received += b.size(); },
                   [](const std::string&) {},
                   [&] { return hold; },
                   {}});
  c->start();
  asio::ip::tcp::socket peer(io);
  acceptor.async_accept(peer, [](boost::system::error_code) {});
  run_until([&] { return peer.is_open(); });
  asio::write(peer, asio::buffer(std::string(1000, 'x')));
  run_until([] { return false; }, 200ms);
  EXPECT_EQ(received, 0u) << "nothing is read while held";
  EXPECT_EQ(c->holds(), 1u);
  hold = false;
  run_until([&] { return received == 1000; });
  EXPECT_EQ(received, 1000u);
  c->stop();
  run_until([] { return false; }, 50ms);
}

}  // namespace
}  // namespace halld::link
