#include "net/server/query.hpp"

#include "messages/errors.hpp"

namespace cafelet::net {

namespace {

int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

bool unreserved(unsigned char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
         || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_'
         || c == '~';
}

} // namespace

caf::expected<std::string> percent_decode(std::string_view in,
                                          bool plus_as_space) {
  std::string out;
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '%') {
      if (in.size() - i < 3)
        return make_error(errc::invalid, "truncated percent escape");
      int hi = hex_value(in[i + 1]);
      int lo = hex_value(in[i + 2]);
      if (hi < 0 || lo < 0)
        return make_error(errc::invalid, "invalid percent escape");
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (c == '+' && plus_as_space) {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string percent_encode(std::string_view in) {
  static constexpr char digits[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(in.size());
  for (unsigned char c : in) {
    if (unreserved(c)) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(digits[c >> 4]);
      out.push_back(digits[c & 0x0F]);
    }
  }
  return out;
}

caf::expected<query_params> query_params::parse(std::string_view query) {
  query_params result;
  while (!query.empty()) {
    auto amp = query.find('&');
    auto pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{}
                                          : query.substr(amp + 1);
    if (pair.empty())
      continue;
    auto eq = pair.find('=');
    auto key = percent_decode(pair.substr(0, eq), true);
    if (!key)
      return std::move(key.error());
    std::string value;
    if (eq != std::string_view::npos) {
      auto decoded = percent_decode(pair.substr(eq + 1), true);
      if (!decoded)
        return std::move(decoded.error());
      value = std::move(*decoded);
    }
    result.items_.push_back(query_param{std::move(*key), std::move(value)});
  }
  return result;
}

std::optional<std::string_view>
query_params::get(std::string_view key) const noexcept {
  for (const auto& p : items_)
    if (p.key == key)
      return std::string_view{p.value};
  return std::nullopt;
}

std::vector<std::string_view>
query_params::get_all(std::string_view key) const {
  std::vector<std::string_view> out;
  for (const auto& p : items_)
    if (p.key == key)
      out.emplace_back(p.value);
  return out;
}

} // namespace cafelet::net
