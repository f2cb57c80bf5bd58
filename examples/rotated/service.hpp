// The real scheduler_hooks: rotations through the engine on a weft executor
// (off the loop), then the writer's notification, then compression, each
// logged; the state saved on the executor; journals finished after it.
#pragma once

#include <cstddef>
#include <string>

#include <weft/executor.hpp>

#include "scheduler.hpp"
#include "engine.hpp"
#include "group_rounds.hpp"
#include "state.hpp"

namespace rotated {

class service {
 public:
  // `threads`: the rotation pool (0: weft's default, max(4, hardware
  // threads)). Rotations due together run in parallel and share their
  // fsyncs (group commit); more threads than that mostly contend on the
  // directory's lock in the kernel (docs/rotated.md, Performance).
  service(engine_options options, bool dry_run, std::size_t threads = 0);

  scheduler_hooks hooks();
  // Completes the rotations a crash interrupted (journals in the state
  // dir), records them in `state`, saves it, notifies their writers. From a
  // task, before the daemon starts. Returns how many it completed.
  std::size_t recover(const config& cfg, state_table& state);

  // Rotates one file and logs it, its group's hooks around it: joins the
  // round of its group (group_rounds.hpp) when the group has firstaction,
  // lastaction or shared hooks and the file will rotate. From a task.
  rotation_result rotate(const file_policy& f, const std::string& reason, wall_time at, unsigned kept_before);
  // Tells the file's writer (signal through its pidfile, or its command,
  // run on the loop and killed past notify.timeout); logs and returns what
  // happened. From a task.
  std::string notify(const file_policy& f);

  engine& rotation_engine() noexcept { return engine_; }
  std::size_t pool_threads() const noexcept { return pool_.max_threads(); }

 private:
  // The rotation with notify and compression, and with its own prerotate
  // and postrotate unless its group shares them.
  rotation_result rotate_file(const file_policy& f, const std::string& reason, wall_time at, unsigned kept_before,
                              bool own_hooks);

  engine engine_;
  bool dry_run_;
  weft::executor pool_;
  group_rounds rounds_;
};

}  // namespace rotated
