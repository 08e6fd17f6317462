#include "halld/sms/modem.hpp"

#include <fmt/format.h>

#include <charconv>
#include <utility>

namespace halld::sms {

namespace {

int number_after(std::string_view text, std::string_view prefix) {
  text.remove_prefix(prefix.size());
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  int n = -1;
  std::from_chars(text.data(), text.data() + text.size(), n);
  return n;
}

AtLine classify(std::string text) {
  using K = AtLine::Kind;
  if (text == "OK") return {K::ok, std::move(text), -1};
  if (text == "ERROR") return {K::error, std::move(text), -1};
  if (text.starts_with("+CMS ERROR:"))
    return {K::cms_error, text, number_after(text, "+CMS ERROR:")};
  if (text.starts_with("+CME ERROR:"))
    return {K::cme_error, text, number_after(text, "+CME ERROR:")};
  return {K::info, std::move(text), -1};
}

}  // namespace

std::vector<AtLine> AtReader::feed(std::string_view bytes) {
  std::vector<AtLine> lines;
  for (char c : bytes) {
    if (c == '\r' || c == '\n') {
      if (!line_.empty()) lines.push_back(classify(std::exchange(line_, {})));
      cutting_ = false;
      continue;
    }
    if (line_.size() == max_line) {  // the rest of an overlong line is dropped
      if (!cutting_) ++overlong_;
      cutting_ = true;
      continue;
    }
    line_ += c;
    if (line_ == "> ") {
      lines.push_back({AtLine::Kind::prompt, {}, -1});
      line_.clear();
    }
  }
  return lines;
}

std::string ModemSession::command_for(Step step) const {
  switch (step) {
    case Step::at:
      return "AT\r";
    case Step::echo_off:
      return "ATE0\r";
    case Step::pin_query:
      return "AT+CPIN?\r";
    case Step::pin_entry:
      return fmt::format("AT+CPIN=\"{}\"\r", pin_);
    case Step::registration:
      return "AT+CREG?\r";
    case Step::pdu_mode:
      return "AT+CMGF=0\r";
    case Step::prompt:
      return fmt::format("AT+CMGS={}\r", parts_[part_].tpdu_octets);
    default:
      return {};
  }
}

std::string ModemSession::start() {
  parts_.clear();
  step_ = Step::at;
  last_info_.clear();
  return command_for(step_);
}

bool ModemSession::send(std::vector<EncodedPdu> parts, std::string& to_write) {
  if (step_ != Step::ready || parts.empty()) return false;
  parts_ = std::move(parts);
  part_ = 0;
  references_.clear();
  step_ = Step::prompt;
  to_write += command_for(step_);
  return true;
}

std::vector<ModemOutcome> ModemSession::feed(std::string_view bytes, std::string& to_write) {
  std::vector<ModemOutcome> outcomes;
  for (const auto& line : reader_.feed(bytes)) on_line(line, to_write, outcomes);
  return outcomes;
}

std::vector<ModemOutcome> ModemSession::timed_out() {
  std::vector<ModemOutcome> outcomes;
  if (busy())
    outcomes.push_back(MessageFailed{
        fmt::format("no answer from the modem to part {} of {}", part_ + 1, parts_.size()), -1});
  else if (step_ != Step::idle && step_ != Step::ready)
    outcomes.push_back(ModemNotReady{"no answer from the modem"});
  if (step_ != Step::ready) step_ = Step::idle;
  parts_.clear();
  return outcomes;
}

void ModemSession::on_line(const AtLine& line, std::string& to_write,
                           std::vector<ModemOutcome>& outcomes) {
  using K = AtLine::Kind;
  const bool sending = busy();
  auto not_ready = [&](std::string reason) {
    step_ = Step::idle;
    outcomes.push_back(ModemNotReady{std::move(reason)});
  };
  auto next = [&](Step step) {
    step_ = step;
    last_info_.clear();
    to_write += command_for(step_);
  };
  switch (line.kind) {
    case K::info:
      if (step_ == Step::submitted && line.text.starts_with("+CMGS:"))
        pending_reference_ = number_after(line.text, "+CMGS:");
      else
        last_info_ = line.text;
      return;
    case K::prompt:
      if (step_ != Step::prompt) return;
      step_ = Step::submitted;
      pending_reference_ = -1;
      to_write += parts_[part_].hex;
      to_write += '\x1A';
      return;
    case K::error:
    case K::cme_error:
    case K::cms_error:
      if (sending) {
        step_ = Step::ready;
        parts_.clear();
        outcomes.push_back(
            MessageFailed{fmt::format("the modem refused part {}: {}", part_ + 1, line.text),
                          line.kind == K::cms_error ? line.code : -1});
      } else if (step_ != Step::idle && step_ != Step::ready) {
        not_ready(fmt::format("{} answered {}",
                              command_for(step_).substr(0, command_for(step_).size() - 1),
                              line.text));
      }
      return;
    case K::ok:
      break;
  }
  switch (step_) {
    case Step::at:
      next(Step::echo_off);
      break;
    case Step::echo_off:
      next(Step::pin_query);
      break;
    case Step::pin_query:
      if (last_info_.find("READY") != std::string::npos)
        next(Step::registration);
      else if (last_info_.find("SIM PIN") != std::string::npos && !pin_.empty())
        next(Step::pin_entry);
      else if (last_info_.find("SIM PIN") != std::string::npos)
        not_ready("SIM PIN required and none configured");
      else
        not_ready(fmt::format("SIM not ready ({})", last_info_.empty() ? "no answer" : last_info_));
      break;
    case Step::pin_entry:
      next(Step::pin_query);
      break;
    case Step::registration: {
      // +CREG: <n>,<stat>: 1 registered at home, 5 roaming.
      const auto comma = last_info_.find(',');
      const auto stat =
          comma == std::string::npos ? std::string() : last_info_.substr(comma + 1, 1);
      if (stat == "1" || stat == "5")
        next(Step::pdu_mode);
      else
        not_ready(fmt::format("not registered on the network ({})",
                              last_info_.empty() ? "no answer" : last_info_));
      break;
    }
    case Step::pdu_mode:
      step_ = Step::ready;
      outcomes.push_back(ModemReady{});
      break;
    case Step::submitted:
      references_.push_back(pending_reference_);
      outcomes.push_back(PartSent{part_, pending_reference_});
      if (++part_ < parts_.size()) {
        step_ = Step::prompt;
        to_write += command_for(step_);
      } else {
        step_ = Step::ready;
        parts_.clear();
        outcomes.push_back(MessageSent{references_});
      }
      break;
    default:
      break;
  }
}

}  // namespace halld::sms
