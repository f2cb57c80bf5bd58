// rotated's log: one line per action ("rotated", "compressed", "skipped",
// "notified", ...), each with a timestamp, to stderr in the foreground or
// to syslog (LOG_DAEMON) otherwise. Thread-safe; normally written from the
// loop's thread only.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "civil_time.hpp"

namespace rotated {

enum class log_level { error = 0, warning = 1, info = 2, debug = 3 };

std::optional<log_level> parse_log_level(std::string_view name);  // error, warning, info, debug

namespace log {

void set_level(log_level level);
log_level level();
// Sinks: stderr (default), syslog, or a function (tests).
void to_stderr();
void to_syslog();
void to_function(std::function<void(log_level, const std::string&)> sink);
// Where timestamps come from (default: the system clock); the daemon
// points it at its loop's wall clock, so virtual time shows in the log.
void set_clock(std::function<wall_time()> clock);

void write(log_level level, std::string_view message);
inline void error(std::string_view m) { write(log_level::error, m); }
inline void warning(std::string_view m) { write(log_level::warning, m); }
inline void info(std::string_view m) { write(log_level::info, m); }
inline void debug(std::string_view m) { write(log_level::debug, m); }

}  // namespace log

}  // namespace rotated
