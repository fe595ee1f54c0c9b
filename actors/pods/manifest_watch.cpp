#include "actors/pods/manifest_watch.hpp"

#include "messages/errors.hpp"
#include "messages/log.hpp"

#include <atomic>
#include <cerrno>
#include <cstring>
#include <poll.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

namespace cafelet::actors::pods {

caf::expected<std::unique_ptr<manifest_watch>>
manifest_watch::start(const std::string& path, std::function<void()> on_change) {
  struct stat sb;
  if (::stat(path.c_str(), &sb) != 0)
    return make_error(errc::io_error, "cannot watch " + path + ": "
                                        + std::strerror(errno));
  std::string dir = path;
  if (!S_ISDIR(sb.st_mode)) {
    auto slash = path.find_last_of('/');
    dir = slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
  }
  std::unique_ptr<manifest_watch> w{new manifest_watch};
  w->inotify_fd_ = ::inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
  if (w->inotify_fd_ < 0)
    return make_error(errc::io_error, std::string{"inotify_init1: "}
                                        + std::strerror(errno));
  constexpr uint32_t mask = IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE
                            | IN_CREATE | IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF;
  if (::inotify_add_watch(w->inotify_fd_, dir.c_str(), mask) < 0) {
    auto err = errno;
    ::close(w->inotify_fd_);
    w->inotify_fd_ = -1;
    return make_error(errc::io_error, "cannot watch " + dir + ": " + std::strerror(err));
  }
  w->stop_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (w->stop_fd_ < 0) {
    ::close(w->inotify_fd_);
    w->inotify_fd_ = -1;
    return make_error(errc::io_error, std::string{"eventfd: "} + std::strerror(errno));
  }
  w->on_change_ = std::move(on_change);
  w->alive_ = std::make_shared<std::atomic<bool>>(true);
  w->thread_ = std::thread([p = w.get()] { p->run(); });
  return w;
}

manifest_watch::~manifest_watch() {
  if (stop_fd_ >= 0) {
    uint64_t one = 1;
    [[maybe_unused]] auto n = ::write(stop_fd_, &one, sizeof(one));
  }
  if (thread_.joinable())
    thread_.join();
  if (inotify_fd_ >= 0)
    ::close(inotify_fd_);
  if (stop_fd_ >= 0)
    ::close(stop_fd_);
}

bool manifest_watch::alive() const noexcept {
  return alive_ && alive_->load();
}

void manifest_watch::run() {
  pthread_setname_np(pthread_self(), "manifest-watch");
  alignas(struct inotify_event) char buf[4096];
  for (;;) {
    pollfd fds[2] = {{inotify_fd_, POLLIN, 0}, {stop_fd_, POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR)
        continue;
      log::warning("manifest watch failed", {log::kv("err", std::strerror(errno))});
      alive_->store(false);
      return;
    }
    if (fds[1].revents != 0)
      return;
    bool changed = false;
    for (;;) {
      auto n = ::read(inotify_fd_, buf, sizeof(buf));
      if (n <= 0)
        break;
      for (char* p = buf; p < buf + n;) {
        auto* ev = reinterpret_cast<struct inotify_event*>(p);
        if (ev->mask & (IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED))
          alive_->store(false);
        changed = true;
        p += sizeof(struct inotify_event) + ev->len;
      }
    }
    if (changed && on_change_)
      on_change_();
    if (!alive_->load())
      return;
  }
}

} // namespace cafelet::actors::pods
