#include "halld/auth/sessions.hpp"

#include <algorithm>

#include "halld/auth/secrets.hpp"

namespace halld::auth {

Sessions::Sessions(std::chrono::seconds idle, std::chrono::seconds absolute, Now now)
    : now_(std::move(now)), idle_(idle), absolute_(absolute) {}

bool Sessions::expired(const Session& session, std::chrono::steady_clock::time_point now) const {
  return now - session.last_used >= idle_ || now - session.started >= absolute_;
}

std::chrono::system_clock::time_point Sessions::expiry(
    const Session& session, std::chrono::steady_clock::time_point now) const {
  const auto remaining = std::min(session.last_used + idle_, session.started + absolute_) - now;
  return std::chrono::time_point_cast<std::chrono::seconds>(
      std::chrono::system_clock::now() +
      std::chrono::duration_cast<std::chrono::system_clock::duration>(remaining));
}

Sessions::Opened Sessions::open(Principal principal) {
  const auto now = now_();
  Opened opened{random_hex(32), Session{std::move(principal), random_hex(16), now, now, {}, now}};
  std::lock_guard lock(mutex_);
  opened.session.expires_at = expiry(opened.session, now);
  std::erase_if(sessions_, [&](const auto& entry) { return expired(entry.second, now); });
  if (sessions_.size() >= max_sessions) evict_one();
  sessions_.emplace(sha256(opened.cookie), opened.session);
  return opened;
}

void Sessions::evict_one() {
  auto oldest = std::min_element(
      sessions_.begin(), sessions_.end(),
      [](const auto& a, const auto& b) { return a.second.last_used < b.second.last_used; });
  if (oldest != sessions_.end()) sessions_.erase(oldest);
}

std::optional<Session> Sessions::use(std::string_view cookie) {
  if (cookie.size() != 64) return std::nullopt;
  const auto key = sha256(cookie);
  const auto now = now_();
  std::lock_guard lock(mutex_);
  auto found = sessions_.find(key);
  if (found == sessions_.end()) return std::nullopt;
  if (expired(found->second, now)) {
    sessions_.erase(found);
    return std::nullopt;
  }
  found->second.last_used = now;
  found->second.expires_at = expiry(found->second, now);
  return found->second;
}

void Sessions::adopt(std::string_view cookie, Principal principal, std::string csrf_token,
                     std::chrono::seconds age, std::chrono::seconds idle) {
  const auto now = now_();
  Session session{std::move(principal), std::move(csrf_token), now - age, now - idle, {}, now};
  std::lock_guard lock(mutex_);
  if (sessions_.size() >= max_sessions) evict_one();
  sessions_.insert_or_assign(sha256(cookie), std::move(session));
}

void Sessions::stored(std::string_view cookie) {
  const auto key = sha256(cookie);
  const auto now = now_();
  std::lock_guard lock(mutex_);
  if (auto found = sessions_.find(key); found != sessions_.end()) found->second.stored = now;
}

void Sessions::close(std::string_view cookie) {
  const auto key = sha256(cookie);
  std::lock_guard lock(mutex_);
  sessions_.erase(key);
}

std::size_t Sessions::close_user(int user_id) {
  std::lock_guard lock(mutex_);
  return std::erase_if(sessions_, [&](const auto& entry) {
    return entry.second.principal.kind == Principal::Kind::user &&
           entry.second.principal.id == user_id;
  });
}

void Sessions::set_timeouts(std::chrono::seconds idle, std::chrono::seconds absolute) {
  std::lock_guard lock(mutex_);
  idle_ = idle;
  absolute_ = absolute;
}

std::pair<std::chrono::seconds, std::chrono::seconds> Sessions::timeouts() const {
  std::lock_guard lock(mutex_);
  return {idle_, absolute_};
}

std::size_t Sessions::size() const {
  std::lock_guard lock(mutex_);
  return sessions_.size();
}

}  // namespace halld::auth
