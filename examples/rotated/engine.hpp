// The rotation engine: the file-system work of one rotation, blocking and
// synchronous (the daemon runs it on weft's executor, off the loop).
//
// Safety rules, all enforced here:
//  - Everything goes through a descriptor of the watched file's directory,
//    opened without following a symlink in any component of its path, and
//    *at() calls with AT_SYMLINK_NOFOLLOW / O_NOFOLLOW; the rotation's
//    descriptor is reused by the compression and spare that follow it.
//    Nothing is ever written outside that directory and the file's olddir
//    (opened the same way, on the same filesystem; the journal aside, in
//    the state dir).
//  - Only a regular file with a single link is rotated; a symlink, hard
//    link, FIFO, socket, device or directory at the path is skipped with
//    the reason, never followed and never opened for blocking I/O.
//  - As root, a directory writable by others is refused unless the file's
//    entry says allow_world_writable, one writable by a non-root group is
//    refused, and one owned by another user is worked in with that user's
//    fsuid/fsgid (or refused: unsafe_directory = "refuse").
//  - Versions still open by a writer are not compressed, and dropping one
//    is warned of; copytruncate reports the bytes it lost.
//  - The cascade keeps exactly `keep` versions (name.1 .. name.K, .gz for
//    2..K when compressing), drops beyond them only versions it made
//    itself (rotate()'s kept_before), and is journaled (journal.hpp) before its
//    first rename; recover() completes an interrupted one. Nothing is
//    unlinked before the file's own step (its rename to .1, or the copy)
//    has succeeded: versions that leave wait under a hold name, and a
//    failure up to that step renames everything back and marks the
//    journal record done.
//  - The fresh file is created under a temp name with its final mode and
//    owner, then renamed into place without replacing a file the writer
//    recreated meanwhile (RENAME_NOREPLACE). The temp is the spare that
//    prepare() made when it is still a pristine file of ours (empty, one
//    link, mode 0600, our uid); anything else there is removed, never used.
//  - Compression writes NAME.i.gz through a temp file, fsyncs it, renames
//    it, fsyncs the directory and only then unlinks NAME.i; any failure
//    (a full disk) removes the temp file and leaves NAME.i as it was.
//
// Durability: rotate() returns once the journal record is synced and the
// renames are done, not synced; sync_directories() syncs them in bulk, and
// the daemon calls it before saving the state that records the rotations.
//
// Thread safety: calls for different files may run concurrently; calls
// for one file must not overlap (the daemon serialises them).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "civil_time.hpp"
#include "config.hpp"
#include "fs.hpp"
#include "journal.hpp"

namespace rotated {

enum class outcome { rotated, skipped, failed };

// The descriptor of a watched file's directory (opened without following
// any symlink), shared by a rotation and the compression and spare that
// follow it, so that all three work in the directory the rotation did.
using directory_handle = std::shared_ptr<const unique_fd>;
const char* to_string(outcome o) noexcept;

struct rotation_report {
  outcome status = outcome::failed;
  std::string reason;                 // why skipped or failed
  std::vector<std::string> actions;   // what was done, for the log
  std::vector<std::string> warnings;  // what was lost or left, for the log
  std::string journal;                // its journal record: engine::finish it once the state is saved
  directory_handle directory;         // the file's directory it worked in: pass to prepare()
  directory_handle versions;          // its versions' (olddir, or the same): pass to compress()
};

struct compress_report {
  std::vector<std::string> done;      // "app.log.2 -> app.log.2.gz (10240 -> 1234 bytes)"
  std::vector<std::string> errors;    // each left its version uncompressed
  std::vector<std::string> deferred;  // still open by a writer: left for a later pass
};

struct recovered_rotation {
  std::string path;
  wall_time at;
  std::vector<std::string> actions;
  std::string journal;
};

// Raised by the crash-injection hook (tests only): the engine stops dead,
// leaving the file system as a crash at that point would.
struct simulated_crash : std::runtime_error {
  simulated_crash() : std::runtime_error("simulated crash") {}
};

struct engine_options {
  std::string state_dir;  // the journal is STATE_DIR/journal.log
  bool as_root = false;   // enforce the root-only rules (directory o+w)
  // Test hooks: a pause after each step (lets an end-to-end test kill the
  // process mid-rotation), and a simulated crash after the N-th step.
  std::chrono::microseconds step_delay{0};
  int crash_after_steps = -1;
  // Test hook: the step that turns the file into .1 (its rename, or the
  // copy of copytruncate) fails with this errno, as `chattr +a` on the file
  // makes it fail; 0: no failure.
  int fail_final_step = 0;
  // Test hook: called after each step (before the crash it may simulate).
  std::function<void()> after_step;
};

class engine {
 public:
  explicit engine(engine_options options);
  ~engine();

  // Journal, cascade, fresh file (or copy and truncate). `at` is recorded in
  // the journal and becomes the state's last rotation. `kept_before`: how
  // many versions the previous rotation kept (state_table::kept; 0 when
  // unknown). Versions beyond f.keep are dropped only up to it: those are
  // rotated's own, left over from a larger keep; anything further (an
  // app.log.10 beside keep = 9) is not rotated's and is never touched.
  rotation_report rotate(const file_policy& f, wall_time at, unsigned kept_before = 0);
  // Readies the file's next rotation: creates its spare, the empty file
  // (.NAME.rotated-new, mode 0600) that the rotation will turn into the
  // fresh NAME, so that a rotation at a due instant allocates no inode (on
  // ext4 without a journal, creating a file right after many deletions
  // costs up to a millisecond of kernel time). Nothing to do without
  // `create`. The daemon calls it after each rotation; unprepare() removes
  // the spare when it stops watching the file.
  // `directory`: the one the file's rotation worked in (else it is opened).
  void prepare(const file_policy& f, directory_handle directory = {});
  void unprepare(const file_policy& f);
  // Compresses every plain version 2..keep (when f.compress), in
  // `versions` when given (the rotation's; else the versions' directory,
  // olddir or the file's, is opened).
  compress_report compress(const file_policy& f, directory_handle versions = {});
  // Whether rotate() at `at` would rotate the file (not skip it, nor fail
  // before its journal), touching nothing: a round of the file's group
  // opens only for a file that will rotate.
  outcome would_rotate(const file_policy& f, wall_time at, unsigned kept_before = 0);
  // What rotate() would do now, touching nothing (--dry-run).
  std::vector<std::string> describe(const file_policy& f, unsigned kept_before = 0);
  // Makes durable the directory changes of every rotate() that returned
  // before this call: one fsync per directory changed since the last call,
  // however many rotations changed it (1,000 files due at once in one
  // directory cost one fsync, not 1,000). Call before saving the state that
  // records those rotations; until then their journal records stay pending,
  // so a crash replays them. Throws if a directory cannot be synced (it
  // stays pending for the next call).
  void sync_directories();
  // Directories changed by a rotation and not yet synced (tests).
  std::size_t unsynced_directories() const;
  // Marks a rotation's journal record done (after the state recording it
  // is saved).
  void finish(const std::string& journal);
  // Completes every journaled rotation a crash left pending. The caller
  // records them in the state, then finish()es them. Call before rotate().
  std::vector<recovered_rotation> recover();

  const engine_options& options() const noexcept { return options_; }

 private:
  void checkpoint();
  void changed_directories(const file_policy& f);  // its directory and olddir

  engine_options options_;
  std::unique_ptr<journal_log> log_;
  std::atomic<int> steps_done_{0};  // for crash_after_steps (tests, one file at a time)
  mutable std::mutex unsynced_mutex_;
  std::set<std::string> unsynced_;  // directories renamed in since the last sync_directories()
};

}  // namespace rotated
