// auth/sessions: the signed-in browsers of this node. Owns: each session's principal, its CSRF
// token and its two clocks (idle and absolute), keyed by the SHA-256 of the cookie value (a
// memory dump gives no usable cookie). The database holds them too (auth/user_store's
// app_session, written by the API): a session this node has not seen — a standby that took
// over, a restart — is adopted from there. Thread-safe. Must not touch: HTTP, the database.
#pragma once

#include <chrono>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "halld/auth/principal.hpp"

namespace halld::auth {

struct Session {
  Principal principal;
  std::string csrf_token;  // sent back in X-CSRF-Token on every state-changing request
  std::chrono::steady_clock::time_point started;
  std::chrono::steady_clock::time_point last_used;
  std::chrono::system_clock::time_point
      expires_at;  // the sooner of the idle and absolute ends, for the browser
  std::chrono::steady_clock::time_point stored;  // its use last written to the database
};

class Sessions {
 public:
  using Now = std::function<std::chrono::steady_clock::time_point()>;
  Sessions(std::chrono::seconds idle, std::chrono::seconds absolute,
           Now now = std::chrono::steady_clock::now);

  struct Opened {
    std::string cookie;  // the value for the browser; never stored
    Session session;
  };
  Opened open(Principal principal);
  // The live session a cookie names, its idle clock restarted; nullopt if unknown or expired.
  std::optional<Session> use(std::string_view cookie);
  void close(std::string_view cookie);
  // A session signed in elsewhere (another node, before a restart), `age` since sign-in and
  // `idle` since its last stored use; then use() it.
  void adopt(std::string_view cookie, Principal principal, std::string csrf_token,
             std::chrono::seconds age, std::chrono::seconds idle);
  // Notes that the session's use was written to the database now.
  void stored(std::string_view cookie);
  // Ends every session of a user (password changed, account disabled or deleted); returns how many.
  std::size_t close_user(int user_id);
  void set_timeouts(std::chrono::seconds idle, std::chrono::seconds absolute);
  std::pair<std::chrono::seconds, std::chrono::seconds> timeouts() const;  // idle, absolute
  std::size_t size() const;

  // Sessions ever held at once are capped; the least recently used goes first.
  static constexpr std::size_t max_sessions = 100'000;

 private:
  bool expired(const Session& session, std::chrono::steady_clock::time_point now) const;
  std::chrono::system_clock::time_point expiry(const Session& session,
                                               std::chrono::steady_clock::time_point now) const;
  void evict_one();

  Now now_;
  mutable std::mutex mutex_;
  std::chrono::seconds idle_;
  std::chrono::seconds absolute_;
  std::unordered_map<std::string, Session> sessions_;  // by SHA-256 of the cookie
};

}  // namespace halld::auth
