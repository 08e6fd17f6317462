#include "halld/api/http_server.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <charconv>
#include <chrono>
#include <pqxx/except>
#include <type_traits>

#include <boost/asio/ssl.hpp>
#include <boost/beast/ssl.hpp>

#include "halld/core/spawn.hpp"

namespace halld::api {

// The request's parameters, outside a coroutine frame (GCC 12 -Wmismatched-new-delete).
static RequestContext context_of(const Request& request, const Router& router);

namespace {

Response audit_unavailable() {
  auto response = error_response(
      http::status::service_unavailable, "audit_unavailable",
      "the change was not made: its audit record could not be written; try again shortly");
  response.set(http::field::retry_after, "5");
  return response;
}

using TlsStream = beast::ssl_stream<beast::tcp_stream>;
template <class Stream>
constexpr bool is_tls = std::is_same_v<Stream, TlsStream>;

template <class Stream>
class WebSocketOver final : public WebSocket {
 public:
  explicit WebSocketOver(Stream stream) : stream_(std::move(stream)) { stream_.text(true); }
  beast::websocket::stream<Stream>& stream() { return stream_; }

  asio::any_io_executor get_executor() override { return stream_.get_executor(); }
  asio::awaitable<boost::system::error_code> write_text(asio::const_buffer text) override {
    boost::system::error_code ec;
    co_await stream_.async_write(text, asio::redirect_error(asio::use_awaitable, ec));
    co_return ec;
  }
  asio::awaitable<boost::system::error_code> read(beast::flat_buffer& buffer) override {
    boost::system::error_code ec;
    co_await stream_.async_read(buffer, asio::redirect_error(asio::use_awaitable, ec));
    co_return ec;
  }
  asio::awaitable<boost::system::error_code> close(
      const beast::websocket::close_reason& reason) override {
    boost::system::error_code ec;
    co_await stream_.async_close(reason, asio::redirect_error(asio::use_awaitable, ec));
    co_return ec;
  }
  void shut_down() override {
    boost::system::error_code ignored;
    beast::get_lowest_layer(stream_).socket().shutdown(asio::socket_base::shutdown_both, ignored);
  }

 private:
  beast::websocket::stream<Stream> stream_;
};

template <class Socket>
std::string peer_of(const Socket& socket) {
  boost::system::error_code ec;
  auto peer = socket.remote_endpoint(ec);
  return ec ? std::string() : peer.address().to_string();
}

}  // namespace

// What stop() needs of a connection, whatever carries it.
struct HttpServer::Connection {
  explicit Connection(asio::ip::tcp::socket& socket)
      : remote(peer_of(socket)), executor(socket.get_executor()) {}
  virtual ~Connection() = default;
  // On the connection's executor. Ending the receive side ends an idle read at once, while a
  // request in flight still gets its response written before the session sees end-of-stream.
  virtual void stop_reading() = 0;

  const std::string remote;  // the peer's address, for the audit log
  const asio::any_io_executor executor;
};

template <class Stream>
struct HttpServer::ConnectionOver final : Connection {
  // `tls` is the TLS context, for a TLS stream only.
  template <class... TlsContext>
  ConnectionOver(asio::ip::tcp::socket socket, TlsContext&... tls)
      : Connection(socket), stream(std::move(socket), tls...) {}

  void stop_reading() override {
    boost::system::error_code ignored;
    if (websocket)
      websocket->shut_down();
    else if (!upgraded)
      beast::get_lowest_layer(stream).socket().shutdown(asio::socket_base::shutdown_receive,
                                                        ignored);
  }

  Stream stream;  // moved into the WebSocket on an upgrade, and not touched after
  bool upgraded = false;
  WebSocketOver<Stream>* websocket = nullptr;  // the stream's owner while upgraded
};

HttpServer::HttpServer(asio::io_context& io, HttpConfig config, const Router& router,
                       const StaticFiles& files, Guard& guard, MetricsRegistry& metrics)
    : io_(io),
      router_(router),
      files_(files),
      guard_(guard),
      metrics_(metrics),
      config_(std::move(config)),
      acceptor_(asio::make_strand(io)),
      accepted_(
          metrics.counter("halld_http_connections_accepted_total", "HTTP connections accepted.")),
      refused_(metrics.counter("halld_http_connections_refused_total",
                               "HTTP connections closed at once, by the limit they met.",
                               {{"limit", "max_connections"}})),
      refused_per_address_(
          metrics.counter("halld_http_connections_refused_total",
                          "HTTP connections closed at once, by the limit they met.",
                          {{"limit", "max_connections_per_address"}})),
      bad_requests_(
          metrics.counter("halld_http_bad_requests_total",
                          "Requests rejected before routing (malformed, too large, timed out).")),
      failed_handshakes_(
          metrics.counter("halld_http_tls_handshake_failures_total",
                          "TLS connections closed because their handshake failed or timed out.")),
      open_connections_(
          metrics.gauge("halld_http_open_connections", "HTTP connections open now.")) {}

HttpServer::~HttpServer() = default;

HttpConfig HttpServer::limits() const {
  std::lock_guard lock(mutex_);
  return config_;
}

void HttpServer::update_limits(const HttpConfig& config) {
  std::lock_guard lock(mutex_);
  config_ = config;
}

void HttpServer::start() {
  auto config = limits();
  if (!config.tls_certificate.empty()) {
    // TLS 1.2 and later only; the library's default ciphers for those are sound.
    tls_ = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_server);
    tls_->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                      asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                      asio::ssl::context::no_tlsv1_1 | asio::ssl::context::single_dh_use);
    try {
      tls_->use_certificate_chain_file(config.tls_certificate.string());
    } catch (const boost::system::system_error& e) {
      throw std::system_error(e.code(),
                              fmt::format("TLS certificate {}", config.tls_certificate.string()));
    }
    try {
      tls_->use_private_key_file(config.tls_private_key.string(), asio::ssl::context::pem);
    } catch (const boost::system::system_error& e) {
      throw std::system_error(e.code(),
                              fmt::format("TLS private key {} (does it match the certificate?)",
                                          config.tls_private_key.string()));
    }
  }
  asio::ip::tcp::endpoint endpoint(asio::ip::make_address(config.listen_address), config.port);
  acceptor_.open(endpoint.protocol());
  acceptor_.set_option(asio::socket_base::reuse_address(true));
  acceptor_.bind(endpoint);
  acceptor_.listen(asio::socket_base::max_listen_connections);
  port_ = acceptor_.local_endpoint().port();
  halld::spawn(acceptor_.get_executor(), "http: accepting", accept_loop());
  spdlog::info("HTTP listening on {}:{}{}", config.listen_address, port_, tls_ ? " (TLS)" : "");
}

void HttpServer::stop(std::function<void()> done) {
  asio::post(acceptor_.get_executor(), [this] {
    boost::system::error_code ignored;
    acceptor_.close(ignored);
  });
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    on_stopped_ = std::move(done);
    for (auto& weak : connections_) {
      if (auto connection = weak.lock()) {
        asio::post(connection->executor, [connection] { connection->stop_reading(); });
      }
    }
  }
  connection_ended();
}

void HttpServer::connection_ended() {
  std::function<void()> done;
  {
    std::lock_guard lock(mutex_);
    if (stopping_ && active_.load() == 0) done = std::exchange(on_stopped_, {});
  }
  if (done) asio::post(io_, std::move(done));
}

asio::awaitable<void> HttpServer::accept_loop() {
  for (;;) {
    boost::system::error_code ec;
    auto socket = co_await acceptor_.async_accept(asio::make_strand(io_),
                                                  asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      if (ec == asio::error::operation_aborted || stopping_) co_return;
      spdlog::warn("HTTP accept failed: {}", ec.message());
      continue;
    }
    const auto config = limits();
    if (active_.load() >= config.max_connections) {
      refused_.inc();
      continue;  // the socket closes as it goes out of scope
    }
    if (!claim_address(peer_of(socket), config.max_connections_per_address)) {
      refused_per_address_.inc();
      continue;
    }
    accepted_.inc();
    auto launch = [this](auto connection) {
      {
        std::lock_guard lock(mutex_);
        connections_.remove_if([](const auto& weak) { return weak.expired(); });
        connections_.push_back(connection);
      }
      auto executor = connection->executor;
      halld::spawn(executor, "http: connection", serve(std::move(connection)));
    };
    if (tls_)
      launch(std::make_shared<ConnectionOver<TlsStream>>(std::move(socket), *tls_));
    else
      launch(std::make_shared<ConnectionOver<beast::tcp_stream>>(std::move(socket)));
  }
}

template <class Stream>
asio::awaitable<bool> HttpServer::handshake(ConnectionOver<Stream>& connection) {
  if constexpr (is_tls<Stream>) {
    beast::get_lowest_layer(connection.stream).expires_after(limits().request_timeout);
    boost::system::error_code ec;
    co_await connection.stream.async_handshake(asio::ssl::stream_base::server,
                                               asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      failed_handshakes_.inc();
      spdlog::debug("TLS handshake with {} failed: {}", connection.remote, ec.message());
      co_return false;
    }
  }
  co_return true;
}

template <class Stream>
asio::awaitable<void> HttpServer::finish(ConnectionOver<Stream>& connection) {
  if (connection.upgraded) co_return;  // the WebSocket session has closed it
  boost::system::error_code ignored;
  if constexpr (is_tls<Stream>) {
    // close_notify, so that the client knows the response was whole; a client that never
    // answers it is not waited for long.
    beast::get_lowest_layer(connection.stream).expires_after(std::chrono::seconds(2));
    co_await connection.stream.async_shutdown(asio::redirect_error(asio::use_awaitable, ignored));
    beast::get_lowest_layer(connection.stream).socket().close(ignored);
  } else {
    connection.stream.socket().shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
  }
}

template <class Stream>
asio::awaitable<void> HttpServer::serve(std::shared_ptr<ConnectionOver<Stream>> connection) {
  ++active_;
  open_connections_.add(1);
  beast::flat_buffer buffer;
  bool first = true;
  const bool secured = co_await handshake(*connection);
  for (; secured;) {
    if (stopping_ && !first) break;
    auto config = limits();
    http::request_parser<http::string_body> parser;
    parser.body_limit(config.body_limit_bytes);
    parser.header_limit(static_cast<std::uint32_t>(config.header_limit_bytes));
    auto& transport = beast::get_lowest_layer(connection->stream);
    // The head first, against its own deadline (a head sent a byte at a time must not hold the
    // connection for the whole request timeout), then the body.
    transport.expires_after(first ? config.header_timeout : config.idle_timeout);
    boost::system::error_code ec;
    co_await http::async_read_header(connection->stream, buffer, parser,
                                     asio::redirect_error(asio::use_awaitable, ec));
    if (!ec && !parser.is_done()) {
      transport.expires_after(config.request_timeout);
      co_await http::async_read(connection->stream, buffer, parser,
                                asio::redirect_error(asio::use_awaitable, ec));
    }
    first = false;
    if (ec) {
      std::optional<Response> refusal;
      if (ec == http::error::body_limit) {
        refusal = error_response(
            http::status::payload_too_large, "payload_too_large",
            fmt::format("the request body exceeds {} bytes", config.body_limit_bytes));
      } else if (ec == http::error::header_limit) {
        refusal = error_response(
            http::status::request_header_fields_too_large, "headers_too_large",
            fmt::format("the request head exceeds {} bytes", config.header_limit_bytes));
      } else if (ec == beast::error::timeout) {
        // Beast has closed the socket already, so there is no one to answer. An idle keep-alive
        // connection timing out is normal; half a request is not.
        if (parser.got_some()) bad_requests_.inc();
      } else if (ec.category() == asio::error::get_ssl_category() &&
                 ec != asio::ssl::error::stream_truncated) {
        bad_requests_.inc();  // broken TLS records: nothing can be answered over them
      } else if (ec != http::error::end_of_stream && ec != asio::error::eof &&
                 ec != asio::ssl::error::stream_truncated && ec != asio::error::connection_reset &&
                 ec != asio::error::operation_aborted) {
        refusal = error_response(http::status::bad_request, "bad_request", ec.message());
      }
      if (refusal) bad_requests_.inc();
      if (refusal) {
        refusal->keep_alive(false);
        refusal->prepare_payload();
        transport.expires_after(config.request_timeout);
        co_await http::async_write(connection->stream, *refusal,
                                   asio::redirect_error(asio::use_awaitable, ec));
      }
      break;
    }
    const Request& request = parser.get();
    if (const Route* route = websocket_route(request)) {
      co_await open_websocket(*connection, request, *route, connection->remote);
      break;
    }
    Response response = co_await respond(request, connection->remote);
    response.version(request.version());
    response.set(http::field::server, "halld");
    response.set("X-Content-Type-Options", "nosniff");
    response.keep_alive(request.keep_alive() && !stopping_);
    if (request.method() == http::verb::head) {
      if (!response.body().empty()) response.content_length(response.body().size());
      response.body().clear();
    } else {
      response.prepare_payload();
    }
    transport.expires_after(config.request_timeout);
    boost::system::error_code write_ec;
    co_await http::async_write(connection->stream, response,
                               asio::redirect_error(asio::use_awaitable, write_ec));
    if (write_ec || !response.keep_alive()) break;
  }
  if (secured) co_await finish(*connection);
  release_address(connection->remote);
  open_connections_.add(-1);
  --active_;
  connection_ended();
}

bool HttpServer::claim_address(const std::string& address, std::size_t limit) {
  std::lock_guard lock(mutex_);
  auto& held = connections_by_address_[address];  // limit >= 1: an entry made here is taken at once
  if (held >= limit) return false;
  ++held;
  return true;
}

void HttpServer::release_address(const std::string& address) {
  std::lock_guard lock(mutex_);
  auto it = connections_by_address_.find(address);
  if (it != connections_by_address_.end() && --it->second == 0) connections_by_address_.erase(it);
}

const Route* HttpServer::websocket_route(const Request& request) const {
  if (!beast::websocket::is_upgrade(request)) return nullptr;
  auto parsed = parse_target(to_std(request.target()));
  auto* target = std::get_if<Target>(&parsed);
  if (!target) return nullptr;
  auto match = router_.match(http::verb::get, target->path);
  return match.route && match.route->websocket ? match.route : nullptr;
}

static RequestContext context_of(const Request& request, const Router& router) {
  auto target =
      std::get<Target>(parse_target(to_std(request.target())));  // websocket_route read it
  auto match = router.match(http::verb::get, target.path);
  return RequestContext{request, std::move(match.params), std::move(target.query), {}, {}, {}};
}

template <class Stream>
asio::awaitable<void> HttpServer::open_websocket(ConnectionOver<Stream>& connection,
                                                 const Request& request, const Route& route,
                                                 const std::string& remote) {
  RequestContext context = context_of(request, router_);
  context.remote = remote;
  auto admitting = guard_.admit(context, route);
  std::optional<Response> refusal = co_await std::move(admitting);
  if (!refusal) {
    co_await upgrade(connection, context, route);
    co_return;
  }
  refusal->version(request.version());
  refusal->keep_alive(false);
  refusal->prepare_payload();
  boost::system::error_code ec;
  co_await http::async_write(connection.stream, *refusal,
                             asio::redirect_error(asio::use_awaitable, ec));
}

template <class Stream>
asio::awaitable<void> HttpServer::upgrade(ConnectionOver<Stream>& connection,
                                          RequestContext& context, const Route& route) {
  const Request& request = context.request;
  metrics_
      .counter("halld_http_websocket_sessions_total", "WebSocket sessions opened, by route.",
               {{"route", route.pattern}})
      .inc();
  beast::get_lowest_layer(connection.stream)
      .expires_never();  // the WebSocket keeps its own timeouts
  WebSocketOver<Stream> websocket(std::move(connection.stream));
  connection.upgraded = true;
  connection.websocket = &websocket;
  auto& stream = websocket.stream();
  auto timeouts = beast::websocket::stream_base::timeout::suggested(beast::role_type::server);
  timeouts.idle_timeout = std::chrono::seconds(60);
  timeouts.keep_alive_pings = true;  // a browser gone without a close is noticed within a minute
  stream.set_option(timeouts);
  stream.read_message_max(64 * 1024);
  boost::system::error_code ec;
  co_await stream.async_accept(request, asio::redirect_error(asio::use_awaitable, ec));
  if (!ec && !stopping_) {
    try {
      co_await route.websocket(websocket, context);
    } catch (const std::exception& e) {
      spdlog::warn("WebSocket {} ended: {}", route.pattern, e.what());
    }
  }
  beast::get_lowest_layer(stream).socket().close(ec);
  connection.websocket = nullptr;
}

asio::awaitable<nlohmann::json> HttpServer::before_change(const RequestContext& context) {
  auto target =
      std::get<Target>(parse_target(to_std(context.request.target())));  // respond() read it
  auto match = router_.match(http::verb::get, target.path);
  if (!match.route || match.route->websocket) {
    // An action on an object (/alarms/7/acknowledge) is about the object (/alarms/7).
    const auto slash = target.path.rfind('/');
    match = router_.match(http::verb::get, target.path.substr(0, slash));
    if (!match.route || !match.route->pattern.ends_with('}')) co_return nullptr;
  }
  RequestContext probe{context.request,   std::move(match.params), {},
                       context.principal, context.remote,          {}};
  Response current = co_await match.route->handler(probe);
  if (current.result() != http::status::ok) co_return nullptr;
  auto parsed = nlohmann::json::parse(current.body(), nullptr, false);
  co_return parsed.is_discarded() ? nlohmann::json() : parsed;
}

asio::awaitable<Response> HttpServer::handle(RequestContext& context, const Route& route) {
  auto admitting = guard_.admit(context, route);
  std::optional<Response> refusal = co_await std::move(admitting);
  const bool change =
      context.request.method() != http::verb::get && context.request.method() != http::verb::head;
  // A change is audited whoever made it: refused ones too, once the caller is known; on a public
  // route (the sign-in) the handler decides what names someone.
  const auto access = access_of(route.method, route.pattern);
  const bool audited =
      change && (context.principal || (access && access->rule == ScopeRule::public_route));
  if (refusal) {
    if (audited) {
      auto record = guard_.audit_record(context, route, nullptr);
      auto recording = record->write_alone(refusal->result_int(), refusal->body());
      co_await std::move(recording);
    }
    co_return std::move(*refusal);
  }
  if (!audited) {
    Response response = co_await route.handler(context);
    co_return response;
  }
  nlohmann::json before;
  if (context.principal) before = co_await before_change(context);
  auto record = guard_.audit_record(context, route, std::move(before));
  context.audit = record;
  if (route.audit == AuditMode::ahead) {
    auto writing = record->write_ahead();
    const bool written = co_await std::move(writing);
    if (!written) co_return audit_unavailable();
  }
  Response response;
  try {
    response = co_await route.handler(context);
  } catch (const AuditUnavailable& e) {
    spdlog::error("{} {} not done: {}", to_std(context.request.method_string()), route.pattern,
                  e.what());
    co_return audit_unavailable();
  }
  const int status = response.result_int();
  if (record->ahead()) {
    auto settling = record->settle(status, response.body());
    co_await std::move(settling);
  } else if (!record->written()) {
    auto recording = record->write_alone(status, response.body());
    co_await std::move(recording);
  }
  co_return response;
}

// A standby's answer to what it does not serve itself (HttpServer::send_to_active).
static Response to_active_node(const Request& request, std::string address) {
  if (address.empty()) {
    return error_response(http::status::service_unavailable, "standby",
                          "this node is a standby and the active node's address is not known; "
                          "try again shortly");
  }
  while (address.ends_with('/')) address.pop_back();
  auto response = error_response(http::status::temporary_redirect, "standby",
                                 "this node is a standby; the active node answers at " + address);
  response.set(http::field::location, address + std::string(to_std(request.target())));
  response.set(http::field::cache_control, "no-store");
  return response;
}

asio::awaitable<Response> HttpServer::respond(const Request& request, const std::string& remote) {
  const auto started = std::chrono::steady_clock::now();
  std::string route_label = "static";
  Response response;
  auto parsed = parse_target(to_std(request.target()));
  auto* target = std::get_if<Target>(&parsed);
  if (!target) {
    response =
        error_response(http::status::bad_request, "bad_target", std::get<std::string>(parsed));
  } else if (auto match = router_.match(request.method(), target->path); match.route) {
    route_label = match.route->pattern;
    RequestContext context{request, std::move(match.params), std::move(target->query), {}, remote,
                           {}};
    try {
      response = co_await handle(context, *match.route);
    } catch (const pqxx::broken_connection& e) {
      spdlog::warn("{} {}: database unavailable: {}", to_std(request.method_string()), route_label,
                   e.what());
      response = error_response(http::status::service_unavailable, "database_unavailable",
                                "the database is not reachable; try again shortly");
    } catch (const std::exception& e) {
      spdlog::error("{} {} failed: {}", to_std(request.method_string()), route_label, e.what());
      response = error_response(http::status::internal_server_error, "internal_error",
                                "the request failed; the server log has details");
    }
  } else if (active_address_) {
    route_label = "standby";
    response = to_active_node(request, active_address_());
  } else if (match.path_known) {
    route_label = "method_not_allowed";
    response = error_response(
        http::status::method_not_allowed, "method_not_allowed",
        fmt::format("{} is not allowed on this path", to_std(request.method_string())));
  } else if (target->path.starts_with("/api/")) {
    route_label = "not_found";
    response = error_response(http::status::not_found, "not_found", "no such endpoint");
  } else {
    response = files_.serve(request, target->path);
  }
  auto seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  metrics_
      .counter("halld_http_requests_total", "HTTP requests answered, by route and status.",
               {{"route", route_label}, {"code", std::to_string(response.result_int())}})
      .inc();
  metrics_
      .histogram("halld_http_request_duration_seconds", "Time to answer an HTTP request, by route.",
                 {0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5}, {{"route", route_label}})
      .observe(seconds);
  co_return response;
}

}  // namespace halld::api
