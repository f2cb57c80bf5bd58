// The daemon's runtime: one weft task per trigger of each watched file, all
// on the loop's thread, sleeping on the loop's timers.
//
//  interval,        due at schedule.hpp's instant after the file's last
//  calendar         rotation (calendar: hourly .. yearly); with min_size,
//                   not before the file has that many bytes (checked every
//                   check_every). The task sleeps on the loop's monotonic
//                   timer at most `max_nap` at a time and re-reads the wall
//                   clock at every wake-up, so a suspend/resume or a clock
//                   step is noticed within max_nap: a step forward past the
//                   deadline rotates once; a step back never rotates a
//                   local date twice (an interval restarts from "now").
//  size             every check_every, asks size_of(); rotates when the
//                   file is strictly bigger than max_size. With `watch`,
//                   an inotify write event also wakes it (checks at most
//                   once a second).
//
// At start a file with no recorded last rotation gets "now" as its
// baseline (so a first start rotates nothing by time); a file whose time
// trigger came due while the daemon was down rotates once ("catch-up"),
// whatever the number of periods missed. Rotations of one file never
// overlap: the triggers of a file take its lock, then re-check that the
// rotation is still due (another trigger may just have done it).
//
// Clocks come from the loop (loop::wall_now(), loop::now()), so on a loop
// with virtual time a year of schedule runs in milliseconds; `wall` may
// override the wall clock (tests step it).
//
// Thread: everything here runs on the loop's thread, from tasks.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <weft/loop.hpp>

#include "config.hpp"
#include "engine.hpp"
#include "schedule.hpp"
#include "state.hpp"

namespace rotated {

struct rotation_result {
  outcome status = outcome::failed;
  std::string journal;           // handed to hooks.finish once the state is saved
  directory_handle directory{};  // the directory it worked in, for hooks.prepare
};

struct scheduler_hooks {
  // Rotates one file (the real one runs the engine on the executor, then
  // notifies and compresses). Called from a task, inside a cancellation
  // shield: a rotation that has begun always finishes. Logs what it did.
  // `kept_before`: what the state says the file's last rotation kept
  // (state_table::kept), for engine::rotate.
  std::function<rotation_result(const file_policy&, const std::string& reason, wall_time at, unsigned kept_before)>
      rotate;
  // Current size of a regular file at the path; nullopt if there is none.
  // Default: lstat.
  std::function<std::optional<std::uint64_t>(const file_policy&)> size_of;
  // Persists a snapshot of the state (may suspend, e.g. on the executor).
  // Unset: nothing is persisted.
  std::function<void(const state_table&)> save;
  // Called with a rotation's journal once a saved state records it.
  std::function<void(const std::string& journal)> finish;
  // Daemon mode only (start()): readies a file's next rotation ahead of
  // time (engine::prepare), from the file's task under its lock, at start
  // and after each rotation; and undoes it for the files the daemon stops
  // watching (stop(), or a reload that drops them). Optional; a failure is
  // logged and the rotation does without. The directory handle is the
  // one the file's rotation worked in, when it has just rotated (else empty).
  std::function<void(const file_policy&, const directory_handle&)> prepare;
  std::function<void(const std::vector<file_policy>&)> unprepare;
};

struct scheduler_options {
  // The longest single sleep: how soon a clock step or a resume is seen.
  std::chrono::nanoseconds max_nap = std::chrono::seconds(60);
  // Overrides the wall clock (default: the running loop's wall_now()).
  std::function<wall_time()> wall;
  // Describe instead of rotate: the state is neither changed nor saved.
  bool dry_run = false;
  // Stack size of the trigger tasks (0: weft's default).
  std::size_t stack_size = 0;
};

struct run_summary {
  std::size_t rotated = 0;
  std::size_t skipped = 0;
  std::size_t failed = 0;
};

class scheduler {
 public:
  scheduler(config cfg, state_table& state, scheduler_hooks hooks, scheduler_options options = {});
  ~scheduler();
  scheduler(const scheduler&) = delete;
  scheduler& operator=(const scheduler&) = delete;

  // Records baselines, then starts one task per trigger. From a task.
  void start();
  // Cancels the trigger tasks and waits for them (a rotation in progress
  // finishes first), then undoes hooks.prepare. From a task. Idempotent.
  void stop();
  // Like stop() (hooks.prepare undone only for the files no longer
  // watched), then start() on the new configuration (state kept by path).
  void reload(config cfg);
  // --once / --force: rotates each file that is due now (every file when
  // `force`), concurrently, and returns the counts of this run.
  run_summary run_once(bool force);

  const run_summary& totals() const noexcept { return totals_; }
  const config& current() const noexcept { return config_; }
  wall_time wall_now() const;

 private:
  struct watched;

  void baseline(wall_time now);
  void halt();
  void prepare(watched& w);
  void unprepare_except(const config& kept);
  void run_timed(watched& w, trigger_kind kind);
  void run_size(watched& w);
  void run_inotify();
  void watch_path(watched& w);
  outcome rotate_now(watched& w, const std::string& reason, wall_time at);
  void commit(const std::string& journal);
  void nap(wall_clock::duration d);
  std::optional<std::string> due_reason(const watched& w, wall_time now);
  // A due time trigger waits while the file is smaller than min_size.
  bool held_back_by_min_size(const file_policy& f);

  config config_;
  state_table& state_;
  scheduler_hooks hooks_;
  scheduler_options options_;
  std::vector<std::unique_ptr<watched>> files_;
  std::vector<weft::task<void>> tasks_;
  run_summary totals_;
  bool stopping_ = false;
  // `watch = true`: one inotify descriptor for every watched file, read by
  // one task that sets the file's `modified` event.
  int inotify_fd_ = -1;
  std::map<int, watched*> by_wd_;
  // Coalesced saving: every change bumps changes_; a save records the
  // generation it wrote in saved_. One saver task at a time.
  std::uint64_t changes_ = 0;
  std::uint64_t saved_ = 0;
  weft::task<void> saver_;
  // Journals of rotations whose save failed (a full state directory): the
  // next save that succeeds records them, and they are finished after it.
  std::vector<std::string> unsaved_journals_;
};

}  // namespace rotated
