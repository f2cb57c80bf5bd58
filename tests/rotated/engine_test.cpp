// The rotation engine on real files: the cascade, compression, what is
// refused, and a simulated crash after every single step, then recovery.
#include <gtest/gtest.h>

#include <sys/resource.h>
#include <sys/wait.h>

#include <algorithm>
#include <csignal>
#include <filesystem>
#include <functional>
#include <cstring>
#include <sstream>

#include <weft/loop.hpp>
#include <weft/task.hpp>

#include "engine.hpp"
#include "engine_internal.hpp"
#include "fs.hpp"
#include "gzip.hpp"
#include "zstd.hpp"
#include "journal.hpp"
#include "service.hpp"
#include "state.hpp"
#include "support.hpp"

namespace {

using rotated_test::exists;
using rotated_test::list_dir;
using rotated_test::read_text;
using rotated_test::temp_dir;
using rotated_test::write_text;

rotated::file_policy policy(const std::string& path, unsigned keep, bool compress = false) {
  rotated::file_policy f;
  f.path = path;
  f.keep = keep;
  f.every = std::chrono::seconds(1);
  f.compress = compress;
  return f;
}

// The contents of a compressed file, through `decompress` (gunzip_fd, unzstd_fd).
std::optional<std::string> decompressed(const std::string& path,
                                        std::uint64_t (*decompress)(int, int, const std::string&)) {
  int in = ::open(path.c_str(), O_RDONLY);
  if (in < 0) return std::nullopt;
  rotated::unique_fd in_guard(in);
  temp_dir scratch;
  std::string out_path = scratch / "out";
  int out = ::open(out_path.c_str(), O_WRONLY | O_CREAT, 0600);
  rotated::unique_fd out_guard(out);
  decompress(in, out, path);
  return read_text(out_path);
}

std::optional<std::string> gunzip(const std::string& path) { return decompressed(path, rotated::gunzip_fd); }

void write_gz(const std::string& path, const std::string& text) {
  temp_dir scratch;
  write_text(scratch / "plain", text);
  int in = ::open((scratch / "plain").c_str(), O_RDONLY);
  int out = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  rotated::unique_fd a(in), b(out);
  rotated::gzip_fd(in, out, path);
}

rotated::engine make_engine(const temp_dir& state, int crash_after = -1, bool as_root = false) {
  rotated::engine_options o;
  o.state_dir = state.path();
  o.crash_after_steps = crash_after;
  o.as_root = as_root;
  return rotated::engine(o);
}

TEST(rotated_engine, the_cascade_keeps_exactly_k_versions_newest_first) {
  temp_dir dir, state;
  auto f = policy(dir / "app.log", 3);
  auto e = make_engine(state);
  for (int gen = 0; gen < 6; ++gen) {
    write_text(f.path, "gen " + std::to_string(gen) + "\n");
    auto r = e.rotate(f, rotated::wall_clock::now());
    ASSERT_EQ(r.status, rotated::outcome::rotated) << r.reason;
    e.finish(r.journal);
    EXPECT_EQ(read_text(f.path), "");
    for (int v = 1; v <= 3; ++v) {
      if (gen - v + 1 >= 0)
        EXPECT_EQ(read_text(f.path + "." + std::to_string(v)), "gen " + std::to_string(gen - v + 1) + "\n");
      else EXPECT_FALSE(exists(f.path + "." + std::to_string(v)));
    }
  }
  EXPECT_EQ(list_dir(dir.path()), (std::vector<std::string>{"app.log", "app.log.1", "app.log.2", "app.log.3"}));
  EXPECT_TRUE(rotated_test::pending_journals(state.path()).empty());
}

TEST(rotated_engine, compression_keeps_version_1_plain_and_gzips_2_to_k_with_the_source_mode) {
  temp_dir dir, state;
  auto f = policy(dir / "app.log", 4, true);
  auto e = make_engine(state);
  for (int gen = 0; gen < 6; ++gen) {
    write_text(f.path, std::string(1000, static_cast<char>('a' + gen)), 0640);
    auto r = e.rotate(f, rotated::wall_clock::now());
    ASSERT_EQ(r.status, rotated::outcome::rotated) << r.reason;
    auto c = e.compress(f);
    EXPECT_TRUE(c.errors.empty());
    EXPECT_EQ(c.done.size(), gen >= 1 ? 1u : 0u);
    e.finish(r.journal);
  }
  EXPECT_EQ(list_dir(dir.path()),
            (std::vector<std::string>{"app.log", "app.log.1", "app.log.2.gz", "app.log.3.gz", "app.log.4.gz"}));
  EXPECT_EQ(read_text(f.path + ".1"), std::string(1000, 'f'));
  EXPECT_EQ(gunzip(f.path + ".2.gz"), std::string(1000, 'e'));
  EXPECT_EQ(gunzip(f.path + ".3.gz"), std::string(1000, 'd'));
  EXPECT_EQ(gunzip(f.path + ".4.gz"), std::string(1000, 'c'));
  struct stat st {};
  ASSERT_EQ(::stat((f.path + ".3.gz").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0640u);
  ASSERT_EQ(::stat(f.path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0640u);  // the fresh file copies the old one's mode
}

TEST(rotated_engine, a_symlink_at_the_path_is_skipped_and_never_followed) {
  temp_dir dir, state, elsewhere;
  write_text(elsewhere / "target", "precious\n");
  ASSERT_EQ(::symlink((elsewhere / "target").c_str(), (dir / "app.log").c_str()), 0);
  auto e = make_engine(state);
  auto r = e.rotate(policy(dir / "app.log", 2), rotated::wall_clock::now());
  EXPECT_EQ(r.status, rotated::outcome::skipped);
  EXPECT_EQ(r.reason, "is a symlink, not a regular file; not followed");
  EXPECT_EQ(list_dir(dir.path()), (std::vector<std::string>{"app.log"}));
  EXPECT_EQ(list_dir(elsewhere.path()), (std::vector<std::string>{"target"}));
  EXPECT_EQ(read_text(elsewhere / "target"), "precious\n");
}

TEST(rotated_engine, a_hard_link_a_fifo_and_a_directory_at_the_path_are_skipped) {
  temp_dir dir, state;
  auto e = make_engine(state);
  write_text(dir / "linked.log", "x\n");
  ASSERT_EQ(::link((dir / "linked.log").c_str(), (dir / "other-name").c_str()), 0);
  ASSERT_EQ(::mkfifo((dir / "fifo.log").c_str(), 0644), 0);
  ASSERT_EQ(::mkdir((dir / "dir.log").c_str(), 0755), 0);
  auto hard = e.rotate(policy(dir / "linked.log", 2), rotated::wall_clock::now());
  EXPECT_EQ(hard.status, rotated::outcome::skipped);
  EXPECT_EQ(hard.reason, "has 2 hard links; only a file with a single link is rotated");
  auto fifo = e.rotate(policy(dir / "fifo.log", 2), rotated::wall_clock::now());  // must not block
  EXPECT_EQ(fifo.status, rotated::outcome::skipped);
  EXPECT_EQ(fifo.reason, "is a FIFO, not a regular file; not followed");
  auto d = e.rotate(policy(dir / "dir.log", 2), rotated::wall_clock::now());
  EXPECT_EQ(d.status, rotated::outcome::skipped);
  EXPECT_EQ(d.reason, "is a directory, not a regular file; not followed");
  EXPECT_EQ(list_dir(dir.path()), (std::vector<std::string>{"dir.log", "fifo.log", "linked.log", "other-name"}));
}

TEST(rotated_engine, missing_and_empty_files_follow_missing_ok_and_not_if_empty) {
  temp_dir dir, state;
  auto e = make_engine(state);
  auto f = policy(dir / "gone.log", 2);
  auto r = e.rotate(f, rotated::wall_clock::now());
  EXPECT_EQ(r.status, rotated::outcome::failed);
  EXPECT_EQ(r.reason, "does not exist");
  f.missing_ok = true;
  r = e.rotate(f, rotated::wall_clock::now());
  EXPECT_EQ(r.status, rotated::outcome::skipped);
  EXPECT_EQ(r.reason, "missing (missing_ok)");
  auto g = policy(dir / "empty.log", 2);
  write_text(g.path, "");
  g.not_if_empty = true;
  r = e.rotate(g, rotated::wall_clock::now());
  EXPECT_EQ(r.status, rotated::outcome::skipped);
  EXPECT_EQ(r.reason, "empty (not_if_empty)");
  g.not_if_empty = false;
  EXPECT_EQ(e.rotate(g, rotated::wall_clock::now()).status, rotated::outcome::rotated);
}

// missing_ok covers a missing directory as it covers a missing file: a
// quiet skip (logged at debug level), not an error at every check.
TEST(rotated_engine, missing_ok_also_skips_quietly_when_the_directory_is_missing) {
  temp_dir dir, state;
  auto e = make_engine(state);
  auto f = policy(dir / "gone/app.log", 2);
  f.missing_ok = true;
  auto r = e.rotate(f, rotated::wall_clock::now());
  EXPECT_EQ(r.status, rotated::outcome::skipped);
  EXPECT_EQ(r.reason, "missing (missing_ok)");
  f.missing_ok = false;
  EXPECT_EQ(e.rotate(f, rotated::wall_clock::now()).status, rotated::outcome::failed);
}

TEST(rotated_engine, the_fresh_file_gets_the_configured_mode_or_none_with_create_false) {
  temp_dir dir, state;
  auto e = make_engine(state);
  auto f = policy(dir / "a.log", 2);
  write_text(f.path, "x", 0644);
  f.create.mode = 0600;
  ASSERT_EQ(e.rotate(f, rotated::wall_clock::now()).status, rotated::outcome::rotated);
  struct stat st {};
  ASSERT_EQ(::stat(f.path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  EXPECT_EQ(st.st_size, 0);
  auto g = policy(dir / "b.log", 2);
  write_text(g.path, "x");
  g.create.enabled = false;
  ASSERT_EQ(e.rotate(g, rotated::wall_clock::now()).status, rotated::outcome::rotated);
  EXPECT_FALSE(exists(g.path));
  EXPECT_EQ(read_text(g.path + ".1"), "x");
}

ino_t inode_of(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0 ? st.st_ino : 0;
}

TEST(rotated_engine, the_fresh_file_is_the_spare_prepare_made_and_a_tampered_spare_is_never_used) {
  temp_dir dir, state;
  auto e = make_engine(state);
  auto f = policy(dir / "app.log", 2);
  f.create.mode = 0640;
  const std::string spare = dir / ".app.log.rotated-new";
  write_text(f.path, "one\n");
  e.prepare(f);
  struct stat st {};
  ASSERT_EQ(::lstat(spare.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  EXPECT_EQ(st.st_size, 0);
  ino_t prepared = st.st_ino;
  e.prepare(f);  // already there: kept
  EXPECT_EQ(inode_of(spare), prepared);
  ASSERT_EQ(e.rotate(f, rotated::wall_clock::now()).status, rotated::outcome::rotated);
  EXPECT_EQ(inode_of(f.path), prepared);  // no inode allocated during the rotation
  ASSERT_EQ(::stat(f.path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0640u);
  EXPECT_FALSE(exists(spare));
  EXPECT_EQ(read_text(f.path + ".1"), "one\n");

  // Content or a wider mode: removed, never adopted (whoever holds such a
  // file open must not see the new log).
  auto links_after_rotation = [&](const std::string& planted_text, mode_t mode) {
    write_text(f.path, "older\n");
    write_text(spare, planted_text, mode);
    rotated::unique_fd held(::open(spare.c_str(), O_RDONLY));
    EXPECT_EQ(e.rotate(f, rotated::wall_clock::now()).status, rotated::outcome::rotated);
    struct stat held_st {};
    ::fstat(held.get(), &held_st);
    return held_st.st_nlink;
  };
  EXPECT_EQ(links_after_rotation("planted", 0600), 0u);
  EXPECT_EQ(links_after_rotation("", 0644), 0u);
  EXPECT_EQ(read_text(f.path), "");
  write_text(f.path, "three\n");
  e.prepare(f);
  EXPECT_EQ(links_after_rotation("", 0600), 1u);  // the control: a pristine spare is the fresh file
  EXPECT_EQ(read_text(f.path + ".1"), "older\n");
  // A symlink: removed, its target untouched.
  write_text(f.path, "four\n");
  write_text(dir / "target", "");
  ASSERT_EQ(::symlink((dir / "target").c_str(), spare.c_str()), 0);
  ASSERT_EQ(e.rotate(f, rotated::wall_clock::now()).status, rotated::outcome::rotated);
  ASSERT_EQ(::lstat(f.path.c_str(), &st), 0);
  EXPECT_TRUE(S_ISREG(st.st_mode));
  EXPECT_EQ(read_text(dir / "target"), "");
  EXPECT_EQ(read_text(f.path + ".1"), "four\n");
  EXPECT_EQ(read_text(f.path + ".2"), "older\n");
}

TEST(rotated_engine, unprepare_removes_only_a_pristine_spare_and_create_false_removes_it_too) {
  temp_dir dir, state;
  auto e = make_engine(state);
  auto f = policy(dir / "app.log", 2);
  const std::string spare = dir / ".app.log.rotated-new";
  e.prepare(f);
  ASSERT_TRUE(exists(spare));
  e.unprepare(f);
  EXPECT_FALSE(exists(spare));
  e.unprepare(f);  // none: nothing to do
  write_text(spare, "not ours to remove", 0600);
  e.unprepare(f);
  EXPECT_EQ(read_text(spare), "not ours to remove");
  ASSERT_EQ(::unlink(spare.c_str()), 0);
  e.prepare(f);
  f.create.enabled = false;  // a reload turned create off
  e.prepare(f);
  EXPECT_FALSE(exists(spare));
}

TEST(rotated_engine, rotations_leave_their_directories_to_one_sync_directories_call) {
  temp_dir a, b, state;
  auto e = make_engine(state);
  for (const char* name : {"1.log", "2.log", "3.log"}) write_text(a / name, "x");
  write_text(b / "4.log", "x");
  EXPECT_EQ(e.unsynced_directories(), 0u);
  for (const char* name : {"1.log", "2.log", "3.log"})
    ASSERT_EQ(e.rotate(policy(a / name, 2), rotated::wall_clock::now()).status, rotated::outcome::rotated);
  ASSERT_EQ(e.rotate(policy(b / "4.log", 2), rotated::wall_clock::now()).status, rotated::outcome::rotated);
  EXPECT_EQ(e.unsynced_directories(), 2u);  // three rotations in a, one in b
  e.sync_directories();
  EXPECT_EQ(e.unsynced_directories(), 0u);
  // A skipped rotation changes nothing; a directory removed since needs no sync.
  EXPECT_EQ(e.rotate(policy(a / "missing.log", 2), rotated::wall_clock::now()).status, rotated::outcome::failed);
  EXPECT_EQ(e.unsynced_directories(), 0u);
  {
    temp_dir gone;
    write_text(gone / "5.log", "x");
    ASSERT_EQ(e.rotate(policy(gone / "5.log", 2), rotated::wall_clock::now()).status, rotated::outcome::rotated);
  }
  EXPECT_EQ(e.unsynced_directories(), 1u);
  e.sync_directories();
  EXPECT_EQ(e.unsynced_directories(), 0u);
}

TEST(rotated_engine, as_root_a_directory_writable_by_others_needs_allow_world_writable) {
  temp_dir dir, state;
  ASSERT_EQ(::chmod(dir.path().c_str(), 0777), 0);
  auto e = make_engine(state, -1, /*as_root=*/true);
  auto f = policy(dir / "a.log", 2);
  write_text(f.path, "x");
  auto r = e.rotate(f, rotated::wall_clock::now());
  EXPECT_EQ(r.status, rotated::outcome::skipped);
  EXPECT_EQ(r.reason, "directory " + dir.path() + " is writable by others (set allow_world_writable = true to allow)");
  EXPECT_FALSE(exists(f.path + ".1"));
  f.allow_world_writable = true;
  EXPECT_EQ(e.rotate(f, rotated::wall_clock::now()).status, rotated::outcome::rotated);
  EXPECT_EQ(read_text(f.path + ".1"), "x");
}

// Every entry under `dir` (recursively): its relative path, mode, owner and
// content (or link target), in order, for byte-for-byte comparison.
std::vector<std::string> snapshot(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
    struct stat st {};
    ::lstat(e.path().c_str(), &st);
    std::string line = e.path().string().substr(dir.size()) + " " + std::to_string(st.st_mode) + " " +
                       std::to_string(st.st_uid) + ":" + std::to_string(st.st_gid) + " ";
    if (S_ISREG(st.st_mode)) line += read_text(e.path().string()).value_or("?");
    out.push_back(line);
  }
  std::sort(out.begin(), out.end());
  return out;
}

// The "logrotten" race: the log directory's parent belongs to an
// unprivileged user, who swaps the log directory for a symlink to a decoy
// directory of root's, 1,000 times, while root rotates, compresses and
// prepares spares there. Root must never touch the decoy.
TEST(rotated_engine, a_racer_swapping_the_directory_for_a_symlink_never_reaches_the_decoy) {
  ASSERT_EQ(::geteuid(), 0u) << "this test drops a racer to nobody: run it as root";
  const uid_t nobody = 65534;
  temp_dir top, state;
  ASSERT_EQ(::chmod(top.path().c_str(), 0755), 0);
  std::string svc = top / "svc", logs = svc + "/logs", decoy = top / "decoy";
  ASSERT_EQ(::mkdir(svc.c_str(), 0755), 0);
  ASSERT_EQ(::mkdir(logs.c_str(), 0755), 0);
  ASSERT_EQ(::chown(svc.c_str(), nobody, nobody), 0);
  ASSERT_EQ(::chown(logs.c_str(), nobody, nobody), 0);
  ASSERT_EQ(::mkdir(decoy.c_str(), 0755), 0);
  ASSERT_EQ(::mkdir((decoy + "/sub").c_str(), 0700), 0);
  write_text(decoy + "/app.log", "root's own app.log\n", 0600);
  write_text(decoy + "/app.log.1", "root's own version\n", 0600);
  write_text(decoy + "/app.log.2", "root's second version\n", 0600);
  write_text(decoy + "/sub/secret", "untouched\n", 0600);
  const auto before = snapshot(decoy);
  write_text(logs + "/app.log", "service lines\n");
  ASSERT_EQ(::chown((logs + "/app.log").c_str(), nobody, nobody), 0);

  int go[2];
  ASSERT_EQ(::pipe(go), 0);
  pid_t racer = ::fork();
  ASSERT_GE(racer, 0);
  if (racer == 0) {
    char c;
    if (::setgid(nobody) != 0 || ::setuid(nobody) != 0 || ::read(go[0], &c, 1) != 1) ::_exit(2);
    std::string real = svc + "/logs.real";
    for (int i = 0; i < 1000; ++i) {
      if (::rename(logs.c_str(), real.c_str()) != 0 || ::symlink(decoy.c_str(), logs.c_str()) != 0) ::_exit(3);
      for (int spin = 0; spin < 2000; ++spin) asm volatile("");
      if (::unlink(logs.c_str()) != 0 || ::rename(real.c_str(), logs.c_str()) != 0) ::_exit(4);
    }
    ::_exit(0);
  }
  ::close(go[0]);
  rotated::engine_options o;
  o.state_dir = state.path();
  o.as_root = true;
  rotated::engine e(o);
  auto f = policy(logs + "/app.log", 2, true);
  ASSERT_EQ(::write(go[1], "g", 1), 1);
  ::close(go[1]);
  int status = 0, rotations = 0;
  while (::waitpid(racer, &status, WNOHANG) == 0) {
    auto r = e.rotate(f, rotated::wall_clock::now());
    if (r.status == rotated::outcome::rotated) ++rotations;
    e.finish(r.journal);
    // As the daemon does: in the directory the rotation worked in, when it
    // rotated; else opened again (and refused while it is a symlink).
    e.compress(f, r.directory);
    try {
      e.prepare(f, r.directory);
    } catch (const std::system_error&) {
      // the directory was a symlink at that moment: refused
    }
  }
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "racer status " << status;
  EXPECT_EQ(snapshot(decoy), before);
  EXPECT_GT(rotations, 0);
}

// As root, a directory a service user can write is worked in with that
// user's identity (its files are theirs, their tricks get them nothing
// root could do), or refused when so configured; a directory a non-root
// group can write is refused (logrotate's rule).
TEST(rotated_engine, as_root_a_directory_writable_by_a_user_is_worked_in_as_that_user_or_refused) {
  ASSERT_EQ(::geteuid(), 0u) << "this test checks what root does in a user's directory: run it as root";
  const uid_t nobody = 65534;
  temp_dir top, state;
  std::string logs = top / "logs";
  ASSERT_EQ(::mkdir(logs.c_str(), 0755), 0);
  ASSERT_EQ(::chown(logs.c_str(), nobody, nobody), 0);
  auto e = make_engine(state, -1, /*as_root=*/true);
  auto f = policy(logs + "/app.log", 3, true);
  for (int gen = 0; gen < 3; ++gen) {
    write_text(f.path, "gen " + std::to_string(gen) + "\n");
    auto r = e.rotate(f, rotated::wall_clock::now());
    ASSERT_EQ(r.status, rotated::outcome::rotated) << r.reason;
    e.finish(r.journal);
    EXPECT_TRUE(e.compress(f).errors.empty());
  }
  e.prepare(f);
  struct stat st {};
  ASSERT_EQ(::stat((logs + "/.app.log.rotated-new").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, nobody);
  ASSERT_EQ(::stat((logs + "/app.log.2.gz").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, nobody);
  EXPECT_EQ(::getuid(), 0u);  // the process and thread identities are root's again

  f.refuse_unsafe_directory = true;
  auto refused = e.rotate(f, rotated::wall_clock::now());
  EXPECT_EQ(refused.status, rotated::outcome::skipped);
  EXPECT_EQ(refused.reason,
            "directory " + logs + " is writable by uid 65534, not root (unsafe_directory = \"refuse\")");

  std::string group_dir = top / "group";
  ASSERT_EQ(::mkdir(group_dir.c_str(), 0775), 0);
  ASSERT_EQ(::chown(group_dir.c_str(), 0, nobody), 0);
  ASSERT_EQ(::chmod(group_dir.c_str(), 0775), 0);
  auto g = policy(group_dir + "/app.log", 2);
  write_text(g.path, "x");
  auto r = e.rotate(g, rotated::wall_clock::now());
  EXPECT_EQ(r.status, rotated::outcome::skipped);
  EXPECT_EQ(r.reason, "directory " + group_dir + " is writable by group 65534, which is not root");
}

TEST(rotated_engine, a_smaller_keep_drops_the_versions_beyond_it) {
  temp_dir dir, state;
  auto e = make_engine(state);
  auto f = policy(dir / "a.log", 5);
  for (int gen = 0; gen < 6; ++gen) {
    write_text(f.path, std::to_string(gen));
    ASSERT_EQ(e.rotate(f, rotated::wall_clock::now(), gen == 0 ? 0 : 5).status, rotated::outcome::rotated);
  }
  f.keep = 2;
  write_text(f.path, "6");
  ASSERT_EQ(e.rotate(f, rotated::wall_clock::now(), 5).status, rotated::outcome::rotated);
  EXPECT_EQ(list_dir(dir.path()), (std::vector<std::string>{"a.log", "a.log.1", "a.log.2"}));
  EXPECT_EQ(read_text(f.path + ".1"), "6");
  EXPECT_EQ(read_text(f.path + ".2"), "5");
}

// keep = 0 (logrotate's `rotate 0`): the contents leave at each rotation,
// no version is kept, the versions of a larger keep before go too, a fresh
// file takes the path; a crash after any step recovers to the same.
TEST(rotated_engine, keep_0_drops_the_contents_and_every_version_rotated_made) {
  temp_dir dir, state;
  auto f = policy(dir / "app.log", 0);
  write_text(f.path, "old\n", 0640);
  write_text(f.path + ".1", "v1");
  write_text(f.path + ".2.gz", "v2");
  write_text(f.path + ".3", "not rotated's");
  auto e = make_engine(state);
  EXPECT_EQ(e.describe(f, 2),
            (std::vector<std::string>{"would drop app.log.1", "would drop app.log.2.gz", "would drop app.log",
                                      "would create app.log (mode 0640, owner " + std::to_string(::getuid()) + ":" +
                                          std::to_string(::getgid()) + ")"}));
  auto r = e.rotate(f, rotated::wall_clock::now(), 2);
  ASSERT_EQ(r.status, rotated::outcome::rotated) << r.reason;
  EXPECT_EQ(list_dir(dir.path()), (std::vector<std::string>{"app.log", "app.log.3"}));
  EXPECT_EQ(read_text(f.path), "");
  for (int crash_after = 0; crash_after < 3; ++crash_after) {
    SCOPED_TRACE(crash_after);
    write_text(f.path, "again\n");
    auto crashing = make_engine(state, crash_after);
    EXPECT_THROW(crashing.rotate(f, rotated::wall_clock::now(), 0), rotated::simulated_crash);
    auto restarted = make_engine(state);
    for (const auto& rec : restarted.recover()) restarted.finish(rec.journal);
    EXPECT_EQ(list_dir(dir.path()), (std::vector<std::string>{"app.log", "app.log.3"}));
    EXPECT_EQ(read_text(f.path), "");
  }
}

// Only versions rotated made may be removed. With keep = 9 rotated never
// makes an app.log.10, so one that is there is somebody else's file: it
// (and its .gz, and whatever follows) stays byte for byte, whatever the
// state says the last rotation kept.
TEST(rotated_engine, keep_9_leaves_an_unrelated_version_10_alone) {
  for (unsigned kept_before : {0u, 9u}) {
    SCOPED_TRACE(kept_before);
    temp_dir dir, state;
    auto e = make_engine(state);
    auto f = policy(dir / "app.log", 9);
    write_text(f.path, "live");
    for (int v = 1; v <= 9; ++v) write_text(f.path + "." + std::to_string(v), "v" + std::to_string(v));
    write_text(f.path + ".10", "not rotated's");
    write_text(f.path + ".10.gz", "not rotated's either");
    write_text(f.path + ".11", "nor this");
    auto r = e.rotate(f, rotated::wall_clock::now(), kept_before);
    ASSERT_EQ(r.status, rotated::outcome::rotated) << r.reason;
    EXPECT_EQ(read_text(f.path + ".10"), "not rotated's");
    EXPECT_EQ(read_text(f.path + ".10.gz"), "not rotated's either");
    EXPECT_EQ(read_text(f.path + ".11"), "nor this");
    EXPECT_EQ(read_text(f.path + ".1"), "live");
    for (int v = 2; v <= 9; ++v) EXPECT_EQ(read_text(f.path + "." + std::to_string(v)), "v" + std::to_string(v - 1));
    EXPECT_EQ(list_dir(dir.path()).size(), 1u + 9u + 3u);  // v9 dropped, nothing else
  }
}

// keep shrank while no record of the larger one survived (a state from
// before the record existed): the versions beyond the new keep cannot be
// told from somebody else's files, so they stay.
TEST(rotated_engine, a_smaller_keep_without_the_larger_one_recorded_drops_nothing_beyond_it) {
  temp_dir dir, state;
  auto e = make_engine(state);
  auto f = policy(dir / "a.log", 2);
  write_text(f.path, "live");
  for (int v = 1; v <= 4; ++v) write_text(f.path + "." + std::to_string(v), "v" + std::to_string(v));
  ASSERT_EQ(e.rotate(f, rotated::wall_clock::now(), 0).status, rotated::outcome::rotated);
  EXPECT_EQ(list_dir(dir.path()), (std::vector<std::string>{"a.log", "a.log.1", "a.log.2", "a.log.3", "a.log.4"}));
  EXPECT_EQ(read_text(f.path + ".2"), "v1");
  EXPECT_EQ(read_text(f.path + ".3"), "v3");
  EXPECT_EQ(read_text(f.path + ".4"), "v4");
}

std::optional<std::string> unzstd(const std::string& path) { return decompressed(path, rotated::unzstd_fd); }

// compress = "zstd" makes NAME.i.zst (levels 1..19); a change of method
// loses nothing: the gzipped versions made before shift on beside the new
// zstd ones, and the oldest leaves whatever its form.
TEST(rotated_engine, zstd_compresses_versions_and_a_change_from_gzip_keeps_every_version) {
  temp_dir dir, state;
  auto e = make_engine(state);
  auto f = policy(dir / "app.log", 5, true);
  for (int gen = 1; gen <= 5; ++gen) {
    if (gen == 3) {
      f.method = rotated::compression_method::zstd;
      f.compress_level = 19;
    }
    write_text(f.path, "gen " + std::to_string(gen) + "\n");
    auto r = e.rotate(f, rotated::wall_clock::now());
    ASSERT_EQ(r.status, rotated::outcome::rotated) << r.reason;
    auto c = e.compress(f, r.directory);
    EXPECT_TRUE(c.errors.empty()) << c.errors.front();
  }
  EXPECT_EQ(list_dir(dir.path()), (std::vector<std::string>{"app.log", "app.log.1", "app.log.2.zst", "app.log.3.zst",
                                                            "app.log.4.zst", "app.log.5.gz"}));
  EXPECT_EQ(read_text(f.path + ".1"), "gen 5\n");
  EXPECT_EQ(unzstd(f.path + ".2.zst"), "gen 4\n");
  EXPECT_EQ(unzstd(f.path + ".4.zst"), "gen 2\n");
  EXPECT_EQ(gunzip(f.path + ".5.gz"), "gen 1\n");
  write_text(f.path, "gen 6\n");
  ASSERT_EQ(e.rotate(f, rotated::wall_clock::now()).status, rotated::outcome::rotated);
  EXPECT_FALSE(exists(f.path + ".5.gz"));  // the oldest leaves, gzipped or not
  EXPECT_EQ(unzstd(f.path + ".5.zst"), "gen 2\n");
}

// dateext (logrotate's dateext/dateformat): versions are named by the
// rotation's local date and never shift; the oldest beyond keep leave,
// the newest stays plain and the older are compressed; a second rotation
// the same day is skipped (the name exists); names that do not fit the
// pattern are not rotated's and stay; a crash after any step recovers.
TEST(rotated_engine, dateext_names_versions_by_date_and_keeps_the_newest_k) {
  rotated_test::tz_scope tz("America/New_York");
  temp_dir dir, state;
  auto f = policy(dir / "app.log", 2, true);
  f.dateext = "-%Y%m%d";
  write_text(f.path + "-notadate", "not rotated's");
  write_text(f.path + "-2026120", "nor this");
  auto e = make_engine(state);
  const char* days[] = {"2026-12-01T12:00:00Z", "2026-12-02T12:00:00Z", "2026-12-03T12:00:00Z"};
  for (int k = 0; k < 3; ++k) {
    write_text(f.path, std::string("day ") + std::to_string(k + 1) + "\n");
    auto r = e.rotate(f, rotated_test::utc(days[k]));
    ASSERT_EQ(r.status, rotated::outcome::rotated) << r.reason;
    auto c = e.compress(f, r.directory);
    EXPECT_TRUE(c.errors.empty()) << c.errors.front();
  }
  EXPECT_EQ(list_dir(dir.path()), (std::vector<std::string>{"app.log", "app.log-2026120", "app.log-20261202.gz",
                                                            "app.log-20261203", "app.log-notadate"}));
  EXPECT_EQ(gunzip(f.path + "-20261202.gz"), "day 2\n");
  EXPECT_EQ(read_text(f.path + "-20261203"), "day 3\n");
  write_text(f.path, "same day\n");
  auto again = e.rotate(f, rotated_test::utc("2026-12-03T20:00:00Z"));
  EXPECT_EQ(again.status, rotated::outcome::skipped);
  EXPECT_EQ(again.reason, "app.log-20261203 exists already (a dateext pattern coarser than the trigger?)");
  for (int crash_after = 0; crash_after < 4; ++crash_after) {
    SCOPED_TRACE(crash_after);
    write_text(f.path, "day " + std::to_string(4 + crash_after) + "\n");
    auto at = rotated_test::utc(days[0]) + std::chrono::hours(24 * (3 + crash_after));
    auto crashing = make_engine(state, crash_after);
    EXPECT_THROW(crashing.rotate(f, at), rotated::simulated_crash);
    auto restarted = make_engine(state);
    for (const auto& rec : restarted.recover()) restarted.finish(rec.journal);
    EXPECT_EQ(read_text(f.path), "");
    EXPECT_EQ(read_text(f.path + rotated::detail::date_suffix(f.dateext, at)),
              "day " + std::to_string(4 + crash_after) + "\n");
    EXPECT_EQ(list_dir(dir.path()).size(), 5u);  // app.log, two dated versions, the two strangers
  }
}

// A crash in the compression that follows a dateext rotation (found by
// tests/rotated/stress/kill_at_every_syscall.py): recovery must finish it as
// it does for numbered versions, leaving no temporary file and no version
// both plain and compressed.
TEST(rotated_engine, a_crash_in_a_dateext_rotation_or_its_compression_is_completed_by_recovery) {
  rotated_test::tz_scope tz("America/New_York");
  for (int crash_after = 0;; ++crash_after) {
    SCOPED_TRACE("crash after step " + std::to_string(crash_after));
    temp_dir dir, state;
    auto f = policy(dir / "app.log", 2, true);
    f.dateext = "-%Y%m%d";
    write_gz(f.path + "-20261201.gz", "day 1\n");
    write_text(f.path + "-20261202", "day 2\n");
    write_text(f.path, "day 3\n");
    auto crashing = make_engine(state, crash_after);
    bool crashed = false;
    try {
      auto r = crashing.rotate(f, rotated_test::utc("2026-12-03T12:00:00Z"));
      ASSERT_EQ(r.status, rotated::outcome::rotated) << r.reason;
      auto c = crashing.compress(f, r.directory);
      EXPECT_TRUE(c.errors.empty()) << c.errors.front();
      crashing.finish(r.journal);
    } catch (const rotated::simulated_crash&) {
      crashed = true;
    }
    auto recovering = make_engine(state);
    for (const auto& rec : recovering.recover()) recovering.finish(rec.journal);
    EXPECT_EQ(list_dir(dir.path()), (std::vector<std::string>{"app.log", "app.log-20261202.gz", "app.log-20261203"}));
    EXPECT_EQ(read_text(f.path), "");
    EXPECT_EQ(gunzip(f.path + "-20261202.gz"), "day 2\n");
    EXPECT_EQ(read_text(f.path + "-20261203"), "day 3\n");
    EXPECT_TRUE(rotated_test::pending_journals(state.path()).empty());
    if (!crashed) break;
  }
}

void set_mtime(const std::string& path, rotated::wall_time t) {
  auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
  timespec times[2] = {{ns / 1000000000, ns % 1000000000}, {ns / 1000000000, ns % 1000000000}};
  ASSERT_EQ(::utimensat(AT_FDCWD, path.c_str(), times, 0), 0);
}

// max_age (logrotate's maxage): each rotation removes the versions 2..keep
// last written more than max_age before it, plain or compressed; the one
// just made (.1) and younger ones stay, and so does what is not rotated's.
TEST(rotated_engine, max_age_removes_the_versions_last_written_longer_ago) {
  using namespace std::chrono_literals;
  temp_dir dir, state;
  auto e = make_engine(state);
  auto f = policy(dir / "app.log", 5);
  f.max_age = 24h * 10;
  const rotated::wall_time at = rotated_test::utc("2026-06-30T00:00:00Z");
  write_text(f.path, "live");
  set_mtime(f.path, at - 24h * 40);  // .1 after the rotation, however old
  write_text(f.path + ".1", "one");
  set_mtime(f.path + ".1", at - 24h * 9);
  write_text(f.path + ".2.gz", "two");
  set_mtime(f.path + ".2.gz", at - 24h * 10 - 1s);
  write_text(f.path + ".3", "three");
  set_mtime(f.path + ".3", at - 24h * 30);
  write_text(f.path + ".9", "not rotated's");
  set_mtime(f.path + ".9", at - 24h * 300);
  auto dry = e.describe(f);
  auto r = e.rotate(f, at);
  ASSERT_EQ(r.status, rotated::outcome::rotated) << r.reason;
  EXPECT_EQ(list_dir(dir.path()), (std::vector<std::string>{"app.log", "app.log.1", "app.log.2", "app.log.9"}));
  EXPECT_EQ(read_text(f.path + ".1"), "live");
  EXPECT_EQ(read_text(f.path + ".2"), "one");
  EXPECT_NE(std::find(r.actions.begin(), r.actions.end(), "removed app.log.3.gz (older than max_age 10d)"),
            r.actions.end());
  EXPECT_NE(std::find(r.actions.begin(), r.actions.end(), "removed app.log.4 (older than max_age 10d)"),
            r.actions.end());
  EXPECT_NE(std::find(dry.begin(), dry.end(), "would remove app.log.3 (older than max_age 10d)"), dry.end());
}

// olddir: the versions go to another directory of the same filesystem and
// shift, compress and age there; the file's directory keeps only the file.
TEST(rotated_engine, olddir_holds_the_versions_which_shift_compress_and_age_there) {
  temp_dir dir, state;
  auto e = make_engine(state);
  auto f = policy(dir / "app.log", 3, true);
  f.olddir = dir / "old";
  f.max_age = std::chrono::hours(24 * 10);
  ASSERT_EQ(::mkdir(f.olddir.c_str(), 0755), 0);
  const rotated::wall_time at = rotated::wall_clock::now();
  for (const char* text : {"one\n", "two\n", "three\n"}) {
    write_text(f.path, text);
    auto r = e.rotate(f, at);
    ASSERT_EQ(r.status, rotated::outcome::rotated) << r.reason;
    auto c = e.compress(f, r.versions);
    EXPECT_TRUE(c.errors.empty());
  }
  EXPECT_EQ(list_dir(dir.path()), (std::vector<std::string>{"app.log", "old"}));
  EXPECT_EQ(list_dir(f.olddir), (std::vector<std::string>{"app.log.1", "app.log.2.gz", "app.log.3.gz"}));
  EXPECT_EQ(read_text(f.olddir + "/app.log.1"), "three\n");
  EXPECT_EQ(gunzip(f.olddir + "/app.log.2.gz"), "two\n");
  EXPECT_EQ(gunzip(f.olddir + "/app.log.3.gz"), "one\n");
  set_mtime(f.olddir + "/app.log.2.gz", at - std::chrono::hours(24 * 30));
  write_text(f.path, "four\n");
  auto r = e.rotate(f, at);
  ASSERT_EQ(r.status, rotated::outcome::rotated) << r.reason;
  EXPECT_NE(std::find(r.actions.begin(), r.actions.end(), "removed app.log.3.gz (older than max_age 10d)"),
            r.actions.end());
  EXPECT_EQ(list_dir(f.olddir), (std::vector<std::string>{"app.log.1", "app.log.2"}));
  EXPECT_EQ(read_text(f.olddir + "/app.log.2"), "three\n");
}

// As root, olddir follows the rules of the file's directory (SECURITY):
// writable by others it is refused; owned by a user it is worked in as
// that user, which the file's directory must then allow too.
TEST(rotated_engine, as_root_olddir_follows_the_rules_of_the_files_directory) {
  ASSERT_EQ(::geteuid(), 0u) << "this test checks what root does in a user's olddir: run it as root";
  const uid_t nobody = 65534;
  temp_dir dir, state;
  auto e = make_engine(state, -1, /*as_root=*/true);
  auto f = policy(dir / "app.log", 2);
  f.olddir = dir / "old";
  ASSERT_EQ(::mkdir(f.olddir.c_str(), 0755), 0);
  ASSERT_EQ(::chmod(f.olddir.c_str(), 0777), 0);
  write_text(f.path, "x\n");
  auto r = e.rotate(f, rotated::wall_clock::now());
  EXPECT_EQ(r.status, rotated::outcome::skipped);
  EXPECT_EQ(r.reason, "directory " + f.olddir + " is writable by others (set allow_world_writable = true to allow)");
  ASSERT_EQ(::chmod(f.olddir.c_str(), 0755), 0);
  ASSERT_EQ(::chown(f.olddir.c_str(), nobody, nobody), 0);
  r = e.rotate(f, rotated::wall_clock::now());
  EXPECT_EQ(r.status, rotated::outcome::skipped);
  EXPECT_EQ(r.reason, "olddir " + f.olddir + " and directory " + dir.path() + " would be worked in as different users");
  EXPECT_EQ(list_dir(dir.path()), (std::vector<std::string>{"app.log", "old"}));
  EXPECT_EQ(list_dir(f.olddir), std::vector<std::string>{});
  ASSERT_EQ(::chown(dir.path().c_str(), nobody, nobody), 0);  // both the user's: worked in as the user
  ASSERT_EQ(::chown(f.path.c_str(), nobody, nobody), 0);
  r = e.rotate(f, rotated::wall_clock::now());
  ASSERT_EQ(r.status, rotated::outcome::rotated) << r.reason;
  struct stat st {};
  ASSERT_EQ(::lstat((f.olddir + "/app.log.1").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, nobody);
  ASSERT_EQ(::lstat(f.path.c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, nobody);  // the fresh file, created as the user
}

TEST(rotated_engine, dateext_versions_go_to_olddir) {
  rotated_test::tz_scope tz("UTC");
  temp_dir dir, state;
  auto e = make_engine(state);
  auto f = policy(dir / "app.log", 1);
  f.dateext = "-%Y%m%d";
  f.olddir = dir / "old";
  ASSERT_EQ(::mkdir(f.olddir.c_str(), 0755), 0);
  write_text(f.path, "a\n");
  ASSERT_EQ(e.rotate(f, rotated_test::utc("2026-12-05T10:00:00Z")).status, rotated::outcome::rotated);
  write_text(f.path, "b\n");
  ASSERT_EQ(e.rotate(f, rotated_test::utc("2026-12-06T10:00:00Z")).status, rotated::outcome::rotated);
  EXPECT_EQ(list_dir(dir.path()), (std::vector<std::string>{"app.log", "old"}));
  EXPECT_EQ(list_dir(f.olddir), (std::vector<std::string>{"app.log-20261206"}));
  EXPECT_EQ(read_text(f.olddir + "/app.log-20261206"), "b\n");
}

// A missing olddir is an error unless create_olddir asks for it (made with
// its mode); one on another filesystem, or reached through a symlink, is
// refused at run time too and nothing moves.
TEST(rotated_engine, olddir_is_created_on_request_and_refused_elsewhere_or_through_a_symlink) {
  temp_dir dir, state, decoy;
  auto e = make_engine(state);
  auto f = policy(dir / "app.log", 2);
  f.olddir = dir / "old";
  write_text(f.path, "x\n");
  auto r = e.rotate(f, rotated::wall_clock::now());
  EXPECT_EQ(r.status, rotated::outcome::failed);
  EXPECT_NE(r.reason.find(std::strerror(ENOENT)), std::string::npos) << r.reason;
  EXPECT_EQ(list_dir(dir.path()), (std::vector<std::string>{"app.log"}));
  f.create_olddir = rotated::create_spec{true, 0750, {}, {}};
  EXPECT_EQ(e.describe(f),
            (std::vector<std::string>{"would create olddir " + f.olddir + " and rotate app.log into it"}));
  r = e.rotate(f, rotated::wall_clock::now());
  ASSERT_EQ(r.status, rotated::outcome::rotated) << r.reason;
  struct stat st {};
  ASSERT_EQ(::lstat(f.olddir.c_str(), &st), 0);
  EXPECT_TRUE(S_ISDIR(st.st_mode));
  EXPECT_EQ(st.st_mode & 07777, 0750u);
  EXPECT_EQ(list_dir(f.olddir), (std::vector<std::string>{"app.log.1"}));

  f.olddir = "/proc";
  r = e.rotate(f, rotated::wall_clock::now());
  EXPECT_EQ(r.status, rotated::outcome::failed);
  EXPECT_EQ(r.reason, "olddir /proc is on another filesystem than " + dir.path() + ": " + std::strerror(EXDEV));
  ASSERT_EQ(::symlink(decoy.path().c_str(), (dir / "link").c_str()), 0);
  f.olddir = dir / "link";
  r = e.rotate(f, rotated::wall_clock::now());
  EXPECT_EQ(r.status, rotated::outcome::failed);
  EXPECT_EQ(list_dir(decoy.path()), std::vector<std::string>{});
  EXPECT_EQ(list_dir(dir.path()), (std::vector<std::string>{"app.log", "link", "old"}));
}

// chattr +a on the live file makes its rename to .1 fail with EPERM (the
// hook fails that step the same way without root). Each attempt must leave
// every retained version where it was: nothing is dropped or shifted
// before the step that can fail has succeeded.
void final_step_failure_keeps_every_version(bool copytruncate, bool olddir = false) {
  temp_dir dir, state;
  auto f = policy(dir / "app.log", 3);
  f.copytruncate = copytruncate;
  const std::string versions = olddir ? dir / "old" : dir.path();
  if (olddir) {
    ASSERT_EQ(::mkdir(versions.c_str(), 0755), 0);
    f.olddir = versions;
  }
  rotated::engine_options o;
  o.state_dir = state.path();
  o.fail_final_step = EPERM;
  rotated::engine e(o);
  write_text(f.path, "live\n");
  for (int v = 1; v <= 3; ++v) write_text(versions + "/app.log." + std::to_string(v), "v" + std::to_string(v) + "\n");
  for (int attempt = 0; attempt < 3; ++attempt) {
    SCOPED_TRACE("attempt " + std::to_string(attempt));
    auto r = e.rotate(f, rotated::wall_clock::now());
    EXPECT_EQ(r.status, rotated::outcome::failed);
    EXPECT_NE(r.reason.find(std::strerror(EPERM)), std::string::npos) << r.reason;
    if (olddir) {
      EXPECT_EQ(list_dir(dir.path()), (std::vector<std::string>{"app.log", "old"}));
      EXPECT_EQ(list_dir(versions), (std::vector<std::string>{"app.log.1", "app.log.2", "app.log.3"}));
    } else {
      EXPECT_EQ(list_dir(dir.path()), (std::vector<std::string>{"app.log", "app.log.1", "app.log.2", "app.log.3"}));
    }
    EXPECT_EQ(read_text(f.path), "live\n");
    for (int v = 1; v <= 3; ++v)
      EXPECT_EQ(read_text(versions + "/app.log." + std::to_string(v)), "v" + std::to_string(v) + "\n");
    EXPECT_TRUE(rotated_test::pending_journals(state.path()).empty());
  }
  o.fail_final_step = 0;  // then a rotation that succeeds finds every version to shift
  rotated::engine fine(o);
  ASSERT_EQ(fine.rotate(f, rotated::wall_clock::now()).status, rotated::outcome::rotated);
  EXPECT_EQ(read_text(versions + "/app.log.1"), "live\n");
  EXPECT_EQ(read_text(versions + "/app.log.3"), "v2\n");
}

TEST(rotated_engine, a_cascade_whose_final_rename_fails_keeps_every_retained_version) {
  final_step_failure_keeps_every_version(false);
}

TEST(rotated_engine, a_copytruncate_whose_copy_fails_keeps_every_retained_version) {
  final_step_failure_keeps_every_version(true);
}

TEST(rotated_engine, a_final_rename_into_olddir_that_fails_keeps_every_retained_version) {
  final_step_failure_keeps_every_version(false, true);
  final_step_failure_keeps_every_version(true, true);
}

TEST(rotated_engine, copytruncate_copies_then_truncates_the_same_inode) {
  temp_dir dir, state;
  auto e = make_engine(state);
  auto f = policy(dir / "a.log", 2);
  f.copytruncate = true;
  write_text(f.path, "old lines\n");
  struct stat before {};
  ASSERT_EQ(::stat(f.path.c_str(), &before), 0);
  auto r = e.rotate(f, rotated::wall_clock::now());
  ASSERT_EQ(r.status, rotated::outcome::rotated) << r.reason;
  struct stat after {};
  ASSERT_EQ(::stat(f.path.c_str(), &after), 0);
  EXPECT_EQ(after.st_ino, before.st_ino);
  EXPECT_EQ(after.st_size, 0);
  EXPECT_EQ(read_text(f.path + ".1"), "old lines\n");
}

// copytruncate loses what the writer appends between the end of the copy
// and the truncation; the loss can be counted, and is reported. The hook
// appends a 10-byte line after each step: the one after the copy is lost.
TEST(rotated_engine, copytruncate_counts_and_reports_the_bytes_written_after_the_copy) {
  temp_dir dir, state;
  auto f = policy(dir / "a.log", 2);
  f.copytruncate = true;
  write_text(f.path, "old lines\n");
  rotated::engine_options o;
  o.state_dir = state.path();
  o.after_step = [&] { std::ofstream(f.path, std::ios::app) << "late line\n"; };
  rotated::engine e(o);
  auto r = e.rotate(f, rotated::wall_clock::now());
  ASSERT_EQ(r.status, rotated::outcome::rotated) << r.reason;
  EXPECT_EQ(
      r.warnings,
      (std::vector<std::string>{"copytruncate lost 10 bytes of a.log written between the copy and the truncation"}));
  EXPECT_EQ(read_text(f.path + ".1"), "old lines\nlate line\n");  // the line after the journal step
  EXPECT_EQ(read_text(f.path), "late line\n");                    // the line after the truncation
}

TEST(rotated_engine, a_dry_run_description_touches_nothing) {
  temp_dir dir, state;
  auto e = make_engine(state);
  auto f = policy(dir / "a.log", 2, true);
  write_text(f.path, "a");
  write_text(f.path + ".1", "b");
  write_text(f.path + ".2", "c");
  auto lines = e.describe(f);
  EXPECT_EQ(lines, (std::vector<std::string>{"would drop a.log.2", "would rename a.log.1 -> a.log.2",
                                             "would rename a.log -> a.log.1",
                                             "would create a.log (mode 0644, owner " + std::to_string(::geteuid()) +
                                                 ":" + std::to_string(::getegid()) + ")",
                                             "would compress a.log.2 -> a.log.2.gz"}));
  EXPECT_EQ(list_dir(dir.path()), (std::vector<std::string>{"a.log", "a.log.1", "a.log.2"}));
  EXPECT_FALSE(exists(state / "journal.log"));
}

// The crash test: the same rotation (keep 3, gzip) stopped dead after each
// of its steps in turn, then recovered (twice, as a crash during recovery
// would). Every time the result is the rotation done exactly once.
// With olddir the versions live there, and the journal names it.
int crash_after_any_step_is_completed_by_recovery_exactly_once(bool olddir) {
  int total_steps = -1;
  for (int crash_after = 0;; ++crash_after) {
    SCOPED_TRACE("crash after step " + std::to_string(crash_after) + (olddir ? " with olddir" : ""));
    temp_dir dir, state;
    auto f = policy(dir / "app.log", 3, true);
    const std::string v = olddir ? dir / "old/app.log" : f.path;  // where the versions are
    if (olddir) {
      f.olddir = dir / "old";
      EXPECT_EQ(::mkdir(f.olddir.c_str(), 0755), 0);
    }
    write_text(f.path, "v0\n");
    write_text(v + ".1", "v1\n");
    write_gz(v + ".2.gz", "v2\n");
    write_gz(v + ".3.gz", "v3\n");
    rotated::wall_time at = rotated_test::utc("2026-03-08T05:00:00Z");
    auto crashing = make_engine(state, crash_after);
    bool crashed = false;
    rotated::rotation_report r;
    try {
      r = crashing.rotate(f, at);
      EXPECT_EQ(r.status, rotated::outcome::rotated) << r.reason;
      crashing.compress(f);
    } catch (const rotated::simulated_crash&) {
      crashed = true;
    }
    auto recovering = make_engine(state);
    if (crashed) {
      auto first = recovering.recover();
      if (first.size() != 1u) return ADD_FAILURE() << "recovered " << first.size(), -1;
      EXPECT_EQ(first[0].path, f.path);
      EXPECT_EQ(first[0].at, at);
      auto second = recovering.recover();  // as after a crash during recovery
      if (second.size() != 1u) return ADD_FAILURE() << "recovered again " << second.size(), -1;
      for (const auto& a : second[0].actions) ADD_FAILURE() << "second recovery did: " << a;
      recovering.finish(second[0].journal);
    } else {
      recovering.finish(r.journal);
      total_steps = crash_after;
    }
    if (olddir) {
      EXPECT_EQ(list_dir(dir.path()), (std::vector<std::string>{"app.log", "old"}));
      EXPECT_EQ(list_dir(f.olddir), (std::vector<std::string>{"app.log.1", "app.log.2.gz", "app.log.3.gz"}));
    } else {
      EXPECT_EQ(list_dir(dir.path()),
                (std::vector<std::string>{"app.log", "app.log.1", "app.log.2.gz", "app.log.3.gz"}));
    }
    EXPECT_EQ(read_text(f.path), "");
    EXPECT_EQ(read_text(v + ".1"), "v0\n");
    EXPECT_EQ(gunzip(v + ".2.gz"), "v1\n");
    EXPECT_EQ(gunzip(v + ".3.gz"), "v2\n");
    EXPECT_TRUE(rotated_test::pending_journals(state.path()).empty());
    if (!crashed) break;
  }
  return total_steps;
}

TEST(rotated_engine, a_crash_after_any_step_is_completed_by_recovery_exactly_once) {
  // journal, .3.gz to its hold name, .2.gz -> .3.gz, .1 -> .2, app.log ->
  // .1, the held .3.gz dropped, fresh, then compress .2: temp written,
  // renamed, source removed.
  EXPECT_EQ(crash_after_any_step_is_completed_by_recovery_exactly_once(false), 10);
}

TEST(rotated_engine, a_crash_after_any_step_of_a_cascade_into_olddir_is_completed_by_recovery_exactly_once) {
  EXPECT_EQ(crash_after_any_step_is_completed_by_recovery_exactly_once(true), 10);
}

TEST(rotated_engine, recovery_keeps_a_file_the_writer_recreated_after_the_crash) {
  temp_dir dir, state;
  auto f = policy(dir / "app.log", 2);
  write_text(f.path, "before\n");
  auto crashing = make_engine(state, 1);  // journal, app.log -> .1, then dead
  EXPECT_THROW(crashing.rotate(f, rotated::wall_clock::now()), rotated::simulated_crash);
  EXPECT_FALSE(exists(f.path));
  write_text(f.path, "the writer reopened\n");
  auto recovered = make_engine(state).recover();
  ASSERT_EQ(recovered.size(), 1u);
  EXPECT_EQ(read_text(f.path), "the writer reopened\n");
  EXPECT_EQ(read_text(f.path + ".1"), "before\n");
}

// A record left pending (a failed rotation, a full state directory) names
// files by inode numbers that ext4 reuses: by the next start the same
// numbers may belong to other files. The record below names today's files
// by their device and inode, as a record of the files that first had those
// numbers would: born earlier (where the file system keeps birth times) and
// larger than the files holding the numbers now. Replaying it must change
// nothing.
TEST(rotated_engine, a_stale_journal_record_naming_reused_inodes_changes_nothing) {
  temp_dir dir, state;
  auto f = policy(dir / "app.log", 2);
  write_text(f.path, "live\n");
  write_text(f.path + ".1", "one\n");
  write_text(f.path + ".2", "two\n");
  auto inode = [](const std::string& path) {
    struct stat st {};
    EXPECT_EQ(::stat(path.c_str(), &st), 0);
    return std::pair{static_cast<std::uint64_t>(st.st_dev), static_cast<std::uint64_t>(st.st_ino)};
  };
  rotated::journal j;
  j.path = f.path;
  j.at = rotated_test::utc("2026-01-01T00:00:00Z");
  j.keep = 2;
  j.fresh = true;
  j.fresh_mode = 0644;
  auto [d2, i2] = inode(f.path + ".2");
  auto [d1, i1] = inode(f.path + ".1");
  auto [d0, i0] = inode(f.path);
  rotated::journal_step drop2{rotated::journal_step::drop, ".2", "", d2, i2};
  rotated::journal_step move1{rotated::journal_step::move, ".1", ".2", d1, i1};
  rotated::journal_step move0{rotated::journal_step::move, "", ".1", d0, i0};
  j.steps = {drop2, move1, move0};
  for (auto& s : j.steps) s.size = 1000;
  {
    rotated::journal_log log(state / "journal.log");
    log.begin(j);
  }
  auto e = make_engine(state);
  auto recovered = e.recover();
  ASSERT_EQ(recovered.size(), 1u);
  EXPECT_EQ(list_dir(dir.path()), (std::vector<std::string>{"app.log", "app.log.1", "app.log.2"}));
  EXPECT_EQ(read_text(f.path), "live\n");
  EXPECT_EQ(read_text(f.path + ".1"), "one\n");
  EXPECT_EQ(read_text(f.path + ".2"), "two\n");
}

TEST(rotated_engine, a_journal_record_torn_before_it_was_synced_is_ignored_and_nothing_moves) {
  temp_dir dir, state;
  auto f = policy(dir / "app.log", 2);
  write_text(f.path, "x\n");
  rotated::journal j;
  j.id = 7;
  j.path = f.path;
  j.at = rotated::wall_clock::now();
  struct stat st {};
  ::stat(f.path.c_str(), &st);
  j.steps.push_back({rotated::journal_step::move, "", ".1", static_cast<std::uint64_t>(st.st_dev),
                     static_cast<std::uint64_t>(st.st_ino)});
  std::string text = j.serialize();
  write_text(state / "journal.log", text.substr(0, text.size() - 4));  // cut inside "end"
  auto e = make_engine(state);
  auto recovered = e.recover();
  ASSERT_EQ(recovered.size(), 1u);
  EXPECT_TRUE(recovered[0].path.empty());
  EXPECT_EQ(recovered[0].actions.at(0).rfind("ignored 1 torn record(s)", 0), 0u) << recovered[0].actions[0];
  EXPECT_EQ(list_dir(dir.path()), (std::vector<std::string>{"app.log"}));
  EXPECT_EQ(read_text(state / "journal.log"), "");
}

TEST(rotated_engine, the_journal_log_keeps_only_what_is_not_done_and_empties_when_idle) {
  temp_dir dir, state;
  auto e = make_engine(state);
  auto a = policy(dir / "a.log", 2), b = policy(dir / "b.log", 2);
  write_text(a.path, "a");
  write_text(b.path, "b");
  auto ra = e.rotate(a, rotated::wall_clock::now());
  auto rb = e.rotate(b, rotated::wall_clock::now());
  EXPECT_EQ(rotated_test::pending_journals(state.path()), (std::vector<std::string>{a.path, b.path}));
  e.finish(ra.journal);
  EXPECT_EQ(rotated_test::pending_journals(state.path()), (std::vector<std::string>{b.path}));
  e.finish(rb.journal);
  EXPECT_EQ(read_text(state / "journal.log"), "");  // nothing in flight: truncated
  // Records a previous run left are kept until recovered.
  auto c = policy(dir / "c.log", 2);
  write_text(c.path, "c");
  auto crashing = make_engine(state, 1);
  EXPECT_THROW(crashing.rotate(c, rotated::wall_clock::now()), rotated::simulated_crash);
  auto next = make_engine(state);
  write_text(a.path, "a2");
  auto r = next.rotate(a, rotated::wall_clock::now());
  next.finish(r.journal);
  EXPECT_EQ(rotated_test::pending_journals(state.path()), (std::vector<std::string>{c.path}));
  auto recovered = next.recover();
  ASSERT_EQ(recovered.size(), 1u);
  EXPECT_EQ(recovered[0].path, c.path);
  next.finish(recovered[0].journal);
  EXPECT_EQ(read_text(state / "journal.log"), "");
}

TEST(rotated_engine, the_journal_round_trips_through_its_text_form) {
  rotated::journal j;
  j.path = "/var/log/with space.log";
  j.at = rotated_test::utc("2026-03-08T05:00:00.5Z");
  j.keep = 4;
  j.compress = true;
  j.dateext = "-%Y%m%d";
  j.fresh = true;
  j.fresh_mode = 0640;
  j.fresh_uid = 0;
  j.fresh_gid = 4;
  j.id = 42;
  j.steps = {{rotated::journal_step::drop, ".4.gz", "", 1, 2}, {rotated::journal_step::move, "", ".1", 3, 4}};
  auto back = rotated::journal::parse(j.serialize());
  ASSERT_TRUE(back);
  EXPECT_EQ(back->serialize(), j.serialize());
  EXPECT_EQ(back->path, j.path);
  EXPECT_EQ(back->dateext, "-%Y%m%d");
  EXPECT_EQ(back->steps.size(), 2u);
  EXPECT_EQ(back->id, 42u);
  EXPECT_EQ(back->olddir, "");
  j.olddir = "/var/log/old dir";
  back = rotated::journal::parse(j.serialize());
  ASSERT_TRUE(back);
  EXPECT_EQ(back->olddir, "/var/log/old dir");
  EXPECT_EQ(back->serialize(), j.serialize());
  EXPECT_FALSE(rotated::journal::parse("rotated journal v1\nat 1\npath /x\n"));
}

// A full disk during compression (here: a file-size limit, EFBIG) leaves
// the version plain and intact and no temp file behind.
// A writer that has not reopened still appends to the version its file
// became: compressing and unlinking it would lose those lines silently.
TEST(rotated_engine, a_version_still_open_by_a_writer_is_left_uncompressed_with_a_reason) {
  temp_dir dir, state;
  auto e = make_engine(state);
  auto f = policy(dir / "app.log", 3, true);
  write_text(f.path + ".2", "still written\n");
  write_text(f.path + ".3", "closed\n");
  int writer = ::open((f.path + ".2").c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
  ASSERT_GE(writer, 0);
  auto r = e.compress(f);
  EXPECT_EQ(r.done.size(), 1u);  // .3
  EXPECT_TRUE(r.errors.empty());
  ASSERT_EQ(r.deferred.size(), 1u);
  EXPECT_EQ(r.deferred[0], "app.log.2 is still open (a writer that has not reopened?); left uncompressed");
  EXPECT_EQ(read_text(f.path + ".2"), "still written\n");
  EXPECT_FALSE(exists(f.path + ".2.gz"));
  EXPECT_EQ(gunzip(f.path + ".3.gz"), "closed\n");
  ::close(writer);
  r = e.compress(f);
  EXPECT_TRUE(r.errors.empty());
  EXPECT_TRUE(r.deferred.empty());
  EXPECT_EQ(gunzip(f.path + ".2.gz"), "still written\n");
}

// The oldest version still leaves when its writer holds it open (the
// retention rule), but not silently: what it writes there now is lost.
TEST(rotated_engine, dropping_a_version_still_open_by_a_writer_is_warned_of) {
  temp_dir dir, state;
  auto e = make_engine(state);
  auto f = policy(dir / "app.log", 2);
  write_text(f.path, "live\n");
  write_text(f.path + ".1", "one\n");
  write_text(f.path + ".2", "held open\n");
  int writer = ::open((f.path + ".2").c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
  ASSERT_GE(writer, 0);
  auto r = e.rotate(f, rotated::wall_clock::now());
  ::close(writer);
  ASSERT_EQ(r.status, rotated::outcome::rotated) << r.reason;
  EXPECT_EQ(r.warnings, (std::vector<std::string>{"dropped app.log.2 while a process still had it open (a writer "
                                                  "that has not reopened?): what it writes there now is lost"}));
  EXPECT_EQ(list_dir(dir.path()), (std::vector<std::string>{"app.log", "app.log.1", "app.log.2"}));
}

TEST(rotated_engine, a_failed_compression_leaves_every_version_intact) {
  temp_dir dir, state;
  auto f = policy(dir / "app.log", 3, true);
  std::string noise;
  std::uint32_t x = 12345;
  for (int i = 0; i < 200000; ++i) {
    x = x * 1664525u + 1013904223u;
    noise += static_cast<char>(x >> 24);
  }
  write_text(f.path + ".2", noise);
  write_text(f.path + ".1", "one\n");
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    struct rlimit lim {
      4096, 4096
    };
    ::setrlimit(RLIMIT_FSIZE, &lim);
    ::signal(SIGXFSZ, SIG_IGN);
    auto e = make_engine(state);
    auto c = e.compress(f);
    bool ok = c.done.empty() && c.errors.size() == 1 && c.errors[0].find("File too large") != std::string::npos;
    ::_exit(ok ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  EXPECT_EQ(list_dir(dir.path()), (std::vector<std::string>{"app.log.1", "app.log.2"}));
  EXPECT_EQ(read_text(f.path + ".2"), noise);
}

// A child that blocks every signal, so that one sent to it stays pending
// where /proc shows it; as `uid` (root when 0). Killed by ~victim.
struct victim {
  pid_t pid = -1;
  explicit victim(uid_t uid) {
    int ready[2];
    if (::pipe(ready) != 0) throw std::runtime_error("pipe");
    pid = ::fork();
    if (pid == 0) {
      sigset_t all;
      sigfillset(&all);
      ::sigprocmask(SIG_BLOCK, &all, nullptr);
      if (uid != 0 && (::setgid(uid) != 0 || ::setuid(uid) != 0)) ::_exit(2);
      if (::write(ready[1], "r", 1) != 1) ::_exit(3);
      for (;;) ::pause();
    }
    char c;
    if (::read(ready[0], &c, 1) != 1) throw std::runtime_error("victim did not start");
    ::close(ready[0]);
    ::close(ready[1]);
  }
  ~victim() {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
  }
  bool has_pending(int sig) const {
    auto status = read_text("/proc/" + std::to_string(pid) + "/status").value_or("");
    for (const char* key : {"SigPnd:", "ShdPnd:"}) {
      auto at = status.find(key);
      if (at != std::string::npos && (std::stoull(status.substr(at + 7), nullptr, 16) >> (sig - 1) & 1) != 0)
        return true;
    }
    return false;
  }
};

// Notifies through `pidfile` (written with `owner` and `mode`) naming the
// victim, and returns whether the victim got SIGHUP.
bool notify_reaches(const victim& v, uid_t owner, mode_t mode, std::optional<uid_t> user = {}) {
  temp_dir dir, state;
  std::string pidfile = dir / "app.pid";
  write_text(pidfile, std::to_string(v.pid) + "\n", mode);
  EXPECT_EQ(::chown(pidfile.c_str(), owner, owner), 0);
  rotated::engine_options o;
  o.state_dir = state.path();
  auto f = policy(dir / "a.log", 2);
  f.notify = rotated::notify_spec{};
  f.notify->pidfile = pidfile;
  f.notify->user = user;
  weft::loop lp;
  lp.run_until_complete([&] {
    rotated::service svc(o, false, 1);
    svc.notify(f);
  });
  return v.has_pending(SIGHUP);
}

TEST(rotated_service, a_pidfile_is_believed_only_from_its_owner_and_for_a_process_of_that_owner) {
  ASSERT_EQ(::geteuid(), 0u) << "this test forges pidfiles as another user: run it as root";
  const uid_t nobody = 65534;
  {
    victim root_process(0);
    EXPECT_FALSE(notify_reaches(root_process, nobody, 0644)) << "a pidfile of nobody's signalled a root process";
    EXPECT_FALSE(notify_reaches(root_process, 0, 0664)) << "a group-writable pidfile was believed";
    EXPECT_FALSE(notify_reaches(root_process, 0, 0644, nobody)) << "a root process signalled for user nobody";
    EXPECT_TRUE(notify_reaches(root_process, 0, 0644));
  }
  {
    victim nobody_process(nobody);
    EXPECT_FALSE(notify_reaches(nobody_process, 0, 0644)) << "root's pidfile naming another user's process";
    EXPECT_TRUE(notify_reaches(nobody_process, nobody, 0644, nobody));
  }
}

// A hung notify command is killed at its timeout and logged; meanwhile the
// loop goes on (other files' tasks, SIGTERM), as its wait is a task's.
TEST(rotated_service, a_notify_command_is_killed_at_its_timeout_without_holding_up_the_loop) {
  temp_dir dir, state;
  rotated::engine_options o;
  o.state_dir = state.path();
  auto f = policy(dir / "a.log", 2);
  f.notify = rotated::notify_spec{};
  f.notify->command = {"sleep", "30"};
  f.notify->timeout = std::chrono::seconds(5);
  weft::loop lp({.virtual_time = true});
  lp.run_until_complete([&] {
    rotated::service svc(o, false, 1);
    int ticks = 0;
    auto other = weft::spawn([&] {
      for (int i = 0; i < 4; ++i) {
        weft::sleep_for(std::chrono::seconds(1));
        ++ticks;
      }
    });
    auto start = lp.now();
    EXPECT_EQ(svc.notify(f), "killed sleep 30 after its timeout of 5s");
    EXPECT_EQ(lp.now() - start, std::chrono::seconds(5));
    EXPECT_EQ(ticks, 4);
    other.join();
  });
}

// prerotate runs before the rotation and holds it back unless it exits 0
// (a hung one is killed at its timeout, on the loop: virtual time here);
// postrotate runs after it, with ROTATED_FILE naming the file.
TEST(rotated_service, prerotate_must_succeed_for_the_rotation_and_postrotate_runs_after_it) {
  temp_dir dir, state;
  rotated::engine_options o;
  o.state_dir = state.path();
  auto f = policy(dir / "a.log", 2);
  write_text(f.path, "old\n");
  {
    weft::loop lp({.virtual_time = true});
    lp.run_until_complete([&] {
      rotated::service svc(o, false, 1);
      f.prerotate = rotated::hook_spec{{"sleep", "30"}, std::chrono::seconds(2)};
      auto start = lp.now();
      EXPECT_EQ(svc.rotate(f, "test", rotated::wall_clock::now(), 0).status, rotated::outcome::failed);
      EXPECT_EQ(lp.now() - start, std::chrono::seconds(2));
    });
  }
  weft::loop lp;  // real time: the hooks below exit long before their timeout
  lp.run_until_complete([&] {
    rotated::service svc(o, false, 1);
    f.prerotate = rotated::hook_spec{{"false"}, std::chrono::seconds(30)};
    EXPECT_EQ(svc.rotate(f, "test", rotated::wall_clock::now(), 0).status, rotated::outcome::failed);
    EXPECT_EQ(read_text(f.path), "old\n");  // not rotated so far
    f.prerotate = rotated::hook_spec{{"/bin/sh", "-c", "test -s \"$ROTATED_FILE\""}, std::chrono::seconds(30)};
    f.postrotate = rotated::hook_spec{{"/bin/sh", "-c", "cat \"$ROTATED_FILE.1\" > \"$ROTATED_FILE.seen\""},
                                      std::chrono::seconds(30)};
    EXPECT_EQ(svc.rotate(f, "test", rotated::wall_clock::now(), 0).status, rotated::outcome::rotated);
  });
  EXPECT_EQ(read_text(f.path), "");
  EXPECT_EQ(read_text(f.path + ".1"), "old\n");
  EXPECT_EQ(read_text(f.path + ".seen"), "old\n");
}

// A hook that appends a word (and the file it was run for, when asked) to
// a shared log, so that a test sees which hooks ran and in what order.
rotated::hook_spec say(const std::string& log, const std::string& word, bool with_file = false) {
  std::string line = with_file ? word + " $(basename \"$ROTATED_FILE\")" : word;
  return rotated::hook_spec{{"/bin/sh", "-c", "echo \"" + line + "\" >> " + log}, std::chrono::seconds(30)};
}

std::vector<std::string> lines_of(const std::string& path) {
  std::vector<std::string> out;
  std::istringstream in(read_text(path).value_or(""));
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

// Rotates each file in its own task, all at once (as triggers due at the
// same instant do), and returns their outcomes.
std::vector<rotated::outcome> rotate_together(rotated::service& svc, const std::vector<rotated::file_policy>& files) {
  std::vector<weft::task<rotated::outcome>> tasks;
  rotated::wall_time at = rotated::wall_clock::now();
  for (const auto& f : files)
    tasks.push_back(weft::spawn([&svc, &f, at] { return svc.rotate(f, "test", at, 0).status; }));
  std::vector<rotated::outcome> out;
  for (auto& t : tasks) out.push_back(t.join());
  return out;
}

// The files `names` in `dir`, of one group, each set up by `set`.
std::vector<rotated::file_policy> group_of(const temp_dir& dir, std::initializer_list<const char*> names,
                                           const std::function<void(rotated::file_policy&)>& set) {
  std::vector<rotated::file_policy> files;
  for (const char* name : names) {
    auto f = policy(dir / name, 2);
    f.group = "g";
    set(f);
    files.push_back(f);
  }
  return files;
}

// firstaction and lastaction run once around the rotations of a group's
// files; with shared_hooks so do prerotate and postrotate, once for all.
TEST(rotated_service, a_group_runs_firstaction_and_shared_hooks_once_around_its_rotations) {
  temp_dir dir, state;
  rotated::engine_options o;
  o.state_dir = state.path();
  const std::string log = dir / "hooks.txt";
  auto files = group_of(dir, {"a.log", "b.log", "c.log"}, [&](rotated::file_policy& f) {
    f.shared_hooks = true;
    f.firstaction = say(log, "first");
    f.prerotate = say(log, "pre");
    f.postrotate = say(log, "post");
    f.lastaction = say(log, "last");
    f.missing_ok = true;
  });
  write_text(files[0].path, "a\n");
  write_text(files[1].path, "b\n");  // c.log is missing: skipped, no hook of its own
  weft::loop lp;
  lp.run_until_complete([&] {
    rotated::service svc(o, false, 2);
    EXPECT_EQ(rotate_together(svc, files),
              (std::vector<rotated::outcome>{rotated::outcome::rotated, rotated::outcome::rotated,
                                             rotated::outcome::skipped}));
  });
  EXPECT_EQ(lines_of(log), (std::vector<std::string>{"first", "pre", "post", "last"}));
  EXPECT_EQ(read_text(files[0].path + ".1"), "a\n");
  EXPECT_EQ(read_text(files[1].path + ".1"), "b\n");
}

// Without shared_hooks, prerotate and postrotate run for each file, inside
// the group's firstaction .. lastaction; a round in which no file rotates
// (all missing) runs no hook at all.
TEST(rotated_service, without_shared_hooks_each_file_runs_its_own_inside_the_group_round) {
  temp_dir dir, state;
  rotated::engine_options o;
  o.state_dir = state.path();
  const std::string log = dir / "hooks.txt";
  auto files = group_of(dir, {"a.log", "b.log"}, [&](rotated::file_policy& f) {
    f.firstaction = say(log, "first");
    f.prerotate = say(log, "pre", true);
    f.postrotate = say(log, "post", true);
    f.lastaction = say(log, "last");
    f.missing_ok = true;
  });
  weft::loop lp;
  lp.run_until_complete([&] {
    rotated::service svc(o, false, 2);
    EXPECT_EQ(rotate_together(svc, files),
              (std::vector<rotated::outcome>{rotated::outcome::skipped, rotated::outcome::skipped}));
    EXPECT_EQ(lines_of(log), std::vector<std::string>{});
    write_text(files[0].path, "a\n");
    write_text(files[1].path, "b\n");
    EXPECT_EQ(rotate_together(svc, files),
              (std::vector<rotated::outcome>{rotated::outcome::rotated, rotated::outcome::rotated}));
  });
  auto seen = lines_of(log);
  ASSERT_EQ(seen.size(), 6u);
  EXPECT_EQ(seen.front(), "first");
  EXPECT_EQ(seen.back(), "last");
  std::vector<std::string> middle(seen.begin() + 1, seen.end() - 1);
  std::sort(middle.begin(), middle.end());
  EXPECT_EQ(middle, (std::vector<std::string>{"post a.log", "post b.log", "pre a.log", "pre b.log"}));
}

// A failing firstaction fails the rotations of its round (logged; the
// trigger retries) and runs no lastaction; a hung one is killed at its
// timeout (on the loop: virtual time here) and fails them all the same.
TEST(rotated_service, a_failing_or_hung_firstaction_fails_every_rotation_of_its_round) {
  temp_dir dir, state;
  rotated::engine_options o;
  o.state_dir = state.path();
  const std::string log = dir / "hooks.txt";
  auto files = group_of(dir, {"a.log", "b.log"}, [&](rotated::file_policy& f) {
    f.firstaction = rotated::hook_spec{{"false"}, std::chrono::seconds(30)};
    f.lastaction = say(log, "last");
    write_text(f.path, "x\n");
  });
  {
    weft::loop lp;
    lp.run_until_complete([&] {
      rotated::service svc(o, false, 2);
      EXPECT_EQ(rotate_together(svc, files),
                (std::vector<rotated::outcome>{rotated::outcome::failed, rotated::outcome::failed}));
    });
  }
  for (auto& f : files) f.firstaction = rotated::hook_spec{{"sleep", "30"}, std::chrono::seconds(2)};
  {
    weft::loop lp({.virtual_time = true});
    lp.run_until_complete([&] {
      rotated::service svc(o, false, 2);
      auto start = lp.now();
      EXPECT_EQ(rotate_together(svc, files),
                (std::vector<rotated::outcome>{rotated::outcome::failed, rotated::outcome::failed}));
      EXPECT_EQ(lp.now() - start, std::chrono::seconds(2));
    });
  }
  EXPECT_EQ(lines_of(log), std::vector<std::string>{});
  EXPECT_EQ(list_dir(dir.path()), (std::vector<std::string>{"a.log", "b.log"}));
}

// While a group's firstaction runs (here until the test lets it finish),
// a file of another group rotates.
TEST(rotated_service, a_group_waiting_on_its_firstaction_holds_up_no_other_group) {
  temp_dir dir, state;
  rotated::engine_options o;
  o.state_dir = state.path();
  const std::string log = dir / "hooks.txt", go = dir / "go";
  auto files = group_of(dir, {"a.log", "b.log"}, [&](rotated::file_policy& f) {
    f.firstaction =
        rotated::hook_spec{{"/bin/sh", "-c", "while [ ! -e " + go + " ]; do sleep 0.01; done; echo first >> " + log},
                           std::chrono::seconds(30)};
    f.lastaction = say(log, "last");
    write_text(f.path, "x\n");
  });
  auto other = policy(dir / "other.log", 2);
  other.group = "h";
  other.firstaction = say(log, "other first");
  write_text(other.path, "o\n");
  weft::loop lp;
  lp.run_until_complete([&] {
    rotated::service svc(o, false, 2);
    auto group = weft::spawn([&] { return rotate_together(svc, files); });
    EXPECT_EQ(svc.rotate(other, "test", rotated::wall_clock::now(), 0).status, rotated::outcome::rotated);
    EXPECT_FALSE(group.done());
    write_text(go, "");
    EXPECT_EQ(group.join(), (std::vector<rotated::outcome>{rotated::outcome::rotated, rotated::outcome::rotated}));
  });
  EXPECT_EQ(lines_of(log), (std::vector<std::string>{"other first", "first", "last"}));
  EXPECT_EQ(read_text(other.path + ".1"), "o\n");
  EXPECT_EQ(read_text(files[1].path + ".1"), "x\n");
}

TEST(rotated_service, the_state_is_saved_only_once_the_rotated_directories_are_synced) {
  temp_dir dir, state;
  rotated::engine_options o;
  o.state_dir = state.path();
  auto f = policy(dir / "a.log", 2);
  write_text(f.path, "x");
  weft::loop lp;
  lp.run_until_complete([&] {
    rotated::service svc(o, false, 1);
    rotated::scheduler_hooks h = svc.hooks();
    rotated::wall_time at = rotated::wall_clock::now();
    EXPECT_EQ(h.rotate(f, "test", at, 0).status, rotated::outcome::rotated);
    EXPECT_EQ(svc.rotation_engine().unsynced_directories(), 1u);
    rotated::state_table table;
    table.set(f.path, at);
    h.save(table);
    EXPECT_EQ(svc.rotation_engine().unsynced_directories(), 0u);
  });
  EXPECT_TRUE(exists(state / rotated::state_file_name));
  EXPECT_EQ(read_text(f.path + ".1"), "x");
}

}  // namespace
