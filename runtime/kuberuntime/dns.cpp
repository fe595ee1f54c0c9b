#include "runtime/kuberuntime/dns.hpp"

#include "messages/errors.hpp"

#include <algorithm>

namespace cafelet::kuberuntime {

namespace {

/// Longest search domain kept (DNS1123SubdomainMaxLength).
constexpr size_t max_search_domain_length = 253;

/// Longest hostname (the kernel's nodename is 64 bytes with the NUL).
constexpr size_t max_hostname_length = 63;

/// Longest FQDN used as hostname.
constexpr size_t max_fqdn_length = 64;

std::vector<std::string_view> split_fields(std::string_view line) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t'
                               || line[i] == '\r' || line[i] == '\v'
                               || line[i] == '\f'))
      ++i;
    size_t start = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t'
           && line[i] != '\r' && line[i] != '\v' && line[i] != '\f')
      ++i;
    if (i > start)
      out.push_back(line.substr(start, i - start));
  }
  return out;
}

std::string_view option_name(std::string_view option) {
  return option.substr(0, option.find(':'));
}

/// Sets `option` in `options`, replacing one of the same name in place.
void put_option(std::vector<std::string>& options, std::string option) {
  auto name = option_name(option);
  for (auto& x : options) {
    if (option_name(x) == name) {
      x = std::move(option);
      return;
    }
  }
  options.push_back(std::move(option));
}

/// Appends the entries of `extra` not yet in `xs`, and drops duplicates.
std::vector<std::string> omit_duplicates(std::vector<std::string> xs,
                                         const std::vector<std::string>& extra
                                         = {}) {
  std::vector<std::string> out;
  auto add = [&out](const std::string& x) {
    if (std::find(out.begin(), out.end(), x) == out.end())
      out.push_back(x);
  };
  for (const auto& x : xs)
    add(x);
  for (const auto& x : extra)
    add(x);
  return out;
}

std::string join(const std::vector<std::string>& xs) {
  std::string out;
  for (const auto& x : xs) {
    if (!out.empty())
      out += ' ';
    out += x;
  }
  return out;
}

std::vector<std::string> to_vector(const google::protobuf::RepeatedPtrField<
                                   std::string>& xs) {
  return {xs.begin(), xs.end()};
}

void assign(google::protobuf::RepeatedPtrField<std::string>* dst,
            const std::vector<std::string>& xs) {
  dst->Clear();
  for (const auto& x : xs)
    dst->Add()->assign(x);
}

/// Upstream formDNSSearchFitsLimits.
std::vector<std::string> fit_searches(std::vector<std::string> searches,
                                      std::vector<build_warning>& warnings) {
  bool exceeded = false;
  if (searches.size() > max_dns_search_paths) {
    searches.resize(max_dns_search_paths);
    exceeded = true;
  }
  auto too_long = [](const std::string& x) {
    return x.size() > max_search_domain_length;
  };
  if (std::any_of(searches.begin(), searches.end(), too_long)) {
    searches.erase(std::remove_if(searches.begin(), searches.end(), too_long),
                   searches.end());
    exceeded = true;
  }
  auto line_length = join(searches).size();
  if (line_length > max_dns_search_chars) {
    while (!searches.empty() && line_length > max_dns_search_chars) {
      line_length -= std::min(line_length, searches.back().size() + 1);
      searches.pop_back();
    }
    exceeded = true;
  }
  if (exceeded)
    warnings.push_back(
      {"DNSConfigForming",
       "Search Line limits were exceeded, some search paths have been "
       "omitted, the applied search line is: "
         + join(searches)});
  return searches;
}

enum class dns_type { cluster, host, none };

caf::expected<dns_type> dns_type_of(const k8s::pod& pod) {
  const auto& policy = pod.spec.dns_policy;
  if (policy == "None")
    return dns_type::none;
  if (policy == "ClusterFirstWithHostNet")
    return dns_type::cluster;
  if (policy == "ClusterFirst" || policy.empty())
    return pod.spec.host_network ? dns_type::host : dns_type::cluster;
  if (policy == "Default")
    return dns_type::host;
  return pod_error(pod, "spec.dnsPolicy",
                   "invalid DNSPolicy=" + policy);
}

void set_host_dns(pb::DNSConfig& out, const dns_settings& dns) {
  if (dns.has_resolv_conf)
    return;
  out.clear_servers();
  for (const auto& ip : dns.node_ips)
    out.add_servers(ip.find(':') != std::string::npos ? "::1" : "127.0.0.1");
  if (out.servers_size() == 0)
    out.add_servers("127.0.0.1");
  out.clear_searches();
  out.add_searches(".");
}

} // namespace

caf::expected<host_dns> parse_resolv_conf(std::string_view text) {
  host_dns out;
  while (!text.empty()) {
    auto eol = text.find('\n');
    auto line = text.substr(0, eol);
    text.remove_prefix(eol == std::string_view::npos ? text.size() : eol + 1);
    auto fields = split_fields(line);
    if (fields.empty() || fields[0].front() == '#')
      continue;
    if (fields[0] == "nameserver") {
      if (fields.size() < 2)
        return make_error(errc::invalid,
                          "resolv.conf: nameserver list is empty");
      out.servers.emplace_back(fields[1]);
    } else if (fields[0] == "search") {
      out.searches.clear();
      for (size_t i = 1; i < fields.size(); ++i) {
        auto s = fields[i];
        if (s == ".")
          continue;
        if (s.back() == '.')
          s.remove_suffix(1);
        out.searches.emplace_back(s);
      }
    } else if (fields[0] == "options") {
      for (size_t i = 1; i < fields.size(); ++i)
        put_option(out.options, std::string{fields[i]});
    }
  }
  return out;
}

caf::expected<pod_dns> make_dns_config(const k8s::pod& pod,
                                       const dns_settings& dns) {
  auto type = dns_type_of(pod);
  if (!type)
    return std::move(type.error());
  pod_dns out;
  auto& cfg = out.config;
  assign(cfg.mutable_servers(), dns.host.servers);
  assign(cfg.mutable_searches(), dns.host.searches);
  assign(cfg.mutable_options(), dns.host.options);
  if (*type == dns_type::none) {
    cfg.Clear();
  } else if (*type == dns_type::cluster && !dns.cluster_dns.empty()) {
    assign(cfg.mutable_servers(), dns.cluster_dns);
    if (!dns.cluster_domain.empty()) {
      const auto& domain = dns.cluster_domain;
      std::vector<std::string> searches{pod.metadata.namespace_ + ".svc."
                                          + domain,
                                        "svc." + domain, domain};
      assign(cfg.mutable_searches(),
             omit_duplicates(std::move(searches), dns.host.searches));
    }
    assign(cfg.mutable_options(), {"ndots:5"});
  } else {
    if (*type == dns_type::cluster) {
      out.warnings.push_back(
        {"MissingClusterDNS",
         "pod: \"" + format_pod(pod)
           + "\". kubelet does not have ClusterDNS IP configured and cannot "
             "create Pod using \"ClusterFirst\" policy. Falling back to "
             "\"Default\" policy."});
    }
    set_host_dns(cfg, dns);
  }
  if (const auto& extra = pod.spec.dns_config) {
    assign(cfg.mutable_servers(),
           omit_duplicates(to_vector(cfg.servers()), extra->nameservers));
    assign(cfg.mutable_searches(),
           omit_duplicates(to_vector(cfg.searches()), extra->searches));
    auto options = to_vector(cfg.options());
    for (const auto& opt : extra->options)
      put_option(options, opt.value && !opt.value->empty()
                            ? opt.name + ":" + *opt.value
                            : opt.name);
    assign(cfg.mutable_options(), options);
  }
  if (static_cast<size_t>(cfg.servers_size()) > max_dns_nameservers) {
    auto servers = to_vector(cfg.servers());
    servers.resize(max_dns_nameservers);
    assign(cfg.mutable_servers(), servers);
    out.warnings.push_back(
      {"DNSConfigForming",
       "Nameserver limits were exceeded, some nameservers have been omitted, "
       "the applied nameserver line is: "
         + join(servers)});
  }
  assign(cfg.mutable_searches(),
         fit_searches(to_vector(cfg.searches()), out.warnings));
  return out;
}

bool is_dns1123_label(std::string_view s) noexcept {
  if (s.empty() || s.size() > max_hostname_length)
    return false;
  auto alnum = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
  };
  if (!alnum(s.front()) || !alnum(s.back()))
    return false;
  return std::all_of(s.begin(), s.end(),
                     [&](char c) { return alnum(c) || c == '-'; });
}

caf::expected<pod_hostname> make_pod_hostname(const k8s::pod& pod,
                                              std::string_view cluster_domain) {
  static constexpr std::string_view label_rule
    = "is not a valid DNS label: a lowercase RFC 1123 label must consist of "
      "lower case alphanumeric characters or '-', start and end with an "
      "alphanumeric character, and be at most 63 characters";
  pod_hostname out;
  out.hostname = pod.metadata.name;
  if (!pod.spec.hostname.empty()) {
    if (!is_dns1123_label(pod.spec.hostname))
      return pod_error(pod, "spec.hostname",
                       "\"" + pod.spec.hostname + "\" "
                         + std::string{label_rule});
    out.hostname = pod.spec.hostname;
  }
  if (out.hostname.size() > max_hostname_length) {
    out.hostname.resize(max_hostname_length);
    while (!out.hostname.empty()
           && (out.hostname.back() == '-' || out.hostname.back() == '.'))
      out.hostname.pop_back();
    if (out.hostname.empty())
      return pod_error(pod, "metadata.name", "cannot be used as hostname");
  }
  if (!pod.spec.subdomain.empty()) {
    if (!is_dns1123_label(pod.spec.subdomain))
      return pod_error(pod, "spec.subdomain",
                       "\"" + pod.spec.subdomain + "\" "
                         + std::string{label_rule});
    out.domain = pod.spec.subdomain + "." + pod.metadata.namespace_ + ".svc."
                 + std::string{cluster_domain};
  }
  return out;
}

caf::expected<std::string> sandbox_hostname(const k8s::pod& pod,
                                            std::string_view cluster_domain) {
  if (pod.spec.host_network)
    return std::string{};
  auto names = make_pod_hostname(pod, cluster_domain);
  if (!names)
    return std::move(names.error());
  if (names->domain.empty() || !pod.spec.set_hostname_as_fqdn.value_or(false))
    return std::move(names->hostname);
  auto fqdn = names->hostname + "." + names->domain;
  if (fqdn.size() > max_fqdn_length)
    return pod_error(pod, "spec.setHostnameAsFQDN",
                     "FQDN " + fqdn + " is too long (64 characters is the "
                       "max, "
                       + std::to_string(fqdn.size())
                       + " characters requested)");
  return fqdn;
}

} // namespace cafelet::kuberuntime
