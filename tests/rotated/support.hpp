// Helpers shared by rotated's tests: a time zone for the scope of a test,
// a temporary directory, small file utilities, configurations from text.
#pragma once

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "civil_time.hpp"
#include "config.hpp"
#include "journal.hpp"

namespace rotated_test {

// Sets an environment variable for its scope (unset: nullptr) and restores
// the previous value; re-reads the time zone after each change, so that it
// serves TZ and TZDIR alike.
class env_scope {
 public:
  env_scope(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    set(value);
  }
  ~env_scope() { set(old_ ? old_->c_str() : nullptr); }
  env_scope(const env_scope&) = delete;
  env_scope& operator=(const env_scope&) = delete;

 private:
  void set(const char* value) {
    if (value) ::setenv(name_.c_str(), value, 1);
    else ::unsetenv(name_.c_str());
    rotated::refresh_time_zone();
  }
  std::string name_;
  std::optional<std::string> old_;
};

// TZ for its scope.
class tz_scope : public env_scope {
 public:
  explicit tz_scope(const char* zone) : env_scope("TZ", zone) {}
};

// A fresh directory under TMPDIR (or /tmp), removed with its contents.
class temp_dir {
 public:
  temp_dir() {
    const char* base = std::getenv("TMPDIR");
    std::string pattern = std::string(base && *base ? base : "/tmp") + "/rotated-test-XXXXXX";
    std::vector<char> buf(pattern.begin(), pattern.end());
    buf.push_back('\0');
    if (::mkdtemp(buf.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = buf.data();
  }
  ~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
  const std::string& path() const noexcept { return path_; }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

inline void write_text(const std::string& path, const std::string& text, mode_t mode = 0644) {
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text;
  }
  ::chmod(path.c_str(), mode);
}

inline std::optional<std::string> read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

inline bool exists(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0;
}

// Entry names in a directory, sorted.
inline std::vector<std::string> list_dir(const std::string& dir) {
  std::vector<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(dir)) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

// The paths whose rotation is pending in STATE_DIR/journal.log (journaled,
// not yet marked done).
inline std::vector<std::string> pending_journals(const std::string& state_dir) {
  std::vector<std::string> paths;
  auto text = read_text(state_dir + "/journal.log");
  if (!text) return paths;
  for (const auto& j : rotated::parse_journal_log(*text).pending) paths.push_back(j.path);
  return paths;
}

// A configuration parsed from TOML text; fails the test on errors.
inline rotated::config config_from(const std::string& text) {
  auto r = rotated::parse_config(text, "test.toml");
  for (const auto& e : r.errors) ADD_FAILURE() << e;
  if (!r.value) throw std::runtime_error("bad test configuration");
  return *r.value;
}

inline rotated::wall_time utc(const char* iso) {
  auto t = rotated::parse_iso8601(iso);
  if (!t) throw std::runtime_error(std::string("bad instant ") + iso);
  return *t;
}

}  // namespace rotated_test
