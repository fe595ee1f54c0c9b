#include "net/client/kubeconfig.hpp"

#include "messages/errors.hpp"
#include "messages/log.hpp"
#include "net/client/base64.hpp"
#include "net/client/pem.hpp"

#include <yaml-cpp/yaml.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>

namespace cafelet::net {

namespace {

namespace fs = std::filesystem;

/// Parsing state: where errors point to and how paths resolve.
struct parse_ctx {
  std::string origin;
  std::string base_dir;

  caf::error fail(errc code, std::string_view field, std::string_view msg) const {
    std::string ctx = "kubeconfig " + origin + ": ";
    if (!field.empty()) {
      ctx += field;
      ctx += ": ";
    }
    ctx += msg;
    return make_error(code, std::move(ctx));
  }

  caf::error invalid(std::string_view field, std::string_view msg) const {
    return fail(errc::invalid_config, field, msg);
  }

  std::string resolve(const std::string& path) const {
    if (path.empty() || fs::path{path}.is_absolute() || base_dir.empty())
      return path;
    return (fs::path{base_dir} / path).lexically_normal().string();
  }
};

caf::expected<std::string> read_file(const std::string& path) {
  std::ifstream in{path, std::ios::binary};
  if (!in)
    return make_error(errc::io_error, "cannot read \"" + path
                                        + "\": " + std::strerror(errno));
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad())
    return make_error(errc::io_error, "cannot read \"" + path + "\"");
  return ss.str();
}

/// Reads an optional scalar string `key` of map `node`.
caf::expected<std::optional<std::string>>
get_string(const parse_ctx& pc, const YAML::Node& node, const char* key,
           const std::string& where) {
  auto child = node[key];
  if (!child || child.IsNull())
    return std::optional<std::string>{};
  if (!child.IsScalar())
    return pc.invalid(where + "." + key, "expected a string");
  return std::optional<std::string>{child.Scalar()};
}

caf::expected<bool> get_bool(const parse_ctx& pc, const YAML::Node& node,
                             const char* key, const std::string& where) {
  auto child = node[key];
  if (!child || child.IsNull())
    return false;
  bool value = false;
  if (!child.IsScalar() || !YAML::convert<bool>::decode(child, value))
    return pc.invalid(where + "." + key,
                      "expected true or false, got \"" + YAML::Dump(child) + "\"");
  return value;
}

/// Finds the entry `name` in the named list `list` ("clusters", ...) and
/// returns its `inner` map ("cluster", ...).
caf::expected<YAML::Node> find_named(const parse_ctx& pc, const YAML::Node& root,
                                     const char* list, const char* inner,
                                     const std::string& name) {
  auto seq = root[list];
  std::string known;
  if (seq && !seq.IsNull()) {
    if (!seq.IsSequence())
      return pc.invalid(list, "expected a list");
    for (size_t i = 0; i < seq.size(); ++i) {
      auto entry = seq[i];
      auto field = std::string{list} + "[" + std::to_string(i) + "]";
      if (!entry.IsMap())
        return pc.invalid(field, "expected a map with name and " + std::string{inner});
      auto n = entry["name"];
      if (!n || !n.IsScalar())
        return pc.invalid(field + ".name", "missing");
      if (n.Scalar() == name) {
        auto body = entry[inner];
        if (body && !body.IsNull() && !body.IsMap())
          return pc.invalid(std::string{list} + "[name=" + name + "]." + inner,
                            "expected a map");
        return body && !body.IsNull() ? body : YAML::Node{YAML::NodeType::Map};
      }
      if (!known.empty())
        known += ", ";
      known += n.Scalar();
    }
  }
  std::string kind{list};
  kind.pop_back(); // "clusters" -> "cluster"
  return pc.invalid({}, kind + " \"" + name + "\" not found (known: "
                          + (known.empty() ? "none" : known) + ")");
}

/// Reads PEM material given either inline (`data_key`, base64) or as a file
/// (`file_key`). Returns an empty string if neither is set.
caf::error read_material(const parse_ctx& pc, const YAML::Node& node,
                         const std::string& where, const char* file_key,
                         const char* data_key, std::string& pem,
                         std::string& file) {
  auto f = get_string(pc, node, file_key, where);
  if (!f)
    return std::move(f.error());
  auto d = get_string(pc, node, data_key, where);
  if (!d)
    return std::move(d.error());
  if (*f && *d && !(*f)->empty() && !(*d)->empty())
    return pc.invalid(where, std::string{data_key} + " and " + file_key
                               + " are both set; set only one");
  if (*d && !(*d)->empty()) {
    auto decoded = base64_decode(**d, where + "." + data_key);
    if (!decoded)
      return pc.invalid({}, context_of(decoded.error()));
    pem = std::move(*decoded);
    return {};
  }
  if (*f && !(*f)->empty()) {
    file = pc.resolve(**f);
    auto content = read_file(file);
    if (!content)
      return pc.fail(errc::io_error, where + "." + file_key,
                     context_of(content.error()));
    pem = std::move(*content);
  }
  return {};
}

std::string trim(std::string s) {
  auto is_ws = [](char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; };
  while (!s.empty() && is_ws(s.back()))
    s.pop_back();
  size_t i = 0;
  while (i < s.size() && is_ws(s[i]))
    ++i;
  return s.substr(i);
}

caf::error parse_cluster(const parse_ctx& pc, const YAML::Node& cluster,
                         const std::string& where, rest_config& out) {
  auto server = get_string(pc, cluster, "server", where);
  if (!server)
    return std::move(server.error());
  if (!*server || (*server)->empty())
    return pc.invalid(where + ".server", "missing");
  auto url = **server;
  if (url.rfind("https://", 0) != 0 && url.rfind("http://", 0) != 0)
    return pc.invalid(where + ".server",
                      "\"" + url + "\" is not an http(s) URL");
  while (url.size() > 8 && url.back() == '/')
    url.pop_back();
  out.server = std::move(url);
  if (auto err = read_material(pc, cluster, where, "certificate-authority",
                               "certificate-authority-data", out.ca_pem,
                               out.ca_file))
    return err;
  auto name = get_string(pc, cluster, "tls-server-name", where);
  if (!name)
    return std::move(name.error());
  out.tls_server_name = name->value_or("");
  auto insecure = get_bool(pc, cluster, "insecure-skip-tls-verify", where);
  if (!insecure)
    return std::move(insecure.error());
  out.insecure_skip_tls_verify = *insecure;
  if (*insecure) {
    if (!out.ca_pem.empty())
      return pc.invalid(where, "certificate-authority(-data) and "
                               "insecure-skip-tls-verify are both set; "
                               "a CA cannot be used with the insecure flag");
    log::warning("kubeconfig disables TLS verification of the API server",
                 {log::kv("kubeconfig", pc.origin), log::kv("cluster", where)});
  }
  if (cluster["proxy-url"])
    log::warning("kubeconfig proxy-url is not supported and is ignored",
                 {log::kv("kubeconfig", pc.origin), log::kv("cluster", where)});
  if (!out.ca_pem.empty())
    if (auto err = check_certificate_pem(out.ca_pem, where + ".certificate-authority"))
      return pc.invalid({}, context_of(err));
  return {};
}

caf::error parse_user(const parse_ctx& pc, const YAML::Node& user,
                      const std::string& where, rest_config& out) {
  for (auto key : {"exec", "auth-provider", "username", "password"})
    if (user[key] && !user[key].IsNull())
      return pc.invalid(where + "." + key,
                        "not supported; use a client certificate or a token");
  if (auto err = read_material(pc, user, where, "client-certificate",
                               "client-certificate-data", out.client_cert_pem,
                               out.client_cert_file))
    return err;
  if (auto err = read_material(pc, user, where, "client-key", "client-key-data",
                               out.client_key_pem, out.client_key_file))
    return err;
  if (out.client_cert_pem.empty() != out.client_key_pem.empty())
    return pc.invalid(where, out.client_cert_pem.empty()
                               ? "client-key is set but client-certificate is missing"
                               : "client-certificate is set but client-key is missing");
  if (!out.client_cert_pem.empty()) {
    if (auto err = check_certificate_pem(out.client_cert_pem,
                                         where + ".client-certificate"))
      return pc.invalid({}, context_of(err));
    if (auto err = check_private_key_pem(out.client_key_pem, where + ".client-key"))
      return pc.invalid({}, context_of(err));
    if (auto err = check_key_pair(out.client_cert_pem, out.client_key_pem, where))
      return pc.invalid({}, context_of(err));
  }
  auto token = get_string(pc, user, "token", where);
  if (!token)
    return std::move(token.error());
  out.token = token->value_or("");
  auto token_file = get_string(pc, user, "tokenFile", where);
  if (!token_file)
    return std::move(token_file.error());
  if (*token_file && !(*token_file)->empty()) {
    out.token_file = pc.resolve(**token_file);
    auto content = read_file(out.token_file);
    if (!content)
      return pc.fail(errc::io_error, where + ".tokenFile",
                     context_of(content.error()));
    auto tok = trim(std::move(*content));
    if (tok.empty())
      return pc.invalid(where + ".tokenFile",
                        "\"" + out.token_file + "\" is empty");
    out.token = std::move(tok);
  }
  return {};
}

caf::expected<rest_config> parse_root(const parse_ctx& pc, const YAML::Node& root,
                                      const std::string& context_override) {
  if (!root.IsMap())
    return pc.invalid({}, "not a kubeconfig (expected a YAML map at the top)");
  std::string ctx_name = context_override;
  if (ctx_name.empty()) {
    auto cur = get_string(pc, root, "current-context", "current-context");
    if (!cur)
      return std::move(cur.error());
    if (!*cur || (*cur)->empty())
      return pc.invalid("current-context", "not set and no context was given");
    ctx_name = **cur;
  }
  auto ctx = find_named(pc, root, "contexts", "context", ctx_name);
  if (!ctx)
    return std::move(ctx.error());
  auto ctx_where = "contexts[name=" + ctx_name + "].context";
  auto cluster_name = get_string(pc, *ctx, "cluster", ctx_where);
  if (!cluster_name)
    return std::move(cluster_name.error());
  if (!*cluster_name || (*cluster_name)->empty())
    return pc.invalid(ctx_where + ".cluster", "missing");
  auto user_name = get_string(pc, *ctx, "user", ctx_where);
  if (!user_name)
    return std::move(user_name.error());
  rest_config out;
  out.source = pc.origin;
  out.context = ctx_name;
  auto cluster = find_named(pc, root, "clusters", "cluster", **cluster_name);
  if (!cluster)
    return std::move(cluster.error());
  if (auto err = parse_cluster(pc, *cluster,
                               "clusters[name=" + **cluster_name + "].cluster", out))
    return err;
  if (*user_name && !(*user_name)->empty()) {
    auto user = find_named(pc, root, "users", "user", **user_name);
    if (!user)
      return std::move(user.error());
    if (auto err = parse_user(pc, *user, "users[name=" + **user_name + "].user", out))
      return err;
  }
  return out;
}

} // namespace

caf::expected<rest_config> parse_kubeconfig(std::string_view text,
                                            std::string_view origin,
                                            const std::string& base_dir,
                                            const std::string& context) {
  parse_ctx pc{std::string{origin}, base_dir};
  try {
    auto root = YAML::Load(std::string{text});
    return parse_root(pc, root, context);
  } catch (const YAML::Exception& e) {
    std::string msg = e.msg;
    if (!e.mark.is_null())
      msg = "line " + std::to_string(e.mark.line + 1) + ", column "
            + std::to_string(e.mark.column + 1) + ": " + msg;
    return pc.invalid({}, "malformed YAML: " + msg);
  } catch (const std::exception& e) {
    return pc.invalid({}, std::string{"cannot parse: "} + e.what());
  }
}

caf::expected<rest_config> load_kubeconfig(const std::string& path,
                                           const std::string& context) {
  auto text = read_file(path);
  if (!text)
    return make_error(errc::io_error, "kubeconfig: " + context_of(text.error()));
  std::error_code ec;
  auto abs = fs::absolute(path, ec);
  auto dir = ec ? fs::path{path}.parent_path() : abs.parent_path();
  return parse_kubeconfig(*text, path, dir.string(), context);
}

} // namespace cafelet::net
