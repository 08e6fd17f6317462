#include "halld/acq/links.hpp"

#include "halld/link/bus.hpp"
#include "halld/link/serial.hpp"
#include "halld/link/tcp_client.hpp"
#include "halld/proto/frame/messages.hpp"

namespace halld::acq {
namespace {

link::SerialOptions serial_options(const records::SerialLinkSettings& s, link::Backoff backoff) {
  using asio::serial_port;
  link::SerialOptions o;
  o.device = s.device;
  o.baud = static_cast<unsigned>(s.baud);
  o.data_bits = static_cast<unsigned>(s.data_bits);
  o.parity = s.parity == records::Parity::odd    ? serial_port::parity::odd
             : s.parity == records::Parity::even ? serial_port::parity::even
                                                 : serial_port::parity::none;
  o.stop_bits = s.stop_bits == 2 ? serial_port::stop_bits::two : serial_port::stop_bits::one;
  o.flow = s.flow == records::FlowControl::software   ? serial_port::flow_control::software
           : s.flow == records::FlowControl::hardware ? serial_port::flow_control::hardware
                                                      : serial_port::flow_control::none;
  o.backoff = backoff;
  return o;
}

}  // namespace

LinkMaker::LinkMaker(asio::any_io_executor executor, link::Backoff backoff,
                     link::DtuServerOptions dtu, MetricsRegistry& metrics)
    : executor_(std::move(executor)),
      backoff_(backoff),
      dtu_options_(std::move(dtu)),
      metrics_(metrics) {}

LinkFactory LinkMaker::factory(const records::AcquisitionChannel& channel) {
  switch (channel.link) {
    case records::ChannelLink::tcp_client: {
      link::TcpClientOptions options{
          .host = channel.host, .port = channel.port, .backoff = backoff_};
      return [this, options](link::LinkHandler handler) {
        return std::make_shared<link::TcpClient>(executor_, options, std::move(handler));
      };
    }
    case records::ChannelLink::dtu: {
      const auto& d = channel.dtu;
      link::DtuLinkOptions options{
          d.identity, records::expand_packet_template(d.register_packet, d.identity),
          records::expand_packet_template(d.heartbeat_packet, d.identity),
          std::chrono::seconds(d.heartbeat_s), static_cast<unsigned>(d.offline_after)};
      if (!dtu_server_)
        dtu_server_ = std::make_shared<link::DtuServer>(executor_, dtu_options_, metrics_);
      return [this, options](link::LinkHandler handler) {
        auto dtu =
            std::make_shared<link::DtuLink>(executor_, options, std::move(handler), metrics_);
        dtu_server_->add(dtu);
        dtu_links_[options.identity] = dtu;
        return dtu;
      };
    }
    case records::ChannelLink::serial: {
      auto options = serial_options(channel.serial, backoff_);
      return [this, options](link::LinkHandler handler) {
        return std::make_shared<link::SerialLink>(executor_, options, std::move(handler));
      };
    }
    case records::ChannelLink::rs485: {
      const auto& b = channel.bus;
      link::BusOptions options{.serial = serial_options(channel.serial, backoff_),
                               .addresses = b.addresses,
                               .poll_interval = std::chrono::milliseconds(b.poll_ms),
                               .response_timeout = std::chrono::milliseconds(b.timeout_ms),
                               .retries = b.retries,
                               .gap = std::chrono::milliseconds(b.gap_ms)};
      // Both hall protocols share the frame layer, and with it the poll and the end of an answer.
      link::BusDialect dialect{
          [](std::uint32_t address) { return proto::encode_frame(proto::encode_poll(address)); },
          proto::answer_size};
      return [this, options, dialect](link::LinkHandler handler) {
        return std::make_shared<link::BusLink>(executor_, options, dialect, std::move(handler));
      };
    }
  }
  throw std::invalid_argument("unknown link kind");
}

void LinkMaker::release(const records::AcquisitionChannel& channel) {
  if (channel.link != records::ChannelLink::dtu || !dtu_server_) return;
  auto found = dtu_links_.find(channel.dtu.identity);
  if (found == dtu_links_.end()) return;
  if (auto link = found->second.lock()) dtu_server_->remove(*link);
  dtu_links_.erase(found);
}

}  // namespace halld::acq
