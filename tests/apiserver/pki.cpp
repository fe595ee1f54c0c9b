#include "tests/apiserver/pki.hpp"

#include "messages/errors.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <sstream>

namespace cafelet::apiserver {

namespace {

constexpr const char* curve = "ec_paramgen_curve:prime256v1";

bool write_text(const std::string& path, const std::string& text) {
  std::ofstream out{path, std::ios::binary | std::ios::trunc};
  out << text;
  return static_cast<bool>(out);
}

caf::error failed(const std::string& what, const std::string& log) {
  std::ifstream in{log};
  std::stringstream ss;
  ss << in.rdbuf();
  return make_error(errc::io_error, what + ": " + ss.str());
}

std::string subject(const std::string& cn,
                    const std::vector<std::string>& orgs) {
  std::string s = "/CN=" + cn;
  for (const auto& o : orgs)
    s += "/O=" + o;
  return s;
}

} // namespace

int run_program(const std::vector<std::string>& argv,
                const std::string& log_file) {
  std::vector<char*> args;
  for (const auto& a : argv)
    args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = fork();
  if (pid < 0)
    return -1;
  if (pid == 0) {
    int fd = ::open(log_file.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    if (fd >= 0) {
      ::dup2(fd, 1);
      ::dup2(fd, 2);
      ::close(fd);
    }
    int null_fd = ::open("/dev/null", O_RDONLY);
    if (null_fd >= 0) {
      ::dup2(null_fd, 0);
      ::close(null_fd);
    }
    ::execvp(args[0], args.data());
    _exit(127);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR)
      return -1;
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

caf::expected<test_pki> test_pki::generate(std::string dir) {
  ::mkdir(dir.c_str(), 0700);
  test_pki out;
  out.dir_ = dir;
  auto log = dir + "/openssl.log";
  out.ca_ = {dir + "/ca.crt", dir + "/ca.key"};
  out.server_ = {dir + "/server.crt", dir + "/server.key"};
  if (run_program({"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", curve,
                   "-nodes", "-keyout", out.ca_.key, "-out", out.ca_.cert,
                   "-days", "3650", "-subj", "/CN=cafelet-test-ca", "-addext",
                   "basicConstraints=critical,CA:TRUE", "-addext",
                   "keyUsage=critical,keyCertSign,cRLSign,digitalSignature"},
                  log)
      != 0)
    return failed("cannot create the test CA", log);
  auto csr = dir + "/server.csr";
  auto ext = dir + "/server.ext";
  if (!write_text(ext, "subjectAltName=IP:127.0.0.1,DNS:localhost\n"
                       "extendedKeyUsage=serverAuth\n"
                       "keyUsage=critical,digitalSignature,keyEncipherment\n"
                       "authorityKeyIdentifier=keyid,issuer\n"))
    return make_error(errc::io_error, "cannot write " + ext);
  if (run_program({"openssl", "req", "-newkey", "ec", "-pkeyopt", curve,
                   "-nodes", "-keyout", out.server_.key, "-out", csr, "-subj",
                   "/CN=kube-apiserver"},
                  log)
        != 0
      || run_program({"openssl", "x509", "-req", "-in", csr, "-CA",
                      out.ca_.cert, "-CAkey", out.ca_.key, "-CAcreateserial",
                      "-out", out.server_.cert, "-days", "3650", "-extfile",
                      ext},
                     log)
           != 0)
    return failed("cannot create the serving certificate", log);
  return out;
}

caf::expected<cert_pair>
test_pki::issue_client(const std::string& stem, const std::string& common_name,
                       const std::vector<std::string>& organizations,
                       int days) const {
  cert_pair out{dir_ + "/" + stem + ".crt", dir_ + "/" + stem + ".key"};
  auto log = dir_ + "/openssl.log";
  auto csr = dir_ + "/" + stem + ".csr";
  auto ext = dir_ + "/client.ext";
  if (!write_text(ext, "extendedKeyUsage=clientAuth\n"
                       "keyUsage=critical,digitalSignature,keyEncipherment\n"
                       "authorityKeyIdentifier=keyid,issuer\n"))
    return make_error(errc::io_error, "cannot write " + ext);
  if (run_program({"openssl", "req", "-newkey", "ec", "-pkeyopt", curve,
                   "-nodes", "-keyout", out.key, "-out", csr, "-subj",
                   subject(common_name, organizations)},
                  log)
        != 0
      || run_program({"openssl", "x509", "-req", "-in", csr, "-CA", ca_.cert,
                      "-CAkey", ca_.key, "-CAcreateserial", "-out", out.cert,
                      "-days", std::to_string(days), "-extfile", ext},
                     log)
           != 0)
    return failed("cannot issue a client certificate for " + common_name, log);
  return out;
}

caf::expected<cert_pair>
test_pki::self_signed_client(const std::string& stem,
                             const std::string& common_name) const {
  cert_pair out{dir_ + "/" + stem + ".crt", dir_ + "/" + stem + ".key"};
  auto log = dir_ + "/openssl.log";
  if (run_program({"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                   curve, "-nodes", "-keyout", out.key, "-out", out.cert,
                   "-days", "365", "-subj", "/CN=" + common_name},
                  log)
      != 0)
    return failed("cannot create a self-signed certificate", log);
  return out;
}

caf::expected<std::string>
test_pki::write_kubeconfig(const std::string& stem, const cert_pair& client,
                           const std::string& server_url,
                           const std::string& user) const {
  auto path = dir_ + "/" + stem + ".kubeconfig";
  std::string text = "apiVersion: v1\n"
                     "kind: Config\n"
                     "clusters:\n"
                     "- name: cafelet-test\n"
                     "  cluster:\n"
                     "    server: " + server_url + "\n"
                     "    certificate-authority: " + ca_.cert + "\n"
                     "users:\n"
                     "- name: " + user + "\n"
                     "  user:\n"
                     "    client-certificate: " + client.cert + "\n"
                     "    client-key: " + client.key + "\n"
                     "contexts:\n"
                     "- name: " + user + "@cafelet-test\n"
                     "  context:\n"
                     "    cluster: cafelet-test\n"
                     "    user: " + user + "\n"
                     "current-context: " + user + "@cafelet-test\n";
  if (!write_text(path, text))
    return make_error(errc::io_error, "cannot write " + path);
  return path;
}

std::string test_pki::ca_pem() const {
  std::ifstream in{ca_.cert};
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

} // namespace cafelet::apiserver
