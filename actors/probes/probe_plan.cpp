#include "actors/probes/probe_plan.hpp"

#include "messages/errors.hpp"

#include <cctype>

namespace cafelet::actors::probes {

namespace {

using net::probe::probe_result;

const char* field_name(probe_kind kind) {
  switch (kind) {
    case probe_kind::liveness: return "livenessProbe";
    case probe_kind::readiness: return "readinessProbe";
    case probe_kind::startup: return "startupProbe";
  }
  return "probe";
}

/// A named or numbered port of `c`, checked.
caf::expected<uint16_t> resolve_port(const k8s::int_or_string& port,
                                     const k8s::container& c, const std::string& path) {
  if (port.is_string) {
    if (port.string_value.empty())
      return make_error(errc::invalid, path + ": Required value: port name or number");
    for (const auto& cp : c.ports)
      if (cp.name == port.string_value && cp.container_port > 0
          && cp.container_port <= 65535)
        return static_cast<uint16_t>(cp.container_port);
    return make_error(errc::invalid, path + ": Invalid value: \"" + port.string_value
                                       + "\": no port of container " + c.name
                                       + " has this name");
  }
  if (port.int_value < 1 || port.int_value > 65535)
    return make_error(errc::invalid, path + ": Invalid value: "
                                       + std::to_string(port.int_value)
                                       + ": must be between 1 and 65535, inclusive");
  return static_cast<uint16_t>(port.int_value);
}

caf::error non_negative(int64_t value, const std::string& path) {
  if (value < 0)
    return make_error(errc::invalid, path + ": Invalid value: " + std::to_string(value)
                                       + ": must be greater than or equal to 0");
  return {};
}

} // namespace

const char* to_string(probe_kind x) {
  switch (x) {
    case probe_kind::liveness: return "Liveness";
    case probe_kind::readiness: return "Readiness";
    case probe_kind::startup: return "Startup";
  }
  return "Unknown";
}

const char* label_of(probe_kind x) {
  switch (x) {
    case probe_kind::liveness: return "liveness";
    case probe_kind::readiness: return "readiness";
    case probe_kind::startup: return "startup";
  }
  return "unknown";
}

const char* handler_name(const probe_target& x) {
  switch (x.index()) {
    case 0: return "exec";
    case 1: return "httpGet";
    case 2: return "tcpSocket";
    default: return "grpc";
  }
}

caf::expected<probe_plan> plan_probe(probe_kind kind, const k8s::probe& p,
                                     const k8s::container& c, std::string_view field) {
  auto base = std::string{field} + "." + field_name(kind);
  int handlers = (p.exec ? 1 : 0) + (p.http_get ? 1 : 0) + (p.tcp_socket ? 1 : 0)
                 + (p.grpc ? 1 : 0);
  if (handlers == 0)
    return make_error(errc::invalid, base + ": Required value: must specify a handler type");
  if (handlers > 1) {
    // As upstream: the field of the second handler in declaration order.
    const char* second = nullptr;
    int seen = 0;
    for (auto [set, name] : {std::pair{p.exec.has_value(), "exec"},
                             std::pair{p.http_get.has_value(), "httpGet"},
                             std::pair{p.tcp_socket.has_value(), "tcpSocket"},
                             std::pair{p.grpc.has_value(), "grpc"}})
      if (set && ++seen == 2)
        second = name;
    return make_error(errc::invalid, base + "." + second
                                       + ": Forbidden: may not specify more than 1 "
                                         "handler type");
  }
  probe_plan plan;
  plan.kind = kind;
  if (p.exec) {
    if (p.exec->command.empty())
      return make_error(errc::invalid, base + ".exec.command: Required value");
    plan.target = exec_target{p.exec->command};
  } else if (p.http_get) {
    const auto& h = *p.http_get;
    auto port = resolve_port(h.port, c, base + ".httpGet.port");
    if (!port)
      return port.error();
    if (h.scheme != "HTTP" && h.scheme != "HTTPS" && !h.scheme.empty())
      return make_error(errc::invalid, base + ".httpGet.scheme: Unsupported value: \""
                                         + h.scheme
                                         + "\": supported values: \"HTTP\", \"HTTPS\"");
    http_target t;
    t.scheme = h.scheme.empty() ? "HTTP" : h.scheme;
    t.host = h.host;
    t.port = *port;
    t.path = h.path;
    for (const auto& hdr : h.http_headers) {
      bool token = !hdr.name.empty();
      for (char ch : hdr.name)
        token = token && (std::isalnum(static_cast<unsigned char>(ch)) || ch == '-');
      if (!token)
        return make_error(errc::invalid,
                          base + ".httpGet.httpHeaders: Invalid value: \"" + hdr.name
                            + "\": a valid HTTP header must consist of alphanumeric "
                              "characters or '-' (e.g. 'X-Header-Name', regex used for "
                              "validation is '[-A-Za-z0-9]+')");
      t.headers.emplace_back(hdr.name, hdr.value);
    }
    plan.target = std::move(t);
  } else if (p.tcp_socket) {
    auto port = resolve_port(p.tcp_socket->port, c, base + ".tcpSocket.port");
    if (!port)
      return port.error();
    plan.target = tcp_target{p.tcp_socket->host, *port};
  } else {
    k8s::int_or_string n;
    n.int_value = p.grpc->port;
    auto port = resolve_port(n, c, base + ".grpc.port");
    if (!port)
      return port.error();
    plan.target = grpc_target{*port, p.grpc->service};
  }
  for (auto [value, name] :
       {std::pair<int64_t, const char*>{p.initial_delay_seconds, "initialDelaySeconds"},
        {p.timeout_seconds, "timeoutSeconds"},
        {p.period_seconds, "periodSeconds"},
        {p.success_threshold, "successThreshold"},
        {p.failure_threshold, "failureThreshold"}})
    if (auto err = non_negative(value, base + "." + name))
      return err;
  // Zero is how the API's defaulting sees an unset field.
  plan.initial_delay = std::chrono::seconds{p.initial_delay_seconds};
  plan.timeout = std::chrono::seconds{p.timeout_seconds == 0 ? 1 : p.timeout_seconds};
  plan.period = std::chrono::seconds{p.period_seconds == 0 ? 10 : p.period_seconds};
  plan.success_threshold = p.success_threshold == 0 ? 1 : p.success_threshold;
  plan.failure_threshold = p.failure_threshold == 0 ? 3 : p.failure_threshold;
  if (kind != probe_kind::readiness && plan.success_threshold != 1)
    return make_error(errc::invalid, base + ".successThreshold: Invalid value: "
                                       + std::to_string(plan.success_threshold)
                                       + ": must be 1");
  if (p.termination_grace_period_seconds) {
    if (kind == probe_kind::readiness)
      return make_error(errc::invalid,
                        base + ".terminationGracePeriodSeconds: Invalid value: "
                          + std::to_string(*p.termination_grace_period_seconds)
                          + ": must not be set for readinessProbes");
    if (*p.termination_grace_period_seconds <= 0)
      return make_error(errc::invalid,
                        base + ".terminationGracePeriodSeconds: Invalid value: "
                          + std::to_string(*p.termination_grace_period_seconds)
                          + ": must be greater than 0");
    plan.termination_grace_seconds = p.termination_grace_period_seconds;
  }
  return plan;
}

caf::expected<std::vector<probe_plan>> plan_probes(const k8s::container& c,
                                                   std::string_view field) {
  std::vector<probe_plan> out;
  for (auto [kind, p] : {std::pair{probe_kind::startup, &c.startup_probe},
                         std::pair{probe_kind::liveness, &c.liveness_probe},
                         std::pair{probe_kind::readiness, &c.readiness_probe}}) {
    if (!*p)
      continue;
    auto plan = plan_probe(kind, **p, c, field);
    if (!plan)
      return plan.error();
    out.push_back(std::move(*plan));
  }
  return out;
}

probe_counter::probe_counter(const probe_plan& plan)
  : success_threshold_(plan.success_threshold),
    failure_threshold_(plan.failure_threshold) {
  switch (plan.kind) {
    case probe_kind::readiness: result_ = false; break;
    case probe_kind::liveness: result_ = true; break;
    case probe_kind::startup: break;
  }
}

std::optional<bool> probe_counter::observe(probe_result r) {
  if (r == probe_result::unknown)
    return std::nullopt;
  bool ok = r == probe_result::success || r == probe_result::warning;
  if (last_ == ok) {
    ++run_;
  } else {
    last_ = ok;
    run_ = 1;
  }
  if (run_ < (ok ? success_threshold_ : failure_threshold_))
    return std::nullopt;
  if (result_ == ok)
    return std::nullopt;
  result_ = ok;
  return ok;
}

std::string unhealthy_message(probe_kind kind, std::string_view output) {
  if (output.size() > net::probe::max_probe_output)
    output = output.substr(0, net::probe::max_probe_output);
  return std::string{to_string(kind)} + " probe failed: " + std::string{output};
}

std::string killing_message(probe_kind kind, std::string_view container) {
  return "Container " + std::string{container} + " failed "
         + std::string{kind == probe_kind::liveness ? "liveness" : "startup"}
         + " probe, will be restarted";
}

} // namespace cafelet::actors::probes
