// acq/reconcile: how a service that runs one thing per channel (the acquisition's channels, the
// facility pollers) brings what runs in line with the database after an import, an API change or
// SIGHUP: what runs on unchanged, what is new or changed (its settings or its protocol's
// checksum, by fingerprint) and what is gone. Owns: that comparison. Must not touch: making,
// starting or stopping anything (the callers do, the old before the new).
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "halld/acq/protocols.hpp"
#include "halld/store/archive_store.hpp"

namespace halld::acq {

// A channel's settings and its protocol's checksum: when it changes, the channel is made again.
std::string channel_fingerprint(const store::ChannelRow& row, const Protocols& protocols);

template <class Running>  // what runs for a channel, with its `fingerprint`
struct ChannelPlan {
  struct Make {
    store::ChannelRow row;
    std::string fingerprint;
    bool restart = false;  // it ran with other settings: its old one is in `changed`
  };
  std::map<std::string, Running> kept;                // by code
  std::vector<Make> make;                             // new or changed, in the rows' order
  std::vector<Running> changed;                       // to stop before they are made again
  std::vector<std::pair<std::string, Running>> gone;  // to stop: no longer enabled here
};

// `rows` are the enabled channels; `serves` says which of them are the caller's.
template <class Running>
ChannelPlan<Running> plan_channels(std::map<std::string, Running> current,
                                   std::vector<store::ChannelRow> rows, const Protocols& protocols,
                                   const std::function<bool(const store::ChannelRow&)>& serves) {
  ChannelPlan<Running> plan;
  for (auto& row : rows) {
    if (!serves(row)) continue;
    auto fingerprint = channel_fingerprint(row, protocols);
    auto old = current.find(row.channel.code);
    const bool restart = old != current.end();
    if (restart && old->second.fingerprint == fingerprint) {
      plan.kept.insert(current.extract(old));
      continue;
    }
    if (restart) {
      plan.changed.push_back(std::move(old->second));
      current.erase(old);
    }
    plan.make.push_back({std::move(row), std::move(fingerprint), restart});
  }
  for (auto& [code, running] : current) plan.gone.emplace_back(code, std::move(running));
  return plan;
}

}  // namespace halld::acq
