#include "gzip.hpp"

#include <unistd.h>
#include <zlib.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <vector>

#include "fs.hpp"

namespace rotated {

namespace {

constexpr std::size_t chunk = 128 * 1024;

[[noreturn]] void zlib_failed(int rc, const z_stream& zs, const std::string& what) {
  throw std::runtime_error("zlib " + what + ": " + (zs.msg ? zs.msg : std::to_string(rc)));
}

}  // namespace

gzip_sizes gzip_fd(int in, int out, const std::string& what, int level) {
  z_stream zs{};
  // windowBits 15 + 16: a gzip header and trailer instead of zlib's.
  int rc = ::deflateInit2(&zs, level == 0 ? Z_DEFAULT_COMPRESSION : level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
  if (rc != Z_OK) zlib_failed(rc, zs, what);
  struct end_on_exit {
    z_stream& zs;
    ~end_on_exit() { ::deflateEnd(&zs); }
  } guard{zs};
  std::vector<unsigned char> ibuf(chunk), obuf(chunk);
  gzip_sizes sizes;
  int flush = Z_NO_FLUSH;
  do {
    std::size_t n = read_some(in, ibuf.data(), ibuf.size(), what);
    sizes.in += n;
    flush = n == 0 ? Z_FINISH : Z_NO_FLUSH;
    zs.next_in = ibuf.data();
    zs.avail_in = static_cast<uInt>(n);
    do {
      zs.next_out = obuf.data();
      zs.avail_out = static_cast<uInt>(obuf.size());
      rc = ::deflate(&zs, flush);
      if (rc == Z_STREAM_ERROR) zlib_failed(rc, zs, what);
      std::size_t have = obuf.size() - zs.avail_out;
      write_all(out, reinterpret_cast<const char*>(obuf.data()), have, what);
      sizes.out += have;
    } while (zs.avail_out == 0);
  } while (flush != Z_FINISH);
  if (rc != Z_STREAM_END) zlib_failed(rc, zs, what);
  return sizes;
}

std::uint64_t gunzip_fd(int in, int out, const std::string& what) {
  z_stream zs{};
  int rc = ::inflateInit2(&zs, 15 + 16);
  if (rc != Z_OK) zlib_failed(rc, zs, what);
  struct end_on_exit {
    z_stream& zs;
    ~end_on_exit() { ::inflateEnd(&zs); }
  } guard{zs};
  std::vector<unsigned char> ibuf(chunk), obuf(chunk);
  std::uint64_t total = 0;
  rc = Z_OK;
  while (rc != Z_STREAM_END) {
    std::size_t n = read_some(in, ibuf.data(), ibuf.size(), what);
    if (n == 0) throw std::runtime_error("zlib " + what + ": truncated gzip data");
    zs.next_in = ibuf.data();
    zs.avail_in = static_cast<uInt>(n);
    do {
      zs.next_out = obuf.data();
      zs.avail_out = static_cast<uInt>(obuf.size());
      rc = ::inflate(&zs, Z_NO_FLUSH);
      if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR) zlib_failed(rc, zs, what);
      std::size_t have = obuf.size() - zs.avail_out;
      write_all(out, reinterpret_cast<const char*>(obuf.data()), have, what);
      total += have;
    } while (zs.avail_out == 0 && rc != Z_STREAM_END);
  }
  return total;
}

bool gzip_holds(int gz, int plain) {
  if (::lseek(gz, 0, SEEK_SET) < 0 || ::lseek(plain, 0, SEEK_SET) < 0) return false;
  z_stream zs{};
  if (::inflateInit2(&zs, 15 + 16) != Z_OK) return false;
  struct end_on_exit {
    z_stream& zs;
    ~end_on_exit() { ::inflateEnd(&zs); }
  } guard{zs};
  std::vector<unsigned char> ibuf(chunk), obuf(chunk), pbuf(chunk);
  int rc = Z_OK;
  try {
    while (rc != Z_STREAM_END) {
      std::size_t n = read_some(gz, ibuf.data(), ibuf.size(), "gzip");
      if (n == 0) return false;
      zs.next_in = ibuf.data();
      zs.avail_in = static_cast<uInt>(n);
      do {
        zs.next_out = obuf.data();
        zs.avail_out = static_cast<uInt>(obuf.size());
        rc = ::inflate(&zs, Z_NO_FLUSH);
        if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR) return false;
        std::size_t have = obuf.size() - zs.avail_out;
        std::size_t got = 0;
        while (got < have) {
          std::size_t m = read_some(plain, pbuf.data() + got, have - got, "plain");
          if (m == 0) return false;
          got += m;
        }
        if (std::memcmp(obuf.data(), pbuf.data(), have) != 0) return false;
      } while (zs.avail_out == 0 && rc != Z_STREAM_END);
    }
    unsigned char extra;
    return read_some(plain, &extra, 1, "plain") == 0;
  } catch (...) {
    return false;
  }
}

}  // namespace rotated
