#include "log.hpp"

#include <syslog.h>
#include <unistd.h>

#include <cstdio>
#include <mutex>

namespace rotated {

std::optional<log_level> parse_log_level(std::string_view name) {
  if (name == "error") return log_level::error;
  if (name == "warning" || name == "warn") return log_level::warning;
  if (name == "info") return log_level::info;
  if (name == "debug") return log_level::debug;
  return std::nullopt;
}

namespace log {

namespace {

enum class sink_kind { stderr_sink, syslog_sink, function_sink };

struct logger_state {
  std::mutex mutex;
  log_level level = log_level::info;
  sink_kind sink = sink_kind::stderr_sink;
  std::function<void(log_level, const std::string&)> function;
  std::function<wall_time()> clock;
};

logger_state& state() {
  static logger_state s;
  return s;
}

const char* prefix(log_level l) {
  switch (l) {
    case log_level::error: return "error: ";
    case log_level::warning: return "warning: ";
    default: return "";
  }
}

}  // namespace

void set_level(log_level level) {
  std::lock_guard lock(state().mutex);
  state().level = level;
}

log_level level() {
  std::lock_guard lock(state().mutex);
  return state().level;
}

void to_stderr() {
  std::lock_guard lock(state().mutex);
  state().sink = sink_kind::stderr_sink;
}

void to_syslog() {
  std::lock_guard lock(state().mutex);
  ::openlog("rotated", LOG_PID | LOG_NDELAY, LOG_DAEMON);
  state().sink = sink_kind::syslog_sink;
}

void to_function(std::function<void(log_level, const std::string&)> sink) {
  std::lock_guard lock(state().mutex);
  state().function = std::move(sink);
  state().sink = state().function ? sink_kind::function_sink : sink_kind::stderr_sink;
}

void set_clock(std::function<wall_time()> clock) {
  std::lock_guard lock(state().mutex);
  state().clock = std::move(clock);
}

void write(log_level level, std::string_view message) {
  logger_state& s = state();
  std::lock_guard lock(s.mutex);
  if (level > s.level) return;
  std::string text = std::string(prefix(level)) + std::string(message);
  switch (s.sink) {
    case sink_kind::syslog_sink: {
      static constexpr int priorities[] = {LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG};
      ::syslog(priorities[static_cast<int>(level)], "%s", text.c_str());
      break;
    }
    case sink_kind::function_sink: s.function(level, text); break;
    case sink_kind::stderr_sink: {
      wall_time now = s.clock ? s.clock() : wall_clock::now();
      std::string line = format_local_ms(now) + " " + text + "\n";
      // One write per line, so lines from concurrent processes stay whole.
      ssize_t ignored = ::write(STDERR_FILENO, line.data(), line.size());
      (void)ignored;
      break;
    }
  }
}

}  // namespace log

}  // namespace rotated
