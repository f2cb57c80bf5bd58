// The state file: when each watched file last rotated, so that a restart
// neither repeats a rotation nor misses one (one catch-up per file).
//
// Format, one file per line (the path last, so it may hold spaces):
//   # rotated state v2
//   1772946000000000000 2026-03-08T05:00:00Z keep=14 /var/log/app.log
// UTC nanoseconds since the epoch, the same instant for humans, how many
// versions that rotation kept (absent in v1 lines and before a file's
// first rotation), the path. The count is what lets a rotation after
// `keep` shrank drop the versions rotated made beyond the new `keep`, and
// nothing else: an `app.log.10` it never made is never touched.
// Parsing is tolerant: a line that does not fit is skipped with a warning;
// a path seen twice keeps the later instant. Saved atomically (temp, fsync,
// rename, fsync of the directory), mode 0600.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "civil_time.hpp"

namespace rotated {

class state_table {
 public:
  std::optional<wall_time> last(const std::string& path) const;
  void set(const std::string& path, wall_time at);
  // How many versions the file's last rotation kept (its `keep`), the
  // highest version number rotated made; 0 when unknown.
  unsigned kept(const std::string& path) const;
  void set_kept(const std::string& path, unsigned keep);
  const std::map<std::string, wall_time>& entries() const noexcept { return last_; }

  std::string serialize() const;
  static state_table parse(std::string_view text, std::vector<std::string>* warnings = nullptr);

 private:
  std::map<std::string, wall_time> last_;
  std::map<std::string, unsigned> kept_;  // only paths that have a last_ entry
};

inline constexpr const char* state_file_name = "state";

// DIR/state; an absent file is an empty table. Warnings name the line.
state_table load_state(const std::string& dir, std::vector<std::string>* warnings = nullptr);
void save_state(const std::string& dir, const state_table& table);

}  // namespace rotated
