#include "patterns.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <set>
#include <system_error>

#include "fs.hpp"

namespace rotated {

namespace {

// NAME.<digits>, optionally .gz or .zst: a version some rotation made.
bool looks_like_a_version(std::string_view name) {
  for (std::string_view ext : {".gz", ".zst"})
    if (name.size() > ext.size() && name.substr(name.size() - ext.size()) == ext) {
      name.remove_suffix(ext.size());
      break;
    }
  std::size_t digits = 0;
  while (digits < name.size() && name[name.size() - 1 - digits] >= '0' && name[name.size() - 1 - digits] <= '9')
    ++digits;
  return digits > 0 && digits < name.size() && name[name.size() - 1 - digits] == '.';
}

// The regular files in `dir` whose names match `pattern`, sorted.
std::vector<std::string> matches_in(const std::string& dir, const std::string& pattern) {
  unique_fd dirfd = open_directory_no_symlinks(dir);
  int listing = ::dup(dirfd.get());
  if (listing < 0) throw_errno(errno, "dup " + dir);
  dir_stream d(::fdopendir(listing));
  if (!d) {
    int err = errno;
    ::close(listing);
    throw_errno(err, "read " + dir);
  }
  std::vector<std::string> names;
  while (struct dirent* e = ::readdir(d.get())) {
    std::string_view name = e->d_name;
    if (name == "." || name == ".." || name.find(".rotated-") != std::string_view::npos) continue;
    if (::fnmatch(pattern.c_str(), e->d_name, FNM_PERIOD) != 0 || looks_like_a_version(name)) continue;
    struct stat st {};
    if (::fstatat(dirfd.get(), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode)) continue;
    names.emplace_back(name);
  }
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace

config expand_patterns(const config& cfg, std::vector<std::string>* notes) {
  config out = cfg;
  out.files.clear();
  std::set<std::string> seen;
  for (const file_policy& f : cfg.files)
    if (!f.pattern) seen.insert(f.path);
  for (const file_policy& f : cfg.files) {
    if (!f.pattern) {
      out.files.push_back(f);
      continue;
    }
    std::vector<std::string> names;
    try {
      names = matches_in(f.dir(), f.name());
    } catch (const std::system_error& e) {
      bool quiet = e.code().value() == ENOENT && f.missing_ok;
      if (notes && !quiet) notes->push_back(f.path + ": " + e.what());
      continue;
    }
    if (names.empty() && notes && !f.missing_ok) notes->push_back(f.path + ": no file matches");
    for (const std::string& name : names) {
      file_policy match = f;
      match.pattern = false;
      match.path = (f.dir() == "/" ? "" : f.dir()) + "/" + name;
      if (seen.insert(match.path).second) out.files.push_back(std::move(match));
    }
  }
  return out;
}

}  // namespace rotated
