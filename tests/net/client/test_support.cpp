#include "tests/net/client/test_support.hpp"

#include "messages/errors.hpp"

#include <doctest/doctest.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <poll.h>
#include <sstream>
#include <stdexcept>

namespace cafelet::net::test {

namespace {

std::string env_or(const char* name, const char* fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? v : fallback;
}

void run_shell(const std::string& cmd) {
  auto full = "(" + cmd + ") >/dev/null 2>&1";
  int rc = std::system(full.c_str());
  if (rc != 0)
    throw std::runtime_error("command failed (" + std::to_string(rc)
                             + "): " + cmd);
}

constexpr const char* openssl_cnf = R"([req]
distinguished_name = dn
prompt = no
[dn]
CN = unused
[v3_ca]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[server]
basicConstraints = CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost,DNS:apiserver.internal,IP:127.0.0.1
[client]
basicConstraints = CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = clientAuth
)";

} // namespace

temp_dir::temp_dir() {
  auto base = env_or("TMPDIR", "/tmp") + "/cafelet-net-client-XXXXXX";
  std::string buf = base;
  if (mkdtemp(buf.data()) == nullptr)
    throw std::runtime_error("mkdtemp failed: " + std::string{std::strerror(errno)});
  path_ = buf;
}

temp_dir::~temp_dir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

void write_file(const std::string& path, const std::string& content) {
  std::ofstream out{path, std::ios::binary};
  out << content;
  if (!out)
    throw std::runtime_error("cannot write " + path);
}

std::string read_file(const std::string& path) {
  std::ifstream in{path, std::ios::binary};
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

pki::pki() {
  const auto& d = dir_.path();
  write_file(dir_.file("openssl.cnf"), openssl_cnf);
  std::string ssl = "openssl";
  std::string cnf = " -config openssl.cnf";
  std::string newkey = " -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";
  auto ca = [&](const std::string& name, const std::string& cn) {
    return ssl + " req" + cnf + " -x509" + newkey + " -keyout " + name
           + ".key -out " + name + ".crt -subj '/CN=" + cn
           + "' -days 3 -extensions v3_ca";
  };
  auto leaf = [&](const std::string& name, const std::string& subj,
                  const std::string& ca_name, const std::string& ext,
                  const std::string& days) {
    return ssl + " req" + cnf + newkey + " -keyout " + name + ".key -out "
           + name + ".csr -subj '" + subj + "' && " + ssl + " x509 -req -in "
           + name + ".csr -CA " + ca_name + ".crt -CAkey " + ca_name
           + ".key -CAcreateserial -out " + name + ".crt -days " + days
           + " -extfile openssl.cnf -extensions " + ext;
  };
  run_shell("cd '" + d + "' && " + ca("ca", "cafelet-test-ca") + " && "
            + ca("other-ca", "some-other-ca") + " && "
            + leaf("server", "/CN=kube-apiserver", "ca", "server", "3") + " && "
            + ssl + " x509 -req -in server.csr -CA ca.crt -CAkey ca.key"
            + " -CAcreateserial -out expired.crt -days -1"
            + " -extfile openssl.cnf -extensions server && "
            + leaf("client", "/O=system:nodes/CN=system:node:edge-1", "ca",
                   "client", "3")
            + " && "
            + leaf("rogue-client", "/O=system:nodes/CN=system:node:rogue",
                   "other-ca", "client", "3"));
}

const pki& pki::get() {
  static pki instance;
  return instance;
}

std::string pki::pem(const std::string& file) const {
  return read_file(dir_.file(file));
}

tls_server::tls_server() {
  const auto& keys = pki::get();
  auto python = env_or("PYTHON3", "python3");
  auto script = env_or("CAFELET_SOURCE_ROOT", ".")
                + "/tests/net/client/tls_server.py";
  int in_pipe[2];
  int out_pipe[2];
  if (pipe2(in_pipe, O_CLOEXEC) != 0 || pipe2(out_pipe, O_CLOEXEC) != 0)
    throw std::runtime_error("pipe failed");
  pid_t pid = fork();
  if (pid < 0)
    throw std::runtime_error("fork failed");
  if (pid == 0) {
    dup2(in_pipe[0], STDIN_FILENO);
    dup2(out_pipe[1], STDOUT_FILENO);
    execlp(python.c_str(), python.c_str(), script.c_str(), keys.dir().c_str(),
           static_cast<char*>(nullptr));
    _exit(127);
  }
  pid_ = pid;
  close(in_pipe[0]);
  close(out_pipe[1]);
  stdin_fd_ = in_pipe[1];
  // read the "PORTS ..." line, waiting at most 30 s for the interpreter
  std::string line;
  pollfd pfd{out_pipe[0], POLLIN, 0};
  while (line.find('\n') == std::string::npos) {
    if (poll(&pfd, 1, 30000) <= 0)
      break;
    char buf[256];
    auto n = read(out_pipe[0], buf, sizeof(buf));
    if (n <= 0)
      break;
    line.append(buf, static_cast<size_t>(n));
  }
  close(out_pipe[0]);
  if (std::sscanf(line.c_str(), "PORTS good=%d expired=%d blackhole=%d",
                  &good_, &expired_, &blackhole_)
      != 3)
    throw std::runtime_error("test server did not start (" + python + " "
                             + script + "): got '" + line + "'");
}

tls_server::~tls_server() {
  if (stdin_fd_ >= 0)
    close(stdin_fd_); // the server exits when its stdin closes
  if (pid_ > 0) {
    kill(pid_, SIGTERM);
    int status = 0;
    waitpid(pid_, &status, 0);
  }
}

const tls_server& tls_server::get() {
  static tls_server instance;
  return instance;
}

rest_config good_config() {
  const auto& keys = pki::get();
  rest_config cfg;
  cfg.server = "https://127.0.0.1:" + std::to_string(tls_server::get().good_port());
  cfg.ca_pem = keys.pem("ca.crt");
  cfg.client_cert_pem = keys.pem("client.crt");
  cfg.client_key_pem = keys.pem("client.key");
  cfg.token = "test-token";
  return cfg;
}

std::unique_ptr<http_client> make_client(rest_config cfg, client_options opts) {
  auto client = http_client::make(std::move(cfg), std::move(opts));
  if (!client)
    FAIL("cannot create client: " << describe(client.error()));
  return std::move(*client);
}

result_waiter::result_waiter()
  : promise_(std::make_shared<std::promise<http_result>>()),
    future_(promise_->get_future().share()) {
  // nop
}

completion_fn result_waiter::callback() {
  return [p = promise_](http_result res) { p->set_value(std::move(res)); };
}

bool result_waiter::ready() const {
  return future_.wait_for(std::chrono::seconds{0}) == std::future_status::ready;
}

http_result result_waiter::get(std::chrono::milliseconds limit) {
  if (future_.wait_for(limit) != std::future_status::ready)
    FAIL("no result within " << limit.count() << " ms");
  return future_.get();
}

http_result run(http_client& client, http_request req) {
  result_waiter w;
  client.request(std::move(req), w.callback());
  return w.get();
}

} // namespace cafelet::net::test
