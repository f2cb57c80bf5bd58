#include "state.hpp"

#include <cerrno>
#include <limits>
#include <system_error>

#include "config.hpp"
#include "fs.hpp"

namespace rotated {

std::optional<wall_time> state_table::last(const std::string& path) const {
  auto it = last_.find(path);
  if (it == last_.end()) return std::nullopt;
  return it->second;
}

void state_table::set(const std::string& path, wall_time at) { last_[path] = at; }

unsigned state_table::kept(const std::string& path) const {
  auto it = kept_.find(path);
  return it == kept_.end() ? 0 : it->second;
}

void state_table::set_kept(const std::string& path, unsigned keep) {
  if (keep == 0) kept_.erase(path);
  else kept_[path] = keep;
}

std::string state_table::serialize() const {
  std::string out = "# rotated state v2: last rotation per file (UTC ns since the epoch, UTC, keep=versions, path)\n";
  for (const auto& [path, at] : last_) {
    out += std::to_string(std::chrono::duration_cast<std::chrono::nanoseconds>(at.time_since_epoch()).count());
    out += ' ';
    out += format_utc(at);
    out += ' ';
    if (unsigned k = kept(path); k > 0) {
      out += "keep=";
      out += std::to_string(k);
      out += ' ';
    }
    out += path;
    out += '\n';
  }
  return out;
}

state_table state_table::parse(std::string_view text, std::vector<std::string>* warnings) {
  state_table table;
  std::size_t line_no = 0;
  while (!text.empty()) {
    std::size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    ++line_no;
    if (line.empty() || line[0] == '#') continue;
    auto bad = [&](const char* why) {
      if (warnings) warnings->push_back("state line " + std::to_string(line_no) + ": " + why + "; ignored");
    };
    if (nl == std::string_view::npos) {
      bad("incomplete (no newline)");
      break;
    }
    std::size_t sp1 = line.find(' ');
    std::size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
    std::optional<std::uint64_t> keep;  // v2; absent in v1 lines
    if (sp2 != std::string_view::npos && line.substr(sp2 + 1, 5) == "keep=") {
      std::size_t sp3 = line.find(' ', sp2 + 1);
      keep = parse_u64(line.substr(sp2 + 6, sp3 == std::string_view::npos ? 0 : sp3 - sp2 - 6));
      if (!keep || *keep > 100000) {
        bad("bad keep=");
        continue;
      }
      sp2 = sp3;
    }
    if (sp2 == std::string_view::npos || sp2 + 1 >= line.size() || line[sp2 + 1] != '/') {
      bad("not 'NANOSECONDS UTC [keep=N] /path'");
      continue;
    }
    std::string_view number = line.substr(0, sp1);
    auto ns = parse_u64(number);  // digits only, no overflow
    if (!ns || *ns > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
      bad("bad instant");
      continue;
    }
    std::string path(line.substr(sp2 + 1));
    wall_time at{
        std::chrono::duration_cast<wall_clock::duration>(std::chrono::nanoseconds(static_cast<std::int64_t>(*ns)))};
    auto old = table.last(path);
    if (!old || *old < at) {
      table.set(path, at);
      table.set_kept(path, static_cast<unsigned>(keep.value_or(0)));
    }
  }
  return table;
}

state_table load_state(const std::string& dir, std::vector<std::string>* warnings) {
  unique_fd dfd;
  try {
    dfd = open_directory(dir);
  } catch (const std::system_error& e) {
    if (e.code().value() == ENOENT) return {};
    throw;
  }
  auto text = read_file_at(dfd.get(), state_file_name);
  if (!text) return {};
  return state_table::parse(*text, warnings);
}

void save_state(const std::string& dir, const state_table& table) {
  unique_fd dfd = open_directory(dir);
  write_file_atomic(dfd.get(), state_file_name, table.serialize(), 0600, dir + "/" + state_file_name);
}

}  // namespace rotated
