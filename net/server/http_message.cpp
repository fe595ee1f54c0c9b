#include "net/server/http_message.hpp"

#include "net/http_text.hpp"

#include <algorithm>
#include <cstdio>
#include <ctime>

namespace cafelet::net {

namespace {

char lower(char c) noexcept {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

} // namespace

bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size())
    return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (lower(a[i]) != lower(b[i]))
      return false;
  return true;
}

std::optional<std::string_view> find_header(const server_headers& hs,
                                            std::string_view name) noexcept {
  for (const auto& h : hs)
    if (iequals(h.name, name))
      return std::string_view{h.value};
  return std::nullopt;
}

bool has_header_token(const server_headers& hs, std::string_view name,
                      std::string_view token) noexcept {
  for (const auto& h : hs) {
    if (!iequals(h.name, name))
      continue;
    std::string_view rest = h.value;
    while (!rest.empty()) {
      auto comma = rest.find(',');
      auto item = trim_ows(rest.substr(0, comma));
      if (iequals(item, token))
        return true;
      if (comma == std::string_view::npos)
        break;
      rest.remove_prefix(comma + 1);
    }
  }
  return false;
}

bool server_request::keep_alive() const noexcept {
  if (version_minor >= 1)
    return !has_header_token(headers, "Connection", "close");
  return has_header_token(headers, "Connection", "keep-alive");
}

server_response& server_response::set_header(std::string_view name,
                                         std::string_view value) {
  std::erase_if(headers,
                [&](const server_header& h) { return iequals(h.name, name); });
  headers.push_back(server_header{std::string{name}, std::string{value}});
  return *this;
}

server_response server_response::text(int status, std::string body,
                                  std::string_view content_type) {
  server_response res;
  res.status = status;
  res.body = std::move(body);
  res.headers.push_back(
    server_header{"Content-Type", std::string{content_type}});
  return res;
}

std::string_view reason_phrase(int status) noexcept {
  auto phrase = standard_reason_phrase(status);
  return phrase.empty() ? "Unknown" : phrase;
}

std::string http_date_now() {
  static constexpr const char* days[] = {"Sun", "Mon", "Tue", "Wed",
                                         "Thu", "Fri", "Sat"};
  static constexpr const char* months[] = {"Jan", "Feb", "Mar", "Apr",
                                           "May", "Jun", "Jul", "Aug",
                                           "Sep", "Oct", "Nov", "Dec"};
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[40];
  std::snprintf(buf, sizeof(buf), "%s, %02d %s %04d %02d:%02d:%02d GMT",
                days[tm.tm_wday % 7], tm.tm_mday, months[tm.tm_mon % 12],
                tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
  return buf;
}

} // namespace cafelet::net
