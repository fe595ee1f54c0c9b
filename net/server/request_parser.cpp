#include "net/server/request_parser.hpp"

#include <algorithm>
#include <limits>

namespace cafelet::net {

namespace {

/// Longest chunk-size line (size, extensions) we accept.
constexpr size_t max_chunk_line = 4096;

bool is_tchar(unsigned char c) noexcept {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
    return true;
  return std::string_view{"!#$%&'*+-.^_`|~"}.find(static_cast<char>(c))
         != std::string_view::npos;
}

bool is_token(std::string_view s) noexcept {
  return !s.empty()
         && std::all_of(s.begin(), s.end(), [](char c) {
              return is_tchar(static_cast<unsigned char>(c));
            });
}

bool valid_field_value(std::string_view s) noexcept {
  return std::all_of(s.begin(), s.end(), [](char ch) {
    auto c = static_cast<unsigned char>(ch);
    return c == '\t' || (c >= 0x20 && c != 0x7f);
  });
}

bool valid_target(std::string_view s) noexcept {
  return std::all_of(s.begin(), s.end(), [](char ch) {
    auto c = static_cast<unsigned char>(ch);
    return c > 0x20 && c != 0x7f;
  });
}

std::string_view trim_ows(std::string_view s) noexcept {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

/// Parses a non-empty run of decimal digits without overflow.
bool parse_decimal(std::string_view s, size_t& out) noexcept {
  if (s.empty())
    return false;
  size_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9')
      return false;
    auto d = static_cast<size_t>(c - '0');
    if (v > (std::numeric_limits<size_t>::max() - d) / 10)
      return false;
    v = v * 10 + d;
  }
  out = v;
  return true;
}

} // namespace

void request_parser::feed(std::string_view bytes) {
  if (pos_ > 0 && (pos_ == buf_.size() || pos_ >= 64 * 1024)) {
    buf_.erase(0, pos_);
    pos_ = 0;
  }
  buf_.append(bytes);
}

bool request_parser::next_line(std::string_view& line) {
  auto nl = buf_.find('\n', pos_);
  if (nl == std::string::npos)
    return false;
  line = std::string_view{buf_}.substr(pos_, nl - pos_);
  if (!line.empty() && line.back() == '\r')
    line.remove_suffix(1);
  pos_ = nl + 1;
  return true;
}

request_parser::state request_parser::fail(int status, std::string reason) {
  phase_ = phase::failed;
  error_status_ = status;
  error_reason_ = std::move(reason);
  return state::error;
}

request_parser::state request_parser::next(server_request& out) {
  for (;;) {
    std::string_view line;
    switch (phase_) {
      case phase::failed:
        return state::error;
      case phase::start_line:
      case phase::headers:
      case phase::trailers: {
        auto before = pos_;
        if (!next_line(line)) {
          if (head_bytes_ + buffered() > limits_.max_header_bytes)
            return phase_ == phase::start_line
                     ? fail(414, "request line too long")
                     : fail(431, "request header fields too large");
          return state::incomplete;
        }
        head_bytes_ += pos_ - before;
        if (head_bytes_ > limits_.max_header_bytes)
          return phase_ == phase::start_line
                   ? fail(414, "request line too long")
                   : fail(431, "request header fields too large");
        state st = state::incomplete;
        if (phase_ == phase::start_line) {
          if (line.empty())
            continue; // RFC 9112 2.2: ignore empty lines before a request
          st = on_request_line(line);
        } else if (line.empty()) {
          if (phase_ == phase::trailers)
            return finish(out);
          st = on_headers_done();
          if (st == state::expect_continue)
            return st;
        } else {
          st = on_header_line(line, phase_ == phase::trailers);
        }
        if (st == state::error)
          return st;
        if (st == state::complete)
          return finish(out);
        break;
      }
      case phase::body_length:
      case phase::chunk_data: {
        auto n = std::min(remaining_, buffered());
        req_.body.append(buf_, pos_, n);
        pos_ += n;
        remaining_ -= n;
        if (remaining_ > 0)
          return state::incomplete;
        if (phase_ == phase::body_length)
          return finish(out);
        phase_ = phase::chunk_data_end;
        break;
      }
      case phase::chunk_data_end:
        if (!next_line(line)) {
          if (buffered() > 2)
            return fail(400, "missing CRLF after chunk data");
          return state::incomplete;
        }
        if (!line.empty())
          return fail(400, "missing CRLF after chunk data");
        phase_ = phase::chunk_size;
        break;
      case phase::chunk_size:
        if (!next_line(line)) {
          if (buffered() > max_chunk_line)
            return fail(400, "chunk size line too long");
          return state::incomplete;
        }
        if (line.size() > max_chunk_line)
          return fail(400, "chunk size line too long");
        if (auto st = on_chunk_size(line); st == state::error)
          return st;
        break;
    }
  }
}

request_parser::state request_parser::on_request_line(std::string_view line) {
  auto sp1 = line.find(' ');
  if (sp1 == std::string_view::npos)
    return fail(400, "malformed request line");
  auto sp2 = line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos
      || line.find(' ', sp2 + 1) != std::string_view::npos)
    return fail(400, "malformed request line");
  auto method = line.substr(0, sp1);
  auto target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  auto version = line.substr(sp2 + 1);
  if (!is_token(method))
    return fail(400, "malformed method");
  if (target.empty() || !valid_target(target))
    return fail(400, "malformed request target");
  if (version.size() != 8 || version.substr(0, 5) != "HTTP/"
      || version[6] != '.' || version[5] < '0' || version[5] > '9'
      || version[7] < '0' || version[7] > '9')
    return fail(400, "malformed HTTP version");
  if (version[5] != '1')
    return fail(505, "only HTTP/1.x is supported");
  req_.method = std::string{method};
  req_.target = std::string{target};
  req_.version_minor = version[7] - '0';
  std::string_view path = target;
  if (path.starts_with("http://") || path.starts_with("https://")) {
    auto authority = path.find("//") + 2;
    auto slash = path.find_first_of("/?", authority);
    path = slash == std::string_view::npos ? std::string_view{"/"}
                                           : path.substr(slash);
  } else if (path != "*" && path.front() != '/') {
    return fail(400, "malformed request target");
  }
  path = path.substr(0, path.find('#'));
  auto q = path.find('?');
  if (q != std::string_view::npos) {
    req_.query = std::string{path.substr(q + 1)};
    path = path.substr(0, q);
  }
  req_.path = path.empty() ? std::string{"/"} : std::string{path};
  phase_ = phase::headers;
  return state::incomplete;
}

request_parser::state request_parser::on_header_line(std::string_view line,
                                                     bool trailer) {
  if (line.front() == ' ' || line.front() == '\t')
    return fail(400, "obsolete header line folding");
  auto colon = line.find(':');
  if (colon == std::string_view::npos)
    return fail(400, "header line without colon");
  auto name = line.substr(0, colon);
  if (!is_token(name))
    return fail(400, "malformed header name");
  auto value = trim_ows(line.substr(colon + 1));
  if (!valid_field_value(value))
    return fail(400, "malformed header value");
  if (!trailer) // trailers are checked and then discarded
    req_.headers.push_back(server_header{std::string{name}, std::string{value}});
  return state::incomplete;
}

request_parser::state request_parser::on_headers_done() {
  const auto& hs = req_.headers;
  if (req_.version_minor >= 1) {
    auto hosts = std::count_if(hs.begin(), hs.end(), [](const server_header& h) {
      return iequals(h.name, "Host");
    });
    if (hosts != 1)
      return fail(400, "HTTP/1.1 request needs exactly one Host header");
  }
  bool chunked = false;
  bool has_length = false;
  size_t length = 0;
  for (const auto& h : hs) {
    if (iequals(h.name, "Transfer-Encoding")) {
      if (chunked || req_.version_minor == 0)
        return fail(400, "unexpected Transfer-Encoding");
      if (!iequals(h.value, "chunked"))
        return fail(501, "unsupported transfer coding");
      chunked = true;
    } else if (iequals(h.name, "Content-Length")) {
      std::string_view rest = h.value;
      while (true) {
        auto comma = rest.find(',');
        size_t v = 0;
        if (!parse_decimal(trim_ows(rest.substr(0, comma)), v))
          return fail(400, "malformed Content-Length");
        if (has_length && v != length)
          return fail(400, "conflicting Content-Length values");
        has_length = true;
        length = v;
        if (comma == std::string_view::npos)
          break;
        rest.remove_prefix(comma + 1);
      }
    }
  }
  if (chunked && has_length)
    return fail(400, "both Content-Length and Transfer-Encoding");
  if (has_length && length > limits_.max_body_bytes)
    return fail(413, "request body too large");
  bool body_follows = chunked || length > 0;
  if (auto expect = find_header(hs, "Expect")) {
    if (!iequals(*expect, "100-continue"))
      return fail(417, "unsupported expectation");
    continue_pending_ = body_follows && req_.version_minor >= 1;
  }
  if (chunked) {
    phase_ = phase::chunk_size;
  } else if (length > 0) {
    phase_ = phase::body_length;
    remaining_ = length;
    req_.body.reserve(std::min<size_t>(length, 64 * 1024));
  } else {
    return state::complete;
  }
  if (continue_pending_) {
    continue_pending_ = false;
    return state::expect_continue;
  }
  return state::incomplete;
}

request_parser::state request_parser::on_chunk_size(std::string_view line) {
  auto end = line.find_first_of("; \t");
  auto digits = line.substr(0, end);
  if (digits.empty() || digits.size() > 15)
    return fail(400, "malformed chunk size");
  size_t size = 0;
  for (char c : digits) {
    int d = -1;
    if (c >= '0' && c <= '9')
      d = c - '0';
    else if (c >= 'a' && c <= 'f')
      d = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F')
      d = c - 'A' + 10;
    if (d < 0)
      return fail(400, "malformed chunk size");
    size = size * 16 + static_cast<size_t>(d);
  }
  if (end != std::string_view::npos && !valid_field_value(line.substr(end)))
    return fail(400, "malformed chunk extension");
  if (size == 0) {
    phase_ = phase::trailers;
    return state::incomplete;
  }
  if (size > limits_.max_body_bytes - req_.body.size())
    return fail(413, "request body too large");
  remaining_ = size;
  phase_ = phase::chunk_data;
  return state::incomplete;
}

request_parser::state request_parser::finish(server_request& out) {
  out = std::move(req_);
  req_ = server_request{};
  phase_ = phase::start_line;
  head_bytes_ = 0;
  remaining_ = 0;
  return state::complete;
}

} // namespace cafelet::net
