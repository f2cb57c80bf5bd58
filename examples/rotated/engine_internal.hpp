// The engine's parts as its three files share them (private to rotated):
// inspection.cpp looks at a file and plans its cascade, cascade_and_recovery.cpp
// performs and replays it, compression_and_spares.cpp compresses versions and
// keeps the spare that becomes the fresh file.
#pragma once

#include <sys/stat.h>
#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "civil_time.hpp"
#include "config.hpp"
#include "engine.hpp"
#include "fs.hpp"
#include "journal.hpp"

namespace rotated::detail {

// A version is plain or compressed by either method; the cascade shifts
// every form, so a change of `compress` method loses no version.
inline constexpr std::string_view version_forms[] = {"", ".gz", ".zst"};
// ".3" or ".3.gz": the suffix of version i in a form (version_forms).
std::string slot(unsigned i, std::string_view form = {});
// "a symlink", "a FIFO", ...: what a non-regular entry is, for messages.
const char* kind_of(mode_t m);
bool same_inode(const std::optional<struct stat>& s, std::uint64_t dev, std::uint64_t ino);
// Whether `now` is the file step `s` journaled (journal.hpp): device, inode
// and birth time equal, size and mtime no smaller (until it reopens, the
// writer may still append to the file and to the version it became).
bool is_journaled_file(const journal_step& s, const std::optional<file_identity>& now);
std::string octal(mode_t m);

// A version that leaves is first renamed to its hold name, SUFFIX.rotated-drop,
// and unlinked only once the cascade cannot fail any more (inspect()).
inline constexpr std::string_view held_tail = ".rotated-drop";
std::string held(const std::string& suffix);
bool is_held(const std::string& suffix);

// Who does the work in a directory (docs/rotated.md, SECURITY). As root, a
// directory that a user other than root can write is worked in with its
// owner's identity (setfsuid/setfsgid, logrotate's `su`) or refused, as the
// file's entry says; one that a non-root group or (without
// allow_world_writable) anybody can write is refused.
struct directory_access {
  std::string refusal;                        // non-empty: do nothing there, for this reason
  std::optional<std::pair<uid_t, gid_t>> as;  // the identity to act with
};
// `path` names the directory of `dirfd` in messages.
directory_access access_for(int dirfd, const std::string& path, const file_policy& f, bool as_root);

// The directories a rotation works in: the file's, and its versions'
// (olddir, or the file's own again), each opened without following a
// symlink. A journal suffix names an entry of one of them: "" (the file
// itself) of the file's directory, any other of the versions'.
struct directories {
  directory_handle log;
  directory_handle versions;
  int of(std::string_view suffix) const { return (suffix.empty() ? log : versions)->get(); }
};
// `log` (else the file's directory, opened) and the versions' directory:
// olddir, with `create` created (mode 0755 and the file's directory's
// owner unless create_olddir says otherwise) when missing and
// create_olddir asks for it; EXDEV when it is on another filesystem.
directories open_directories_of(const file_policy& f, directory_handle log = {}, bool create = false);
// The access both directories allow: one refusal refuses, and both must
// be worked in with the same identity.
directory_access access_for(const directories& d, const file_policy& f, bool as_root);

// Acts with access.as for its scope, if set.
class acting_for {
 public:
  explicit acting_for(const directory_access& access) {
    if (access.as) scope_.emplace(access.as->first, access.as->second);
  }

 private:
  std::optional<fs_identity_scope> scope_;
};

// Result of looking at the file and its versions before a rotation.
struct inspection {
  outcome status = outcome::rotated;
  std::string reason;
  journal plan;
  struct stat st {};
  directory_access access;
};

// `kept_before`: engine::rotate's.
inspection inspect(const directories& d, const file_policy& f, bool as_root, wall_time at, unsigned kept_before);

// dateext: the suffix NAME gets from a rotation at `at` ("-20261206").
std::string date_suffix(const std::string& pattern, wall_time at);
// dateext: the suffixes of the dated versions there are (less any
// compression extension), oldest first: the pattern sorts in time order,
// as logrotate's dateformat must.
std::vector<std::string> dated_versions(int dirfd, const file_policy& f);
// The plain-version suffixes that compression and max_age consider: .2
// to .K, or every dated version but the newest.
std::vector<std::string> older_versions(int dirfd, const file_policy& f);

// The suffixes of the older versions (older_versions), in any form, whose regular file
// was last modified more than f.max_age before `at` (none without max_age).
std::vector<std::string> aged_versions(int dirfd, const file_policy& f, wall_time at);

// `given`, or the directory of `f` opened without following symlinks.
directory_handle open_directory_of(const file_policy& f, directory_handle given = {});

// Whether any other descriptor (of any process) has the file open: the
// kernel grants a write lease only when none has. Where leases are not
// supported the answer is "no" (nothing better can be known cheaply).
bool open_elsewhere(int fd);

// The fresh file's temp name; between rotations it holds the spare that
// engine::prepare() made.
std::string spare_name(const std::string& name);
// Whether a spare is still exactly what prepare() made: a regular, empty,
// single-link file of ours with mode 0600 (so nobody else can hold it open).
bool is_pristine_spare(const struct stat& st);
// Creates `name` empty with its final mode and owner, atomically, unless
// the writer recreated it meanwhile. Uses the spare when there is one (no
// inode to allocate at the due instant).
std::string create_fresh(int dirfd, const std::string& name, mode_t mode, uid_t uid, gid_t gid);

}  // namespace rotated::detail
