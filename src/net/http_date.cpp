// HTTP-dates (weft/net/http.hpp). Day and month names are spelled here
// rather than taken from strftime, whose %a and %b follow the C locale.
#include <cstdio>
#include <ctime>
#include <string>
#include <string_view>

#include "weft/net/http.hpp"

namespace weft::net::http {

std::string format_date(std::time_t t) {
  static constexpr const char* days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                           "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  std::tm utc{};
  ::gmtime_r(&t, &utc);
  char out[40];
  int n = std::snprintf(out, sizeof out, "%s, %02d %s %04d %02d:%02d:%02d GMT", days[utc.tm_wday], utc.tm_mday,
                        months[utc.tm_mon], utc.tm_year + 1900, utc.tm_hour, utc.tm_min, utc.tm_sec);
  return std::string(out, static_cast<std::size_t>(n));
}

std::string_view current_date() {
  // Per thread, so that loops on several threads never share it.
  thread_local std::time_t formatted_for = -1;
  thread_local std::string value;
  std::time_t now = std::time(nullptr);
  if (now != formatted_for) {
    value = format_date(now);
    formatted_for = now;
  }
  return value;
}

}  // namespace weft::net::http
