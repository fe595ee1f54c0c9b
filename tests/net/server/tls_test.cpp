// HTTPS with client-certificate authentication, checked with libcurl
// against certificates generated for the test.

#include "messages/errors.hpp"
#include "net/server/http_server.hpp"
#include "tests/net/server/test_support.hpp"

#include <curl/curl.h>
#include <doctest/doctest.h>

#include <atomic>
#include <thread>

using namespace cafelet;
using namespace cafelet::net;

namespace {

struct fetch_result {
  CURLcode code = CURLE_OK;
  long status = 0;
  long new_connections = 0;
  std::string body;
};

struct client_cert {
  std::string crt;
  std::string key;
};

size_t collect(char* data, size_t size, size_t n, void* user) {
  static_cast<std::string*>(user)->append(data, size * n);
  return size * n;
}

/// Fetches `paths` in order over one curl handle (so keep-alive applies).
std::vector<fetch_result> fetch(const test::test_pki& pki, uint16_t port,
                                std::vector<std::string> paths,
                                std::optional<client_cert> cert) {
  std::vector<fetch_result> out;
  CURL* h = curl_easy_init();
  REQUIRE(h != nullptr);
  for (const auto& path : paths) {
    fetch_result r;
    auto url = "https://127.0.0.1:" + std::to_string(port) + path;
    curl_easy_setopt(h, CURLOPT_URL, url.c_str());
    curl_easy_setopt(h, CURLOPT_CAINFO, pki.ca_crt.c_str());
    if (cert) {
      curl_easy_setopt(h, CURLOPT_SSLCERT, cert->crt.c_str());
      curl_easy_setopt(h, CURLOPT_SSLKEY, cert->key.c_str());
    }
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &r.body);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 20000L);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    r.code = curl_easy_perform(h);
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r.status);
    curl_easy_getinfo(h, CURLINFO_NUM_CONNECTS, &r.new_connections);
    out.push_back(std::move(r));
  }
  curl_easy_cleanup(h);
  return out;
}

fetch_result fetch_one(const test::test_pki& pki, uint16_t port,
                       std::string path, std::optional<client_cert> cert) {
  return fetch(pki, port, {std::move(path)}, std::move(cert)).front();
}

std::string join(const std::vector<std::string>& xs) {
  std::string out;
  for (const auto& x : xs)
    out += (out.empty() ? "" : ",") + x;
  return out;
}

/// Serves /whoami (the peer identity), /big (8 MiB) and /stream (chunked,
/// written from another thread).
struct tls_fixture {
  test::test_pki pki;
  std::atomic<int> calls{0};
  std::unique_ptr<http_server> srv;
  std::vector<std::thread> writers;

  explicit tls_fixture(client_auth mode) {
    REQUIRE_MESSAGE(pki.ok, "openssl could not generate test certificates");
    server_options opts;
    opts.tls = tls_options{pki.server_crt, pki.server_key, pki.ca_crt, mode};
    opts.name = "tls-test";
    auto s = http_server::start(opts, [this](server_request req, responder res) {
      ++calls;
      if (req.path == "/whoami") {
        const auto& p = req.peer;
        res.respond(200, "tls=" + std::to_string(req.tls)
                           + " presented=" + std::to_string(p.presented)
                           + " verified=" + std::to_string(p.verified)
                           + " cn=" + p.common_name
                           + " o=" + join(p.organizations)
                           + " err=" + p.verify_error);
      } else if (req.path == "/big") {
        std::string body(8 * 1024 * 1024, '\0');
        for (size_t i = 0; i < body.size(); ++i)
          body[i] = static_cast<char>('a' + i % 26);
        res.respond(200, std::move(body));
      } else {
        auto st = res.start_stream(200);
        writers.emplace_back([st] {
          for (int i = 0; i < 200; ++i)
            st.write("line " + std::to_string(i) + "\n");
          st.close();
        });
      }
    });
    REQUIRE_MESSAGE(s, describe(s.error()));
    srv = std::move(*s);
  }

  ~tls_fixture() {
    srv->stop(); // joins the loop thread, which fills `writers`
    for (auto& t : writers)
      t.join();
  }

  client_cert client() const {
    return {pki.client_crt, pki.client_key};
  }
};

} // namespace

TEST_CASE("tls: optional client certificates") {
  tls_fixture fx{client_auth::optional};
  auto port = fx.srv->port();
  CHECK(fx.srv->url().starts_with("https://127.0.0.1:"));
  SUBCASE("a CA-signed client certificate reaches the handler") {
    auto r = fetch_one(fx.pki, port, "/whoami", fx.client());
    REQUIRE(r.code == CURLE_OK);
    CHECK(r.status == 200);
    CHECK(r.body
          == "tls=1 presented=1 verified=1 cn=system:node:edge-1 "
             "o=system:nodes err=");
  }
  SUBCASE("all O values are reported") {
    auto r = fetch_one(fx.pki, port, "/whoami",
                       client_cert{fx.pki.multi_crt, fx.pki.multi_key});
    REQUIRE(r.code == CURLE_OK);
    CHECK(r.body
          == "tls=1 presented=1 verified=1 cn=system:node:edge-2 "
             "o=system:nodes,cafelet:testers err=");
  }
  SUBCASE("a client without a certificate is served anonymously") {
    auto r = fetch_one(fx.pki, port, "/whoami", std::nullopt);
    REQUIRE(r.code == CURLE_OK);
    CHECK(r.body == "tls=1 presented=0 verified=0 cn= o= err=");
  }
  SUBCASE("a certificate from another CA is rejected") {
    auto r = fetch_one(fx.pki, port, "/whoami",
                       client_cert{fx.pki.rogue_crt, fx.pki.rogue_key});
    CHECK(r.code != CURLE_OK);
    CHECK(fx.calls == 0);
  }
}

TEST_CASE("tls: required client certificates") {
  tls_fixture fx{client_auth::required};
  auto none = fetch_one(fx.pki, fx.srv->port(), "/whoami", std::nullopt);
  CHECK(none.code != CURLE_OK);
  auto rogue = fetch_one(fx.pki, fx.srv->port(), "/whoami",
                         client_cert{fx.pki.rogue_crt, fx.pki.rogue_key});
  CHECK(rogue.code != CURLE_OK);
  CHECK(fx.calls == 0);
  auto good = fetch_one(fx.pki, fx.srv->port(), "/whoami", fx.client());
  REQUIRE(good.code == CURLE_OK);
  CHECK(good.body.find("cn=system:node:edge-1") != std::string::npos);
}

TEST_CASE("tls: request mode leaves unverified certificates to the handler") {
  tls_fixture fx{client_auth::request};
  auto rogue = fetch_one(fx.pki, fx.srv->port(), "/whoami",
                         client_cert{fx.pki.rogue_crt, fx.pki.rogue_key});
  REQUIRE(rogue.code == CURLE_OK);
  CHECK(rogue.body.starts_with("tls=1 presented=1 verified=0 cn= o= err="));
  CHECK(rogue.body.size() > std::string{"tls=1 presented=1 verified=0 cn= o= err="}.size());
  auto good = fetch_one(fx.pki, fx.srv->port(), "/whoami", fx.client());
  REQUIRE(good.code == CURLE_OK);
  CHECK(good.body.find("verified=1 cn=system:node:edge-1") != std::string::npos);
}

TEST_CASE("tls: large bodies, streams and keep-alive") {
  tls_fixture fx{client_auth::optional};
  auto rs = fetch(fx.pki, fx.srv->port(), {"/big", "/stream", "/whoami"},
                  fx.client());
  REQUIRE(rs.size() == 3);
  REQUIRE(rs[0].code == CURLE_OK);
  REQUIRE(rs[0].body.size() == 8u * 1024 * 1024);
  bool pattern_ok = true;
  for (size_t i = 0; i < rs[0].body.size(); ++i)
    if (rs[0].body[i] != static_cast<char>('a' + i % 26)) {
      pattern_ok = false;
      break;
    }
  CHECK(pattern_ok);
  REQUIRE(rs[1].code == CURLE_OK);
  std::string expected;
  for (int i = 0; i < 200; ++i)
    expected += "line " + std::to_string(i) + "\n";
  CHECK(rs[1].body == expected);
  REQUIRE(rs[2].code == CURLE_OK);
  // The second and third requests reused the first connection.
  CHECK(rs[0].new_connections == 1);
  CHECK(rs[1].new_connections == 0);
  CHECK(rs[2].new_connections == 0);
}
