#include "messages/config/flags.hpp"

#include "messages/config/config_file.hpp"
#include "messages/config/labels.hpp"
#include "messages/errors.hpp"
#include "messages/units/duration.hpp"

#include <arpa/inet.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <climits>
#include <limits>

namespace cafelet::config {

namespace {

using kc = kubelet_configuration;
using problem = std::optional<std::string>;
using setter = problem (*)(std::string_view, kc&, agent_options&);

/// One supported flag.
struct flag_spec {
  /// Long name without dashes.
  std::string_view name;
  /// Single-letter alias or 0.
  char shorthand;
  /// Value type shown by --help; empty for boolean flags.
  std::string_view type;
  /// The KubeletConfiguration field it sets, or "" for flag-only settings.
  std::string_view field;
  /// Default shown by --help, or "".
  std::string_view default_text;
  /// One-line help.
  std::string_view help;
  /// Applies a value; nullptr for --help and --version.
  setter set;
};

// -- value parsers -----------------------------------------------------------

std::optional<bool> parse_bool(std::string_view s) {
  // Go's strconv.ParseBool.
  for (auto t : {"1", "t", "T", "TRUE", "true", "True"})
    if (s == t)
      return true;
  for (auto f : {"0", "f", "F", "FALSE", "false", "False"})
    if (s == f)
      return false;
  return std::nullopt;
}

std::optional<int64_t> parse_int(std::string_view s) {
  bool neg = false;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    neg = s[0] == '-';
    s.remove_prefix(1);
  }
  int base = 10;
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    s.remove_prefix(2);
    base = 16;
  }
  int64_t v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v, base);
  if (s.empty() || ec != std::errc{} || ptr != s.data() + s.size())
    return std::nullopt;
  return neg ? -v : v;
}

std::vector<std::string_view> split_commas(std::string_view s) {
  std::vector<std::string_view> out;
  if (s.empty())
    return out;
  size_t start = 0;
  for (;;) {
    auto pos = s.find(',', start);
    out.push_back(s.substr(start, pos - start));
    if (pos == std::string_view::npos)
      return out;
    start = pos + 1;
  }
}

// -- setters -----------------------------------------------------------------

template <auto Member>
problem set_string(std::string_view v, kc& c, agent_options&) {
  c.*Member = std::string{v};
  return std::nullopt;
}

template <auto Member>
problem set_ip(std::string_view v, kc& c, agent_options&) {
  if (!is_ip_address(v))
    return "not a valid IP address";
  c.*Member = std::string{v};
  return std::nullopt;
}

template <auto Member>
problem set_bool(std::string_view v, kc& c, agent_options&) {
  auto b = parse_bool(v);
  if (!b)
    return "expected true or false";
  c.*Member = *b;
  return std::nullopt;
}

template <auto Member, int64_t Min, int64_t Max>
problem set_int32(std::string_view v, kc& c, agent_options&) {
  auto i = parse_int(v);
  if (!i)
    return "not an integer";
  if (*i < Min || *i > Max)
    return "must be between " + std::to_string(Min) + " and "
           + std::to_string(Max) + ", inclusive";
  c.*Member = static_cast<int32_t>(*i);
  return std::nullopt;
}

template <auto Member>
problem set_duration(std::string_view v, kc& c, agent_options&) {
  auto d = units::parse_duration(v);
  if (!d)
    return context_of(d.error());
  if (*d < std::chrono::nanoseconds{0})
    return "must not be negative";
  c.*Member = *d;
  return std::nullopt;
}

problem set_cluster_dns(std::string_view v, kc& c, agent_options&) {
  std::vector<std::string> ips;
  for (auto ip : split_commas(v)) {
    if (!is_ip_address(ip))
      return "\"" + std::string{ip} + "\" is not a valid IP address";
    ips.emplace_back(ip);
  }
  c.cluster_dns = std::move(ips);
  return std::nullopt;
}

template <auto Member>
problem set_resources(std::string_view v, kc& c, agent_options&) {
  resource_map result;
  for (auto item : split_commas(v)) {
    auto eq = item.find('=');
    if (eq == std::string_view::npos)
      return "malformed pair \"" + std::string{item}
             + "\", expected name=quantity";
    auto name = std::string{item.substr(0, eq)};
    auto q = units::parse_quantity(item.substr(eq + 1));
    if (!q)
      return context_of(q.error());
    result[name] = *q;
  }
  c.*Member = std::move(result);
  return std::nullopt;
}

problem set_taints(std::string_view v, kc& c, agent_options&) {
  auto taints = parse_taints(v);
  if (!taints)
    return context_of(taints.error());
  c.register_with_taints = std::move(*taints);
  return std::nullopt;
}

template <auto Member>
problem set_agent_string(std::string_view v, kc&, agent_options& a) {
  a.*Member = std::string{v};
  return std::nullopt;
}

problem set_node_ip(std::string_view v, kc&, agent_options& a) {
  auto ips = split_commas(v);
  if (ips.size() > 2)
    return "at most one IPv4 and one IPv6 address may be given";
  std::vector<std::string> out;
  for (auto ip : ips) {
    if (!is_ip_address(ip))
      return "\"" + std::string{ip} + "\" is not a valid IP address";
    out.emplace_back(ip);
  }
  if (out.size() == 2
      && (out[0].find(':') == std::string::npos)
           == (out[1].find(':') == std::string::npos))
    return "two addresses must be one IPv4 and one IPv6 address";
  a.node_ips = std::move(out);
  return std::nullopt;
}

problem set_node_labels(std::string_view v, kc&, agent_options& a) {
  auto labels = parse_labels(v);
  if (!labels)
    return context_of(labels.error());
  if (auto why = check_node_label_namespaces(*labels))
    return why;
  // Repeated --node-labels flags accumulate, as upstream.
  for (auto& [key, value] : *labels)
    a.node_labels[key] = std::move(value);
  return std::nullopt;
}

problem set_verbosity(std::string_view v, kc&, agent_options& a) {
  auto i = parse_int(v);
  if (!i)
    return "not an integer";
  if (*i < 0 || *i > INT_MAX)
    return "must be a non-negative number";
  a.verbosity = static_cast<int>(*i);
  return std::nullopt;
}

constexpr int64_t i32max = std::numeric_limits<int32_t>::max();

// Sorted by name, as --help lists them.
constexpr flag_spec flags[] = {
  {"address", 0, "ip", "address", "0.0.0.0",
   "IP address for the kubelet API to serve on (0.0.0.0 or :: for all "
   "interfaces)",
   set_ip<&kc::address>},
  {"bootstrap-kubeconfig", 0, "string", "", "",
   "kubeconfig used to request a client certificate when --kubeconfig does "
   "not exist yet",
   set_agent_string<&agent_options::bootstrap_kubeconfig>},
  {"cert-dir", 0, "string", "", "/var/lib/kubelet/pki",
   "Directory of the TLS certificates",
   set_agent_string<&agent_options::cert_dir>},
  {"cgroup-driver", 0, "string", "cgroupDriver", "cgroupfs",
   "Driver used to manage cgroups: cgroupfs or systemd",
   set_string<&kc::cgroup_driver>},
  {"cgroup-root", 0, "string", "cgroupRoot", "/", "Root cgroup for pods",
   set_string<&kc::cgroup_root>},
  {"cgroups-per-qos", 0, "", "cgroupsPerQOS", "true",
   "Create the QoS cgroup hierarchy", set_bool<&kc::cgroups_per_qos>},
  {"cluster-dns", 0, "strings", "clusterDNS", "",
   "Comma-separated list of DNS server IP addresses for pods",
   set_cluster_dns},
  {"cluster-domain", 0, "string", "clusterDomain", "",
   "Domain of the cluster; pods search it in addition to the host's domains",
   set_string<&kc::cluster_domain>},
  {"config", 0, "string", "", "",
   "KubeletConfiguration file; flags override its values",
   set_agent_string<&agent_options::config_file>},
  {"container-runtime-endpoint", 0, "string", "containerRuntimeEndpoint",
   "unix:///run/containerd/containerd.sock", "Endpoint of the CRI runtime",
   set_string<&kc::container_runtime_endpoint>},
  {"fail-swap-on", 0, "", "failSwapOn", "true",
   "Fail to start if swap is enabled on the node",
   set_bool<&kc::fail_swap_on>},
  {"file-check-frequency", 0, "duration", "fileCheckFrequency", "20s",
   "Period between checks of the static pod manifests",
   set_duration<&kc::file_check_frequency>},
  {"healthz-bind-address", 0, "ip", "healthzBindAddress", "127.0.0.1",
   "IP address for the healthz server to serve on",
   set_ip<&kc::healthz_bind_address>},
  {"healthz-port", 0, "int32", "healthzPort", "10248",
   "Port of the localhost healthz endpoint (0 disables)",
   set_int32<&kc::healthz_port, 0, 65535>},
  {"help", 'h', "", "", "", "Print this help and exit", nullptr},
  {"hostname-override", 0, "string", "", "",
   "Use this name as the node name instead of the hostname",
   set_agent_string<&agent_options::hostname_override>},
  {"image-gc-high-threshold", 0, "int32", "imageGCHighThresholdPercent", "85",
   "Disk usage percent after which image garbage collection always runs",
   set_int32<&kc::image_gc_high_threshold_percent, 0, 100>},
  {"image-gc-low-threshold", 0, "int32", "imageGCLowThresholdPercent", "80",
   "Disk usage percent image garbage collection frees down to",
   set_int32<&kc::image_gc_low_threshold_percent, 0, 100>},
  {"kube-api-burst", 0, "int32", "kubeAPIBurst", "100",
   "Burst of requests to the API server",
   set_int32<&kc::kube_api_burst, 0, i32max>},
  {"kube-api-qps", 0, "int32", "kubeAPIQPS", "50",
   "Sustained queries per second to the API server",
   set_int32<&kc::kube_api_qps, 0, i32max>},
  {"kube-reserved", 0, "mapStringString", "kubeReserved", "",
   "Resources reserved for Kubernetes daemons, e.g. cpu=100m,memory=500Mi",
   set_resources<&kc::kube_reserved>},
  {"kubeconfig", 0, "string", "", "",
   "kubeconfig with the API server location and credentials",
   set_agent_string<&agent_options::kubeconfig>},
  {"max-pods", 0, "int32", "maxPods", "110",
   "Number of pods that can run on this node",
   set_int32<&kc::max_pods, 0, i32max>},
  {"node-ip", 0, "string", "", "",
   "IP address (or comma-separated dual-stack addresses) of the node",
   set_node_ip},
  {"node-labels", 0, "mapStringString", "", "",
   "Labels to add when registering the node, e.g. key1=value1,key2=value2",
   set_node_labels},
  {"node-status-update-frequency", 0, "duration", "nodeStatusUpdateFrequency",
   "10s", "How often the node status is computed",
   set_duration<&kc::node_status_update_frequency>},
  {"pod-manifest-path", 0, "string", "staticPodPath", "",
   "Directory (or file) of static pod manifests",
   set_string<&kc::static_pod_path>},
  {"port", 0, "int32", "port", "10250", "Port of the kubelet API",
   set_int32<&kc::port, 1, 65535>},
  {"read-only-port", 0, "int32", "readOnlyPort", "0",
   "Read-only port without authentication (0 disables)",
   set_int32<&kc::read_only_port, 0, 65535>},
  {"register-node", 0, "", "registerNode", "true",
   "Register the node with the API server", set_bool<&kc::register_node>},
  {"register-with-taints", 0, "[]taint", "registerWithTaints", "",
   "Taints to register the node with: key=value:Effect or key:Effect, "
   "comma-separated",
   set_taints},
  {"resolv-conf", 0, "string", "resolvConf", "/etc/resolv.conf",
   "Resolver configuration used as the basis of pod DNS",
   set_string<&kc::resolv_conf>},
  {"root-dir", 0, "string", "", "/var/lib/kubelet",
   "Directory for the kubelet's files (volume mounts, plugins)",
   set_agent_string<&agent_options::root_dir>},
  {"rotate-certificates", 0, "", "rotateCertificates", "false",
   "Renew the client certificate through the API server before it expires",
   set_bool<&kc::rotate_certificates>},
  {"runtime-request-timeout", 0, "duration", "runtimeRequestTimeout", "2m0s",
   "Timeout of runtime requests except long-running ones",
   set_duration<&kc::runtime_request_timeout>},
  {"serialize-image-pulls", 0, "", "serializeImagePulls", "true",
   "Pull one image at a time", set_bool<&kc::serialize_image_pulls>},
  {"sync-frequency", 0, "duration", "syncFrequency", "1m0s",
   "Maximum period between pod resyncs", set_duration<&kc::sync_frequency>},
  {"system-reserved", 0, "mapStringString", "systemReserved", "",
   "Resources reserved for the OS, e.g. cpu=100m,memory=500Mi",
   set_resources<&kc::system_reserved>},
  {"tls-cert-file", 0, "string", "tlsCertFile", "",
   "Serving certificate of the kubelet API",
   set_string<&kc::tls_cert_file>},
  {"tls-private-key-file", 0, "string", "tlsPrivateKeyFile", "",
   "Private key of --tls-cert-file", set_string<&kc::tls_private_key_file>},
  {"v", 'v', "Level", "", "0", "Log level verbosity", set_verbosity},
  {"version", 0, "", "", "", "Print version information and exit", nullptr},
};

const flag_spec* find_flag(std::string_view name) {
  for (const auto& f : flags)
    if (f.name == name)
      return &f;
  return nullptr;
}

const flag_spec* find_shorthand(char c) {
  for (const auto& f : flags)
    if (f.shorthand == c)
      return &f;
  return nullptr;
}

caf::error flag_error(std::string msg) {
  return make_error(errc::invalid_flag, std::move(msg));
}

caf::error bad_value(const flag_spec& f, std::string_view value,
                     std::string_view why) {
  return flag_error("invalid argument \"" + std::string{value} + "\" for \"--"
                    + std::string{f.name} + "\" flag: " + std::string{why});
}

/// Applies one flag occurrence to the command line under construction.
/// Returns true when parsing must stop (--help).
caf::expected<bool> apply(const flag_spec& f, std::string_view value,
                          command_line& cl, kubelet_configuration& scratch) {
  if (f.name == "help") {
    cl.help = true;
    return true;
  }
  if (f.name == "version") {
    auto b = parse_bool(value);
    if (!b && value != "raw")
      return bad_value(f, value, "expected true, false or raw");
    cl.version = !b || *b;
    return false;
  }
  if (auto why = f.set(value, scratch, cl.agent))
    return bad_value(f, value, *why);
  if (!f.field.empty())
    cl.config_flags.emplace_back(std::string{f.name}, std::string{value});
  return false;
}

std::string trim_lower(std::string_view s) {
  auto blank = [](char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
  };
  while (!s.empty() && blank(s.front()))
    s.remove_prefix(1);
  while (!s.empty() && blank(s.back()))
    s.remove_suffix(1);
  std::string out{s};
  for (auto& c : out)
    if (c >= 'A' && c <= 'Z')
      c = static_cast<char>(c - 'A' + 'a');
  return out;
}

} // namespace

caf::expected<command_line> parse_command_line(
  const std::vector<std::string>& args) {
  command_line cl;
  kubelet_configuration scratch;
  for (size_t i = 0; i < args.size(); ++i) {
    std::string_view arg = args[i];
    const flag_spec* spec = nullptr;
    std::string_view value;
    bool has_value = false;
    if (arg == "--") {
      if (i + 1 < args.size())
        return flag_error("unexpected argument \"" + args[i + 1]
                          + "\": cafelet takes no positional arguments");
      break;
    }
    if (arg.starts_with("--")) {
      auto body = arg.substr(2);
      auto eq = body.find('=');
      auto name = body.substr(0, eq);
      if (name.empty() || name[0] == '-')
        return flag_error("bad flag syntax: " + std::string{arg});
      if (eq != std::string_view::npos) {
        value = body.substr(eq + 1);
        has_value = true;
      }
      spec = find_flag(name);
      if (!spec)
        return flag_error("unknown flag: --" + std::string{name});
    } else if (arg.size() > 1 && arg[0] == '-') {
      spec = find_shorthand(arg[1]);
      if (!spec)
        return flag_error("unknown shorthand flag: '" + std::string{arg[1]}
                          + "' in " + std::string{arg});
      auto rest = arg.substr(2);
      if (!rest.empty()) {
        if (spec->type.empty() && rest[0] != '=')
          return flag_error("unknown shorthand flag: '" + std::string{rest[0]}
                            + "' in " + std::string{arg});
        value = rest[0] == '=' ? rest.substr(1) : rest;
        has_value = true;
      }
    } else {
      return flag_error("unexpected argument \"" + std::string{arg}
                        + "\": cafelet takes no positional arguments");
    }
    if (!has_value) {
      if (spec->type.empty()) {
        value = "true";
      } else if (i + 1 < args.size()) {
        value = args[++i];
      } else {
        return flag_error("flag needs an argument: --"
                          + std::string{spec->name});
      }
    }
    auto stop = apply(*spec, value, cl, scratch);
    if (!stop)
      return stop.error();
    if (*stop)
      return cl;
  }
  return cl;
}

caf::expected<std::string>
resolve_node_name(std::string_view hostname_override) {
  auto name = trim_lower(hostname_override);
  std::string source = "--hostname-override";
  if (name.empty()) {
    char buf[HOST_NAME_MAX + 1] = {};
    if (gethostname(buf, sizeof(buf) - 1) != 0)
      return make_error(errc::invalid_config, "couldn't determine hostname");
    name = trim_lower(buf);
    source = "hostname";
    if (name.empty())
      return make_error(errc::invalid_config, "empty hostname is invalid; "
                                              "use --hostname-override");
  }
  if (auto why = check_dns1123_subdomain(name))
    return make_error(source == "hostname" ? errc::invalid_config
                                           : errc::invalid_flag,
                      "invalid node name \"" + name + "\" from " + source
                        + ": " + *why);
  return name;
}

caf::expected<resolved_configuration>
resolve_configuration(const command_line& cl,
                      std::vector<std::string>& warnings) {
  resolved_configuration result;
  result.agent = cl.agent;
  const auto& path = cl.agent.config_file;
  if (!path.empty()) {
    auto cfg = load_config_file(path, warnings);
    if (!cfg)
      return cfg.error();
    result.kubelet = std::move(*cfg);
  }
  for (const auto& [name, value] : cl.config_flags) {
    auto spec = find_flag(name);
    if (!spec || !spec->set)
      return make_error(errc::internal, "unexpected config flag --" + name);
    if (auto why = spec->set(value, result.kubelet, result.agent))
      return bad_value(*spec, value, *why);
  }
  auto issues = validate(result.kubelet);
  if (!issues.empty()) {
    const auto& issue = issues.front();
    auto base = issue.field.substr(0, issue.field.find('['));
    for (auto it = cl.config_flags.rbegin(); it != cl.config_flags.rend();
         ++it) {
      auto spec = find_flag(it->first);
      if (spec && spec->field == base)
        return flag_error("invalid value for flag --" + it->first + " ("
                          + issue.field + "): " + issue.message);
    }
    return make_error(errc::invalid_config,
                      (path.empty() ? std::string{"configuration"} : path)
                        + ": field " + issue.field + ": " + issue.message);
  }
  auto node_name = resolve_node_name(cl.agent.hostname_override);
  if (!node_name)
    return node_name.error();
  result.agent.node_name = std::move(*node_name);
  return result;
}

std::string usage_text() {
  std::vector<std::pair<std::string, std::string>> rows;
  size_t width = 0;
  for (const auto& f : flags) {
    std::string left = f.shorthand != 0
                         ? std::string{"  -"} + f.shorthand + ", --"
                         : std::string{"      --"};
    left += f.name;
    if (!f.type.empty()) {
      left += ' ';
      left += f.type;
    }
    std::string right{f.help};
    if (!f.default_text.empty())
      right += " (default " + std::string{f.default_text} + ")";
    width = std::max(width, left.size());
    rows.emplace_back(std::move(left), std::move(right));
  }
  std::string out = "Usage:\n  cafelet [flags]\n\n"
                    "cafelet is a Kubernetes node agent compatible with the "
                    "kubelet's configuration\nfile and flags. Flags override "
                    "values from the --config file.\n\nFlags:\n";
  for (const auto& [left, right] : rows) {
    out += left;
    out.append(width + 3 - left.size(), ' ');
    out += right;
    out += '\n';
  }
  return out;
}

} // namespace cafelet::config
