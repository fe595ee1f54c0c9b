#include "actors/probes/probe_executor.hpp"

#include "messages/errors.hpp"
#include "messages/text.hpp"
#include "net/probe/grpc_health.hpp"
#include "net/probe/probe_loop.hpp"
#include "runtime/cri/client.hpp"
#include "runtime/cri/status.hpp"

namespace cafelet::actors::probes {

namespace {

using net::probe::probe_outcome;
using net::probe::probe_result;

probe_outcome unknown(std::string why) {
  return probe_outcome{probe_result::unknown, std::move(why)};
}

std::string capped(std::string s) {
  if (s.size() > net::probe::max_probe_output)
    s.resize(net::probe::max_probe_output);
  return s;
}

class default_executor final : public probe_executor {
public:
  default_executor(std::shared_ptr<cri::client> cri,
                   std::shared_ptr<net::probe::probe_loop> loop,
                   std::shared_ptr<net::probe::grpc_prober> grpc)
    : cri_(std::move(cri)), loop_(std::move(loop)), grpc_(std::move(grpc)) {
  }

  void run(const probe_request& req, probe_done done) override {
    std::visit([&](const auto& t) { run_one(t, req, std::move(done)); }, req.target);
  }

private:
  void run_one(const exec_target& t, const probe_request& req, probe_done done) {
    if (!cri_) {
      done(unknown("no container runtime for exec probes"));
      return;
    }
    cri::pb::ExecSyncRequest x;
    x.set_container_id(req.container_id);
    for (const auto& arg : t.command)
      x.add_cmd(arg);
    x.set_timeout(req.timeout.count());
    auto cmd = text::join(t.command, " ");
    cri_->exec_sync(std::move(x), [cmd, done = std::move(done)](
                                    caf::expected<cri::pb::ExecSyncResponse> r) {
      if (!r) {
        // The runtime enforces the timeout (ExecSync's own deadline).
        if (cri::rpc_code_of(r.error()) == cri::rpc_code::deadline_exceeded
            || is(r.error(), errc::timeout)) {
          done(probe_outcome{probe_result::failure,
                             "command " + text::go_quote(cmd) + " timed out"});
          return;
        }
        done(unknown(describe(r.error())));
        return;
      }
      auto output = capped(r->stdout() + r->stderr());
      done(probe_outcome{r->exit_code() == 0 ? probe_result::success : probe_result::failure,
                         std::move(output)});
    });
  }

  void run_one(const http_target& t, const probe_request& req, probe_done done) {
    if (!loop_) {
      done(unknown("no probe loop for httpGet probes"));
      return;
    }
    net::probe::http_probe_request x;
    x.scheme = t.scheme;
    x.host = t.host.empty() ? req.pod_ip : t.host;
    x.port = t.port;
    x.path = t.path;
    x.headers = t.headers;
    x.timeout = req.timeout;
    loop_->http_get(std::move(x), std::move(done));
  }

  void run_one(const tcp_target& t, const probe_request& req, probe_done done) {
    if (!loop_) {
      done(unknown("no probe loop for tcpSocket probes"));
      return;
    }
    net::probe::tcp_probe_request x;
    x.host = t.host.empty() ? req.pod_ip : t.host;
    x.port = t.port;
    x.timeout = req.timeout;
    loop_->tcp_connect(std::move(x), std::move(done));
  }

  void run_one(const grpc_target& t, const probe_request& req, probe_done done) {
    if (!grpc_) {
      done(unknown("no gRPC prober for grpc probes"));
      return;
    }
    net::probe::grpc_probe_request x;
    x.host = req.pod_ip;
    x.port = t.port;
    x.service = t.service;
    x.timeout = req.timeout;
    grpc_->check(std::move(x), std::move(done));
  }

  std::shared_ptr<cri::client> cri_;
  std::shared_ptr<net::probe::probe_loop> loop_;
  std::shared_ptr<net::probe::grpc_prober> grpc_;
};

} // namespace

probe_executor::~probe_executor() = default;

std::shared_ptr<probe_executor> make_probe_executor(std::shared_ptr<cri::client> cri,
                                                   std::shared_ptr<net::probe::probe_loop> loop,
                                                   std::shared_ptr<net::probe::grpc_prober> grpc) {
  return std::make_shared<default_executor>(std::move(cri), std::move(loop), std::move(grpc));
}

} // namespace cafelet::actors::probes
