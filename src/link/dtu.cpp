#include "halld/link/dtu.hpp"

#include <spdlog/spdlog.h>

#include <cctype>

#include "halld/core/spawn.hpp"

namespace halld::link {
namespace {

// A packet for a log line: printable ASCII as is, other bytes as \xHH, at most 64 bytes.
std::string printable(std::string_view bytes) {
  std::string out;
  for (unsigned char c : bytes.substr(0, 64)) {
    if (std::isprint(c) && c != '\\')
      out += static_cast<char>(c);
    else
      out += fmt::format("\\x{:02x}", c);
  }
  if (bytes.size() > 64) out += "…";
  return out;
}

std::string endpoint_text(const asio::ip::tcp::socket& socket) {
  boost::system::error_code ec;
  auto remote = socket.remote_endpoint(ec);
  return ec ? "?" : remote.address().to_string() + ":" + std::to_string(remote.port());
}

// Why a connection did not register: (metric label, log text).
std::pair<std::string, std::string> registration_refusal(const std::string& received,
                                                         const std::string& from, bool timed_out,
                                                         RegistrationTable::Match::Kind kind) {
  if (received.empty()) return {timed_out ? "timeout" : "closed", "no registration from " + from};
  if (kind == RegistrationTable::Match::Kind::need_more) {
    return {"timeout", "incomplete registration \"" + printable(received) + "\" from " + from};
  }
  return {"unknown", "unknown registration \"" + printable(received) + "\" from " + from};
}

}  // namespace

bool RegistrationTable::add(const std::string& packet, std::string key) {
  if (packet.empty() || !keys_.emplace(packet, std::move(key)).second) return false;
  ++lengths_[packet.size()];
  return true;
}

void RegistrationTable::remove(const std::string& packet) {
  if (keys_.erase(packet) == 0) return;
  if (--lengths_[packet.size()] == 0) lengths_.erase(packet.size());
}

RegistrationTable::Match RegistrationTable::match(std::string_view received, bool final) const {
  Match found{Match::Kind::unknown, {}, 0};
  for (const auto& [length, count] : lengths_) {  // shortest first, so the longest match is last
    if (length > received.size()) break;
    if (auto it = keys_.find(received.substr(0, length)); it != keys_.end())
      found = {Match::Kind::found, it->second, length};
  }
  // A longer packet that begins with everything received could still complete.
  auto longer = keys_.upper_bound(received);
  const bool could_grow = longer != keys_.end() && longer->first.size() > received.size() &&
                          std::string_view(longer->first).substr(0, received.size()) == received;
  if (could_grow && !(final && found.kind == Match::Kind::found)) {
    if (found.kind == Match::Kind::found && found.size < received.size())
      return found;  // bytes beyond it: data
    return {Match::Kind::need_more, {}, 0};
  }
  return found;
}

std::span<const std::uint8_t> strip_heartbeats(std::span<const std::uint8_t> bytes,
                                               std::string_view heartbeat, std::size_t& stripped) {
  if (heartbeat.empty()) return bytes;
  const auto packet =
      std::span(reinterpret_cast<const std::uint8_t*>(heartbeat.data()), heartbeat.size());
  while (bytes.size() >= packet.size() && std::equal(packet.begin(), packet.end(), bytes.begin())) {
    bytes = bytes.subspan(packet.size());
    ++stripped;
  }
  return bytes;
}

DtuLink::DtuLink(asio::any_io_executor executor, DtuLinkOptions options, LinkHandler handler,
                 MetricsRegistry& metrics)
    : StreamLink(std::move(executor), std::move(handler),
                 Backoff{std::chrono::milliseconds(0), std::chrono::milliseconds(0)}),
      options_(std::move(options)),
      adopt_wake_(strand_),
      watchdog_(strand_),
      peer_("DTU " + options_.identity + " (not connected)"),
      heartbeats_(
          metrics.counter("halld_dtu_heartbeats_total", "Heartbeat packets received from DTUs.")),
      offline_(metrics.counter(
          "halld_dtu_offline_total",
          "DTU connections closed because nothing came within offline_after heartbeat intervals.")),
      replaced_(metrics.counter("halld_dtu_replaced_total",
                                "DTU connections closed because the same DTU registered again.")) {}

std::string DtuLink::peer() const {
  std::lock_guard lock(peer_mutex_);
  return peer_;
}

void DtuLink::adopt(asio::ip::tcp::socket socket, std::string rest) {
  // The socket belonged to the server's strand; it continues on this link's.
  const auto protocol = socket.local_endpoint().protocol();
  const auto from = endpoint_text(socket);
  auto native = socket.release();
  asio::post(strand_, [self = std::static_pointer_cast<DtuLink>(shared_from_this()), protocol,
                       native, from, rest = std::move(rest)]() mutable {
    asio::ip::tcp::socket adopted(self->strand_);
    adopted.assign(protocol, native);
    if (self->stopping_) return;  // `adopted` closes it
    if (self->up_) {
      // The DTU dialled again (its old connection died on the mobile side without a FIN).
      self->replaced_.inc();
      self->drop_reason_ = "replaced by a new registration from " + from;
      self->close_stream();
    }
    self->waiting_.emplace(std::move(adopted));
    self->waiting_rest_ = std::move(rest);
    self->adopt_wake_.cancel();
  });
}

asio::awaitable<bool> DtuLink::open() {
  while (!waiting_ && !stopping_) {
    adopt_wake_.expires_after(std::chrono::hours(24));
    boost::system::error_code ignored;
    co_await adopt_wake_.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
  }
  if (stopping_) co_return false;
  stream_ = std::move(*waiting_);
  waiting_.reset();
  rest_ = std::move(waiting_rest_);
  boost::system::error_code ec;
  stream_.set_option(asio::socket_base::keep_alive(true), ec);
  stream_.set_option(asio::ip::tcp::no_delay(true), ec);
  std::lock_guard lock(peer_mutex_);
  peer_ = "DTU " + options_.identity + " at " + endpoint_text(stream_);
  co_return true;
}

void DtuLink::after_up() {
  last_heard_ = std::chrono::steady_clock::now();
  if (!rest_.empty()) {
    auto rest = std::move(rest_);
    rest_.clear();
    on_read(std::span(reinterpret_cast<const std::uint8_t*>(rest.data()), rest.size()));
  }
  halld::spawn(strand_, "dtu: watching a link",
               watch(std::static_pointer_cast<DtuLink>(shared_from_this()), generation_));
}

void DtuLink::on_read(std::span<const std::uint8_t> bytes) {
  last_heard_ = std::chrono::steady_clock::now();
  std::size_t stripped = 0;
  auto data = strip_heartbeats(bytes, options_.heartbeat, stripped);
  heartbeats_.inc(stripped);
  if (!data.empty()) handler_.on_bytes(data);
}

void DtuLink::on_closed() {
  watchdog_.cancel();
  std::lock_guard lock(peer_mutex_);
  peer_ = "DTU " + options_.identity + " (not connected)";
}

void DtuLink::on_stop() {
  adopt_wake_.cancel();
  watchdog_.cancel();
  waiting_.reset();
}

asio::awaitable<void> DtuLink::watch([[maybe_unused]] std::shared_ptr<DtuLink> self,
                                     std::uint64_t generation) {
  const auto silence_allowed = options_.heartbeat_interval * options_.offline_after;
  while (generation == generation_ && up_) {
    watchdog_.expires_at(last_heard_ + silence_allowed);
    boost::system::error_code ec;
    co_await watchdog_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (generation != generation_ || !up_) co_return;
    if (std::chrono::steady_clock::now() >= last_heard_ + silence_allowed) {
      offline_.inc();
      drop_reason_ = fmt::format("offline: nothing for {} s ({} heartbeat intervals)",
                                 silence_allowed.count(), options_.offline_after);
      close_stream();
      co_return;
    }
  }
}

DtuServer::DtuServer(asio::any_io_executor executor, DtuServerOptions options,
                     MetricsRegistry& metrics)
    : strand_(asio::make_strand(executor)),
      options_(std::move(options)),
      acceptor_(strand_),
      metrics_(metrics),
      accepted_(metrics.counter("halld_dtu_connections_accepted_total",
                                "Connections DTUs made to halld.")) {}

void DtuServer::add(std::shared_ptr<DtuLink> link) {
  const auto& o = link->options();
  std::lock_guard lock(table_mutex_);
  if (!table_.add(o.registration, o.identity)) {
    throw std::invalid_argument("DTU " + o.identity +
                                ": another DTU registers with the same packet");
  }
  links_[o.identity] = link;
}

void DtuServer::remove(const DtuLink& link) {
  std::lock_guard lock(table_mutex_);
  auto found = links_.find(link.options().identity);
  if (found == links_.end() || found->second.lock().get() != &link) return;  // replaced already
  table_.remove(link.options().registration);
  links_.erase(found);
}

bool DtuServer::started() const {
  std::lock_guard lock(table_mutex_);
  return started_;
}

void DtuServer::start() {
  asio::ip::tcp::endpoint endpoint(asio::ip::make_address(options_.listen_address), options_.port);
  acceptor_.open(endpoint.protocol());
  acceptor_.set_option(asio::socket_base::reuse_address(true));
  acceptor_.bind(endpoint);
  acceptor_.listen();
  bound_port_ = acceptor_.local_endpoint().port();
  std::size_t dtus = 0;
  {
    std::lock_guard lock(table_mutex_);
    started_ = true;
    dtus = table_.size();
  }
  spdlog::info("DTU server listening on {}:{} for {} DTU(s)", options_.listen_address, bound_port_,
               dtus);
  halld::spawn(strand_, "dtu: accepting", accept_loop(shared_from_this()));
}

void DtuServer::stop() {
  asio::post(strand_, [self = shared_from_this()] {
    self->stopping_ = true;
    boost::system::error_code ignored;
    self->acceptor_.close(ignored);
  });
}

asio::awaitable<void> DtuServer::accept_loop(std::shared_ptr<DtuServer> self) {
  while (!stopping_) {
    boost::system::error_code ec;
    auto socket = co_await acceptor_.async_accept(asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      if (stopping_) co_return;
      spdlog::warn("DTU server: accept failed: {}", ec.message());
      asio::steady_timer pause(strand_, std::chrono::milliseconds(100));  // e.g. out of descriptors
      co_await pause.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      continue;
    }
    accepted_.inc();
    if (registering_ >= options_.max_unregistered) {
      refuse({"too_many", "too many connections still registering, from " + endpoint_text(socket)});
      continue;  // `socket` closes
    }
    ++registering_;
    halld::spawn(strand_, "dtu: registration",
                 handshake(self, std::make_shared<Registering>(std::move(socket), strand_)));
  }
}

// One connection that has yet to register; shared by the handshake and its deadline.
struct DtuServer::Registering {
  Registering(asio::ip::tcp::socket s, asio::strand<asio::any_io_executor>& strand)
      : socket(std::move(s)), from(endpoint_text(socket)), deadline(strand) {}
  asio::ip::tcp::socket socket;
  std::string from;
  asio::steady_timer deadline;
  bool timed_out = false;
  std::string received;
  std::array<char, 512> buffer{};
};

asio::awaitable<void> DtuServer::handshake([[maybe_unused]] std::shared_ptr<DtuServer> self,
                                           std::shared_ptr<Registering> r) {
  r->deadline.expires_after(options_.registration_timeout);
  r->deadline.async_wait([r](boost::system::error_code ec) {
    if (ec) return;
    r->timed_out = true;
    boost::system::error_code ignored;
    r->socket.cancel(ignored);
  });
  auto kind = RegistrationTable::Match::Kind::need_more;
  while (!r->timed_out && !stopping_) {
    {
      std::lock_guard lock(table_mutex_);
      kind = table_.match(r->received).kind;
    }
    if (kind != RegistrationTable::Match::Kind::need_more) break;
    boost::system::error_code ec;
    auto n = co_await r->socket.async_read_some(asio::buffer(r->buffer),
                                                asio::redirect_error(asio::use_awaitable, ec));
    r->received.append(r->buffer.data(), n);
    if (ec && !r->timed_out) break;
  }
  r->deadline.cancel();
  --registering_;
  settle(*r);
}

void DtuServer::settle(Registering& r) {
  RegistrationTable::Match match;
  std::shared_ptr<DtuLink> link;
  {
    std::lock_guard lock(table_mutex_);
    match = table_.match(r.received, true);
    if (auto found = links_.find(match.key);
        match.kind == RegistrationTable::Match::Kind::found && found != links_.end())
      link = found->second.lock();
  }
  if (match.kind == RegistrationTable::Match::Kind::found) {
    if (link && !stopping_) {
      spdlog::info("DTU {} registered from {}", match.key, r.from);
      link->adopt(std::move(r.socket), r.received.substr(match.size));
      return;
    }
  }
  refuse(registration_refusal(r.received, r.from, r.timed_out, match.kind));
}

void DtuServer::refuse(const std::pair<std::string, std::string>& why) {
  const auto& [reason_label, detail] = why;
  metrics_
      .counter("halld_dtu_refused_total", "DTU connections refused, by reason.",
               {{"reason", reason_label}})
      .inc();
  // A misconfigured or hostile DTU retries every few seconds; one line every 10 s says enough.
  ++refused_since_warning_;
  if (std::chrono::steady_clock::now() - last_warning_ > std::chrono::seconds(10)) {
    spdlog::warn("DTU server: refused {} ({} refused since the last line)", detail,
                 refused_since_warning_);
    last_warning_ = std::chrono::steady_clock::now();
    refused_since_warning_ = 0;
  }
}

}  // namespace halld::link
