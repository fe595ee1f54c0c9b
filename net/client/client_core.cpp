#include "net/client/client_core.hpp"

#include "messages/errors.hpp"
#include "messages/log.hpp"
#include "net/client/classify.hpp"

#include <caf/atom.hpp>
#include <caf/message.hpp>
#include <caf/sec.hpp>

#include <pthread.h>
#include <signal.h>

#include <cctype>
#include <fstream>
#include <sstream>

namespace cafelet::net::detail {

namespace {

using std::chrono::steady_clock;

std::string prefix_of(const http_request& req) {
  std::string s{to_string(req.method)};
  s += ' ';
  auto q = req.path.find('?');
  s += q == std::string::npos ? req.path : req.path.substr(0, q);
  return s;
}

/// Prepends "<METHOD> <path>: " to the context of `err`.
caf::error with_prefix(const http_request& req, const caf::error& err) {
  if (!err)
    return err;
  auto ctx = prefix_of(req) + ": " + context_of(err);
  if (err.category() == caf::atom("cafelet"))
    return make_error(code_of(err), std::move(ctx));
  return caf::error{err.code(), err.category(), caf::make_message(std::move(ctx))};
}

caf::error cancelled_error(const http_request& req, std::string_view why) {
  return caf::make_error(caf::sec::runtime_error,
                         prefix_of(req) + ": " + std::string{why});
}

void invoke(completion_fn& done, http_result res) {
  if (!done)
    return;
  try {
    done(std::move(res));
  } catch (const std::exception& e) {
    log::error("HTTP completion callback threw", {log::kv("error", e.what())});
  } catch (...) {
    log::error("HTTP completion callback threw");
  }
}

int http_version_of(long v) {
  switch (v) {
    case CURL_HTTP_VERSION_1_0:
    case CURL_HTTP_VERSION_1_1: return 1;
    case CURL_HTTP_VERSION_2_0: return 2;
    case CURL_HTTP_VERSION_3: return 3;
    default: return 0;
  }
}

void name_thread(const std::string& name) {
  auto n = "http-" + name;
  if (n.size() > 15)
    n.resize(15);
  pthread_setname_np(pthread_self(), n.c_str());
}

} // namespace

client_core::client_core(rest_config cfg, client_options opts, endpoint ep)
  : cfg_(std::move(cfg)), opts_(std::move(opts)), ep_(std::move(ep)) {
  user_agent_ = opts_.user_agent.empty() ? default_user_agent() : opts_.user_agent;
  token_ = cfg_.token;
  token_read_ = steady_clock::now();
}

client_core::~client_core() {
  if (multi_ != nullptr)
    curl_multi_cleanup(multi_);
  if (share_ != nullptr)
    curl_share_cleanup(share_);
}

caf::error client_core::start() {
  multi_ = curl_multi_init();
  share_ = curl_share_init();
  if (multi_ == nullptr || share_ == nullptr)
    return make_error(errc::internal, "cannot create libcurl handles");
  curl_share_setopt(share_, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
  curl_share_setopt(share_, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
  if (opts_.max_connections > 0)
    curl_multi_setopt(multi_, CURLMOPT_MAX_TOTAL_CONNECTIONS,
                      opts_.max_connections);
  if (opts_.max_idle_connections > 0)
    curl_multi_setopt(multi_, CURLMOPT_MAXCONNECTS, opts_.max_idle_connections);
  curl_multi_setopt(multi_, CURLMOPT_PIPELINING,
                    static_cast<long>(CURLPIPE_MULTIPLEX));
  thread_ = std::thread{[self = shared_from_this()] { self->run(); }};
  return {};
}

void client_core::stop() {
  {
    std::lock_guard guard{mtx_};
    if (stopping_ && !thread_.joinable())
      return;
    stopping_ = true;
  }
  curl_multi_wakeup(multi_);
  if (!thread_.joinable())
    return;
  if (thread_.get_id() == std::this_thread::get_id()) {
    log::warning("http client destroyed from its own callback; detaching",
                 {log::kv("client", opts_.name)});
    thread_.detach();
  } else {
    thread_.join();
  }
}

call_handle client_core::submit(http_request req, data_fn on_data,
                                completion_fn done, bool streaming) {
  auto st = std::make_shared<call_state>();
  st->id = next_id_.fetch_add(1);
  st->core = weak_from_this();
  auto t = std::make_unique<transfer>();
  t->state = st;
  t->req = std::move(req);
  t->on_data = std::move(on_data);
  t->done = std::move(done);
  t->streaming = streaming;
  {
    std::unique_lock guard{mtx_};
    if (!stopping_) {
      in_flight_.fetch_add(1);
      pending_.push_back(std::move(t));
    }
  }
  if (t) { // rejected: the client is shutting down
    http_result res;
    res.cancelled = true;
    res.error = cancelled_error(t->req, "the client is shut down");
    invoke(t->done, std::move(res));
    return call_handle{std::move(st)};
  }
  curl_multi_wakeup(multi_);
  return call_handle{std::move(st)};
}

void client_core::request_cancel(const std::shared_ptr<call_state>& st) {
  {
    std::lock_guard guard{mtx_};
    if (stopping_)
      return;
    cancels_.push_back(st);
  }
  curl_multi_wakeup(multi_);
}

const std::string& client_core::current_token() {
  if (cfg_.token_file.empty())
    return token_;
  auto now = steady_clock::now();
  if (now - token_read_ < opts_.token_reload_period)
    return token_;
  token_read_ = now;
  std::ifstream in{cfg_.token_file};
  std::ostringstream ss;
  ss << in.rdbuf();
  auto tok = ss.str();
  while (!tok.empty() && std::isspace(static_cast<unsigned char>(tok.back())))
    tok.pop_back();
  auto first = tok.find_first_not_of(" \t\r\n");
  if (!in || first == std::string::npos) {
    log::warning("cannot re-read the token file; keeping the previous token",
                 {log::kv("file", cfg_.token_file), log::kv("client", opts_.name)});
    return token_;
  }
  token_ = tok.substr(first);
  return token_;
}

void client_core::run() {
  name_thread(opts_.name);
  // a peer closing the socket must yield EPIPE, not kill the process
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  log::info(2, "http client started",
            {log::kv("client", opts_.name), log::kv("server", cfg_.server)});
  while (drain_commands()) {
    int running = 0;
    curl_multi_perform(multi_, &running);
    collect_done();
    curl_multi_poll(multi_, nullptr, 0, 1000, nullptr);
  }
  abort_all("the client is shut down");
  log::info(2, "http client stopped", {log::kv("client", opts_.name)});
}

bool client_core::drain_commands() {
  std::vector<std::unique_ptr<transfer>> fresh;
  std::vector<std::shared_ptr<call_state>> cancels;
  bool stopping = false;
  {
    std::lock_guard guard{mtx_};
    fresh.swap(pending_);
    cancels.swap(cancels_);
    stopping = stopping_;
  }
  for (auto& t : fresh) {
    if (stopping) {
      active_.emplace(t->state->id, std::move(t)); // aborted by abort_all
      continue;
    }
    start_transfer(std::move(t));
  }
  for (auto& st : cancels) {
    auto i = active_.find(st->id);
    if (i == active_.end())
      continue; // already finished
    auto t = std::move(i->second);
    active_.erase(i);
    curl_multi_remove_handle(multi_, t->easy);
    http_result res;
    res.cancelled = true;
    res.error = cancelled_error(t->req, "cancelled");
    complete(std::move(t), std::move(res));
  }
  return !stopping;
}

void client_core::start_transfer(std::unique_ptr<transfer> t) {
  t->started = steady_clock::now();
  if (t->state->cancel_requested.load()) {
    http_result res;
    res.cancelled = true;
    res.error = cancelled_error(t->req, "cancelled");
    complete(std::move(t), std::move(res));
    return;
  }
  if (auto err = setup_transfer(*t, ep_, cfg_, opts_, user_agent_,
                                current_token(), share_)) {
    http_result res;
    res.error = with_prefix(t->req, err);
    complete(std::move(t), std::move(res));
    return;
  }
  if (auto rc = curl_multi_add_handle(multi_, t->easy); rc != CURLM_OK) {
    http_result res;
    res.error = with_prefix(t->req, make_error(errc::internal,
                                               std::string{"curl_multi_add_handle: "}
                                                 + curl_multi_strerror(rc)));
    complete(std::move(t), std::move(res));
    return;
  }
  auto id = t->state->id;
  active_.emplace(id, std::move(t));
}

void client_core::collect_done() {
  int queued = 0;
  while (CURLMsg* msg = curl_multi_info_read(multi_, &queued)) {
    if (msg->msg != CURLMSG_DONE)
      continue;
    transfer* raw = nullptr;
    curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &raw);
    auto rc = msg->data.result;
    curl_multi_remove_handle(multi_, msg->easy_handle); // invalidates msg
    if (raw == nullptr)
      continue;
    auto i = active_.find(raw->state->id);
    if (i == active_.end())
      continue;
    auto t = std::move(i->second);
    active_.erase(i);
    finish(std::move(t), static_cast<int>(rc));
  }
}

void client_core::finish(std::unique_ptr<transfer> t, int curl_code) {
  auto* e = t->easy;
  http_result res;
  auto& rsp = t->rsp;
  curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &rsp.status);
  long version = 0;
  curl_easy_getinfo(e, CURLINFO_HTTP_VERSION, &version);
  rsp.http_version = http_version_of(version);
  long connects = 0;
  curl_easy_getinfo(e, CURLINFO_NUM_CONNECTS, &connects);
  rsp.connection_reused = connects == 0 && rsp.status != 0;
  if (t->state->cancel_requested.load()) {
    res.cancelled = true;
    res.error = cancelled_error(t->req, "cancelled");
  } else if (t->too_large) {
    res.error = with_prefix(
      t->req, make_error(errc::bad_response,
                         cfg_.server + ": the response body exceeds "
                           + std::to_string(opts_.max_response_bytes)
                           + " bytes"));
  } else if (t->callback_failed) {
    res.error = with_prefix(t->req, make_error(errc::internal,
                                               "the stream data callback threw"));
  } else if (curl_code != CURLE_OK) {
    long verify = 0;
    curl_easy_getinfo(e, CURLINFO_SSL_VERIFYRESULT, &verify);
    res.error = with_prefix(t->req, classify_transport(curl_code, verify,
                                                       t->errbuf, cfg_.server));
  } else {
    auto c = classify_response(rsp.status, rsp.header("content-type"),
                               rsp.header("retry-after"), rsp.body);
    rsp.retry_after = c.retry_after;
    res.status = std::move(c.status);
    res.error = with_prefix(t->req, c.error);
  }
  if (log::enabled(4)) {
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
      steady_clock::now() - t->started);
    log::info(4, "HTTP request",
              {log::kv("client", opts_.name),
               log::kv("verb", to_string(t->req.method)),
               log::kv("url", t->url), log::kv("status", rsp.status),
               log::kv("milliseconds", ms.count()),
               log::kv("error", res.error ? describe(res.error) : "")});
  }
  res.response = std::move(rsp);
  complete(std::move(t), std::move(res));
}

void client_core::complete(std::unique_ptr<transfer> t, http_result res) {
  auto done = std::move(t->done);
  t.reset(); // frees the easy handle before running user code
  in_flight_.fetch_sub(1);
  invoke(done, std::move(res));
}

void client_core::abort_all(std::string_view why) {
  for (;;) {
    std::vector<std::unique_ptr<transfer>> fresh;
    {
      std::lock_guard guard{mtx_};
      fresh.swap(pending_);
      cancels_.clear();
    }
    for (auto& t : fresh)
      active_.emplace(t->state->id, std::move(t));
    if (active_.empty())
      return;
    auto i = active_.begin();
    auto t = std::move(i->second);
    active_.erase(i);
    if (t->easy != nullptr)
      curl_multi_remove_handle(multi_, t->easy);
    http_result res;
    res.cancelled = true;
    res.error = cancelled_error(t->req, why);
    complete(std::move(t), std::move(res));
  }
}

} // namespace cafelet::net::detail
