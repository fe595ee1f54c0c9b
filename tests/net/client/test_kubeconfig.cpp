#include "net/client/base64.hpp"
#include "net/client/kubeconfig.hpp"

#include "messages/errors.hpp"
#include "messages/log.hpp"
#include "tests/net/client/test_support.hpp"

#include <doctest/doctest.h>

#include <filesystem>
#include <mutex>
#include <vector>

using namespace cafelet;
using namespace cafelet::net;
using cafelet::net::test::pki;
using cafelet::net::test::temp_dir;
using cafelet::net::test::write_file;

namespace {

std::string b64_file(const std::string& name) {
  return base64_encode(pki::get().pem(name));
}

/// A kubeconfig with inline data; `extra_cluster` / `extra_user` are added
/// to the cluster / user maps (indented by 4).
std::string inline_kubeconfig(const std::string& extra_cluster = {},
                              const std::string& extra_user = {},
                              const std::string& current = "edge") {
  return "apiVersion: v1\n"
         "kind: Config\n"
         "clusters:\n"
         "- name: prod\n"
         "  cluster:\n"
         "    server: https://10.0.0.1:6443/\n"
         "    certificate-authority-data: " + b64_file("ca.crt") + "\n"
         + extra_cluster +
         "users:\n"
         "- name: edge-1\n"
         "  user:\n"
         "    client-certificate-data: " + b64_file("client.crt") + "\n"
         "    client-key-data: " + b64_file("client.key") + "\n"
         + extra_user +
         "contexts:\n"
         "- name: edge\n"
         "  context:\n"
         "    cluster: prod\n"
         "    user: edge-1\n"
         "- name: anonymous\n"
         "  context:\n"
         "    cluster: prod\n"
         + (current.empty() ? std::string{} : "current-context: " + current + "\n");
}

std::string error_text(const caf::error& err) {
  return describe(err);
}

/// Captures log lines while alive.
struct log_capture {
  std::mutex mtx;
  std::vector<std::string> lines;
  log_capture() {
    log::set_sink([this](std::string_view line) {
      std::lock_guard guard{mtx};
      lines.emplace_back(line);
    });
  }
  ~log_capture() {
    log::set_sink(nullptr);
  }
  bool contains(std::string_view needle) {
    std::lock_guard guard{mtx};
    for (auto& l : lines)
      if (l.find(needle) != std::string::npos)
        return true;
    return false;
  }
};

} // namespace

TEST_CASE("kubeconfig with inline data") {
  auto cfg = parse_kubeconfig(inline_kubeconfig(), "kc.yaml", "/nowhere");
  REQUIRE_MESSAGE(cfg, error_text(cfg.error()));
  CHECK(cfg->server == "https://10.0.0.1:6443");
  CHECK(cfg->ca_pem == pki::get().pem("ca.crt"));
  CHECK(cfg->client_cert_pem == pki::get().pem("client.crt"));
  CHECK(cfg->client_key_pem == pki::get().pem("client.key"));
  CHECK(cfg->token.empty());
  CHECK(cfg->ca_file.empty());
  CHECK_FALSE(cfg->insecure_skip_tls_verify);
  CHECK(cfg->context == "edge");
  CHECK(cfg->source == "kc.yaml");
}

TEST_CASE("kubeconfig context override and context without user") {
  auto cfg = parse_kubeconfig(inline_kubeconfig(), "kc.yaml", "/", "anonymous");
  REQUIRE_MESSAGE(cfg, error_text(cfg.error()));
  CHECK(cfg->context == "anonymous");
  CHECK(cfg->client_cert_pem.empty());
  CHECK_FALSE(cfg->ca_pem.empty());
}

TEST_CASE("kubeconfig with files relative to its directory") {
  temp_dir dir;
  std::filesystem::create_directories(dir.file("pki"));
  std::filesystem::create_directories(dir.file("conf"));
  write_file(dir.file("pki/ca.crt"), pki::get().pem("ca.crt"));
  write_file(dir.file("pki/client.crt"), pki::get().pem("client.crt"));
  write_file(dir.file("pki/client.key"), pki::get().pem("client.key"));
  write_file(dir.file("conf/token"), "  s3cr3t-token\n");
  write_file(dir.file("conf/kubelet.conf"),
             "clusters:\n"
             "- name: c\n"
             "  cluster:\n"
             "    server: https://api.example:6443\n"
             "    certificate-authority: ../pki/ca.crt\n"
             "    tls-server-name: apiserver.internal\n"
             "users:\n"
             "- name: u\n"
             "  user:\n"
             "    client-certificate: ../pki/client.crt\n"
             "    client-key: " + dir.file("pki/client.key") + "\n"
             "    token: inline-token\n"
             "    tokenFile: token\n"
             "contexts:\n"
             "- name: x\n"
             "  context: {cluster: c, user: u}\n"
             "current-context: x\n");
  auto cfg = load_kubeconfig(dir.file("conf/kubelet.conf"));
  REQUIRE_MESSAGE(cfg, error_text(cfg.error()));
  CHECK(cfg->ca_file == dir.file("pki/ca.crt"));
  CHECK(cfg->client_cert_file == dir.file("pki/client.crt"));
  CHECK(cfg->client_key_file == dir.file("pki/client.key"));
  CHECK(cfg->ca_pem == pki::get().pem("ca.crt"));
  CHECK(cfg->client_key_pem == pki::get().pem("client.key"));
  CHECK(cfg->tls_server_name == "apiserver.internal");
  // tokenFile wins over token, and is trimmed
  CHECK(cfg->token == "s3cr3t-token");
  CHECK(cfg->token_file == dir.file("conf/token"));
}

TEST_CASE("kubeconfig insecure-skip-tls-verify logs a warning") {
  log_capture logs;
  auto text = "clusters:\n"
              "- name: c\n"
              "  cluster: {server: 'https://h:1', insecure-skip-tls-verify: true}\n"
              "contexts:\n"
              "- name: x\n"
              "  context: {cluster: c}\n"
              "current-context: x\n";
  auto cfg = parse_kubeconfig(text, "kc.yaml", "/");
  REQUIRE_MESSAGE(cfg, error_text(cfg.error()));
  CHECK(cfg->insecure_skip_tls_verify);
  CHECK(logs.contains("level=warning"));
  CHECK(logs.contains("disables TLS verification"));
  SUBCASE("not set means verify, without warning") {
    log_capture quiet;
    auto plain = parse_kubeconfig(inline_kubeconfig(), "kc.yaml", "/");
    REQUIRE(plain);
    CHECK_FALSE(plain->insecure_skip_tls_verify);
    CHECK_FALSE(quiet.contains("TLS verification"));
  }
}

namespace {

/// Parses `text` and returns the error text, failing if it parsed.
std::string parse_error(const std::string& text, errc expected_code,
                        const std::string& context = {}) {
  auto cfg = parse_kubeconfig(text, "kc.yaml", "/base", context);
  if (cfg) {
    FAIL_CHECK("expected an error");
    return {};
  }
  CHECK_MESSAGE(is(cfg.error(), expected_code), describe(cfg.error()));
  auto msg = describe(cfg.error());
  CHECK_MESSAGE(msg.find("kc.yaml") != std::string::npos, msg);
  return msg;
}

bool has(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

} // namespace

TEST_CASE("kubeconfig errors name the file and the field") {
  SUBCASE("missing current-context") {
    auto msg = parse_error(inline_kubeconfig({}, {}, ""), errc::invalid_config);
    CHECK_MESSAGE(has(msg, "current-context: not set"), msg);
  }
  SUBCASE("unknown context") {
    auto msg = parse_error(inline_kubeconfig({}, {}, "nope"), errc::invalid_config);
    CHECK_MESSAGE(has(msg, "context \"nope\" not found"), msg);
    CHECK_MESSAGE(has(msg, "edge, anonymous"), msg);
  }
  SUBCASE("unknown user") {
    auto text = inline_kubeconfig();
    text.replace(text.find("user: edge-1"), 12, "user: ghost");
    auto msg = parse_error(text, errc::invalid_config);
    CHECK_MESSAGE(has(msg, "user \"ghost\" not found"), msg);
  }
  SUBCASE("missing server") {
    auto msg = parse_error("clusters:\n- name: c\n  cluster: {}\n"
                           "contexts:\n- name: x\n  context: {cluster: c}\n"
                           "current-context: x\n",
                           errc::invalid_config);
    CHECK_MESSAGE(has(msg, "clusters[name=c].cluster.server: missing"), msg);
  }
  SUBCASE("server is not a URL") {
    auto msg = parse_error("clusters:\n- name: c\n  cluster: {server: 10.0.0.1}\n"
                           "contexts:\n- name: x\n  context: {cluster: c}\n"
                           "current-context: x\n",
                           errc::invalid_config);
    CHECK_MESSAGE(has(msg, "not an http(s) URL"), msg);
  }
  SUBCASE("unreadable certificate file") {
    auto text = inline_kubeconfig(
      {}, {}, "edge");
    auto pos = text.find("    client-certificate-data:");
    auto end = text.find('\n', pos);
    text.replace(pos, end - pos, "    client-certificate: certs/missing.crt");
    auto msg = parse_error(text, errc::io_error);
    CHECK_MESSAGE(has(msg, "users[name=edge-1].user.client-certificate"), msg);
    CHECK_MESSAGE(has(msg, "/base/certs/missing.crt"), msg);
  }
  SUBCASE("bad base64") {
    auto text = inline_kubeconfig();
    auto pos = text.find("certificate-authority-data: ") + 28;
    text.insert(pos + 8, "!");
    auto msg = parse_error(text, errc::invalid_config);
    CHECK_MESSAGE(has(msg, "clusters[name=prod].cluster.certificate-authority-data"),
                  msg);
    CHECK_MESSAGE(has(msg, "invalid base64 at offset 8"), msg);
  }
  SUBCASE("data that is not PEM") {
    auto text = inline_kubeconfig();
    auto pos = text.find("client-key-data: ") + 17;
    text.replace(pos, text.find('\n', pos) - pos, base64_encode("hello"));
    auto msg = parse_error(text, errc::invalid_config);
    CHECK_MESSAGE(has(msg, "client-key"), msg);
    CHECK_MESSAGE(has(msg, "not PEM"), msg);
  }
  SUBCASE("key does not match the certificate") {
    auto text = inline_kubeconfig();
    auto pos = text.find("client-key-data: ") + 17;
    text.replace(pos, text.find('\n', pos) - pos, b64_file("rogue-client.key"));
    auto msg = parse_error(text, errc::invalid_config);
    CHECK_MESSAGE(has(msg, "does not match"), msg);
  }
  SUBCASE("certificate without key") {
    auto text = inline_kubeconfig();
    auto pos = text.find("    client-key-data: ");
    text.erase(pos, text.find('\n', pos) + 1 - pos);
    auto msg = parse_error(text, errc::invalid_config);
    CHECK_MESSAGE(has(msg, "client-key is missing"), msg);
  }
  SUBCASE("data and file both set") {
    auto msg = parse_error(inline_kubeconfig("    certificate-authority: ca.crt\n"),
                           errc::invalid_config);
    CHECK_MESSAGE(has(msg, "are both set"), msg);
  }
  SUBCASE("CA with insecure flag") {
    auto msg = parse_error(inline_kubeconfig("    insecure-skip-tls-verify: true\n"),
                           errc::invalid_config);
    CHECK_MESSAGE(has(msg, "insecure"), msg);
  }
  SUBCASE("insecure flag that is not a bool") {
    auto msg = parse_error(inline_kubeconfig("    insecure-skip-tls-verify: maybe\n"),
                           errc::invalid_config);
    CHECK_MESSAGE(has(msg, "insecure-skip-tls-verify: expected true or false"), msg);
  }
  SUBCASE("exec plugins are not supported") {
    auto msg = parse_error(inline_kubeconfig({}, "    exec: {command: x}\n"),
                           errc::invalid_config);
    CHECK_MESSAGE(has(msg, "users[name=edge-1].user.exec: not supported"), msg);
  }
  SUBCASE("empty token file") {
    auto msg = parse_error(inline_kubeconfig({}, "    tokenFile: /dev/null\n"),
                           errc::invalid_config);
    CHECK_MESSAGE(has(msg, "tokenFile"), msg);
  }
  SUBCASE("malformed YAML") {
    auto msg = parse_error("clusters: [\n  - name: c\n", errc::invalid_config);
    CHECK_MESSAGE(has(msg, "malformed YAML: line"), msg);
  }
  SUBCASE("not a map") {
    auto msg = parse_error("- just\n- a list\n", errc::invalid_config);
    CHECK_MESSAGE(has(msg, "expected a YAML map"), msg);
  }
  SUBCASE("clusters is not a list") {
    auto text = "clusters: {a: b}\ncontexts:\n- name: x\n  context: {cluster: c}\n"
                "current-context: x\n";
    auto msg = parse_error(text, errc::invalid_config);
    CHECK_MESSAGE(has(msg, "clusters: expected a list"), msg);
  }
}

TEST_CASE("kubeconfig file that cannot be read") {
  auto cfg = load_kubeconfig("/nonexistent/kubelet.conf");
  REQUIRE_FALSE(cfg);
  CHECK(is(cfg.error(), errc::io_error));
  CHECK(has(describe(cfg.error()), "/nonexistent/kubelet.conf"));
}

TEST_CASE("base64 decoding") {
  auto ok = base64_decode("aGVs\nbG8=", "f");
  REQUIRE(ok);
  CHECK(*ok == "hello");
  CHECK(*base64_decode("aGVsbG8", "f") == "hello"); // padding optional
  CHECK(base64_encode("hello") == "aGVsbG8=");
  std::vector<std::string> samples{"", "a", "ab", "abc", "abcd",
                                   std::string("\0\xff\x10", 3)};
  for (const auto& s : samples)
    CHECK(*base64_decode(base64_encode(s), "f") == s);
  CHECK_FALSE(base64_decode("aGVsbG8=x", "f"));
  CHECK_FALSE(base64_decode("a", "f"));
  CHECK_FALSE(base64_decode("aGVsbG8===", "f"));
  auto bad = base64_decode("ab$d", "users[name=u].user.client-key-data");
  REQUIRE_FALSE(bad);
  CHECK(has(describe(bad.error()), "client-key-data: invalid base64 at offset 2"));
}
