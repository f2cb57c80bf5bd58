// The engine's inspection: what a file and its versions are before a
// rotation, the cascade planned from them, and the dry-run description.
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <ctime>
#include <set>
#include <system_error>

#include "engine_internal.hpp"
#include "fs.hpp"

namespace rotated {

namespace detail {

// Built by appending: GCC 12 at -O3 warns (-Wrestrict, a known false
// positive) on "." + std::to_string(i).
std::string slot(unsigned i, std::string_view form) {
  std::string s(".");
  s += std::to_string(i);
  s += form;
  return s;
}

const char* kind_of(mode_t m) {
  if (S_ISLNK(m)) return "a symlink";
  if (S_ISFIFO(m)) return "a FIFO";
  if (S_ISDIR(m)) return "a directory";
  if (S_ISSOCK(m)) return "a socket";
  if (S_ISCHR(m) || S_ISBLK(m)) return "a device";
  return "not a regular file";
}

bool same_inode(const std::optional<struct stat>& s, std::uint64_t dev, std::uint64_t ino) {
  return s && static_cast<std::uint64_t>(s->st_dev) == dev && static_cast<std::uint64_t>(s->st_ino) == ino;
}

bool is_journaled_file(const journal_step& s, const std::optional<file_identity>& now) {
  if (!now || now->dev != s.dev || now->ino != s.ino || now->btime_ns != s.btime_ns) return false;
  return now->size >= s.size && now->mtime_ns >= s.mtime_ns;
}

std::string held(const std::string& suffix) { return suffix + std::string(held_tail); }

bool is_held(const std::string& suffix) {
  return suffix.size() >= held_tail.size() &&
         suffix.compare(suffix.size() - held_tail.size(), held_tail.size(), held_tail) == 0;
}

std::string octal(mode_t m) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(m & 07777));
  return buf;
}

directory_handle open_directory_of(const file_policy& f, directory_handle given) {
  if (given) return given;
  return std::make_shared<const unique_fd>(open_directory_no_symlinks(f.dir()));
}

directory_access access_for(int dirfd, const std::string& path, const file_policy& f, bool as_root) {
  directory_access a;
  if (!as_root) return a;
  struct stat dst {};
  if (::fstat(dirfd, &dst) != 0) throw_errno(errno, "fstat " + path);
  if ((dst.st_mode & S_IWOTH) != 0 && !f.allow_world_writable) {
    a.refusal = "directory " + path + " is writable by others (set allow_world_writable = true to allow)";
  } else if ((dst.st_mode & S_IWGRP) != 0 && dst.st_gid != 0) {
    a.refusal = "directory " + path + " is writable by group " + std::to_string(dst.st_gid) + ", which is not root";
  } else if (dst.st_uid != 0 && f.refuse_unsafe_directory) {
    a.refusal = "directory " + path + " is writable by uid " + std::to_string(dst.st_uid) +
                ", not root (unsafe_directory = \"refuse\")";
  } else if (dst.st_uid != 0) {
    a.as = std::pair{dst.st_uid, dst.st_gid};
  }
  return a;
}

directories open_directories_of(const file_policy& f, directory_handle log, bool create) {
  directories d{open_directory_of(f, std::move(log)), {}};
  if (f.olddir.empty()) {
    d.versions = d.log;
    return d;
  }
  unique_fd old;
  try {
    old = open_directory_no_symlinks(f.olddir);
  } catch (const std::system_error& e) {
    if (e.code().value() != ENOENT || !f.create_olddir.enabled || !create) throw;
    const std::string parent = f.olddir.substr(0, std::max<std::size_t>(f.olddir.rfind('/'), 1));
    const std::string leaf = f.olddir.substr(f.olddir.rfind('/') + 1);
    unique_fd up = open_directory_no_symlinks(parent);
    const mode_t mode = f.create_olddir.mode.value_or(0755);
    const bool made = ::mkdirat(up.get(), leaf.c_str(), mode) == 0;
    if (!made && errno != EEXIST) throw_errno(errno, "create " + f.olddir);
    old = unique_fd(::openat(up.get(), leaf.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!old) throw_errno(errno, "open " + f.olddir);
    struct stat owner {};
    // One made meanwhile by somebody else is left as it is: not ours to chown.
    if (made && ::fstat(d.log->get(), &owner) != 0) throw_errno(errno, "fstat " + f.dir());
    if (made &&
        ::fchown(old.get(), f.create_olddir.owner.value_or(owner.st_uid),
                 f.create_olddir.group.value_or(owner.st_gid)) != 0 &&
        errno != EPERM)  // not root: it keeps our own ids
      throw_errno(errno, "chown " + f.olddir);
    if (made && ::fchmod(old.get(), mode) != 0) throw_errno(errno, "chmod " + f.olddir);
  }
  struct stat lst {};
  struct stat ost {};
  if (::fstat(d.log->get(), &lst) != 0 || ::fstat(old.get(), &ost) != 0) throw_errno(errno, "fstat " + f.olddir);
  if (lst.st_dev != ost.st_dev) throw_errno(EXDEV, "olddir " + f.olddir + " is on another filesystem than " + f.dir());
  d.versions = std::make_shared<const unique_fd>(std::move(old));
  return d;
}

directory_access access_for(const directories& d, const file_policy& f, bool as_root) {
  directory_access a = access_for(d.log->get(), f.dir(), f, as_root);
  if (f.olddir.empty() || !a.refusal.empty()) return a;
  directory_access old = access_for(d.versions->get(), f.olddir, f, as_root);
  if (!old.refusal.empty()) return old;
  if (old.as != a.as)
    a.refusal = "olddir " + f.olddir + " and directory " + f.dir() + " would be worked in as different users";
  return a;
}

inspection inspect(const directories& d, const file_policy& f, bool as_root, wall_time at, unsigned kept_before) {
  inspection r;
  const std::string name = f.name();
  const int dirfd = d.log->get(), olddir = d.versions->get();  // olddir: the versions' directory
  r.access = access_for(d, f, as_root);
  if (!r.access.refusal.empty()) {
    r.status = outcome::skipped;
    r.reason = r.access.refusal;
    return r;
  }
  auto st = stat_at(dirfd, name);
  if (!st) {
    r.status = f.missing_ok ? outcome::skipped : outcome::failed;
    r.reason = f.missing_ok ? "missing (missing_ok)" : "does not exist";
    return r;
  }
  if (!S_ISREG(st->st_mode)) {
    r.status = outcome::skipped;
    r.reason = std::string("is ") + kind_of(st->st_mode) + ", not a regular file; not followed";
    return r;
  }
  if (st->st_nlink != 1) {
    r.status = outcome::skipped;
    r.reason = "has " + std::to_string(st->st_nlink) + " hard links; only a file with a single link is rotated";
    return r;
  }
  if (f.not_if_empty && st->st_size == 0) {
    r.status = outcome::skipped;
    r.reason = "empty (not_if_empty)";
    return r;
  }
  r.st = *st;
  journal& j = r.plan;
  j.path = f.path;
  j.olddir = f.olddir;
  j.at = at;
  j.keep = f.keep;
  j.compress = f.compress;
  j.method = f.method;
  j.copytruncate = f.copytruncate;
  j.dateext = f.dateext;
  if (!f.copytruncate && f.create.enabled) {
    j.fresh = true;
    j.fresh_mode = f.create.mode.value_or(st->st_mode & 07777);
    j.fresh_uid = f.create.owner.value_or(st->st_uid);
    j.fresh_gid = f.create.group.value_or(st->st_gid);
  }
  if (!f.dateext.empty()) {
    // Dated versions do not shift: the file takes its date's name, and the
    // oldest beyond keep leave through their hold names as numbered ones do.
    const std::string target = date_suffix(f.dateext, at);
    for (std::string_view form : version_forms) {
      if (stat_at(olddir, name + target + std::string(form))) {
        r.status = outcome::skipped;
        r.reason = name + target + std::string(form) + " exists already (a dateext pattern coarser than the trigger?)";
        return r;
      }
    }
    std::vector<std::string> dated = dated_versions(olddir, f);
    std::size_t leaving = dated.size() + 1 > f.keep ? dated.size() + 1 - f.keep : 0;
    std::vector<journal_step> holds;
    for (std::size_t i = 0; i < leaving; ++i) {
      for (std::string_view form : version_forms) {
        const std::string suffix = dated[i] + std::string(form);
        if (auto s = stat_at(olddir, name + suffix); s && !S_ISDIR(s->st_mode)) {
          auto id = identity_at(olddir, name + suffix);
          if (!id) throw_errno(ESTALE, name + suffix + " changed during the rotation");
          holds.push_back(
              {journal_step::move, suffix, held(suffix), id->dev, id->ino, id->btime_ns, id->size, id->mtime_ns});
        }
      }
    }
    j.steps = holds;
    auto own = identity_at(dirfd, name);
    if (!own || own->ino != static_cast<std::uint64_t>(st->st_ino))
      throw_errno(ESTALE, name + " changed during the rotation");
    j.steps.push_back({journal_step::move, "", target, own->dev, own->ino, own->btime_ns, own->size, own->mtime_ns});
    for (journal_step drop : holds) {
      drop.kind = journal_step::drop;
      drop.from = drop.to;
      drop.to.clear();
      j.steps.push_back(std::move(drop));
    }
    return r;
  }
  // The versions as they are now: [i][form], form indexing version_forms.
  std::vector<std::array<std::optional<struct stat>, std::size(version_forms)>> versions(f.keep + 1);
  for (unsigned i = 1; i <= f.keep; ++i) {
    for (std::size_t k = 0; k < std::size(version_forms); ++k) {
      auto s = stat_at(olddir, name + slot(i, version_forms[k]));
      if (s && S_ISDIR(s->st_mode)) {
        r.status = outcome::skipped;
        r.reason = name + slot(i, version_forms[k]) + " is a directory; the versions cannot shift";
        return r;
      }
      versions[i][k] = s;
    }
  }
  auto add = [&](journal_step::kind_t kind, std::string from, std::string to, const struct stat& s) {
    auto id = identity_at(d.of(from), name + from);
    if (!id || id->dev != static_cast<std::uint64_t>(s.st_dev) || id->ino != static_cast<std::uint64_t>(s.st_ino))
      throw_errno(ESTALE, name + from + " changed during the rotation");
    j.steps.push_back({kind, std::move(from), std::move(to), id->dev, id->ino, id->btime_ns, id->size, id->mtime_ns});
  };
  // The cascade's failure modes, planned before its first step: only a
  // rename can fail, and every rename can be undone, so the versions that
  // leave (the oldest, and any beyond keep when keep shrank) are first
  // renamed to a hold name, then each shifts up by one, then the file
  // becomes .1 (or is copied, with copytruncate), and only then are the
  // held versions unlinked. A failure up to the file's own step is undone
  // by renaming back (engine::rotate); a crash is completed by replaying
  // the steps in this order (engine::recover).
  std::size_t held_count = 0;
  for (std::size_t k = 0; k < std::size(version_forms) && f.keep > 0; ++k)
    if (versions[f.keep][k]) {
      add(journal_step::move, slot(f.keep, version_forms[k]), held(slot(f.keep, version_forms[k])),
          *versions[f.keep][k]);
      ++held_count;
    }
  // Beyond keep, only the versions rotated made: those up to what the
  // previous rotation kept (`keep` shrank since). An app.log.10 beside a
  // keep of 9 is somebody else's file, left alone.
  for (unsigned i = f.keep + 1; i <= kept_before; ++i) {
    for (std::string_view form : version_forms) {
      auto s = stat_at(olddir, name + slot(i, form));
      if (s && !S_ISDIR(s->st_mode)) {
        add(journal_step::move, slot(i, form), held(slot(i, form)), *s);
        ++held_count;
      }
    }
  }
  for (unsigned i = f.keep; i-- > 1;)
    for (std::size_t k = 0; k < std::size(version_forms); ++k)
      if (versions[i][k])
        add(journal_step::move, slot(i, version_forms[k]), slot(i + 1, version_forms[k]), *versions[i][k]);
  if (f.keep == 0) {
    // keep = 0: the file itself leaves like a version (held, then dropped).
    add(journal_step::move, "", held(""), *st);
    ++held_count;
  } else if (!f.copytruncate) {
    add(journal_step::move, "", ".1", *st);
  }
  for (std::size_t i = 0; i < held_count; ++i) {
    journal_step drop = j.steps[i];
    drop.kind = journal_step::drop;
    drop.from = drop.to;
    drop.to.clear();
    j.steps.push_back(std::move(drop));
  }
  return r;
}

std::string date_suffix(const std::string& pattern, wall_time at) {
  std::time_t t = wall_clock::to_time_t(at);
  std::tm tm{};
  ::localtime_r(&t, &tm);
  char buf[256];
  std::size_t n = std::strftime(buf, sizeof buf, pattern.c_str(), &tm);
  return std::string(buf, n);
}

std::vector<std::string> dated_versions(int dirfd, const file_policy& f) {
  const std::string name = f.name();
  int listing = ::dup(dirfd);
  dir_stream d(listing >= 0 ? ::fdopendir(listing) : nullptr);
  if (!d) {
    int err = errno;
    if (listing >= 0) ::close(listing);
    throw_errno(err, "list the directory of " + f.path);
  }
  ::rewinddir(d.get());  // the duplicate shares the offset of an earlier listing
  std::set<std::string> bases;
  while (struct dirent* e = ::readdir(d.get())) {
    std::string_view entry = e->d_name;
    if (entry.size() <= name.size() || entry.substr(0, name.size()) != name) continue;
    std::string_view rest = entry.substr(name.size());
    for (std::string_view form : version_forms)
      if (!form.empty() && rest.size() > form.size() && rest.substr(rest.size() - form.size()) == form) {
        rest.remove_suffix(form.size());
        break;
      }
    if (matches_dateext(rest, f.dateext)) bases.emplace(rest);
  }
  return {bases.begin(), bases.end()};
}

std::vector<std::string> older_versions(int dirfd, const file_policy& f) {
  std::vector<std::string> out;
  if (!f.dateext.empty()) {
    out = dated_versions(dirfd, f);
    if (!out.empty()) out.pop_back();  // the newest stays plain, as .1 does
    return out;
  }
  for (unsigned i = 2; i <= f.keep; ++i) out.push_back(slot(i));
  return out;
}

std::vector<std::string> aged_versions(int dirfd, const file_policy& f, wall_time at) {
  std::vector<std::string> aged;
  if (!f.max_age) return aged;
  const std::string name = f.name();
  const auto limit = std::chrono::duration_cast<std::chrono::nanoseconds>(at.time_since_epoch()) - *f.max_age;
  for (const std::string& version : older_versions(dirfd, f)) {
    for (std::string_view form : version_forms) {
      const std::string suffix = version + std::string(form);
      auto s = stat_at(dirfd, name + suffix);
      if (!s || !S_ISREG(s->st_mode)) continue;
      auto mtime = std::chrono::seconds(s->st_mtim.tv_sec) + std::chrono::nanoseconds(s->st_mtim.tv_nsec);
      if (mtime < limit) aged.push_back(suffix);
    }
  }
  return aged;
}

}  // namespace detail

using namespace detail;

const char* to_string(outcome o) noexcept {
  switch (o) {
    case outcome::rotated: return "rotated";
    case outcome::skipped: return "skipped";
    case outcome::failed: return "failed";
  }
  return "?";
}

outcome engine::would_rotate(const file_policy& f, wall_time at, unsigned kept_before) {
  try {
    // The rotation that follows would create a missing olddir: it may as well be now.
    return inspect(open_directories_of(f, {}, true), f, options_.as_root, at, kept_before).status;
  } catch (const std::exception&) {
    return outcome::failed;  // rotate() reports why
  }
}

std::vector<std::string> engine::describe(const file_policy& f, unsigned kept_before) {
  std::vector<std::string> lines;
  try {
    if (!f.olddir.empty() && f.create_olddir.enabled && !stat_at(AT_FDCWD, f.olddir)) {
      lines.push_back("would create olddir " + f.olddir + " and rotate " + f.name() + " into it");
      return lines;
    }
    directories d = open_directories_of(f);
    inspection ins = inspect(d, f, options_.as_root, wall_clock::now(), kept_before);
    if (ins.status != outcome::rotated) {
      lines.push_back(std::string("would be ") + to_string(ins.status) + ": " + ins.reason);
      return lines;
    }
    const std::string name = f.name();
    for (const journal_step& s : ins.plan.steps) {
      if (s.kind == journal_step::drop) continue;  // told at its move to the hold name
      if (is_held(s.to)) lines.push_back("would drop " + name + s.from);
      else lines.push_back("would rename " + name + s.from + " -> " + name + s.to);
    }
    if (f.copytruncate) lines.push_back("would copy " + name + " -> " + name + ".1 and truncate " + name);
    if (ins.plan.fresh)
      lines.push_back("would create " + name + " (mode " + octal(ins.plan.fresh_mode) + ", owner " +
                      std::to_string(ins.plan.fresh_uid) + ":" + std::to_string(ins.plan.fresh_gid) + ")");
    if (f.compress && f.keep >= 2 && f.dateext.empty())
      lines.push_back("would compress " + name + ".2 -> " + name + slot(2, extension_of(f.method)));
    if (f.max_age) {
      // Ages as they are now; after the cascade each is one version further.
      for (const std::string& suffix : aged_versions(d.versions->get(), f, wall_clock::now()))
        lines.push_back("would remove " + name + suffix + " (older than max_age " + format_duration(*f.max_age) + ")");
    }
  } catch (const std::exception& e) {
    lines.push_back(std::string("would fail: ") + e.what());
  }
  return lines;
}

}  // namespace rotated
