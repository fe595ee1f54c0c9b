#include "runtime/cri/status.hpp"

#include <array>

namespace cafelet::cri {

namespace {

constexpr std::array<std::string_view, 17> code_names{
  "OK",
  "Canceled",
  "Unknown",
  "InvalidArgument",
  "DeadlineExceeded",
  "NotFound",
  "AlreadyExists",
  "PermissionDenied",
  "ResourceExhausted",
  "FailedPrecondition",
  "Aborted",
  "OutOfRange",
  "Unimplemented",
  "Internal",
  "Unavailable",
  "DataLoss",
  "Unauthenticated",
};

constexpr std::string_view prefix = "rpc error: code = ";
constexpr std::string_view desc_sep = " desc = ";

bool in_range(int code) {
  return code >= 0 && code < static_cast<int>(code_names.size());
}

} // namespace

std::string_view rpc_code_name(rpc_code code) {
  auto i = static_cast<int>(code);
  if (in_range(i))
    return code_names[static_cast<size_t>(i)];
  return "Code(?)";
}

errc errc_of(rpc_code code) {
  switch (code) {
    case rpc_code::ok: return errc::none;
    case rpc_code::unavailable: return errc::connection_failed;
    case rpc_code::deadline_exceeded: return errc::timeout;
    case rpc_code::not_found: return errc::not_found;
    case rpc_code::already_exists: return errc::conflict;
    case rpc_code::invalid_argument: return errc::invalid;
    case rpc_code::unimplemented: return errc::invalid;
    default: return errc::runtime_error;
  }
}

caf::error make_rpc_error(rpc_code code, std::string_view message) {
  if (code == rpc_code::ok)
    return {};
  std::string ctx{prefix};
  auto i = static_cast<int>(code);
  if (in_range(i))
    ctx += rpc_code_name(code);
  else
    ctx += "Code(" + std::to_string(i) + ")";
  ctx += desc_sep;
  ctx += message;
  return make_error(errc_of(code), std::move(ctx));
}

caf::error make_rpc_error(int grpc_code, std::string_view message) {
  return make_rpc_error(static_cast<rpc_code>(grpc_code), message);
}

rpc_code rpc_code_of(const caf::error& err) {
  if (!err)
    return rpc_code::ok;
  if (code_of(err) == errc::internal)
    return rpc_code::unknown;
  auto ctx = context_of(err);
  std::string_view sv{ctx};
  if (sv.substr(0, prefix.size()) != prefix)
    return rpc_code::unknown;
  sv.remove_prefix(prefix.size());
  auto name = sv.substr(0, sv.find(desc_sep));
  for (size_t i = 0; i < code_names.size(); ++i)
    if (code_names[i] == name)
      return static_cast<rpc_code>(i);
  return rpc_code::unknown;
}

std::string rpc_message_of(const caf::error& err) {
  auto ctx = context_of(err);
  if (std::string_view{ctx}.substr(0, prefix.size()) != prefix)
    return ctx;
  auto pos = ctx.find(desc_sep);
  if (pos == std::string::npos)
    return ctx;
  return ctx.substr(pos + desc_sep.size());
}

} // namespace cafelet::cri
