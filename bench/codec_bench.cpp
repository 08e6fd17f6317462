// codec_bench: what reading a hall's frames costs through a described protocol
// (proto/described) against halld's compiled codec, on the same frames, in the same run.
//
//   codec_bench [--days 5] [--rounds 7]
//       One simulated queue hall (tools/hall_sim's queue model, many windows, a busy day)
//       for that many days: its events as halld's queue-evaluation frames, in one byte stream
//       after a login. Each round reads the whole stream through halld's session (proto::Session:
//       framing, CRC, decoding, the delivery of each event) once with the compiled codec and
//       once with config/protocols/halld_queue_eval.yaml, alternating which goes first; the
//       median of the rounds' ns per frame of each and their ratio are reported. The same
//       events as the vendor-style protocols' frames (config/protocols) are read
//       too, for scale.
//
// One JSON line on stdout.
#include <fmt/format.h>

#include <chrono>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "halld/proto/described/interpreter.hpp"
#include "halld/proto/frame/session.hpp"
#include "halld/proto/queue_eval/queue_eval.hpp"
#include "options.hpp"
#include "queue_model.hpp"

namespace {

using namespace halld;
using Bytes = std::vector<std::uint8_t>;

std::shared_ptr<const proto::described::Description> description(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return std::make_shared<const proto::described::Description>(
      proto::described::load_description(text.str()));
}

std::vector<records::Event> events_of(int days) {
  tools::QueueModelOptions q;
  q.seed = 7;
  q.windows = 12;
  q.arrivals_per_hour = 120;
  q.start = records::Timestamp(std::chrono::sys_days(std::chrono::year(2026) / 11 / 2)) -
            std::chrono::hours(8);
  tools::QueueModel queue(q);
  const auto until = q.start + std::chrono::days(days);
  std::vector<records::Event> events;
  for (auto e = queue.next(); e.at < until; e = queue.next()) events.push_back(e);
  return events;
}

// The login, then every event the protocol carries, numbered from 1.
Bytes stream_of(const proto::described::Interpreter& writer,
                const std::vector<records::Event>& events, std::size_t& frames) {
  Bytes out;
  if (writer.description().login_required)
    out = writer.login(1, proto::Login{"4101001", "QS-01", 1, 0});
  frames = 0;
  std::uint32_t sequence = 0;
  for (const auto& e : events) {
    try {
      const auto frame = writer.event(1, ++sequence, e);
      out.insert(out.end(), frame.begin(), frame.end());
      ++frames;
    } catch (const std::invalid_argument&) {
      --sequence;  // an event this protocol does not carry
    }
  }
  return out;
}

// ns per frame of one pass of the session over the stream; `delivered` must come out whole.
double pass(const std::shared_ptr<const proto::SessionCodec>& codec, const Bytes& stream,
            std::size_t frames) {
  proto::Session session(codec, "4101001");
  const auto now = records::Timestamp(std::chrono::seconds(1795425300));
  std::size_t delivered = 0;
  const auto start = std::chrono::steady_clock::now();
  // As a link delivers it: reads of up to 64 KiB.
  for (std::size_t at = 0; at < stream.size(); at += 65536) {
    const auto n = std::min<std::size_t>(65536, stream.size() - at);
    for (const auto& action : session.on_bytes(std::span(stream).subspan(at, n), now))
      delivered += std::holds_alternative<proto::Session::Deliver>(action);
  }
  const auto elapsed =
      std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - start).count();
  if (delivered != frames)
    throw std::runtime_error(fmt::format("{} of {} frames delivered", delivered, frames));
  return elapsed / static_cast<double>(frames);
}

}  // namespace

int main(int argc, char** argv) {
  const int days = std::stoi(bench::option(argc, argv, "--days", "5"));
  const int rounds = std::stoi(bench::option(argc, argv, "--rounds", "7"));
  const std::string root = HALLD_SOURCE_DIR;
  const auto events = events_of(days);

  const auto ours = description(root + "/config/protocols/halld_queue_eval.yaml");
  const proto::described::Interpreter writer(ours);
  std::size_t frames = 0;
  const auto stream = stream_of(writer, events, frames);
  const auto compiled = proto::frame_codec(proto::decode_uplink<proto::queue_eval::Protocol>);
  const auto interpreted = proto::described::session_codec(ours);

  std::vector<double> compiled_ns, interpreted_ns, ratios;
  for (int round = 0; round < rounds; ++round) {
    double c = 0, i = 0;
    if (round % 2 == 0) {
      c = pass(compiled, stream, frames);
      i = pass(interpreted, stream, frames);
    } else {
      i = pass(interpreted, stream, frames);
      c = pass(compiled, stream, frames);
    }
    compiled_ns.push_back(c);
    interpreted_ns.push_back(i);
    ratios.push_back(i / c);
  }

  nlohmann::json out = {{"bench", "codec"},
                        {"frames", frames},
                        {"stream_bytes", stream.size()},
                        {"rounds", rounds},
                        {"compiled_ns_per_frame", bench::percentile(compiled_ns, 0.5)},
                        {"interpreted_ns_per_frame", bench::percentile(interpreted_ns, 0.5)},
                        {"ratio_interpreted_to_compiled", bench::percentile(ratios, 0.5)},
                        {"interpreted_frames_per_s", 1e9 / bench::percentile(interpreted_ns, 0.5)}};
  for (const auto* vendor : {"vendor_binary_queue", "vendor_text_queue"}) {
    const auto d = description(root + "/config/protocols/" + vendor + ".yaml");
    std::size_t vendor_frames = 0;
    const auto vendor_stream = stream_of(proto::described::Interpreter(d), events, vendor_frames);
    std::vector<double> ns;
    for (int round = 0; round < rounds; ++round)
      ns.push_back(pass(proto::described::session_codec(d), vendor_stream, vendor_frames));
    out[std::string(vendor) + "_ns_per_frame"] = bench::percentile(ns, 0.5);
    out[std::string(vendor) + "_frames"] = vendor_frames;
  }
  std::cout << out.dump() << std::endl;
  return 0;
}
