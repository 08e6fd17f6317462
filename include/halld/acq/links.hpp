// acq/links: turns a channel's archive settings into its link. Owns: the mapping from
// records::AcquisitionChannel to each link's options, and the one DTU server that the DTU
// channels share (created when the first DTU channel asks for it). Used on one thread at a time
// (the daemon's start, then each reconciliation of the channels in turn).
#pragma once

#include <map>
#include <memory>

#include "halld/acq/channel.hpp"
#include "halld/link/dtu.hpp"

namespace halld::acq {

class LinkMaker {
 public:
  LinkMaker(asio::any_io_executor executor, link::Backoff backoff, link::DtuServerOptions dtu,
            MetricsRegistry& metrics);
  // Throws std::invalid_argument when the channel's link cannot be made (e.g. its DTU packet is
  // taken).
  LinkFactory factory(const records::AcquisitionChannel& channel);
  // A channel's link is gone for good or about to be made again: a DTU's registration is freed.
  void release(const records::AcquisitionChannel& channel);
  // The DTU server, when some channel is a DTU; start it once every channel has been made.
  std::shared_ptr<link::DtuServer> dtu_server() const { return dtu_server_; }

 private:
  asio::any_io_executor executor_;
  link::Backoff backoff_;
  link::DtuServerOptions dtu_options_;
  MetricsRegistry& metrics_;
  std::shared_ptr<link::DtuServer> dtu_server_;
  std::map<std::string, std::weak_ptr<link::DtuLink>> dtu_links_;  // by identity
};

}  // namespace halld::acq
