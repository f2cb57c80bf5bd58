#include "journal.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <sstream>
#include <system_error>

namespace rotated {

namespace {

std::string suffix_out(const std::string& s) { return s.empty() ? "-" : s; }
std::string suffix_in(const std::string& s) { return s == "-" ? "" : s; }

// ".1", ".2.gz", a dateext suffix ("-20261206"), a hold name: never a
// path elsewhere, never a word break.
bool valid_suffix(const std::string& s) {
  for (char c : s)
    if (c == '/' || c == ' ' || c == '\n') return false;
  return true;
}

}  // namespace

std::string journal::serialize() const {
  std::ostringstream out;
  out << "rotated journal v2\n";
  out << "id " << id << "\n";
  out << "at " << std::chrono::duration_cast<std::chrono::nanoseconds>(at.time_since_epoch()).count() << "\n";
  out << "keep " << keep << "\n";
  out << "compress " << (!compress ? 0 : method == compression_method::zstd ? 2 : 1) << "\n";
  out << "copytruncate " << (copytruncate ? 1 : 0) << "\n";
  if (!dateext.empty()) out << "dateext " << dateext << "\n";
  if (fresh) {
    char mode[16];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(fresh_mode));
    out << "fresh " << mode << " " << fresh_uid << " " << fresh_gid << "\n";
  } else {
    out << "fresh none\n";
  }
  for (const journal_step& s : steps) {
    if (s.kind == journal_step::drop) out << "drop " << suffix_out(s.from);
    else out << "move " << suffix_out(s.from) << " " << suffix_out(s.to);
    out << " " << s.dev << " " << s.ino << " " << s.btime_ns << " " << s.size << " " << s.mtime_ns << "\n";
  }
  if (!olddir.empty()) out << "olddir " << olddir << "\n";
  out << "path " << path << "\n";
  out << "end\n";
  return out.str();
}

std::optional<journal> journal::parse(std::string_view text) try {
  std::istringstream in{std::string(text)};
  std::string line;
  if (!std::getline(in, line) || line != "rotated journal v2") return std::nullopt;
  journal j;
  bool ended = false, has_path = false, has_at = false;
  while (std::getline(in, line)) {
    if (in.eof()) return std::nullopt;  // the last line lacks its newline: torn
    if (line == "end") {
      ended = true;
      break;
    }
    std::istringstream ls(line);
    std::string word;
    ls >> word;
    if (word == "path") {
      j.path = line.substr(5);
      has_path = !j.path.empty() && j.path[0] == '/';
    } else if (word == "olddir") {
      j.olddir = line.substr(7);
      if (j.olddir.empty() || j.olddir[0] != '/') return std::nullopt;
    } else if (word == "id") {
      if (!(ls >> j.id)) return std::nullopt;
    } else if (word == "at") {
      long long ns = 0;
      if (!(ls >> ns)) return std::nullopt;
      j.at = wall_time(std::chrono::duration_cast<wall_clock::duration>(std::chrono::nanoseconds(ns)));
      has_at = true;
    } else if (word == "keep") {
      if (!(ls >> j.keep)) return std::nullopt;
    } else if (word == "compress") {
      int v = 0;
      if (!(ls >> v) || v < 0 || v > 2) return std::nullopt;
      j.compress = v != 0;
      j.method = v == 2 ? compression_method::zstd : compression_method::gzip;
    } else if (word == "copytruncate") {
      int v = 0;
      if (!(ls >> v)) return std::nullopt;
      j.copytruncate = v != 0;
    } else if (word == "dateext") {
      if (!(ls >> j.dateext) || !valid_dateext(j.dateext)) return std::nullopt;
    } else if (word == "fresh") {
      std::string mode;
      if (!(ls >> mode)) return std::nullopt;
      if (mode != "none") {
        j.fresh = true;
        j.fresh_mode = static_cast<mode_t>(std::stoul(mode, nullptr, 8) & 07777);
        if (!(ls >> j.fresh_uid >> j.fresh_gid)) return std::nullopt;
      }
    } else if (word == "drop" || word == "move") {
      journal_step s;
      s.kind = word == "drop" ? journal_step::drop : journal_step::move;
      std::string from, to;
      if (!(ls >> from)) return std::nullopt;
      if (s.kind == journal_step::move && !(ls >> to)) return std::nullopt;
      if (!(ls >> s.dev >> s.ino >> s.btime_ns >> s.size >> s.mtime_ns)) return std::nullopt;
      s.from = suffix_in(from);
      s.to = suffix_in(to);
      if (!valid_suffix(s.from) || !valid_suffix(s.to)) return std::nullopt;
      j.steps.push_back(std::move(s));
    } else {
      return std::nullopt;
    }
  }
  if (!ended || !has_path || !has_at) return std::nullopt;
  return j;
} catch (const std::exception&) {  // a damaged number (std::stoul)
  return std::nullopt;
}

journal_contents parse_journal_log(std::string_view text) {
  journal_contents out;
  std::vector<journal> records;
  std::vector<std::uint64_t> done;
  std::size_t at = 0;
  auto next_line = [&](std::string_view& line) {
    if (at >= text.size()) return false;
    std::size_t nl = text.find('\n', at);
    if (nl == std::string_view::npos) {  // no newline: torn
      line = text.substr(at);
      at = text.size();
      return true;
    }
    line = text.substr(at, nl - at + 1);
    at = nl + 1;
    return true;
  };
  std::string_view line;
  while (next_line(line)) {
    if (line == "rotated journal v2\n") {
      std::string record(line);
      bool ended = false;
      std::size_t before = at;
      while (next_line(line)) {
        if (line == "rotated journal v2\n" || line.substr(0, 5) == "done ") {
          at = before;  // a record cut short: the next one starts here
          break;
        }
        record += line;
        before = at;
        if (line == "end\n") {
          ended = true;
          break;
        }
      }
      std::optional<journal> j = ended ? journal::parse(record) : std::nullopt;
      if (j) {
        out.max_id = std::max(out.max_id, j->id);
        records.push_back(std::move(*j));
      } else {
        ++out.torn;
      }
    } else if (line.size() > 6 && line.substr(0, 5) == "done " && line.back() == '\n') {
      std::uint64_t id = 0;
      for (char c : line.substr(5, line.size() - 6)) id = id * 10 + static_cast<std::uint64_t>(c - '0');
      done.push_back(id);
      out.max_id = std::max(out.max_id, id);
    } else {
      ++out.torn;  // garbage where a crash cut the log short
    }
  }
  for (journal& j : records)
    if (std::find(done.begin(), done.end(), j.id) == done.end()) out.pending.push_back(std::move(j));
  return out;
}

void journal_log::open_locked() {
  if (fd_) return;
  int fd = ::open(path_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) throw_errno(errno, "open " + path_);
  fd_ = unique_fd(fd);
  struct stat st {};
  if (::fstat(fd, &st) != 0) throw_errno(errno, "fstat " + path_);
  // Records a previous run left must survive until recover() has seen
  // them, and new records must not reuse their ids.
  if (st.st_size > 0 && !recovered_) {
    may_truncate_ = false;
    std::string dir = path_.substr(0, path_.rfind('/'));
    unique_fd dfd = open_directory(dir.empty() ? "/" : dir);
    if (auto text = read_file_at(dfd.get(), path_.substr(path_.rfind('/') + 1)))
      next_id_ = std::max(next_id_, parse_journal_log(*text).max_id + 1);
  }
  std::string dir = path_.substr(0, path_.rfind('/'));
  unique_fd dfd = open_directory(dir.empty() ? "/" : dir);
  fsync_directory(dfd.get(), dir);  // the log's own entry, once per run
}

std::uint64_t journal_log::begin(journal& j) {
  std::unique_lock lock(mutex_);
  open_locked();
  j.id = next_id_++;
  std::string record = j.serialize();
  write_all(fd_.get(), record.data(), record.size(), path_);  // one append, under the lock
  ++in_flight_;
  std::uint64_t mine = ++written_;
  while (durable_ < mine) {
    if (syncing_) {
      synced_.wait(lock);
      continue;
    }
    syncing_ = true;
    std::uint64_t first = durable_ + 1, target = written_;
    int fd = fd_.get();
    lock.unlock();
    int err = ::fdatasync(fd) == 0 ? 0 : errno;
    lock.lock();
    syncing_ = false;
    durable_ = target;
    if (err != 0) failures_.push_back({first, target, err});
    synced_.notify_all();
  }
  for (const auto& f : failures_) {
    if (f.first <= mine && mine <= f.last) {
      // Not durable: this rotation does not start. Mark it done so that a
      // restart does not perform it either.
      std::string line = "done " + std::to_string(j.id) + "\n";
      ssize_t ignored = ::write(fd_.get(), line.data(), line.size());
      (void)ignored;
      --in_flight_;
      throw_errno(f.error, "fdatasync " + path_);
    }
  }
  return j.id;
}

void journal_log::finish(std::uint64_t id) {
  std::lock_guard lock(mutex_);
  open_locked();
  if (in_flight_ > 0) --in_flight_;
  // Nothing else in flight: truncating says "all done" without a write,
  // which a full file system would refuse.
  if (in_flight_ == 0 && may_truncate_) {
    if (::ftruncate(fd_.get(), 0) != 0) throw_errno(errno, "truncate " + path_);
    return;
  }
  std::string line = "done " + std::to_string(id) + "\n";
  write_all(fd_.get(), line.data(), line.size(), path_);
}

journal_contents journal_log::recover() {
  std::lock_guard lock(mutex_);
  std::string dir = path_.substr(0, path_.rfind('/'));
  std::string name = path_.substr(path_.rfind('/') + 1);
  journal_contents contents;
  try {
    unique_fd dfd = open_directory(dir.empty() ? "/" : dir);
    if (auto text = read_file_at(dfd.get(), name)) contents = parse_journal_log(*text);
  } catch (const std::system_error& e) {
    if (e.code().value() != ENOENT) throw;
  }
  recovered_ = true;
  may_truncate_ = true;
  next_id_ = std::max(next_id_, contents.max_id + 1);
  in_flight_ = contents.pending.size();
  if (in_flight_ == 0 && (contents.torn > 0 || contents.max_id > 0)) {
    open_locked();
    if (::ftruncate(fd_.get(), 0) != 0) throw_errno(errno, "truncate " + path_);
  }
  return contents;
}

}  // namespace rotated
