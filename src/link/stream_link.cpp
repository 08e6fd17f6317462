#include "halld/link/stream_link.hpp"

#include "halld/core/spawn.hpp"

namespace halld::link {

template <class Stream>
StreamLink<Stream>::StreamLink(asio::any_io_executor executor, LinkHandler handler, Backoff backoff)
    : strand_(asio::make_strand(executor)),
      stream_(strand_),
      handler_(std::move(handler)),
      write_wake_(strand_),
      backoff_(backoff),
      backoff_timer_(strand_),
      hold_timer_(strand_),
      jitter_(std::random_device{}()) {}

template <class Stream>
void StreamLink<Stream>::start() {
  halld::spawn(strand_, "link: connection", run(this->shared_from_this()));
}

template <class Stream>
void StreamLink<Stream>::send(std::vector<std::uint8_t> bytes) {
  asio::post(strand_, [self = this->shared_from_this(), bytes = std::move(bytes)]() mutable {
    if (!self->up_ || bytes.empty()) return;
    self->outbox_.push_back(std::move(bytes));
    self->write_wake_.cancel();
  });
}

template <class Stream>
void StreamLink<Stream>::drop(const std::string& why) {
  asio::post(strand_, [self = this->shared_from_this(), why] {
    self->drop_reason_ = why;
    self->close_stream();
  });
}

template <class Stream>
void StreamLink<Stream>::stop() {
  asio::post(strand_, [self = this->shared_from_this()] {
    self->stopping_ = true;
    self->backoff_timer_.cancel();
    self->hold_timer_.cancel();
    self->close_stream();
    self->on_stop();
  });
}

template <class Stream>
void StreamLink<Stream>::close_stream() {
  boost::system::error_code ignored;
  if constexpr (std::is_same_v<Stream, asio::ip::tcp::socket>) {
    stream_.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  }
  stream_.close(ignored);
  write_wake_.cancel();
}

template <class Stream>
asio::awaitable<void> StreamLink<Stream>::run(std::shared_ptr<StreamLink> self) {
  auto backoff = backoff_.initial;
  while (!stopping_) {
    auto opening = open();
    const bool opened = co_await std::move(opening);
    if (opened && !stopping_) {
      backoff = backoff_.initial;
      ++connects_;
      ++generation_;
      up_ = true;
      drop_reason_.clear();
      handler_.on_up();
      after_up();
      halld::spawn(strand_, "link: keep-alive", talk_alive(self, generation_));
      co_await read_loop();
      up_ = false;
      outbox_.clear();
      close_stream();
      on_closed();
      handler_.on_down(drop_reason_.empty() ? "connection closed" : drop_reason_);
    }
    if (stopping_) break;
    // Full jitter: a province's links that fell together do not all return at the same instant.
    std::uniform_int_distribution<long> spread(backoff.count() / 2, backoff.count());
    backoff_timer_.expires_after(std::chrono::milliseconds(spread(jitter_)));
    boost::system::error_code ignored;
    co_await backoff_timer_.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
    backoff = std::min(backoff * 2, backoff_.max);
  }
}

namespace {

// Reads happen in two steps where the stream allows it (sockets): wait until bytes are there,
// then take them into this thread's buffer. An idle connection then holds no read buffer at
// all, which is most of what 20,000 quiet DTU lines would otherwise cost. on_read() consumes
// the bytes before the next read on this thread.
std::span<std::uint8_t> thread_read_buffer() {
  thread_local std::vector<std::uint8_t> buffer(64 * 1024);
  return buffer;
}

}  // namespace

template <class Stream>
asio::awaitable<void> StreamLink<Stream>::read_loop() {
  std::vector<std::uint8_t> buffer;
  if constexpr (std::is_same_v<Stream, asio::ip::tcp::socket>) {
    boost::system::error_code ignored;
    stream_.non_blocking(true,
                         ignored);  // a read after a spurious wake-up says would_block, never waits
  } else {
    buffer.resize(16 * 1024);
  }
  for (;;) {
    boost::system::error_code ec;
    if (handler_.hold && handler_.hold()) {
      ++holds_;
      while (handler_.hold() && stream_.is_open()) {
        hold_timer_.expires_after(std::chrono::milliseconds(20));
        co_await hold_timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      }
      if (!stream_.is_open()) co_return;
    }
    std::size_t n = 0;
    std::span<std::uint8_t> into;
    if constexpr (std::is_same_v<Stream, asio::ip::tcp::socket>) {
      co_await stream_.async_wait(asio::ip::tcp::socket::wait_read,
                                  asio::redirect_error(asio::use_awaitable, ec));
      into = thread_read_buffer();
      if (!ec) n = stream_.read_some(asio::buffer(into.data(), into.size()), ec);
      if (ec == asio::error::would_block || ec == asio::error::try_again) continue;
      if (!ec && n == 0) ec = asio::error::eof;
    } else {
      into = buffer;
      n = co_await stream_.async_read_some(asio::buffer(buffer),
                                           asio::redirect_error(asio::use_awaitable, ec));
    }
    if (ec) {
      if (drop_reason_.empty() && ec != asio::error::eof) drop_reason_ = ec.message();
      co_return;
    }
    bytes_in_ += n;
    on_read(into.first(n));
  }
}

template <class Stream>
asio::awaitable<bool> StreamLink<Stream>::write(const std::vector<std::uint8_t>& bytes) {
  boost::system::error_code ec;
  co_await asio::async_write(stream_, asio::buffer(bytes),
                             asio::redirect_error(asio::use_awaitable, ec));
  if (ec) {
    close_stream();
    co_return false;
  }
  bytes_out_ += bytes.size();
  co_return true;
}

template <class Stream>
asio::awaitable<void> StreamLink<Stream>::talk(std::uint64_t generation) {
  while (generation == generation_ && up_) {
    if (outbox_.empty()) {
      write_wake_.expires_after(std::chrono::hours(24));
      boost::system::error_code ignored;
      co_await write_wake_.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
      continue;
    }
    auto bytes = std::move(outbox_.front());
    outbox_.pop_front();
    auto writing = write(bytes);
    if (!co_await std::move(writing)) co_return;
  }
}

template <class Stream>
asio::awaitable<void> StreamLink<Stream>::talk_alive(
    [[maybe_unused]] std::shared_ptr<StreamLink> keep_alive, std::uint64_t generation) {
  auto talking = talk(generation);
  co_await std::move(talking);
}

template class StreamLink<asio::ip::tcp::socket>;
template class StreamLink<asio::serial_port>;

}  // namespace halld::link
