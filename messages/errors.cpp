#include "errors.hpp"

#include <caf/atom.hpp>
#include <caf/message.hpp>
#include <caf/exit_reason.hpp>
#include <caf/sec.hpp>

namespace cafelet {

namespace {

constexpr caf::atom_value category = caf::atom("cafelet");

} // namespace

std::string to_string(errc x) {
  switch (x) {
    case errc::none: return "none";
    case errc::invalid_config: return "invalid_config";
    case errc::invalid_flag: return "invalid_flag";
    case errc::io_error: return "io_error";
    case errc::restart_budget_exhausted: return "restart_budget_exhausted";
    case errc::child_failed: return "child_failed";
    case errc::not_ready: return "not_ready";
    case errc::timeout: return "timeout";
    case errc::connection_failed: return "connection_failed";
    case errc::bad_response: return "bad_response";
    case errc::not_found: return "not_found";
    case errc::conflict: return "conflict";
    case errc::gone: return "gone";
    case errc::forbidden: return "forbidden";
    case errc::unauthorized: return "unauthorized";
    case errc::invalid: return "invalid";
    case errc::too_many_requests: return "too_many_requests";
    case errc::server_error: return "server_error";
    case errc::runtime_error: return "runtime_error";
    case errc::internal: return "internal";
  }
  return "unknown(" + std::to_string(static_cast<int>(x)) + ")";
}

caf::error make_error(errc x, std::string context) {
  return caf::error{static_cast<uint8_t>(x), category,
                    caf::make_message(std::move(context))};
}

bool is(const caf::error& err, errc x) {
  return err && err.category() == category && err.code() == static_cast<uint8_t>(x);
}

errc code_of(const caf::error& err) {
  if (!err)
    return errc::none;
  if (err.category() != category)
    return errc::internal;
  return static_cast<errc>(err.code());
}

std::string context_of(const caf::error& err) {
  const auto& ctx = err.context();
  if (ctx.match_elements<std::string>())
    return ctx.get_as<std::string>(0);
  return {};
}

std::string describe(const caf::error& err) {
  if (!err)
    return "none";
  std::string out;
  if (err.category() == category) {
    out = "cafelet.";
    out += to_string(static_cast<errc>(err.code()));
  } else if (err.category() == caf::atom("system")) {
    out = "caf.";
    out += caf::to_string(static_cast<caf::sec>(err.code()));
  } else if (err.category() == caf::atom("exit")) {
    out = "exit.";
    out += caf::to_string(static_cast<caf::exit_reason>(err.code()));
  } else {
    out = caf::to_string(err.category());
    out += '.';
    out += std::to_string(err.code());
  }
  if (auto ctx = context_of(err); !ctx.empty()) {
    out += ": ";
    out += ctx;
  }
  return out;
}

bool is_retryable(errc x) {
  switch (x) {
    case errc::io_error:
    case errc::not_ready:
    case errc::timeout:
    case errc::connection_failed:
    case errc::conflict:
    case errc::gone:
    case errc::too_many_requests:
    case errc::server_error:
    case errc::runtime_error:
    case errc::child_failed:
      return true;
    default:
      return false;
  }
}

bool is_retryable(const caf::error& err) {
  if (!err)
    return false;
  if (err.category() != category)
    return err.category() == caf::atom("system")
           && static_cast<caf::sec>(err.code()) == caf::sec::request_timeout;
  return is_retryable(static_cast<errc>(err.code()));
}

} // namespace cafelet
