#include "log.hpp"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <memory>
#include <mutex>

namespace cafelet::log {

namespace detail {
std::atomic<int> verbosity_level{0};
} // namespace detail

namespace {

std::mutex sink_mtx;
std::shared_ptr<sink_fn> sink_ptr;

bool needs_quotes(std::string_view s) {
  if (s.empty())
    return true;
  for (unsigned char c : s)
    if (c <= ' ' || c == '"' || c == '=' || c == '\\' || c >= 0x7f)
      return true;
  return false;
}

/// Length of the well-formed UTF-8 sequence at the start of `s` (RFC 3629:
/// no overlongs, no surrogates, nothing above U+10FFFF); 0 if ill-formed.
size_t utf8_sequence(std::string_view s) {
  auto b = [&](size_t i) { return static_cast<unsigned char>(s[i]); };
  auto cont = [&](size_t i) { return i < s.size() && (b(i) & 0xC0) == 0x80; };
  auto c = b(0);
  if (c >= 0xC2 && c <= 0xDF)
    return cont(1) ? 2 : 0;
  if (c >= 0xE0 && c <= 0xEF) {
    if (!cont(1) || !cont(2))
      return 0;
    if ((c == 0xE0 && b(1) < 0xA0) || (c == 0xED && b(1) > 0x9F))
      return 0;
    return 3;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    if (!cont(1) || !cont(2) || !cont(3))
      return 0;
    if ((c == 0xF0 && b(1) < 0x90) || (c == 0xF4 && b(1) > 0x8F))
      return 0;
    return 4;
  }
  return 0;
}

void append_escaped_byte(std::string& out, unsigned char c) {
  char buf[8];
  std::snprintf(buf, sizeof(buf), "\\x%02x", c);
  out += buf;
}

void append_value(std::string& out, std::string_view s) {
  if (!needs_quotes(s)) {
    out += s;
    return;
  }
  out += '"';
  for (size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20 || c == 0x7f) {
          append_escaped_byte(out, c);
        } else if (c < 0x80) {
          out += static_cast<char>(c);
        } else if (auto n = utf8_sequence(s.substr(i)); n > 0) {
          out += s.substr(i, n); // well-formed UTF-8 passes through
          i += n;
          continue;
        } else {
          append_escaped_byte(out, c); // log lines stay valid UTF-8
        }
    }
    ++i;
  }
  out += '"';
}

void append_timestamp(std::string& out) {
  using namespace std::chrono;
  auto now = system_clock::now();
  auto secs = time_point_cast<seconds>(now);
  auto us = duration_cast<microseconds>(now - secs).count();
  std::time_t t = system_clock::to_time_t(secs);
  std::tm tm{};
  gmtime_r(&t, &tm);
  // Sized for the widest values the format can produce (int fields), so the
  // compiler can prove no truncation.
  char buf[96];
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%06luZ",
                tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                tm.tm_min, tm.tm_sec,
                static_cast<unsigned long>(us % 1000000));
  out += buf;
}

const char* name(severity s) {
  switch (s) {
    case severity::error: return "error";
    case severity::warning: return "warning";
    case severity::info: return "info";
  }
  return "info";
}

} // namespace

void set_verbosity(int v) {
  detail::verbosity_level.store(v, std::memory_order_relaxed);
}

int verbosity() {
  return detail::verbosity_level.load(std::memory_order_relaxed);
}

void set_sink(sink_fn fn) {
  std::lock_guard<std::mutex> guard{sink_mtx};
  sink_ptr = fn ? std::make_shared<sink_fn>(std::move(fn)) : nullptr;
}

std::string format(severity sev, int v, std::string_view msg,
                   std::initializer_list<field> fields) {
  std::string line;
  line.reserve(96 + msg.size());
  line += "ts=";
  append_timestamp(line);
  line += " level=";
  line += name(sev);
  if (sev == severity::info && v > 0) {
    line += " v=";
    line += std::to_string(v);
  }
  line += " msg=";
  append_value(line, msg);
  for (const auto& f : fields) {
    line += ' ';
    line += f.key;
    line += '=';
    append_value(line, f.value);
  }
  return line;
}

void write(severity sev, int v, std::string_view msg,
           std::initializer_list<field> fields) {
  if (sev == severity::info && !enabled(v))
    return;
  auto line = format(sev, v, msg, fields);
  std::shared_ptr<sink_fn> sink;
  {
    std::lock_guard<std::mutex> guard{sink_mtx};
    sink = sink_ptr;
  }
  if (sink) {
    (*sink)(line);
    return;
  }
  line += '\n';
  // One write() per line: lines from concurrent threads never interleave.
  auto rc = ::write(STDERR_FILENO, line.data(), line.size());
  (void) rc;
}

} // namespace cafelet::log
