// gzip through zlib, file descriptor to file descriptor.
#pragma once

#include <cstdint>
#include <string>

namespace rotated {

struct gzip_sizes {
  std::uint64_t in = 0;
  std::uint64_t out = 0;
};

// Compresses everything readable from `in` (from its current offset) into
// `out` as one gzip member at `level` (1..9; 0: zlib's default, 6).
// Throws std::system_error (errno, e.g. ENOSPC) or std::runtime_error
// (zlib) naming `what`.
gzip_sizes gzip_fd(int in, int out, const std::string& what, int level = 0);

// Decompresses gzip data from `in` into `out`. Throws as gzip_fd.
std::uint64_t gunzip_fd(int in, int out, const std::string& what);

// True if the gzip file `gz` decompresses to exactly the bytes of `plain`
// (both read from offset 0).
bool gzip_holds(int gz, int plain);

}  // namespace rotated
