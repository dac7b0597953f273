#include "outputs/detail/spool.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "util/error.hpp"

namespace bts::outputs::detail {

namespace fs = std::filesystem;

namespace {

std::system_error os_error(const std::string& what) {
  return std::system_error(errno, std::generic_category(), what);
}

bool segment_name(const std::string& name, std::uint64_t& number) {
  if (name.size() != 20 + 7 || name.substr(20) != ".ndjson") return false;
  number = 0;
  for (std::size_t i = 0; i < 20; ++i) {
    if (name[i] < '0' || name[i] > '9') return false;
    number = number * 10 + static_cast<std::uint64_t>(name[i] - '0');
  }
  return true;
}

// Complete records (two '\n'-terminated lines each) at the start of `bytes`, appended to
// `out` as end offsets relative to `base`. Returns the bytes they cover.
std::size_t split_records(std::string_view bytes, std::size_t max_records, std::size_t base,
                          std::vector<std::size_t>& ends) {
  std::size_t pos = 0;
  std::size_t n = 0;
  while (n < max_records) {
    const std::size_t first = bytes.find('\n', pos);
    if (first == std::string_view::npos) break;
    const std::size_t second = bytes.find('\n', first + 1);
    if (second == std::string_view::npos) break;
    pos = second + 1;
    ends.push_back(base + pos);
    ++n;
  }
  return pos;
}

}  // namespace

spool::spool(spool_options o) : o_(std::move(o)) {
  if (o_.dir.empty()) o_.dir = "bts-es-spool";
  std::error_code ec;
  fs::create_directories(o_.dir, ec);
  if (ec) throw input_error("spool", "cannot create " + o_.dir + ": " + ec.message());
  const std::string lock_path = o_.dir + "/lock";
  lock_fd_ = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lock_fd_ < 0) {
    throw input_error("spool", "cannot write in " + o_.dir + ": " + std::strerror(errno));
  }
  if (::flock(lock_fd_, LOCK_EX | LOCK_NB) != 0) {
    ::close(lock_fd_);
    lock_fd_ = -1;
    throw input_error("spool", o_.dir +
                                   " is in use by another process (one spool directory "
                                   "per output)");
  }
  std::vector<segment> found;
  for (const auto& entry : fs::directory_iterator(o_.dir, ec)) {
    std::uint64_t number = 0;
    if (!entry.is_regular_file() || !segment_name(entry.path().filename().string(), number)) {
      continue;
    }
    found.push_back({number, static_cast<std::uint64_t>(entry.file_size())});
  }
  std::sort(found.begin(), found.end(),
            [](const segment& a, const segment& b) { return a.number < b.number; });
  for (const segment& s : found) {
    segments_.push_back(s);
    disk_bytes_ += s.size;
    recovered_bytes_ += s.size;
  }
  const std::uint64_t next = found.empty() ? 0 : found.back().number + 1;
  open_write_segment(next);
  read_ = {segments_.front().number, 0};
  acked_ = read_;
}

spool::~spool() {
  try {
    flush();
  } catch (const std::exception&) {
  }
  if (write_fd_ >= 0) ::close(write_fd_);
  if (lock_fd_ >= 0) ::close(lock_fd_);
}

std::string spool::path(std::uint64_t number) const {
  char name[32];
  std::snprintf(name, sizeof name, "%020llu.ndjson", static_cast<unsigned long long>(number));
  return o_.dir + "/" + name;
}

void spool::open_write_segment(std::uint64_t number) {
  const std::string p = path(number);
  write_fd_ = ::open(p.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (write_fd_ < 0) {
    throw input_error("spool", "cannot create " + p + ": " + std::strerror(errno));
  }
  segments_.push_back({number, 0});
}

spool::segment* spool::find(std::uint64_t number) {
  for (segment& s : segments_) {
    if (s.number == number) return &s;
  }
  return nullptr;
}

void spool::rotate() {
  flush();
  if (dirty_) ::fdatasync(write_fd_);
  dirty_ = false;
  ::close(write_fd_);
  write_fd_ = -1;
  open_write_segment(segments_.back().number + 1);
}

bool spool::append(std::string_view record) {
  if (disk_bytes_ + buffer_.size() + record.size() > o_.max_bytes) return false;
  if (segments_.back().size + buffer_.size() >= o_.segment_bytes) rotate();
  buffer_.append(record);
  return true;
}

void spool::flush() {
  if (buffer_.empty()) return;
  std::size_t done = 0;
  while (done < buffer_.size()) {
    const ssize_t n = ::write(write_fd_, buffer_.data() + done, buffer_.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      // Keep what is on disk consistent: drop the partly written tail from the accounting; a
      // reader skips a torn record.
      throw os_error("spool write to " + path(segments_.back().number));
    }
    done += static_cast<std::size_t>(n);
  }
  segments_.back().size += buffer_.size();
  disk_bytes_ += buffer_.size();
  buffer_.clear();
  dirty_ = true;
  const auto now = std::chrono::steady_clock::now();
  if (o_.fsync_interval.count() == 0 || now - last_sync_ >= o_.fsync_interval) {
    ::fdatasync(write_fd_);
    last_sync_ = now;
    dirty_ = false;
  }
}

std::uint64_t spool::unread_bytes() const {
  std::uint64_t n = buffer_.size();
  for (const segment& s : segments_) {
    if (s.number < read_.segment) continue;
    n += s.number == read_.segment ? s.size - std::min(s.size, read_.offset) : s.size;
  }
  return n;
}

std::size_t spool::read(std::size_t max_records, std::size_t max_bytes, spool_chunk& out) {
  flush();
  if (out.offsets.empty()) out.offsets.push_back(out.bytes.size());
  std::size_t got = 0;
  while (got < max_records) {
    segment* s = find(read_.segment);
    if (!s) break;
    const bool writing = s == &segments_.back();
    if (read_.offset >= s->size) {
      if (writing) break;
      read_ = {read_.segment + 1, 0};
      continue;
    }
    const int fd = ::open(path(s->number).c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw os_error("spool read of " + path(s->number));
    std::size_t window = std::max<std::size_t>(max_bytes, 4096);
    std::size_t taken = 0;
    std::vector<std::size_t> ends;
    while (true) {
      const std::size_t want =
          static_cast<std::size_t>(std::min<std::uint64_t>(window, s->size - read_.offset));
      std::string buf(want, '\0');
      std::size_t have = 0;
      while (have < want) {
        const ssize_t n =
            ::pread(fd, buf.data() + have, want - have, static_cast<off_t>(read_.offset + have));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        have += static_cast<std::size_t>(n);
      }
      buf.resize(have);
      ends.clear();
      taken = split_records(buf, max_records - got, out.bytes.size(), ends);
      if (!ends.empty() || have < want || read_.offset + have >= s->size) {
        out.bytes.append(buf, 0, taken);
        break;
      }
      window *= 2;  // one record larger than the window
    }
    ::close(fd);
    std::uint64_t at = read_.offset;
    std::size_t start = out.offsets.back();
    for (std::size_t end : ends) {
      out.positions.push_back({s->number, at});
      out.offsets.push_back(end);
      at += end - start;
      start = end;
    }
    got += ends.size();
    read_.offset += taken;
    if (ends.empty()) {
      // A torn record at the end of a closed segment: skip it.
      if (!writing)
        read_ = {read_.segment + 1, 0};
      else
        break;
    }
    if (out.bytes.size() - out.offsets.front() >= max_bytes) break;
  }
  return got;
}

void spool::rewind(spool_position p) { read_ = p; }

void spool::acknowledge(spool_position p) {
  // A position at the end of a closed segment is the start of the next one.
  while (true) {
    segment* s = find(p.segment);
    if (!s || s == &segments_.back() || p.offset < s->size) break;
    p = {p.segment + 1, 0};
  }
  acked_ = p;
  while (segments_.size() > 1 && segments_.front().number < p.segment) {
    const segment gone = segments_.front();
    ::unlink(path(gone.number).c_str());
    disk_bytes_ -= gone.size;
    segments_.pop_front();
  }
  // The write segment wholly acknowledged and large: start a fresh one so disk use stays small.
  segment& w = segments_.back();
  if (segments_.size() == 1 && p.segment == w.number && p.offset >= w.size && buffer_.empty() &&
      w.size >= o_.segment_bytes) {
    rotate();
    acknowledge({segments_.back().number, 0});
    if (read_ < spool_position{segments_.back().number, 0}) read_ = {segments_.back().number, 0};
  }
}

}  // namespace bts::outputs::detail
