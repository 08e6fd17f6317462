#include "http_client.hpp"

#include <cctype>
#include <functional>

#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include "halld/core/asio.hpp"

namespace halld::testing {

namespace beast = boost::beast;
namespace http = beast::http;

std::map<std::string, std::string>& default_headers() {
  static std::map<std::string, std::string> headers;
  return headers;
}

std::filesystem::path& tls_trust() {
  static std::filesystem::path ca_file;
  return ca_file;
}

namespace {

template <class Stream>
HttpResult exchange(Stream& stream, const std::string& method, const std::string& target,
                    const std::map<std::string, std::string>& headers, const std::string& body) {
  http::request<http::string_body> request{http::string_to_verb(method), target, 11};
  request.set(http::field::host, "127.0.0.1");
  for (const auto& [name, value] : default_headers()) request.set(name, value);
  for (const auto& [name, value] : headers) request.set(name, value);
  request.body() = body;
  request.prepare_payload();
  http::write(stream, request);
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(256u << 20);
  if (method == "HEAD") parser.skip(true);
  http::read(stream, buffer, parser);
  HttpResult result;
  result.status = parser.get().result_int();
  for (const auto& field : parser.get()) {
    std::string name(field.name_string());
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    result.headers[name] = std::string(field.value());
  }
  result.body = parser.get().body();
  return result;
}

}  // namespace

std::string& source_address() {
  static std::string address;
  return address;
}

namespace {
// Connects `socket` to halld's port on 127.0.0.1, from source_address() when one is set.
void connect_from_source(asio::ip::tcp::socket& socket, std::uint16_t port) {
  if (!source_address().empty()) {
    socket.open(asio::ip::tcp::v4());
    socket.bind(asio::ip::tcp::endpoint(asio::ip::make_address(source_address()), 0));
  }
  socket.connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
}
}  // namespace

std::unique_ptr<asio::ssl::context> trusting_context() {
  auto context = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_client);
  context->load_verify_file(tls_trust().string());
  context->set_verify_mode(asio::ssl::verify_peer);
  context->set_verify_callback(asio::ssl::host_name_verification("127.0.0.1"));
  return context;
}

HttpResult http_request(std::uint16_t port, const std::string& method, const std::string& target,
                        const std::map<std::string, std::string>& headers,
                        const std::string& body) {
  asio::io_context io;
  beast::tcp_stream stream(io);
  stream.expires_after(std::chrono::seconds(30));
  connect_from_source(stream.socket(), port);
  beast::error_code ignored;
  if (tls_trust().empty()) {
    auto result = exchange(stream, method, target, headers, body);
    stream.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
    return result;
  }
  auto context = trusting_context();
  beast::ssl_stream<beast::tcp_stream> secure(std::move(stream), *context);
  secure.handshake(asio::ssl::stream_base::client);
  auto result = exchange(secure, method, target, headers, body);
  secure.shutdown(ignored);
  return result;
}

std::string raw_exchange(std::uint16_t port, const std::string& bytes, int timeout_ms) {
  // Asynchronous so that the timeout is real: a server that keeps the connection open is
  // simply left after timeout_ms.
  asio::io_context io;
  asio::ip::tcp::socket socket(io);
  connect_from_source(socket, port);
  beast::error_code ec;
  asio::write(socket, asio::buffer(bytes), ec);
  std::string answer;
  char chunk[4096];
  std::function<void(beast::error_code, std::size_t)> on_read = [&](beast::error_code read_ec,
                                                                    std::size_t n) {
    answer.append(chunk, n);
    if (!read_ec) socket.async_read_some(asio::buffer(chunk), on_read);
  };
  socket.async_read_some(asio::buffer(chunk), on_read);
  io.run_for(std::chrono::milliseconds(timeout_ms));
  return answer;
}

}  // namespace halld::testing
