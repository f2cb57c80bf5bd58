// Async file helpers: round trips, fd operations, metadata, errors that
// name the path and errno, cancellation.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <system_error>
#include <vector>

#include "weft/file.hpp"
#include "weft/loop.hpp"

namespace {

namespace stdfs = std::filesystem;
using weft::loop;

// A fresh directory per test, removed afterwards.
struct temp_dir {
  stdfs::path path;
  temp_dir() {
    std::string pattern = (stdfs::temp_directory_path() / "weft-file-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::system_error(errno, std::generic_category(), "mkdtemp");
    path = pattern;
  }
  ~temp_dir() {
    std::error_code ignored;
    stdfs::remove_all(path, ignored);
  }
  stdfs::path operator/(const char* name) const { return path / name; }
};

// Runs body, expecting a std::system_error with errno `code` whose message
// contains `needle`.
template <class F>
void expect_errno(F&& body, int code, const std::string& needle) {
  try {
    body();
    ADD_FAILURE() << "no error";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code().value(), code) << e.what();
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
  }
}

TEST(file, write_then_read_round_trips_binary_data) {
  temp_dir dir;
  std::string data;
  for (int i = 0; i < 300000; ++i) data.push_back(static_cast<char>(i * 31 % 256));  // NULs included
  loop lp;
  std::string back = lp.run_until_complete([&] {
    weft::fs::write_file(dir / "blob", data);
    return weft::fs::read_file(dir / "blob");
  });
  EXPECT_EQ(back.size(), data.size());
  EXPECT_TRUE(back == data);
}

TEST(file, write_file_truncates_and_append_file_adds_to_the_end) {
  temp_dir dir;
  loop lp;
  std::string text = lp.run_until_complete([&] {
    weft::fs::write_file(dir / "log", "a long first version\n");
    weft::fs::write_file(dir / "log", "one\n");
    weft::fs::append_file(dir / "log", "two\n");
    weft::fs::append_file(dir / "new", "created\n");
    return weft::fs::read_file(dir / "log") + weft::fs::read_file(dir / "new");
  });
  EXPECT_EQ(text, "one\ntwo\ncreated\n");
}

TEST(file, read_file_of_a_missing_path_names_it_with_enoent) {
  temp_dir dir;
  loop lp;
  stdfs::path missing = dir / "missing.conf";
  lp.run_until_complete([&] {
    expect_errno([&] { weft::fs::read_file(missing); }, ENOENT, "'" + missing.string() + "'");
    expect_errno([&] { weft::fs::read_file(missing); }, ENOENT, "open");
  });
}

TEST(file, write_file_into_a_missing_directory_is_enoent) {
  temp_dir dir;
  loop lp;
  lp.run_until_complete(
      [&] { expect_errno([&] { weft::fs::write_file(dir / "no/such/dir", "x"); }, ENOENT, "no/such/dir"); });
}

TEST(file, fd_operations_open_write_fsync_read_close) {
  temp_dir dir;
  loop lp;
  std::vector<std::string> chunks = lp.run_until_complete([&] {
    int out = weft::fs::open(dir / "data", O_WRONLY | O_CREAT | O_EXCL, 0600);
    EXPECT_GE(out, 0);
    EXPECT_EQ(::fcntl(out, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
    weft::fs::write(out, "hello, ");
    weft::fs::write(out, "files", 5);
    weft::fs::fsync(out);
    weft::fs::close(out);

    int in = weft::fs::open(dir / "data", O_RDONLY);
    std::vector<std::string> got;
    char buf[8];
    for (;;) {
      std::size_t n = weft::fs::read(in, buf, sizeof buf);
      if (n == 0) break;
      got.emplace_back(buf, n);
    }
    weft::fs::close(in);
    return got;
  });
  EXPECT_EQ(chunks, (std::vector<std::string>{"hello, f", "iles"}));
}

TEST(file, fd_errors_name_the_fd) {
  temp_dir dir;
  loop lp;
  lp.run_until_complete([&] {
    char buf[4];
    expect_errno([&] { weft::fs::read(-1, buf, sizeof buf); }, EBADF, "read fd -1");
    expect_errno([&] { weft::fs::write(-1, "x"); }, EBADF, "write fd -1");
    expect_errno([&] { weft::fs::fsync(-1); }, EBADF, "fsync fd -1");
    expect_errno([&] { weft::fs::close(-1); }, EBADF, "close fd -1");
    expect_errno([&] { weft::fs::open(dir / "absent", O_RDONLY); }, ENOENT, "absent");
    weft::fs::write_file(dir / "exists", "");
    expect_errno([&] { weft::fs::open(dir / "exists", O_WRONLY | O_CREAT | O_EXCL); }, EEXIST, "exists");
  });
}

TEST(file, stat_reports_size_and_type) {
  temp_dir dir;
  loop lp;
  lp.run_until_complete([&] {
    weft::fs::write_file(dir / "five", "12345");
    struct ::stat st = weft::fs::stat(dir / "five");
    EXPECT_EQ(st.st_size, 5);
    EXPECT_TRUE(S_ISREG(st.st_mode));
    EXPECT_TRUE(S_ISDIR(weft::fs::stat(dir.path).st_mode));
    expect_errno([&] { weft::fs::stat(dir / "gone"); }, ENOENT, "stat '");
  });
}

TEST(file, rename_moves_and_remove_unlinks) {
  temp_dir dir;
  loop lp;
  lp.run_until_complete([&] {
    weft::fs::write_file(dir / "app.log", "rotated");
    weft::fs::rename(dir / "app.log", dir / "app.log.1");
    EXPECT_EQ(weft::fs::read_file(dir / "app.log.1"), "rotated");
    expect_errno([&] { weft::fs::read_file(dir / "app.log"); }, ENOENT, "app.log");
    weft::fs::remove(dir / "app.log.1");
    EXPECT_FALSE(stdfs::exists(dir / "app.log.1"));
    expect_errno([&] { weft::fs::remove(dir / "app.log.1"); }, ENOENT, "unlink '");
    expect_errno([&] { weft::fs::rename(dir / "a", dir / "b"); }, ENOENT, "rename '" + (dir / "a").string() + "' to '");
  });
}

TEST(file, many_tasks_write_and_read_concurrently) {
  temp_dir dir;
  loop lp;
  int matched = lp.run_until_complete([&] {
    std::vector<weft::task<bool>> tasks;
    for (int i = 0; i < 24; ++i)
      tasks.push_back(weft::spawn([&dir, i] {
        stdfs::path p = dir.path / ("f" + std::to_string(i));
        std::string body(1000 + i, static_cast<char>('a' + i));
        weft::fs::write_file(p, body);
        return weft::fs::read_file(p) == body;
      }));
    int ok = 0;
    for (auto& t : tasks) ok += t.join() ? 1 : 0;
    return ok;
  });
  EXPECT_EQ(matched, 24);
}

TEST(file, a_cancelled_open_creates_nothing) {
  temp_dir dir;
  loop lp;
  lp.run_until_complete([&] {
    auto t = weft::spawn([&] {
      {
        weft::cancellation_shield shield;
        weft::yield_now();
      }
      weft::fs::open(dir / "never", O_WRONLY | O_CREAT);
    });
    weft::yield_now();
    t.cancel();
    EXPECT_THROW(t.join(), weft::cancelled);
  });
  EXPECT_FALSE(stdfs::exists(dir / "never"));
}

TEST(file, close_completes_even_when_cancelled) {
  temp_dir dir;
  loop lp;
  int fd = -1;
  bool shielded = false;
  lp.run_until_complete([&] {
    auto t = weft::spawn([&] {
      fd = weft::fs::open(dir / "f", O_WRONLY | O_CREAT);
      {
        weft::cancellation_shield shield;
        shielded = true;
        weft::yield_now();
      }
      weft::fs::close(fd);  // cancellation pending: closes anyway
      weft::yield_now();    // and it is raised here
      ADD_FAILURE() << "not cancelled";
    });
    while (!shielded) weft::yield_now();
    t.cancel();
    EXPECT_THROW(t.join(), weft::cancelled);
  });
  ASSERT_GE(fd, 0);
  errno = 0;
  EXPECT_EQ(::fcntl(fd, F_GETFD), -1);
  EXPECT_EQ(errno, EBADF);
}

}  // namespace
