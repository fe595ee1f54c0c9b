#include "tests/apiserver/test_support.hpp"

#include <doctest/doctest.h>

namespace cafelet::apiserver::testing {

// -- recording_stream -------------------------------------------------------------

bool recording_stream::write(std::string chunk) {
  std::lock_guard<std::mutex> guard{mtx_};
  if (ended_)
    return false;
  data_ += chunk;
  cv_.notify_all();
  return true;
}

void recording_stream::finish(bool graceful) {
  std::function<void()> fn;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    if (ended_)
      return;
    ended_ = true;
    graceful_ = graceful;
    fn = std::move(on_end_);
    cv_.notify_all();
  }
  if (fn)
    fn();
}

void recording_stream::close() {
  finish(true);
}

void recording_stream::abort() {
  finish(false);
}

void recording_stream::disconnect() {
  finish(false);
}

bool recording_stream::ended() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return ended_;
}

void recording_stream::on_end(std::function<void()> fn) {
  {
    std::lock_guard<std::mutex> guard{mtx_};
    if (!ended_) {
      on_end_ = std::move(fn);
      return;
    }
  }
  fn();
}

bool recording_stream::wait_lines(size_t n,
                                  std::chrono::milliseconds timeout) const {
  std::unique_lock<std::mutex> guard{mtx_};
  return cv_.wait_for(guard, timeout, [&] {
    return static_cast<size_t>(std::count(data_.begin(), data_.end(), '\n'))
           >= n;
  });
}

bool recording_stream::wait_ended(std::chrono::milliseconds timeout) const {
  std::unique_lock<std::mutex> guard{mtx_};
  return cv_.wait_for(guard, timeout, [&] { return ended_; });
}

std::vector<json::value> recording_stream::events() const {
  std::string copy;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    copy = data_;
  }
  std::vector<json::value> out;
  size_t start = 0;
  for (;;) {
    auto nl = copy.find('\n', start);
    if (nl == std::string::npos)
      break;
    out.push_back(parse_json(std::string_view{copy}.substr(start, nl - start)));
    start = nl + 1;
  }
  return out;
}

bool recording_stream::closed_gracefully() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return ended_ && graceful_;
}

// -- recording_reply ------------------------------------------------------------------

void recording_reply::respond(response res) {
  std::lock_guard<std::mutex> guard{mtx_};
  res_ = std::move(res);
  cv_.notify_all();
}

std::shared_ptr<stream_sink> recording_reply::stream(int status,
                                                     std::vector<header>) {
  std::lock_guard<std::mutex> guard{mtx_};
  stream_ = std::make_shared<recording_stream>();
  stream_status_ = status;
  cv_.notify_all();
  return stream_;
}

void recording_reply::drop() {
  std::lock_guard<std::mutex> guard{mtx_};
  dropped_ = true;
  cv_.notify_all();
}

bool recording_reply::wait(std::chrono::milliseconds timeout) const {
  std::unique_lock<std::mutex> guard{mtx_};
  return cv_.wait_for(guard, timeout,
                      [&] { return res_ || stream_ || dropped_; });
}

bool recording_reply::answered() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return res_ || stream_ || dropped_;
}

response recording_reply::result() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return res_ ? *res_ : response{0, "", "", {}};
}

std::shared_ptr<recording_stream> recording_reply::watch_stream() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return stream_;
}

int recording_reply::stream_status() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return stream_status_;
}

// -- users and requests -------------------------------------------------------------------

user_info admin() {
  return user_info::from_certificate("kapi-admin", {"system:masters"});
}

user_info node_user(std::string name) {
  return user_info::from_certificate("system:node:" + name, {"system:nodes"});
}

namespace {

std::string decode(std::string_view in) {
  std::string out;
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '%' && i + 2 < in.size()) {
      out += static_cast<char>(std::stoi(std::string{in.substr(i + 1, 2)},
                                         nullptr, 16));
      i += 2;
    } else {
      out += in[i];
    }
  }
  return out;
}

} // namespace

request make_request(std::string method, std::string_view target,
                     std::string body, std::string content_type) {
  request req;
  req.method = std::move(method);
  auto q = target.find('?');
  req.path = std::string{target.substr(0, q)};
  if (q != std::string_view::npos) {
    auto rest = target.substr(q + 1);
    while (!rest.empty()) {
      auto amp = rest.find('&');
      auto pair = rest.substr(0, amp);
      auto eq = pair.find('=');
      if (eq == std::string_view::npos)
        req.query.emplace_back(decode(pair), "");
      else
        req.query.emplace_back(decode(pair.substr(0, eq)),
                               decode(pair.substr(eq + 1)));
      rest = amp == std::string_view::npos ? std::string_view{}
                                           : rest.substr(amp + 1);
    }
  }
  req.headers.push_back({"Accept", "application/json"});
  if (!body.empty())
    req.headers.push_back({"Content-Type", std::move(content_type)});
  req.body = std::move(body);
  return req;
}

// -- client ---------------------------------------------------------------------------------

response client::send(request req) {
  req.user = user_;
  auto reply = std::make_shared<recording_reply>();
  srv_.handle(std::move(req), reply);
  REQUIRE_MESSAGE(reply->wait(), "no answer from the API server");
  return reply->result();
}

response client::get(std::string_view target) {
  return send(make_request("GET", target));
}

response client::post(std::string_view target, std::string body) {
  return send(make_request("POST", target, std::move(body)));
}

response client::put(std::string_view target, std::string body) {
  return send(make_request("PUT", target, std::move(body)));
}

response client::patch(std::string_view target, std::string body,
                       std::string content_type) {
  return send(make_request("PATCH", target, std::move(body),
                           std::move(content_type)));
}

response client::del(std::string_view target, std::string body) {
  return send(make_request("DELETE", target, std::move(body)));
}

std::shared_ptr<recording_reply> client::watch(std::string_view target) {
  auto req = make_request("GET", target);
  req.user = user_;
  auto reply = std::make_shared<recording_reply>();
  srv_.handle(std::move(req), reply);
  REQUIRE_MESSAGE(reply->wait(), "watch got no answer");
  return reply;
}

std::string canonical(json::value v) {
  auto& meta = v["metadata"];
  for (auto [key, ph] : {std::pair{"uid", "<uid>"},
                         std::pair{"resourceVersion", "<rv>"},
                         std::pair{"creationTimestamp", "<ts>"}})
    if (meta.find(key))
      meta[key] = ph;
  auto text = json::dump(v);
  auto pos = text.find("kube-api-access-");
  while (pos != std::string::npos) {
    text.replace(pos, 21, "<token-volume>");
    pos = text.find("kube-api-access-", pos);
  }
  return text;
}

json::value body_of(const response& res) {
  return parse_json(res.body);
}

json::value parse_json(std::string_view text) {
  auto parsed = json::parse(text);
  REQUIRE_MESSAGE(static_cast<bool>(parsed), "not JSON: " << text);
  return std::move(*parsed);
}

} // namespace cafelet::apiserver::testing
