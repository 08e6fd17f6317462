// acq/spool: the local, append-only file that holds events while PostgreSQL is away, so that
// devices can still be acknowledged (an event is acknowledged once it is fsync'd here) and
// nothing is lost when halld is killed. Owns: the file, its record format and the replay
// cursor. Knows nothing of the database: ingest replays what it reads here, in order.
//
// It lives in acq rather than store because a record is a protocol frame (proto/frame): the
// event travels in its protocol's own encoding, wrapped with the ingest fields, and the frame's
// CRC and end byte reveal a record torn by a crash.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <vector>

#include "halld/store/ingest_record.hpp"

namespace halld::acq {

// One record ↔ bytes (pure). decode_spool_record looks at the front of `bytes` only.
std::vector<std::uint8_t> encode_spool_record(const store::IngestRecord& record);
struct SpoolRecordRead {
  enum class Status { record, need_more, corrupt } status = Status::need_more;
  store::IngestRecord record;
  std::size_t size = 0;  // bytes the record occupied (for Status::record)
};
SpoolRecordRead decode_spool_record(std::span<const std::uint8_t> bytes);

class Spool {
 public:
  // Opens or creates the file. A tail that is not a whole record (a write torn by a crash,
  // which was therefore never acknowledged) is cut off; everything before it is kept. So is
  // everything from a damaged record on (see damaged()).
  explicit Spool(std::filesystem::path file);
  ~Spool();
  Spool(const Spool&) = delete;
  Spool& operator=(const Spool&) = delete;

  // Appends and fdatasyncs before returning; throws std::system_error when the disk fails.
  void append(std::span<const store::IngestRecord> records);
  // Up to `max_records` from the replay cursor, which does not move until consumed().
  std::vector<store::IngestRecord> peek(std::size_t max_records);
  void consumed(std::size_t records);
  // Every record has been replayed: the file is emptied.
  bool drained() const { return records_ == replayed_; }
  void clear_if_drained();

  std::size_t records() const { return records_ - replayed_; }  // not yet replayed
  std::uint64_t bytes() const { return size_; }
  std::uint64_t cut_bytes() const { return cut_bytes_; }  // dropped when opening
  // The cut began at a record that is whole but damaged (the disk, not a crash), so it may
  // have held acknowledged events; otherwise it was a torn tail, never acknowledged.
  bool damaged() const { return damaged_; }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
  int fd_ = -1;
  std::uint64_t size_ = 0;
  std::uint64_t cut_bytes_ = 0;
  bool damaged_ = false;
  std::size_t records_ = 0;                 // in the file
  std::size_t replayed_ = 0;                // from the front, consumed
  std::uint64_t cursor_ = 0;                // file offset of the first record not consumed
  std::vector<std::uint64_t> peeked_ends_;  // file offsets after each peeked record
};

}  // namespace halld::acq
