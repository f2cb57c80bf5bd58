// Buffered reading and writing over any weft::stream (asyncio's
// StreamReader.readline/readuntil/readexactly and StreamWriter.drain).
//
//   weft::net::buffered_reader in(conn);
//   while (auto line = in.read_line(8192)) handle(*line);
//
// Both wrap a stream they do not own (it must outlive them) and satisfy
// weft::stream themselves. Thread rules are the stream's.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "weft/error.hpp"
#include "weft/stream.hpp"

namespace weft::net {

template <stream S>
class buffered_reader {
 public:
  explicit buffered_reader(S& s, std::size_t capacity = 16384) : s_(s), buf_(capacity) {}

  // Buffered bytes first, else one read of the stream; 0 at end of stream.
  std::size_t read_some(std::span<std::byte> into) {
    if (buffered() == 0) {
      // A large read bypasses the buffer instead of copying twice.
      if (into.size() >= buf_.size()) return s_.read_some(into);
      if (!fill()) return 0;
    }
    std::size_t n = std::min(into.size(), buffered());
    std::memcpy(into.data(), buf_.data() + begin_, n);
    begin_ += n;
    return n;
  }
  std::size_t write_some(std::span<const std::byte> data) { return s_.write_some(data); }
  void close() { s_.close(); }

  // Fills `into`; weft::end_of_stream if the stream ends first.
  void read_exact(std::span<std::byte> into) { weft::read_exact(*this, into); }

  // Bytes up to and including `delim`. limit_exceeded if `limit` bytes pass
  // without one; end_of_stream (bytes_read: what was buffered) if the
  // stream ends first.
  std::string read_until(std::string_view delim, std::size_t limit) {
    std::size_t searched = 0;  // no match starts before this offset
    for (;;) {
      std::string_view have(reinterpret_cast<const char*>(buf_.data()) + begin_, buffered());
      std::size_t at = have.find(delim, searched);
      if (at != std::string_view::npos && at + delim.size() <= limit) {
        std::string out(have.substr(0, at + delim.size()));
        begin_ += out.size();
        return out;
      }
      if (at != std::string_view::npos || have.size() >= limit)
        throw limit_exceeded("weft: no delimiter within " + std::to_string(limit) + " bytes");
      searched = have.size() >= delim.size() ? have.size() - delim.size() + 1 : 0;
      if (!fill()) throw end_of_stream(buffered());
    }
  }

  // The next line without its "\n" (or "\r\n"); nullopt at end of stream.
  // A last line without a newline is returned as it is. limit_exceeded if
  // no newline comes within `limit` bytes.
  std::optional<std::string> read_line(std::size_t limit = 65536) {
    try {
      std::string line = read_until("\n", limit);
      line.pop_back();
      if (!line.empty() && line.back() == '\r') line.pop_back();
      return line;
    } catch (const end_of_stream&) {
      if (buffered() == 0) return std::nullopt;
      std::string rest(reinterpret_cast<const char*>(buf_.data()) + begin_, buffered());
      begin_ = end_;
      return rest;
    }
  }

  // Bytes read from the stream but not yet taken.
  std::size_t buffered() const noexcept { return end_ - begin_; }

 private:
  // Reads more into the buffer (compacting, growing up to hold a read_until
  // limit); false at end of stream.
  bool fill() {
    if (begin_ > 0) {
      std::memmove(buf_.data(), buf_.data() + begin_, buffered());
      end_ -= begin_;
      begin_ = 0;
    }
    if (end_ == buf_.size()) buf_.resize(buf_.size() * 2);
    std::size_t n = s_.read_some(std::span(buf_).subspan(end_));
    end_ += n;
    return n > 0;
  }

  S& s_;
  std::vector<std::byte> buf_;
  std::size_t begin_ = 0;
  std::size_t end_ = 0;
};

template <stream S>
class buffered_writer {
 public:
  explicit buffered_writer(S& s, std::size_t capacity = 16384) : s_(s) { buf_.reserve(capacity); }
  // Unflushed bytes are dropped: flush() can throw, a destructor must not.
  ~buffered_writer() = default;

  // Buffers `data`; a full buffer is written out first, and data larger
  // than the buffer goes straight to the stream. Returns data.size().
  std::size_t write_some(std::span<const std::byte> data) {
    if (buf_.size() + data.size() > buf_.capacity()) flush();
    if (data.size() >= buf_.capacity()) {
      weft::write_all(s_, data);
    } else {
      buf_.insert(buf_.end(), data.begin(), data.end());
    }
    return data.size();
  }
  void write(std::string_view text) { write_some(std::as_bytes(std::span(text.data(), text.size()))); }
  // Writes out everything buffered.
  void flush() {
    std::size_t done = 0;
    struct drop_written {
      std::vector<std::byte>& buf;
      std::size_t& done;
      ~drop_written() { buf.erase(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(done)); }
    } keep_rest{buf_, done};  // a failed or cancelled flush keeps what was not written
    while (done < buf_.size()) done += s_.write_some(std::span<const std::byte>(buf_).subspan(done));
  }
  std::size_t read_some(std::span<std::byte> into) { return s_.read_some(into); }
  // Flushes, then closes the stream.
  void close() {
    flush();
    s_.close();
  }
  std::size_t buffered() const noexcept { return buf_.size(); }

 private:
  S& s_;
  std::vector<std::byte> buf_;
};

}  // namespace weft::net
