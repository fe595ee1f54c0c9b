#include "tests/apiserver/support.hpp"

#include <array>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <mutex>
#include <random>

namespace cafelet::apiserver {

namespace {

std::mt19937_64& rng() {
  static std::mt19937_64 gen{std::random_device{}()};
  return gen;
}

std::mutex rng_mtx;

uint64_t random_u64() {
  std::lock_guard<std::mutex> guard{rng_mtx};
  return rng()();
}

std::tm utc_tm(wall_time t) {
  auto secs = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  return tm;
}

constexpr std::string_view b64_chars
  = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr std::string_view b64url_chars
  = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

std::string encode(std::string_view in, std::string_view chars, bool pad) {
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    uint32_t n = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8)
                 | uint8_t(in[i + 2]);
    out += chars[(n >> 18) & 63];
    out += chars[(n >> 12) & 63];
    out += chars[(n >> 6) & 63];
    out += chars[n & 63];
  }
  if (i + 1 == in.size()) {
    uint32_t n = uint8_t(in[i]) << 16;
    out += chars[(n >> 18) & 63];
    out += chars[(n >> 12) & 63];
    if (pad)
      out += "==";
  } else if (i + 2 == in.size()) {
    uint32_t n = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8);
    out += chars[(n >> 18) & 63];
    out += chars[(n >> 12) & 63];
    out += chars[(n >> 6) & 63];
    if (pad)
      out += '=';
  }
  return out;
}

std::optional<std::string> decode(std::string_view in, std::string_view chars,
                                  bool pad, size_t* bad) {
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  size_t data_len = in.size();
  if (pad) {
    if (in.size() % 4 != 0) {
      if (bad)
        *bad = in.size() - in.size() % 4;
      return std::nullopt;
    }
    while (data_len > 0 && in[data_len - 1] == '=' && in.size() - data_len < 2)
      --data_len;
  }
  for (size_t i = 0; i < data_len; ++i) {
    auto pos = chars.find(in[i]);
    if (pos == std::string_view::npos) {
      if (bad)
        *bad = i;
      return std::nullopt;
    }
    acc = (acc << 6) | uint32_t(pos);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += char((acc >> bits) & 0xFF);
    }
  }
  if (!pad && data_len % 4 == 1) {
    if (bad)
      *bad = data_len - 1;
    return std::nullopt;
  }
  return out;
}

} // namespace

std::string format_time(wall_time t) {
  auto tm = utc_tm(t);
  char buf[96];
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02dZ",
                tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                tm.tm_min, tm.tm_sec);
  return buf;
}

std::string format_micro_time(wall_time t) {
  auto tm = utc_tm(t);
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(
              t.time_since_epoch())
              .count()
            % 1000000;
  if (us < 0)
    us += 1000000;
  char buf[96];
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ",
                tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                tm.tm_min, tm.tm_sec, static_cast<int>(us));
  return buf;
}

std::optional<wall_time> parse_time(std::string_view s) {
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0;
  if (s.size() < 20)
    return std::nullopt;
  std::string str{s};
  if (std::sscanf(str.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d", &y, &mo, &d, &h, &mi,
                  &sec)
      != 6)
    return std::nullopt;
  size_t pos = 19;
  long micros = 0;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    long scale = 100000;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      micros += (s[pos] - '0') * scale;
      scale /= 10;
      ++pos;
    }
  }
  long offset = 0;
  if (pos < s.size() && (s[pos] == 'Z' || s[pos] == 'z')) {
    ++pos;
  } else if (pos + 6 == s.size() && (s[pos] == '+' || s[pos] == '-')) {
    int oh = 0, om = 0;
    if (std::sscanf(str.c_str() + pos + 1, "%2d:%2d", &oh, &om) != 2)
      return std::nullopt;
    offset = (oh * 3600 + om * 60) * (s[pos] == '+' ? 1 : -1);
    pos += 6;
  } else {
    return std::nullopt;
  }
  if (pos != s.size())
    return std::nullopt;
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = sec;
  auto secs = timegm(&tm) - offset;
  return std::chrono::system_clock::from_time_t(secs)
         + std::chrono::microseconds{micros};
}

std::string new_uid() {
  auto a = random_u64();
  auto b = random_u64();
  a = (a & 0xFFFFFFFFFFFF0FFFull) | 0x0000000000004000ull;
  b = (b & 0x3FFFFFFFFFFFFFFFull) | 0x8000000000000000ull;
  char buf[40];
  std::snprintf(buf, sizeof(buf), "%08x-%04x-%04x-%04x-%012llx",
                static_cast<unsigned>(a >> 32),
                static_cast<unsigned>((a >> 16) & 0xFFFF),
                static_cast<unsigned>(a & 0xFFFF),
                static_cast<unsigned>(b >> 48),
                static_cast<unsigned long long>(b & 0xFFFFFFFFFFFFull));
  return buf;
}

std::string random_suffix(size_t n) {
  constexpr std::string_view alphabet = "bcdfghjklmnpqrstvwxz2456789";
  std::string out;
  for (size_t i = 0; i < n; ++i)
    out += alphabet[random_u64() % alphabet.size()];
  return out;
}

std::string base64_encode(std::string_view in) {
  return encode(in, b64_chars, true);
}

std::optional<std::string> base64_decode(std::string_view in,
                                         size_t* bad_offset) {
  return decode(in, b64_chars, true, bad_offset);
}

std::string base64url_encode(std::string_view in) {
  return encode(in, b64url_chars, false);
}

std::optional<std::string> base64url_decode(std::string_view in) {
  return decode(in, b64url_chars, false, nullptr);
}

std::string human_duration(std::chrono::seconds d) {
  auto secs = d.count();
  if (secs < 0)
    return "<invalid>";
  auto str = [](long long v, const char* unit) {
    return std::to_string(v) + unit;
  };
  if (secs < 60 * 2)
    return str(secs, "s");
  auto minutes = secs / 60;
  if (minutes < 10) {
    auto s = secs % 60;
    return s == 0 ? str(minutes, "m") : str(minutes, "m") + str(s, "s");
  }
  if (minutes < 60 * 3)
    return str(minutes, "m");
  auto hours = secs / 3600;
  if (hours < 8) {
    auto m = minutes % 60;
    return m == 0 ? str(hours, "h") : str(hours, "h") + str(m, "m");
  }
  if (hours < 48)
    return str(hours, "h");
  if (hours < 24 * 8) {
    auto h = hours % 24;
    return h == 0 ? str(hours / 24, "d") : str(hours / 24, "d") + str(h, "h");
  }
  if (hours < 24 * 365 * 2)
    return str(hours / 24, "d");
  if (hours < 24 * 365 * 8) {
    auto dy = (hours / 24) % 365;
    return dy == 0 ? str(hours / 24 / 365, "y")
                   : str(hours / 24 / 365, "y") + str(dy, "d");
  }
  return str(hours / 24 / 365, "y");
}

} // namespace cafelet::apiserver
