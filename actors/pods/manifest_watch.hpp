#pragma once
/// @file
/// Watches the static pod manifest path with inotify on one small thread
/// and calls back on every change (a file closed after writing, created,
/// moved in or out, deleted, or its attributes changed). A directory is
/// watched itself; a single manifest file through its directory. The
/// callback only signals: the static pod source re-reads the manifests on
/// its I/O thread.

#include <caf/expected.hpp>

#include <functional>
#include <memory>
#include <string>
#include <thread>

namespace cafelet::actors::pods {

/// A running inotify watch; stops and joins its thread when destroyed.
class manifest_watch {
public:
  /// Starts watching `path`. Fails with `errc::io_error` naming the path
  /// when it does not exist or inotify refuses (the caller retries later).
  static caf::expected<std::unique_ptr<manifest_watch>>
  start(const std::string& path, std::function<void()> on_change);

  ~manifest_watch();

  manifest_watch(const manifest_watch&) = delete;
  manifest_watch& operator=(const manifest_watch&) = delete;

  /// False once the watched directory itself was removed or moved (the
  /// caller starts a new watch when it appears again).
  bool alive() const noexcept;

private:
  manifest_watch() = default;
  void run();

  int inotify_fd_ = -1;
  int stop_fd_ = -1;
  std::function<void()> on_change_;
  std::shared_ptr<std::atomic<bool>> alive_;
  std::thread thread_;
};

} // namespace cafelet::actors::pods
