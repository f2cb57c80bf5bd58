#include "zstd.hpp"

#include <unistd.h>
#include <zstd.h>

#include <cerrno>
#include <cstring>
#include <functional>
#include <memory>
#include <stdexcept>
#include <vector>

#include "fs.hpp"

namespace rotated {

namespace {

std::size_t checked(std::size_t rc, const std::string& what) {
  if (ZSTD_isError(rc)) throw std::runtime_error("zstd " + what + ": " + ZSTD_getErrorName(rc));
  return rc;
}

// Decompresses every frame of `in`, handing each piece of output to `sink`,
// which returns false to stop early. Returns false if `sink` stopped it.
bool decompress(int in, const std::function<bool(const char*, std::size_t)>& sink, const std::string& what) {
  std::unique_ptr<ZSTD_DCtx, decltype(&ZSTD_freeDCtx)> dctx(ZSTD_createDCtx(), ZSTD_freeDCtx);
  if (!dctx) throw std::runtime_error("zstd " + what + ": out of memory");
  std::vector<char> ibuf(ZSTD_DStreamInSize()), obuf(ZSTD_DStreamOutSize());
  std::size_t pending = 1;  // 0 once a frame is complete and flushed
  bool any = false;
  for (;;) {
    std::size_t n = read_some(in, ibuf.data(), ibuf.size(), what);
    if (n == 0) break;
    any = true;
    ZSTD_inBuffer input{ibuf.data(), n, 0};
    while (input.pos < input.size) {
      ZSTD_outBuffer output{obuf.data(), obuf.size(), 0};
      pending = checked(ZSTD_decompressStream(dctx.get(), &output, &input), what);
      if (output.pos > 0 && !sink(obuf.data(), output.pos)) return false;
    }
  }
  if (!any || pending != 0) throw std::runtime_error("zstd " + what + ": truncated zstd data");
  return true;
}

}  // namespace

gzip_sizes zstd_fd(int in, int out, int level, const std::string& what) {
  std::unique_ptr<ZSTD_CCtx, decltype(&ZSTD_freeCCtx)> cctx(ZSTD_createCCtx(), ZSTD_freeCCtx);
  if (!cctx) throw std::runtime_error("zstd " + what + ": out of memory");
  if (level != 0) checked(ZSTD_CCtx_setParameter(cctx.get(), ZSTD_c_compressionLevel, level), what);
  checked(ZSTD_CCtx_setParameter(cctx.get(), ZSTD_c_checksumFlag, 1), what);
  std::vector<char> ibuf(ZSTD_CStreamInSize()), obuf(ZSTD_CStreamOutSize());
  gzip_sizes sizes;
  for (;;) {
    std::size_t n = read_some(in, ibuf.data(), ibuf.size(), what);
    sizes.in += n;
    const ZSTD_EndDirective mode = n == 0 ? ZSTD_e_end : ZSTD_e_continue;
    ZSTD_inBuffer input{ibuf.data(), n, 0};
    std::size_t remaining = 0;
    do {
      ZSTD_outBuffer output{obuf.data(), obuf.size(), 0};
      remaining = checked(ZSTD_compressStream2(cctx.get(), &output, &input, mode), what);
      write_all(out, obuf.data(), output.pos, what);
      sizes.out += output.pos;
    } while (mode == ZSTD_e_end ? remaining != 0 : input.pos < input.size);
    if (mode == ZSTD_e_end) return sizes;
  }
}

std::uint64_t unzstd_fd(int in, int out, const std::string& what) {
  std::uint64_t total = 0;
  decompress(
      in,
      [&](const char* data, std::size_t size) {
        write_all(out, data, size, what);
        total += size;
        return true;
      },
      what);
  return total;
}

bool zstd_holds(int zst, int plain) {
  if (::lseek(zst, 0, SEEK_SET) < 0 || ::lseek(plain, 0, SEEK_SET) < 0) return false;
  std::vector<char> pbuf;
  try {
    bool same = decompress(
        zst,
        [&](const char* data, std::size_t size) {
          pbuf.resize(size);
          std::size_t got = 0;
          while (got < size) {
            std::size_t m = read_some(plain, pbuf.data() + got, size - got, "plain");
            if (m == 0) return false;
            got += m;
          }
          return std::memcmp(data, pbuf.data(), size) == 0;
        },
        "zstd");
    char extra;
    return same && read_some(plain, &extra, 1, "plain") == 0;
  } catch (...) {
    return false;
  }
}

}  // namespace rotated
