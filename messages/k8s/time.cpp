#include "messages/k8s/time.hpp"

#include "messages/errors.hpp"

#include <cstdio>

namespace cafelet::k8s {

namespace {

using namespace std::chrono;

/// Reads exactly `n` digits at `s[pos]`; -1 if any is not a digit.
int digits(std::string_view s, size_t pos, size_t n) {
  if (pos + n > s.size())
    return -1;
  int result = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9')
      return -1;
    result = result * 10 + (s[i] - '0');
  }
  return result;
}

caf::error bad_time(std::string_view text, const char* why) {
  std::string msg = "invalid RFC 3339 time \"";
  msg.append(text.substr(0, 64));
  msg += "\": ";
  msg += why;
  return make_error(errc::bad_response, std::move(msg));
}

void append_digits(std::string& out, long long x, int width) {
  char buf[24];
  std::snprintf(buf, sizeof(buf), "%0*lld", width, x);
  out += buf;
}

void append_date_time(std::string& out, sys_seconds secs) {
  auto days = floor<std::chrono::days>(secs);
  year_month_day ymd{days};
  hh_mm_ss<seconds> hms{secs - days};
  append_digits(out, static_cast<int>(ymd.year()), 4);
  out += '-';
  append_digits(out, static_cast<unsigned>(ymd.month()), 2);
  out += '-';
  append_digits(out, static_cast<unsigned>(ymd.day()), 2);
  out += 'T';
  append_digits(out, hms.hours().count(), 2);
  out += ':';
  append_digits(out, hms.minutes().count(), 2);
  out += ':';
  append_digits(out, hms.seconds().count(), 2);
}

} // namespace

caf::expected<timestamp> parse_time(std::string_view s) {
  // YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM|-HH:MM)
  if (s.size() < 20)
    return bad_time(s, "too short");
  auto y = digits(s, 0, 4);
  auto mo = digits(s, 5, 2);
  auto d = digits(s, 8, 2);
  auto h = digits(s, 11, 2);
  auto mi = digits(s, 14, 2);
  auto sec = digits(s, 17, 2);
  if (y < 0 || mo < 0 || d < 0 || h < 0 || mi < 0 || sec < 0 || s[4] != '-'
      || s[7] != '-' || (s[10] != 'T' && s[10] != 't') || s[13] != ':'
      || s[16] != ':')
    return bad_time(s, "expected YYYY-MM-DDTHH:MM:SS");
  year_month_day ymd{year{y}, month{static_cast<unsigned>(mo)},
                     day{static_cast<unsigned>(d)}};
  if (!ymd.ok())
    return bad_time(s, "no such date");
  if (h > 23 || mi > 59 || sec > 59)
    return bad_time(s, "time of day out of range");
  size_t pos = 19;
  int64_t micros = 0;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    size_t n = 0;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      if (n < 6)
        micros = micros * 10 + (s[pos] - '0');
      ++n;
      ++pos;
    }
    if (n == 0)
      return bad_time(s, "empty fraction");
    for (; n < 6; ++n)
      micros *= 10;
  }
  if (pos >= s.size())
    return bad_time(s, "missing time zone");
  int offset_minutes = 0;
  if (s[pos] == 'Z' || s[pos] == 'z') {
    ++pos;
  } else if (s[pos] == '+' || s[pos] == '-') {
    auto oh = digits(s, pos + 1, 2);
    auto om = digits(s, pos + 4, 2);
    if (oh < 0 || om < 0 || s[pos + 3] != ':' || oh > 23 || om > 59)
      return bad_time(s, "bad time zone offset");
    offset_minutes = (oh * 60 + om) * (s[pos] == '-' ? -1 : 1);
    pos += 6;
  } else {
    return bad_time(s, "bad time zone");
  }
  if (pos != s.size())
    return bad_time(s, "trailing characters");
  auto t = sys_days{ymd} + hours{h} + minutes{mi} + seconds{sec}
           - minutes{offset_minutes};
  return timestamp{duration_cast<microseconds>(t.time_since_epoch())
                   + microseconds{micros}};
}

void append_time(std::string& out, timestamp t) {
  append_date_time(out, floor<seconds>(t));
  out += 'Z';
}

void append_micro_time(std::string& out, timestamp t) {
  auto secs = floor<seconds>(t);
  append_date_time(out, secs);
  out += '.';
  append_digits(out, (t - secs).count(), 6);
  out += 'Z';
}

std::string format_time(timestamp t) {
  std::string out;
  append_time(out, t);
  return out;
}

std::string format_micro_time(timestamp t) {
  std::string out;
  append_micro_time(out, t);
  return out;
}

timestamp now() noexcept {
  return floor<microseconds>(system_clock::now());
}

} // namespace cafelet::k8s
