#include "halld/acq/spool.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

#include "halld/proto/queue_eval/queue_eval.hpp"
#include "halld/proto/terminal/terminal.hpp"

namespace halld::acq {
namespace {

// The ingest fields ahead of the event's own payload inside the record's DATA: hall (u32),
// reception time (i64 µs), then, when the hall's top bit is set, the record's epoch (u32) and
// flags (u8: bit 0 an epoch is declared, bit 1 the clock is skewed). Hall ids never use the
// top bit, so records written before the epoch existed read as they always did.
constexpr std::size_t prefix_size = 4 + 8;
constexpr std::size_t extension_size = 4 + 1;
constexpr std::uint32_t extended = 0x8000'0000u;
constexpr std::uint8_t has_epoch = 1, skewed = 2;

[[noreturn]] void fail(const std::string& what, const std::filesystem::path& path) {
  throw std::system_error(errno, std::generic_category(), what + " " + path.string());
}

proto::Frame event_frame(const records::Event& event) {
  return std::visit(
      [&](const auto& body) {
        using T = std::decay_t<decltype(body)>;
        if constexpr (proto::queue_eval::Protocol::function_of<T>() != 0) {
          return proto::EventCodec<proto::queue_eval::Protocol>::encode(0, 0, event);
        } else {
          return proto::EventCodec<proto::terminal::Protocol>::encode(0, 0, event);
        }
      },
      event.body);
}

std::optional<records::Event> event_of(const proto::Frame& frame) {
  auto uplink = proto::EventCodec<proto::queue_eval::Protocol>::decode(frame);
  if (!uplink) uplink = proto::EventCodec<proto::terminal::Protocol>::decode(frame);
  if (!uplink) return std::nullopt;
  if (auto* event = std::get_if<records::Event>(&*uplink)) return std::move(*event);
  return std::nullopt;
}

}  // namespace

std::vector<std::uint8_t> encode_spool_record(const store::IngestRecord& record) {
  auto frame = event_frame(record.event);
  proto::PayloadWriter prefix;
  prefix.u32(static_cast<std::uint32_t>(record.hall_id) | extended);
  prefix.i64(
      std::chrono::duration_cast<std::chrono::microseconds>(record.received_at.time_since_epoch())
          .count());
  prefix.u32(record.epoch.value_or(0));
  prefix.u8(static_cast<std::uint8_t>((record.epoch ? has_epoch : 0) |
                                      (record.clock_skewed ? skewed : 0)));
  auto payload = prefix.take();
  payload.insert(payload.end(), frame.payload.begin(), frame.payload.end());
  frame.source = static_cast<std::uint32_t>(record.source_id);
  frame.sequence = record.sequence;
  frame.payload = std::move(payload);
  return proto::encode_frame(frame);
}

SpoolRecordRead decode_spool_record(std::span<const std::uint8_t> bytes) {
  SpoolRecordRead out;
  auto result = proto::decode_frame(bytes);
  if (std::holds_alternative<proto::NeedMore>(result)) return out;
  auto* decoded = std::get_if<proto::Decoded>(&result);
  if (!decoded || decoded->frame.payload.size() < prefix_size ||
      decoded->frame.source > INT32_MAX) {
    out.status = SpoolRecordRead::Status::corrupt;
    return out;
  }
  proto::Frame& frame = decoded->frame;
  proto::PayloadReader prefix(std::span(frame.payload).first(prefix_size));
  auto hall_id = prefix.u32();
  const auto received_us = prefix.i64();
  std::size_t taken = prefix_size;
  std::optional<std::uint32_t> epoch;
  bool clock_skewed = false;
  if (hall_id & extended) {
    hall_id &= ~extended;
    if (frame.payload.size() < prefix_size + extension_size) {
      out.status = SpoolRecordRead::Status::corrupt;
      return out;
    }
    proto::PayloadReader extension(std::span(frame.payload).subspan(prefix_size, extension_size));
    const auto declared = extension.u32();
    const auto flags = extension.u8();
    // One way to write each record: no unknown flags, no epoch value without its flag.
    if ((flags & ~(has_epoch | skewed)) != 0 || (!(flags & has_epoch) && declared != 0)) {
      out.status = SpoolRecordRead::Status::corrupt;
      return out;
    }
    if (flags & has_epoch) epoch = declared;
    clock_skewed = (flags & skewed) != 0;
    taken += extension_size;
  }
  frame.payload.erase(frame.payload.begin(),
                      frame.payload.begin() + static_cast<std::ptrdiff_t>(taken));
  auto event = event_of(frame);
  if (!event || hall_id > INT32_MAX) {
    out.status = SpoolRecordRead::Status::corrupt;
    return out;
  }
  out.status = SpoolRecordRead::Status::record;
  out.size = decoded->size;
  out.record = {static_cast<int>(frame.source),
                frame.sequence,
                static_cast<int>(hall_id),
                std::move(*event),
                std::chrono::system_clock::time_point(std::chrono::microseconds(received_us)),
                epoch,
                clock_skewed};
  return out;
}

Spool::Spool(std::filesystem::path file) : path_(std::move(file)) {
  if (path_.has_parent_path()) std::filesystem::create_directories(path_.parent_path());
  fd_ = ::open(path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd_ < 0) fail("cannot open the spool", path_);
  // Count the whole records; whatever follows the last one was never acknowledged.
  std::vector<std::uint8_t> buffer;
  std::vector<std::uint8_t> chunk(1 << 16);
  std::uint64_t good = 0;
  for (;;) {
    const auto n =
        ::pread(fd_, chunk.data(), chunk.size(), static_cast<off_t>(good + buffer.size()));
    if (n < 0) fail("cannot read the spool", path_);
    if (n == 0) break;
    buffer.insert(buffer.end(), chunk.begin(), chunk.begin() + n);
    std::size_t used = 0;
    auto status = SpoolRecordRead::Status::need_more;
    for (;;) {
      auto read = decode_spool_record(std::span(buffer).subspan(used));
      status = read.status;
      if (status != SpoolRecordRead::Status::record) break;
      used += read.size;
      ++records_;
    }
    good += used;
    buffer.erase(buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>(used));
    if (status == SpoolRecordRead::Status::corrupt) {
      damaged_ = true;
      break;
    }
  }
  const auto end = ::lseek(fd_, 0, SEEK_END);
  if (end < 0) fail("cannot size the spool", path_);
  cut_bytes_ = static_cast<std::uint64_t>(end) - good;
  if (cut_bytes_ > 0 && (::ftruncate(fd_, static_cast<off_t>(good)) != 0 || ::fsync(fd_) != 0)) {
    fail("cannot cut the torn tail of the spool", path_);
  }
  size_ = good;
}

Spool::~Spool() {
  if (fd_ >= 0) ::close(fd_);
}

void Spool::append(std::span<const store::IngestRecord> records) {
  std::vector<std::uint8_t> bytes;
  for (const auto& record : records) {
    auto encoded = encode_spool_record(record);
    bytes.insert(bytes.end(), encoded.begin(), encoded.end());
  }
  std::size_t written = 0;
  while (written < bytes.size()) {
    const auto n = ::pwrite(fd_, bytes.data() + written, bytes.size() - written,
                            static_cast<off_t>(size_ + written));
    if (n < 0) {
      if (errno == EINTR) continue;
      // Leave the file as it was: a partial record would be cut when opening, but not in this run.
      const int saved = errno;
      if (::ftruncate(fd_, static_cast<off_t>(size_)) != 0) {
      }
      errno = saved;
      fail("cannot write the spool", path_);
    }
    written += static_cast<std::size_t>(n);
  }
  if (::fdatasync(fd_) != 0) fail("cannot sync the spool", path_);
  size_ += bytes.size();
  records_ += records.size();
}

std::vector<store::IngestRecord> Spool::peek(std::size_t max_records) {
  std::vector<store::IngestRecord> out;
  peeked_ends_.clear();
  std::vector<std::uint8_t> buffer;
  std::uint64_t offset = cursor_;
  std::size_t used = 0;
  while (out.size() < max_records && offset + used < size_) {
    auto read = decode_spool_record(std::span(buffer).subspan(used));
    if (read.status == SpoolRecordRead::Status::record) {
      used += read.size;
      out.push_back(std::move(read.record));
      peeked_ends_.push_back(offset + used);
      continue;
    }
    if (read.status == SpoolRecordRead::Status::corrupt) {
      throw std::runtime_error("the spool " + path_.string() + " is damaged at byte " +
                               std::to_string(offset + used));
    }
    buffer.erase(buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>(used));
    offset += used;
    used = 0;
    const auto want = std::min<std::uint64_t>(1 << 16, size_ - offset - buffer.size());
    const auto old = buffer.size();
    buffer.resize(old + want);
    const auto n = ::pread(fd_, buffer.data() + old, want, static_cast<off_t>(offset + old));
    if (n <= 0) fail("cannot read the spool", path_);
    buffer.resize(old + static_cast<std::size_t>(n));
  }
  return out;
}

void Spool::consumed(std::size_t records) {
  if (records == 0) return;
  if (records > peeked_ends_.size()) throw std::logic_error("spool: consumed more than was peeked");
  cursor_ = peeked_ends_[records - 1];
  replayed_ += records;
  peeked_ends_.clear();
}

void Spool::clear_if_drained() {
  if (!drained() || size_ == 0) return;
  if (::ftruncate(fd_, 0) != 0 || ::fsync(fd_) != 0) fail("cannot empty the spool", path_);
  size_ = 0;
  cursor_ = 0;
  records_ = 0;
  replayed_ = 0;
}

}  // namespace halld::acq
