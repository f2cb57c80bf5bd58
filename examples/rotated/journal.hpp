// The rotation journal: the intent of each rotation, written and synced
// before its first rename, so that a restart after a crash at any point
// completes the rotation instead of re-running it.
//
// Each step names the file it moves or drops by more than an inode number,
// which ext4 reuses: device, inode and birth time, and a size and mtime
// that can only have grown since (the writer appends until it reopens).
// A record is replayed only when every one of its files is still where the
// record says it was, or where its step put it (engine::recover); a single
// file found neither way marks the whole record stale, and nothing of it is
// replayed. A step's move never replaces an entry (RENAME_NOREPLACE). So
// replay is idempotent, never moves a version twice (which would lose the
// one in front of it), and a record left pending by a failed rotation or a
// full state directory changes nothing once the files have moved on.
//
// All rotations share one append-only log, STATE_DIR/journal.log, so that
// rotations running at the same time share its fdatasync (group commit:
// 1,000 files due at once cost a few dozen syncs, not 1,000). A record:
//   rotated journal v2
//   id <n>
//   at <UTC ns>
//   keep <K>
//   compress <0|1|2>                   none, gzip, zstd
//   copytruncate <0|1>
//   dateext <pattern>                  only with dateext (config.hpp)
//   fresh <mode octal> <uid> <gid>      or  fresh none
//   drop <suffix> <identity>            unlink name+suffix
//   move <suffix> <suffix> <identity>   rename name+suffix to name+suffix
// where <identity> is "<dev> <ino> <btime ns> <size> <mtime ns>".
//   olddir <absolute path>              only where the versions live there
//   path <absolute path of the watched file>
//   end
// and, once the state records the rotation, a line "done <n>". A suffix is
// "-" for the file itself (in its directory), else ".1", ".2.gz",
// "-20261206" (dateext), ... (in olddir when there is one).
// A record without its "end" line was torn by a crash before it was synced, so its rotation
// never started: it is ignored. When no rotation is in flight the log is
// truncated to nothing.
#pragma once

#include <sys/types.h>

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "civil_time.hpp"
#include "config.hpp"
#include "fs.hpp"

namespace rotated {

struct journal_step {
  enum kind_t { drop, move } kind;
  std::string from;  // suffix ("" for the file itself)
  std::string to;    // move only
  std::uint64_t dev = 0;
  std::uint64_t ino = 0;
  // The rest of the file's identity (fs.hpp, file_identity) when journaled.
  std::int64_t btime_ns = 0;
  std::uint64_t size = 0;
  std::int64_t mtime_ns = 0;
};

struct journal {
  std::uint64_t id = 0;
  std::string path;
  std::string olddir;  // empty: the versions are beside the file
  wall_time at;
  unsigned keep = 1;
  bool compress = false;
  compression_method method = compression_method::gzip;  // with compress
  bool copytruncate = false;
  // The versions' names (file_policy::dateext): recovery compresses the
  // older dated versions as the interrupted rotation would have.
  std::string dateext;
  bool fresh = false;
  mode_t fresh_mode = 0600;
  uid_t fresh_uid = 0;
  gid_t fresh_gid = 0;
  std::vector<journal_step> steps;

  std::string serialize() const;
  // One record (the text of serialize()); nullopt if torn or damaged.
  static std::optional<journal> parse(std::string_view text);
};

struct journal_contents {
  std::vector<journal> pending;  // records without their "done", in log order
  std::uint64_t max_id = 0;      // the highest id seen, done or not
  std::size_t torn = 0;          // records ignored as torn or damaged
};

// Splits a whole log into its records and "done" lines.
journal_contents parse_journal_log(std::string_view text);

// The log file, shared by the threads that rotate. Thread-safe.
class journal_log {
 public:
  explicit journal_log(std::string path) : path_(std::move(path)) {}

  // Appends the record (giving it an id) and returns once it is durable:
  // concurrent callers share one fdatasync when it began after their
  // record was written.
  std::uint64_t begin(journal& j);
  // Marks a record done (not synced: replaying a finished rotation finds
  // nothing left to do). Truncates the log when nothing is in flight.
  void finish(std::uint64_t id);
  // Reads what a previous run left: the records still pending, which count
  // as in flight until finished. Call before begin().
  journal_contents recover();

  const std::string& path() const noexcept { return path_; }

 private:
  void open_locked();

  std::string path_;
  std::mutex mutex_;
  std::condition_variable synced_;
  unique_fd fd_;
  std::uint64_t next_id_ = 1;
  std::size_t in_flight_ = 0;
  bool may_truncate_ = true;  // false while the log holds records nobody recovered yet
  // Group commit: requests written, requests known durable.
  std::uint64_t written_ = 0;
  std::uint64_t durable_ = 0;
  bool syncing_ = false;
  struct failure {
    std::uint64_t first, last;  // the requests a failed fdatasync covered
    int error;
  };
  std::vector<failure> failures_;
  bool recovered_ = false;
};

}  // namespace rotated
