// A blocking HTTP/1.1 client for tests, over a real TCP connection to 127.0.0.1 (or TLS).
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>

#include <boost/asio/ssl/context.hpp>

namespace halld::testing {

struct HttpResult {
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
};

// Headers every request of this test process carries unless it sets them itself (the
// fixture puts its API token here once halld runs).
std::map<std::string, std::string>& default_headers();

// The loopback address this test process's HTTP clients connect from ("" for the system's
// choice, 127.0.0.1): another one (127.0.0.2) is another intranet host as halld sees it.
std::string& source_address();

// The CA certificate this test process trusts. When set, HTTP and WebSocket clients speak TLS
// and accept only a server whose certificate it signed for 127.0.0.1 (as curl --cacert does).
std::filesystem::path& tls_trust();
// A client TLS context that trusts tls_trust() and checks the peer is 127.0.0.1.
std::unique_ptr<boost::asio::ssl::context> trusting_context();

HttpResult http_request(std::uint16_t port, const std::string& method, const std::string& target,
                        const std::map<std::string, std::string>& headers = {},
                        const std::string& body = {});
inline HttpResult http_get(std::uint16_t port, const std::string& target,
                           const std::map<std::string, std::string>& headers = {}) {
  return http_request(port, "GET", target, headers);
}

// Sends raw bytes and returns whatever the server answers until it closes (or the timeout).
std::string raw_exchange(std::uint16_t port, const std::string& bytes, int timeout_ms = 5000);

}  // namespace halld::testing
