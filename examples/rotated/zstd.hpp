// zstd through libzstd, file descriptor to file descriptor: the second
// compression method beside gzip (gzip.hpp), same contracts.
#pragma once

#include <cstdint>
#include <string>

#include "gzip.hpp"

namespace rotated {

// Compresses everything readable from `in` (from its current offset) into
// `out` as one zstd frame at `level` (1..19; 0: libzstd's default, 3).
// Throws std::system_error (errno, e.g. ENOSPC) or std::runtime_error
// (libzstd) naming `what`.
gzip_sizes zstd_fd(int in, int out, int level, const std::string& what);

// Decompresses zstd data from `in` into `out`. Throws as zstd_fd.
std::uint64_t unzstd_fd(int in, int out, const std::string& what);

// True if the zstd file `zst` decompresses to exactly the bytes of `plain`
// (both read from offset 0).
bool zstd_holds(int zst, int plain);

}  // namespace rotated
