// api/http_server: the HTTP listener and its sessions (Boost.Beast over Asio coroutines).
// Owns: the acceptor, every connection, per-request limits and timeouts, and the HTTP metrics.
// A session owns its socket and buffers and lives as long as its coroutine; the server keeps
// only a registry of them so that stop() can end idle keep-alive connections.
// Routing: paths the Router knows go to their handlers, once the Guard has admitted them (and
// every change is written to the audit log); anything else is a static file. An Upgrade request
// on a WebSocket route, once admitted, hands the connection to that route's session.
// TLS: with a certificate and key configured, every connection is TLS (HTTPS and wss://); the
// same code serves both, templated on the stream.
#pragma once

#include <atomic>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <mutex>

#include <boost/asio/ssl/context.hpp>

#include "halld/api/guard.hpp"
#include "halld/api/router.hpp"
#include "halld/api/static_files.hpp"
#include "halld/core/config.hpp"
#include "halld/core/metrics.hpp"
#include "halld/core/service.hpp"

namespace halld::api {

class HttpServer final : public Service {
 public:
  HttpServer(asio::io_context& io, HttpConfig config, const Router& router,
             const StaticFiles& files, Guard& guard, MetricsRegistry& metrics);
  ~HttpServer() override;
  std::string_view name() const override { return "http"; }

  // Loads the TLS certificate and key when configured, binds and starts accepting; throws
  // std::system_error when the address cannot be bound or the certificate or key not used.
  void start() override;
  bool tls() const { return tls_ != nullptr; }
  std::uint16_t port() const { return port_; }

  // Stops accepting, and closes every connection once its request in flight is answered;
  // `done` runs when the last has closed.
  void stop(std::function<void()> done) override;
  std::size_t active_connections() const { return active_.load(); }

  // On a standby node (app): what no route answers is sent to the active node — 307 to its
  // address (`active_address()`) with the same path and query, so that a browser or a city
  // system that reached the standby carries on there — or 503 while that address is not known.
  // Before start().
  void send_to_active(std::function<std::string()> active_address) {
    active_address_ = std::move(active_address);
  }

  // Limits and timeouts that SIGHUP may change (config from reload_config, whose bind address
  // and web root are the running ones); applies to requests read from now on.
  void update_limits(const HttpConfig& config);

 private:
  struct Connection;
  template <class Stream>
  struct ConnectionOver;
  asio::awaitable<void> accept_loop();
  template <class Stream>
  asio::awaitable<void> serve(std::shared_ptr<ConnectionOver<Stream>> connection);
  // A TLS connection's handshake, within the request timeout; false when it failed.
  template <class Stream>
  asio::awaitable<bool> handshake(ConnectionOver<Stream>& connection);
  template <class Stream>
  asio::awaitable<void> finish(ConnectionOver<Stream>& connection);
  asio::awaitable<Response> respond(const Request& request, const std::string& remote);
  // A routed request: admitted by the guard, answered, and audited when it changes something.
  asio::awaitable<Response> handle(RequestContext& context, const Route& route);
  // The object a change is about, as a GET of it answers now (null when there is none).
  asio::awaitable<nlohmann::json> before_change(const RequestContext& context);
  // Admits an Upgrade request (or answers its refusal) and runs its WebSocket session.
  template <class Stream>
  asio::awaitable<void> open_websocket(ConnectionOver<Stream>& connection, const Request& request,
                                       const Route& route, const std::string& remote);
  // Hands an upgraded connection to its WebSocket route until the session ends.
  template <class Stream>
  asio::awaitable<void> upgrade(ConnectionOver<Stream>& connection, RequestContext& context,
                                const Route& route);
  // The WebSocket route an Upgrade request asks for; null for any other request.
  const Route* websocket_route(const Request& request) const;
  HttpConfig limits() const;
  // Counts a connection against its address's share; false when the address holds `limit` already.
  // After a connection ends: a stop waiting for the last one completes.
  void connection_ended();
  bool claim_address(const std::string& address, std::size_t limit);
  void release_address(const std::string& address);

  asio::io_context& io_;
  std::function<std::string()> active_address_;  // set on a standby
  const Router& router_;
  const StaticFiles& files_;
  Guard& guard_;
  MetricsRegistry& metrics_;
  mutable std::mutex mutex_;  // guards config_, connections_, connections_by_address_, on_stopped_
  HttpConfig config_;
  std::list<std::weak_ptr<Connection>> connections_;
  std::map<std::string, std::size_t> connections_by_address_;
  std::unique_ptr<asio::ssl::context> tls_;  // set by start() when TLS is configured
  asio::ip::tcp::acceptor acceptor_;
  std::uint16_t port_ = 0;
  std::atomic<std::size_t> active_{0};
  std::atomic<bool> stopping_{false};
  std::function<void()> on_stopped_;

  Counter& accepted_;
  Counter& refused_;
  Counter& refused_per_address_;
  Counter& bad_requests_;
  Counter& failed_handshakes_;
  Gauge& open_connections_;
};

}  // namespace halld::api
