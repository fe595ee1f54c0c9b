#include "net/client/base64.hpp"

#include "messages/errors.hpp"

#include <array>
#include <cstdint>

namespace cafelet::net {

namespace {

constexpr std::string_view alphabet =
  "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

constexpr std::array<int8_t, 256> make_table() {
  std::array<int8_t, 256> t{};
  for (auto& x : t)
    x = -1;
  for (size_t i = 0; i < alphabet.size(); ++i)
    t[static_cast<unsigned char>(alphabet[i])] = static_cast<int8_t>(i);
  return t;
}

constexpr auto table = make_table();

bool is_space(char c) {
  return c == ' ' || c == '\n' || c == '\r' || c == '\t';
}

caf::error bad(std::string_view what, size_t offset, std::string_view why) {
  return make_error(errc::invalid_config,
                    std::string{what} + ": invalid base64 at offset "
                      + std::to_string(offset) + ": " + std::string{why});
}

} // namespace

caf::expected<std::string> base64_decode(std::string_view in,
                                         std::string_view what) {
  std::string out;
  out.reserve(in.size() / 4 * 3 + 3);
  uint32_t acc = 0;
  int bits = 0;
  size_t digits = 0;
  size_t pad = 0;
  for (size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (is_space(c))
      continue;
    if (c == '=') {
      ++pad;
      if (pad > 2)
        return bad(what, i, "too much padding");
      continue;
    }
    if (pad > 0)
      return bad(what, i, "data after padding");
    auto v = table[static_cast<unsigned char>(c)];
    if (v < 0)
      return bad(what, i, "unexpected character");
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    ++digits;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xff);
    }
  }
  if (digits % 4 == 1)
    return bad(what, in.size(), "truncated input");
  if (pad > 0 && (digits + pad) % 4 != 0)
    return bad(what, in.size(), "wrong padding");
  if (bits > 0 && (acc & ((1u << bits) - 1)) != 0)
    return bad(what, in.size(), "non-zero trailing bits");
  return out;
}

std::string base64_encode(std::string_view in) {
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 3 <= in.size(); i += 3) {
    uint32_t v = (static_cast<unsigned char>(in[i]) << 16)
                 | (static_cast<unsigned char>(in[i + 1]) << 8)
                 | static_cast<unsigned char>(in[i + 2]);
    out += alphabet[(v >> 18) & 63];
    out += alphabet[(v >> 12) & 63];
    out += alphabet[(v >> 6) & 63];
    out += alphabet[v & 63];
  }
  if (auto rest = in.size() - i; rest > 0) {
    uint32_t v = static_cast<unsigned char>(in[i]) << 16;
    if (rest == 2)
      v |= static_cast<unsigned char>(in[i + 1]) << 8;
    out += alphabet[(v >> 18) & 63];
    out += alphabet[(v >> 12) & 63];
    out += rest == 2 ? alphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

} // namespace cafelet::net
