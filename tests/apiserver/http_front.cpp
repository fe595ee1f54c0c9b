#include "tests/apiserver/http_front.hpp"

#include "tests/apiserver/support.hpp"

#include "net/server/query.hpp"

namespace cafelet::apiserver {

namespace {

/// A watch stream on a net::response_stream.
class net_stream : public stream_sink {
public:
  explicit net_stream(net::response_stream s) : stream_(std::move(s)) {
  }

  bool write(std::string chunk) override {
    return stream_.write(std::move(chunk));
  }

  void close() override {
    stream_.close();
  }

  void abort() override {
    stream_.abort();
  }

  bool ended() const override {
    return stream_.ended();
  }

  void on_end(std::function<void()> fn) override {
    stream_.on_end([fn = std::move(fn)](net::stream_end) { fn(); });
  }

private:
  net::response_stream stream_;
};

/// Answers through a net::responder.
class net_reply : public reply_channel {
public:
  explicit net_reply(net::responder r) : responder_(std::move(r)) {
  }

  void respond(response res) override {
    net::server_response out;
    out.status = res.status;
    out.headers.push_back({"Audit-Id", new_uid()});
    for (auto& h : res.headers)
      out.headers.push_back({std::move(h.name), std::move(h.value)});
    out.headers.push_back({"Content-Type", std::move(res.content_type)});
    out.body = std::move(res.body);
    responder_.respond(std::move(out));
  }

  std::shared_ptr<stream_sink> stream(int status,
                                      std::vector<header> headers) override {
    net::server_headers hs;
    hs.push_back({"Audit-Id", new_uid()});
    for (auto& h : headers)
      hs.push_back({std::move(h.name), std::move(h.value)});
    auto s = responder_.start_stream(status, std::move(hs));
    if (!s)
      return nullptr;
    return std::make_shared<net_stream>(std::move(s));
  }

  void drop() override {
    responder_.respond(503, "");
  }

private:
  net::responder responder_;
};

/// Converts a transport request into the core's request.
std::optional<request> convert(net::server_request& in, bool tls) {
  request out;
  out.method = std::move(in.method);
  auto path = net::percent_decode(in.path);
  out.path = path ? std::move(*path) : in.path;
  auto query = net::query_params::parse(in.query);
  if (query)
    for (const auto& p : query->items())
      out.query.emplace_back(p.key, p.value);
  for (auto& h : in.headers)
    out.headers.push_back({std::move(h.name), std::move(h.value)});
  out.body = std::move(in.body);
  if (tls && in.peer.presented && !in.peer.verified)
    out.user = std::nullopt;
  else if (in.peer.verified)
    out.user = user_info::from_certificate(in.peer.common_name,
                                           in.peer.organizations);
  else
    out.user = user_info::anonymous();
  return out;
}

} // namespace

caf::expected<std::unique_ptr<http_front>>
http_front::start(api_server& srv, front_options opts) {
  std::unique_ptr<http_front> front{new http_front(srv, std::move(opts))};
  if (auto err = front->listen())
    return err;
  front->handle_->front = front.get();
  srv.set_listener_control([h = front->handle_](bool accepting) {
    std::lock_guard<std::mutex> guard{h->mtx};
    if (h->front != nullptr)
      h->front->set_accepting(accepting);
  });
  return front;
}

caf::error http_front::listen() {
  net::server_options so;
  so.host = opts_.host;
  so.port = port_ != 0 ? port_ : opts_.port;
  so.name = "apiserver";
  so.idle_timeout = std::chrono::hours{2};
  bool tls = !opts_.cert_file.empty();
  if (tls) {
    net::tls_options t;
    t.cert_file = opts_.cert_file;
    t.key_file = opts_.key_file;
    t.ca_file = opts_.client_ca_file;
    t.auth = net::client_auth::request;
    so.tls = t;
  }
  auto* srv = &srv_;
  auto started = net::http_server::start(
    so, [srv, tls](net::server_request req, net::responder res) {
      auto converted = convert(req, tls);
      srv->handle(std::move(*converted),
                  std::make_shared<net_reply>(std::move(res)));
    });
  if (!started)
    return started.error();
  std::lock_guard<std::mutex> guard{mtx_};
  server_ = std::move(*started);
  port_ = server_->port();
  return {};
}

void http_front::set_accepting(bool accepting) {
  if (!accepting) {
    std::unique_ptr<net::http_server> old;
    {
      std::lock_guard<std::mutex> guard{mtx_};
      old = std::move(server_);
    }
    if (old)
      old->stop();
    return;
  }
  {
    std::lock_guard<std::mutex> guard{mtx_};
    if (server_)
      return;
  }
  (void) listen();
}

http_front::~http_front() {
  srv_.set_listener_control(nullptr);
  {
    std::lock_guard<std::mutex> guard{handle_->mtx};
    handle_->front = nullptr;
  }
  stop();
}

std::string http_front::url() const {
  return std::string{opts_.cert_file.empty() ? "http" : "https"} + "://"
         + opts_.host + ":" + std::to_string(port_);
}

void http_front::stop() {
  std::unique_ptr<net::http_server> old;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    old = std::move(server_);
  }
  if (old)
    old->stop();
}

} // namespace cafelet::apiserver
