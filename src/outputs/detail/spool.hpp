// The Elasticsearch output's disk spool: append-only segment files of `_bulk` records (action
// line + source line), read back in order, deleted once acknowledged.
//
//   DIR/lock                       flock()ed while a process uses the spool
//   DIR/<20-digit n>.ndjson        segment n; records appended whole; rotated at segment_bytes
//
// A record is acknowledged by moving the acknowledged position past it; segments wholly before
// that position are deleted. On open, every segment left by an earlier process is read again
// from its start (documents carry fixed _ids, so a replay overwrites rather than duplicates);
// a torn record at the end of a segment (a write cut short) is skipped.
//
// Size cap: append() refuses a record that would take the files over max_bytes (the newest
// documents are dropped, the spooled ones keep their order; the caller counts and warns).
//
// Not thread-safe: one owner (the output thread).
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

namespace bts::outputs::detail {

struct spool_position {
  std::uint64_t segment = 0;
  std::uint64_t offset = 0;
  friend auto operator<=>(const spool_position&, const spool_position&) = default;
};

struct spool_options {
  std::string dir;
  std::uint64_t max_bytes = 1ull << 30;
  std::uint64_t segment_bytes = 4ull << 20;
  std::chrono::milliseconds fsync_interval{1000};
};

// Records read for one request: `bytes` holds them back to back; record i is
// bytes[offsets[i], offsets[i+1]) and sits at positions[i] in the spool.
struct spool_chunk {
  std::string bytes;
  std::vector<std::size_t> offsets;  // size() == records + 1
  std::vector<spool_position> positions;
  std::size_t records() const { return positions.size(); }
};

class spool {
 public:
  // Creates `dir` if needed and locks it. Throws bts::input_error("spool", ...) when the
  // directory cannot be created or written, or another process holds it.
  explicit spool(spool_options o);
  ~spool();
  spool(const spool&) = delete;
  spool& operator=(const spool&) = delete;

  // Buffers one complete record; false (and nothing written) when the cap would be exceeded.
  bool append(std::string_view record);
  // Writes the buffered records with one write(2) (and fdatasync per the fsync policy).
  // Throws std::system_error when the disk refuses.
  void flush();

  // Appends up to `max_records` / about `max_bytes` (at least one record) from the read
  // position into `out` and advances the read position. Returns how many were read.
  std::size_t read(std::size_t max_records, std::size_t max_bytes, spool_chunk& out);
  // Moves the read position back (to re-send after a failed request).
  void rewind(spool_position p);
  spool_position read_position() const { return read_; }

  // Everything before `p` is acknowledged: deletes the segments that lie wholly before it.
  void acknowledge(spool_position p);

  bool has_unread() const { return unread_bytes() > 0; }
  std::uint64_t unread_bytes() const;
  std::uint64_t bytes_on_disk() const { return disk_bytes_ + buffer_.size(); }
  std::uint64_t max_bytes() const { return o_.max_bytes; }
  const std::string& dir() const { return o_.dir; }
  // Segments found on open (left by an earlier process), and their bytes.
  std::uint64_t recovered_bytes() const { return recovered_bytes_; }

 private:
  struct segment {
    std::uint64_t number = 0;
    std::uint64_t size = 0;  // bytes on disk
  };
  std::string path(std::uint64_t number) const;
  void open_write_segment(std::uint64_t number);
  void rotate();
  segment* find(std::uint64_t number);

  spool_options o_;
  int lock_fd_ = -1;
  int write_fd_ = -1;
  std::deque<segment> segments_;  // oldest first; the last one is being written
  std::string buffer_;            // appended, not yet written
  std::uint64_t disk_bytes_ = 0;
  std::uint64_t recovered_bytes_ = 0;
  spool_position read_;
  spool_position acked_;
  std::chrono::steady_clock::time_point last_sync_{};
  bool dirty_ = false;  // written since the last fdatasync
};

}  // namespace bts::outputs::detail
