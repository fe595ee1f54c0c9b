#include "runtime/cri/endpoint.hpp"

#include "messages/errors.hpp"

#include <sys/un.h>

namespace cafelet::cri {

namespace {

constexpr std::string_view flag_name
  = "--container-runtime-endpoint (containerRuntimeEndpoint)";

caf::error bad(std::string_view value, std::string_view why) {
  std::string msg{flag_name};
  msg += ": \"";
  msg += value;
  msg += "\": ";
  msg += why;
  return make_error(errc::invalid_flag, std::move(msg));
}

bool is_scheme_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
         || (c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.';
}

/// Returns the URI scheme of `value` ("" if it has none).
std::string_view scheme_of(std::string_view value) {
  auto colon = value.find(':');
  if (colon == std::string_view::npos || colon == 0)
    return {};
  auto s = value.substr(0, colon);
  for (char c : s)
    if (!is_scheme_char(c))
      return {};
  return s;
}

} // namespace

caf::expected<endpoint> parse_endpoint(std::string_view value) {
  if (value.empty())
    return bad(value, "must not be empty");
  std::string_view path;
  if (value.front() == '/') {
    path = value;
  } else {
    auto scheme = scheme_of(value);
    if (scheme.empty())
      return bad(value, "must be unix:///<absolute path> or an absolute "
                        "path");
    if (scheme != "unix")
      return bad(value, "unsupported scheme \"" + std::string{scheme}
                          + "\": only unix:// endpoints are supported");
    path = value.substr(scheme.size() + 1);
    if (path.substr(0, 2) == "//") {
      path.remove_prefix(2);
      if (!path.empty() && path.front() != '/')
        return bad(value, "a unix endpoint takes no host: write "
                          "unix:///<absolute path>");
    }
    if (path.empty())
      return bad(value, "the socket path is missing");
    if (path.front() != '/')
      return bad(value, "the socket path must be absolute");
  }
  if (path.find('\0') != std::string_view::npos)
    return bad(value, "the socket path contains a NUL byte");
  if (path.size() >= sizeof(sockaddr_un::sun_path))
    return bad(value, "the socket path is longer than "
                        + std::to_string(sizeof(sockaddr_un::sun_path) - 1)
                        + " bytes");
  endpoint result;
  result.path = std::string{path};
  result.target = "unix://" + result.path;
  return result;
}

} // namespace cafelet::cri
