// The gdb extension (src/gdb/weft_gdb.py) against weft_gdb_target, a program
// stopped with five named tasks suspended in functions of their own: on the
// live process, on a core file of it, and loaded automatically from the
// program's .debug_gdb_scripts section.
//
// gdb runs in batch mode under timeout(1), so a hang fails the test instead
// of stalling the suite.
#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <map>
#include <regex>
#include <string>
#include <vector>

#include "weft/stack.hpp"

namespace {

const std::string gdb = WEFT_GDB;
const std::string target = WEFT_GDB_TARGET;
const std::string script = WEFT_GDB_SCRIPT;

// Task name -> the function of weft_gdb_target it suspends in.
const std::map<std::string, std::string> suspended_in = {
    {"sleeper", "sleeper_waits_on_timer"},       {"reader", "reader_waits_on_pipe"},
    {"joiner", "joiner_waits_on_sleeper"},       {"waiter", "waiter_waits_on_event"},
    {"acquirer", "acquirer_waits_on_semaphore"},
};

// What each task waits on, in loop::dump()'s words.
const std::map<std::string, std::string> waits_on = {
    {"sleeper", "waiting on sleep"},
    {"reader", "waiting on fd readable fd [0-9]+"},
    {"joiner", "waiting on join task 'sleeper'"},
    {"waiter", "waiting on sync event 'never set'"},
    {"acquirer", "waiting on sync semaphore 'no permits'"},
};

std::string quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

struct run_result {
  int status = -1;
  std::string output;  // stdout and stderr
};

// Runs gdb in batch mode with `commands` (each an -ex), bounded by 90 s.
run_result run_gdb(const std::vector<std::string>& commands, const std::string& files,
                   const std::vector<std::string>& early = {}) {
  std::string line = "timeout -k 5 90 " + quote(gdb) + " -batch -nx -iex 'set debuginfod enabled off'";
  for (const auto& c : early) line += " -iex " + quote(c);
  for (const auto& c : commands) line += " -ex " + quote(c);
  line += " " + files + " 2>&1 </dev/null";
  run_result r;
  std::FILE* pipe = ::popen(line.c_str(), "r");
  if (pipe == nullptr) return r;
  char buffer[4096];
  for (std::size_t n; (n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0;) r.output.append(buffer, n);
  r.status = ::pclose(pipe);
  return r;
}

// The task ids `info weft-fibers` printed, by name.
std::map<std::string, int> task_ids(const std::string& info) {
  std::map<std::string, int> ids;
  std::regex line("  task #([0-9]+) '([^']+)' ");
  for (std::sregex_iterator it(info.begin(), info.end(), line), end; it != end; ++it)
    ids[(*it)[2]] = std::stoi((*it)[1]);
  return ids;
}

// Checks `info weft-fibers` output: one loop, every task with its state,
// wait and spawn location.
void expect_every_task_listed(const std::string& out) {
  // Every task of the target runs on a default stack and has touched at
  // least its top (the fiber's control block), far from all of it.
  const std::string stack_words = "stack " +
                                  std::to_string(weft::default_stack_size(weft::stack_mode::automatic) / 1024) +
                                  " KiB, high water [1-9][0-9]? KiB";
  EXPECT_TRUE(std::regex_search(out, std::regex("weft loop 0x[0-9a-f]+: 6 tasks \\((asm|boost) context\\)\n"))) << out;
  for (const auto& [name, wait] : waits_on)
    EXPECT_TRUE(
        std::regex_search(out, std::regex("  task #[0-9]+ '" + name + "' " + wait +
                                          " \\(spawned at [^ ]*gdb_target.cpp:[0-9]+\\) " + stack_words + "\n")))
        << name << "\n"
        << out;
  EXPECT_TRUE(std::regex_search(out, std::regex("  task #[0-9]+ 'main' running \\(thread 1\\) \\(spawned at "))) << out;
}

// The part of `out` that weft-bt printed for task `id`: its header line up
// to the next task's header or the end.
std::string backtrace_of(const std::string& out, int id) {
  std::string head = "task #" + std::to_string(id) + " '";
  std::size_t begin = out.find(head);
  while (begin != std::string::npos && begin > 0 && out[begin - 1] != '\n') begin = out.find(head, begin + 1);
  if (begin == std::string::npos) return {};
  std::size_t end = out.find("\ntask #", begin + 1);
  return out.substr(begin, end == std::string::npos ? std::string::npos : end - begin);
}

// The last line of `bt` that starts a frame ("#N ...").
std::string last_frame(const std::string& bt) {
  std::string last;
  std::size_t at = 0;
  while (at < bt.size()) {
    std::size_t end = bt.find('\n', at);
    if (end == std::string::npos) end = bt.size();
    if (bt[at] == '#') last = bt.substr(at, end - at);
    at = end + 1;
  }
  return last;
}

// Checks weft-bt's output for every suspended task: it starts at the switch
// (frame #0 in weft's switch path: jump, switch_out or hand_off, inlined
// into park and wait_until_done, where weft has debug information; those
// two where it has not; weft_context_jump with the Boost backend), shows
// the function the task
// suspended in, ends at fiber_entry, and has none of the frames of the
// thread that carried the unwinding.
void expect_backtraces(const std::string& out, const std::map<std::string, int>& ids) {
  for (const auto& [name, function] : suspended_in) {
    ASSERT_TRUE(ids.count(name)) << name;
    std::string bt = backtrace_of(out, ids.at(name));
    EXPECT_TRUE(std::regex_search(bt, std::regex("\n#0 +0x[0-9a-f]+ in "
                                                 "(weft::detail::(jump|switch_out|hand_off)(<false>)?|weft::detail::("
                                                 "park|wait_until_done)|weft_context_jump) ?\\(")))
        << name << "\n"
        << bt;
    EXPECT_TRUE(std::regex_search(bt, std::regex("\n#[0-9]+ +(0x[0-9a-f]+ in )?\\(anonymous namespace\\)::" + function +
                                                 " \\(.*gdb_target.cpp:[0-9]+\n")))
        << name << "\n"
        << bt;
    EXPECT_TRUE(std::regex_search(last_frame(bt), std::regex("::fiber_entry ?\\("))) << name << "\n" << bt;
    EXPECT_EQ(bt.find("stop_for_debugger"), std::string::npos) << name << "\n" << bt;
    EXPECT_EQ(bt.find("raise"), std::string::npos) << name << "\n" << bt;
  }
}

// One live session, shared by the tests that need it (made on first use):
// stop the target, list its tasks, write the core file the core test reads.
// WEFT_GDB_NO_CORE_FILE: a sanitizer build, where gdb cannot write a core.
struct live_session {
  live_session() {
    core = ::testing::TempDir() + "weft_gdb_target." + std::to_string(::getpid()) + ".core";
    // gdb's generate-core-file reads a mapping in 1 MiB chunks and drops
    // the rest of it at the first chunk it cannot read: a guard region
    // (Linux 6.13+) inside a slab of stacks loses every stack. This session
    // therefore runs the target with guard regions off (docs/debugging.md);
    // the weft-bt session below keeps them.
    std::vector<std::string> commands = {"source " + script, "set environment WEFT_GUARD_REGIONS 0", "run",
                                         "info weft-fibers"};
#if !defined(WEFT_GDB_NO_CORE_FILE)
    commands.push_back("generate-core-file " + core);
#endif
    commands.push_back("kill");
    result = run_gdb(commands, quote(target));
  }
  ~live_session() { std::remove(core.c_str()); }
  std::string core;
  run_result result;
};

const live_session& live() {
  static const live_session session;
  return session;
}

TEST(gdb_extension, gdb_is_installed) {
  EXPECT_EQ(::access(gdb.c_str(), X_OK), 0) << "no gdb at '" << gdb << "' (looked up at configure time); "
                                            << ".ci/install-deps installs it";
}

TEST(gdb_extension, info_weft_fibers_lists_every_task_of_a_stopped_process) {
  const std::string& out = live().result.output;
  ASSERT_NE(out.find("Program received signal SIGTRAP"), std::string::npos)
      << "the target did not stop under gdb (is ptrace allowed?)\n"
      << out;
  expect_every_task_listed(out);
}

TEST(gdb_extension, weft_bt_shows_where_each_task_of_a_stopped_process_suspended) {
  auto ids = task_ids(live().result.output);
  ASSERT_EQ(ids.size(), 6u) << live().result.output;
  // Task ids are fiber ids, handed out in spawn order: the same in every
  // run of the target, so this second session sees the same ones.
  std::vector<std::string> commands = {"source " + script, "run", "info weft-fibers"};
  for (const auto& [name, id] : ids) commands.push_back("weft-bt " + std::to_string(id));
  commands.push_back("kill");
  run_result r = run_gdb(commands, quote(target));
  EXPECT_EQ(r.output.find("Python Exception"), std::string::npos) << r.output;
  EXPECT_EQ(task_ids(r.output), ids) << r.output;
  expect_backtraces(r.output, ids);
  // The running task's backtrace is its thread's.
  std::string main_bt = backtrace_of(r.output, ids["main"]);
  EXPECT_NE(main_bt.find("running on thread 1:"), std::string::npos) << main_bt;
  EXPECT_NE(main_bt.find("stop_for_debugger"), std::string::npos) << main_bt;
}

#if !defined(WEFT_GDB_NO_CORE_FILE)  // see tests/debug/CMakeLists.txt
TEST(gdb_extension, both_commands_work_on_a_core_file) {
  const std::string& out = live().result.output;
  ASSERT_NE(out.find("Saved corefile"), std::string::npos) << out;
  auto ids = task_ids(out);
  ASSERT_EQ(ids.size(), 6u) << out;
  std::vector<std::string> commands = {"source " + script, "info weft-fibers"};
  for (const auto& [name, id] : ids) commands.push_back("weft-bt " + std::to_string(id));
  run_result r = run_gdb(commands, quote(target) + " " + quote(live().core));
  EXPECT_EQ(r.output.find("Python Exception"), std::string::npos) << r.output;
  expect_every_task_listed(r.output);
  EXPECT_EQ(task_ids(r.output), ids) << r.output;
  expect_backtraces(r.output, ids);
}
#endif

TEST(gdb_extension, loads_itself_from_the_program_once_auto_load_allows_it) {
  run_result r =
      run_gdb({"info auto-load python-scripts", "help weft-bt"}, quote(target), {"add-auto-load-safe-path " + target});
  EXPECT_TRUE(std::regex_search(r.output, std::regex("\nYes +weft_gdb.py"))) << r.output;
  EXPECT_NE(r.output.find("Backtrace of a weft task's fiber."), std::string::npos) << r.output;
}

}  // namespace
