#include "net/server/responder.hpp"

#include "net/server/server_core.hpp"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>

namespace cafelet::net {

namespace detail {

// -- server_core --------------------------------------------------------------

server_core::server_core() {
  wake_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
}

server_core::~server_core() {
  if (wake_fd_ >= 0)
    ::close(wake_fd_);
}

bool server_core::post(command cmd) {
  bool wake = false;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    if (closed_)
      return false;
    queue_.push_back(std::move(cmd));
    if (!wake_pending_ && std::this_thread::get_id() != loop_thread_.load()) {
      wake_pending_ = true;
      wake = true;
    }
  }
  if (wake) {
    uint64_t one = 1;
    while (::write(wake_fd_, &one, sizeof(one)) < 0 && errno == EINTR) {
    }
  }
  return true;
}

std::vector<command> server_core::take() {
  uint64_t value = 0;
  while (::read(wake_fd_, &value, sizeof(value)) < 0 && errno == EINTR) {
  }
  std::vector<command> out;
  std::lock_guard<std::mutex> guard{mtx_};
  wake_pending_ = false;
  out.swap(queue_);
  return out;
}

void server_core::close() {
  std::vector<command> dropped;
  std::lock_guard<std::mutex> guard{mtx_};
  closed_ = true;
  dropped.swap(queue_);
}

// -- exchange -----------------------------------------------------------------

void exchange::set_on_end(std::function<void(stream_end)> fn) {
  std::unique_lock<std::mutex> guard{mtx_};
  if (end_reason_) {
    auto why = *end_reason_;
    guard.unlock();
    if (fn)
      fn(why);
    return;
  }
  on_end_ = std::move(fn);
}

void exchange::finish(stream_end why) {
  std::function<void(stream_end)> fn;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    if (end_reason_)
      return;
    end_reason_ = why;
    ended.store(true);
    if (why == stream_end::peer_gone)
      peer_gone.store(true);
    fn.swap(on_end_);
  }
  if (fn)
    fn(why);
}

bool exchange::post(command_kind kind, server_response res, std::string data) {
  auto c = core.lock();
  if (!c)
    return false;
  return c->post(command{kind, shared_from_this(), std::move(res),
                         std::move(data)});
}

// -- tokens -------------------------------------------------------------------

responder_token::~responder_token() {
  int expected = static_cast<int>(answer::none);
  if (ex->answered.compare_exchange_strong(
        expected, static_cast<int>(answer::responded)))
    ex->post(command_kind::abandon);
}

stream_token::~stream_token() {
  if (!ex->ended.load() && !ex->close_requested.exchange(true))
    ex->post(command_kind::close_stream);
}

} // namespace detail

// -- stream_end ---------------------------------------------------------------

std::string_view to_string(stream_end x) noexcept {
  switch (x) {
    case stream_end::closed: return "closed";
    case stream_end::peer_gone: return "peer_gone";
    case stream_end::aborted: return "aborted";
    case stream_end::server_stopped: return "server_stopped";
  }
  return "unknown";
}

// -- response_stream ----------------------------------------------------------

bool response_stream::write(std::string chunk) const {
  if (!token_)
    return false;
  auto& ex = *token_->ex;
  if (ex.ended.load() || ex.close_requested.load())
    return false;
  if (chunk.empty())
    return true;
  auto n = chunk.size();
  ex.queued_bytes.fetch_add(n);
  if (!ex.post(detail::command_kind::write, {}, std::move(chunk))) {
    ex.queued_bytes.fetch_sub(n);
    return false;
  }
  return true;
}

bool response_stream::close() const {
  if (!token_)
    return false;
  auto& ex = *token_->ex;
  if (ex.ended.load() || ex.close_requested.exchange(true))
    return false;
  return ex.post(detail::command_kind::close_stream);
}

void response_stream::abort() const {
  if (!token_)
    return;
  auto& ex = *token_->ex;
  if (ex.ended.load())
    return;
  ex.close_requested.store(true);
  ex.post(detail::command_kind::abort_stream);
}

bool response_stream::ended() const noexcept {
  return !token_ || token_->ex->ended.load();
}

size_t response_stream::pending_bytes() const noexcept {
  if (!token_)
    return 0;
  return token_->ex->queued_bytes.load() + token_->ex->buffered_bytes.load();
}

void response_stream::on_end(std::function<void(stream_end)> fn) const {
  if (token_)
    token_->ex->set_on_end(std::move(fn));
}

// -- responder ----------------------------------------------------------------

responder::responder(std::shared_ptr<detail::exchange> ex)
  : token_(std::make_shared<detail::responder_token>(std::move(ex))) {
}

bool responder::respond(server_response res) const {
  int expected = static_cast<int>(detail::answer::none);
  if (!token_->ex->answered.compare_exchange_strong(
        expected, static_cast<int>(detail::answer::responded)))
    return false;
  if (token_->ex->ended.load())
    return false;
  return token_->ex->post(detail::command_kind::respond, std::move(res));
}

response_stream responder::start_stream(int status,
                                        server_headers headers) const {
  int expected = static_cast<int>(detail::answer::none);
  if (!token_->ex->answered.compare_exchange_strong(
        expected, static_cast<int>(detail::answer::streaming)))
    return {};
  server_response head;
  head.status = status;
  head.headers = std::move(headers);
  auto token = std::make_shared<detail::stream_token>(token_->ex);
  if (!token_->ex->post(detail::command_kind::start_stream, std::move(head)))
    token_->ex->finish(stream_end::server_stopped);
  return response_stream{std::move(token)};
}

bool responder::answered() const noexcept {
  return token_->ex->answered.load() != static_cast<int>(detail::answer::none);
}

bool responder::peer_gone() const noexcept {
  return token_->ex->peer_gone.load();
}

} // namespace cafelet::net
