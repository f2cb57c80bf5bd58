// Seed 002, "Resource Management": an asynchronous context manager opens a
// file, the read suspends only this coroutine, and leaving the block closes
// the file.
//
//   async def using_async_context():
//       async with aiofiles.open('file.txt') as f:  # Asynchronous context manager
//           content = await f.read()
//
// weft's counterpart of aiofiles is weft/file.hpp: each call runs its system
// calls on the loop's executor and suspends only the calling task. The
// `async with` is a scope: async_file's destructor closes the file. The seed
// reads file.txt; this program first writes one, in a fresh temporary
// directory, and prints what it read back.
#include <weft/file.hpp>
#include <weft/loop.hpp>

#include <fcntl.h>
#include <stdlib.h>  // mkdtemp

#include <cstdio>
#include <filesystem>
#include <string>

// A file open for reading, closed when the scope ends.
class async_file {
 public:
  explicit async_file(const std::filesystem::path& path) : fd_(weft::fs::open(path, O_RDONLY)) {}
  ~async_file() { weft::fs::close(fd_); }
  async_file(const async_file&) = delete;
  async_file& operator=(const async_file&) = delete;

  // All that is left to read.
  std::string read() {
    std::string content;
    char buffer[4096];
    while (std::size_t n = weft::fs::read(fd_, buffer, sizeof buffer)) content.append(buffer, n);
    return content;
  }

 private:
  int fd_;
};

std::string using_async_context(const std::filesystem::path& path) {
  async_file f(path);  // async with aiofiles.open('file.txt') as f:
  std::string content = f.read();
  return content;  // f closes here
}

int main() {
  std::string dir = (std::filesystem::temp_directory_path() / "weft-async-file-XXXXXX").string();
  if (::mkdtemp(dir.data()) == nullptr) {
    std::perror("mkdtemp");
    return 1;
  }
  const std::filesystem::path path = std::filesystem::path(dir) / "file.txt";
  weft::loop lp;
  std::string content = lp.run_until_complete([&] {
    weft::fs::write_file(path, "first line\nsecond line\n");
    return using_async_context(path);
  });
  std::printf("read %zu bytes from file.txt:\n%s", content.size(), content.c_str());
  std::filesystem::remove_all(dir);
}
