#include "actors/volumes/volume_dirs.hpp"

#include "messages/units/quantity.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <fstream>
#include <set>
#include <sstream>
#include <utility>

namespace cafelet::actors::volumes {

namespace {

/// Most symlinks followed while resolving one subPath (the kernel's limit).
constexpr int max_symlinks = 40;

/// Most mounts stacked on one directory that a tear-down unmounts.
constexpr int max_stacked_mounts = 64;

/// Closes a file descriptor on scope exit.
class unique_fd {
public:
  explicit unique_fd(int fd = -1) noexcept : fd_(fd) {
  }
  unique_fd(unique_fd&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)) {
  }
  unique_fd& operator=(unique_fd&& other) noexcept {
    if (this != &other) {
      reset();
      fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
  }
  unique_fd(const unique_fd&) = delete;
  unique_fd& operator=(const unique_fd&) = delete;
  ~unique_fd() {
    reset();
  }
  int get() const noexcept {
    return fd_;
  }
  explicit operator bool() const noexcept {
    return fd_ >= 0;
  }
  int release() noexcept {
    return std::exchange(fd_, -1);
  }
  void reset() noexcept {
    if (fd_ >= 0)
      ::close(fd_);
    fd_ = -1;
  }

private:
  int fd_;
};

/// `errc::io_error` with "<what>: <strerror(err)>".
caf::error sys_error(const std::string& what, int err = errno) {
  return make_error(errc::io_error, what + ": " + std::strerror(err));
}

/// Joins a directory and a name with exactly one slash.
std::string join(const std::string& dir, std::string_view name) {
  std::string result = dir;
  if (result.empty() || result.back() != '/')
    result += '/';
  result += name;
  return result;
}

/// Splits `path` at '/' and drops empty and "." elements.
std::vector<std::string> split_path(std::string_view path) {
  std::vector<std::string> parts;
  size_t pos = 0;
  while (pos <= path.size()) {
    auto end = path.find('/', pos);
    if (end == std::string_view::npos)
      end = path.size();
    auto part = path.substr(pos, end - pos);
    if (!part.empty() && part != ".")
      parts.emplace_back(part);
    pos = end + 1;
  }
  return parts;
}

/// The real path of `path`, or nullopt (errno set) if it cannot be resolved.
std::optional<std::string> real_path(const std::string& path) {
  char buf[PATH_MAX];
  if (::realpath(path.c_str(), buf) == nullptr)
    return std::nullopt;
  return std::string{buf};
}

/// True if `path` is `base` or lies below it (both canonical, no trailing /).
bool within(const std::string& path, const std::string& base) {
  if (path == base)
    return true;
  auto prefix = base == "/" ? base : base + "/";
  return path.compare(0, prefix.size(), prefix) == 0;
}

/// One line of /proc/self/mountinfo.
struct mount_entry {
  std::string mount_point;
  std::string fstype;
};

/// Undoes the octal escapes (`\040` for a space) of mountinfo fields.
std::string unescape_mountinfo(const std::string& field) {
  std::string out;
  for (size_t i = 0; i < field.size(); ++i) {
    if (field[i] == '\\' && i + 3 < field.size()) {
      auto oct = field.substr(i + 1, 3);
      if (std::all_of(oct.begin(), oct.end(),
                      [](char c) { return c >= '0' && c <= '7'; })) {
        out += static_cast<char>(std::stoi(oct, nullptr, 8));
        i += 3;
        continue;
      }
    }
    out += field[i];
  }
  return out;
}

/// All mounts of this process, in mount order (the last entry for a mount
/// point is the top of its stack).
std::vector<mount_entry> read_mountinfo() {
  std::vector<mount_entry> result;
  std::ifstream in{"/proc/self/mountinfo"};
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields{line};
    std::vector<std::string> f;
    std::string word;
    while (fields >> word)
      f.push_back(std::move(word));
    auto sep = std::find(f.begin(), f.end(), "-");
    if (f.size() < 5 || sep == f.end() || sep + 1 == f.end())
      continue;
    result.push_back({unescape_mountinfo(f[4]), *(sep + 1)});
  }
  return result;
}

/// The top mount at the canonical path `path`, if any.
std::optional<mount_entry> top_mount(const std::string& path) {
  std::optional<mount_entry> result;
  for (auto& m : read_mountinfo())
    if (m.mount_point == path)
      result = m;
  return result;
}

/// Unmounts the top mount at `path` (not following a final symlink), lazily
/// if it is busy.
caf::error unmount(const std::string& path) {
  if (::umount2(path.c_str(), UMOUNT_NOFOLLOW) == 0)
    return {};
  if (errno == EBUSY
      && ::umount2(path.c_str(), UMOUNT_NOFOLLOW | MNT_DETACH) == 0)
    return {};
  return sys_error("unmount " + path);
}

/// Creates `path` and its missing parents (parents with `parent_mode`); the
/// last element with `mode`, chmod'ed to exactly `mode` when created or when
/// its mode differs. Symlinks in the (trusted) path are followed.
caf::error make_dir(const std::string& path, mode_t parent_mode, mode_t mode) {
  if (path.empty())
    return make_error(errc::invalid, "empty directory path");
  std::string current = path.front() == '/' ? "" : ".";
  auto parts = split_path(path);
  for (size_t i = 0; i < parts.size(); ++i) {
    current += "/" + parts[i];
    bool last = i + 1 == parts.size();
    if (::mkdir(current.c_str(), last ? mode : parent_mode) != 0
        && errno != EEXIST)
      return sys_error("mkdir " + current);
    struct stat st;
    if (::stat(current.c_str(), &st) != 0)
      return sys_error("stat " + current);
    if (!S_ISDIR(st.st_mode))
      return make_error(errc::io_error, current + " is not a directory");
    if (last && (st.st_mode & 07777) != mode
        && ::chmod(current.c_str(), mode) != 0)
      return sys_error("chmod " + current);
  }
  return {};
}

/// Creates `dir` with `mode` and mounts a tmpfs there with `options` unless a
/// tmpfs already is the top mount at `dir`.
caf::error mount_tmpfs(const std::string& dir, mode_t mode,
                       const std::string& options) {
  if (auto err = make_dir(dir, 0750, mode))
    return err;
  auto real = real_path(dir);
  if (!real)
    return sys_error("resolve " + dir);
  if (auto top = top_mount(*real); top && top->fstype == "tmpfs")
    return {};
  if (::mount("tmpfs", real->c_str(), "tmpfs", 0, options.c_str()) != 0)
    return sys_error("mount tmpfs on " + *real + " (" + options + ")");
  return {};
}

/// Removes everything inside the directory `fd` (at canonical `path`, on
/// device `dev`) without following symlinks or entering mount points.
caf::error remove_contents(int fd, const std::string& path, dev_t dev,
                           const std::set<std::string>& mounts) {
  std::vector<std::string> names;
  {
    int dup_fd = ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
    if (dup_fd < 0)
      return sys_error("dup " + path);
    DIR* d = ::fdopendir(dup_fd);
    if (d == nullptr) {
      auto err = errno;
      ::close(dup_fd);
      return sys_error("opendir " + path, err);
    }
    while (auto* e = ::readdir(d)) {
      std::string_view name = e->d_name;
      if (name != "." && name != "..")
        names.emplace_back(name);
    }
    ::closedir(d);
  }
  for (auto& name : names) {
    auto child = join(path, name);
    struct stat st;
    if (::fstatat(fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      if (errno == ENOENT)
        continue;
      return sys_error("stat " + child);
    }
    if (st.st_dev != dev || mounts.count(child) > 0)
      return make_error(errc::io_error,
                        std::string{"cannot delete "}
                          + (S_ISDIR(st.st_mode) ? "directory " : "") + child
                          + ": it is a mount point");
    if (S_ISDIR(st.st_mode)) {
      unique_fd sub{::openat(fd, name.c_str(),
                             O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)};
      if (!sub)
        return sys_error("open " + child);
      struct stat opened;
      if (::fstat(sub.get(), &opened) != 0)
        return sys_error("stat " + child);
      if (opened.st_dev != st.st_dev || opened.st_ino != st.st_ino)
        return make_error(errc::io_error, child + " changed during removal");
      if (auto err = remove_contents(sub.get(), child, dev, mounts))
        return err;
    }
    int flags = S_ISDIR(st.st_mode) ? AT_REMOVEDIR : 0;
    if (::unlinkat(fd, name.c_str(), flags) != 0 && errno != ENOENT)
      return sys_error("remove " + child);
  }
  return {};
}

/// Removes `path` (canonical, or a non-directory) on its own file system:
/// symlinks are unlinked, nested mount points stop the removal.
caf::error remove_one_filesystem(const std::string& path) {
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0)
    return errno == ENOENT ? caf::error{} : sys_error("stat " + path);
  if (!S_ISDIR(st.st_mode)) {
    if (::unlink(path.c_str()) != 0 && errno != ENOENT)
      return sys_error("remove " + path);
    return {};
  }
  std::set<std::string> mounts;
  for (auto& m : read_mountinfo()) {
    if (m.mount_point == path)
      return make_error(errc::io_error, "cannot delete directory " + path
                                          + ": it is a mount point");
    if (within(m.mount_point, path))
      mounts.insert(m.mount_point);
  }
  unique_fd fd{::open(path.c_str(),
                      O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)};
  if (!fd)
    return sys_error("open " + path);
  if (auto err = remove_contents(fd.get(), path, st.st_dev, mounts))
    return err;
  if (::rmdir(path.c_str()) != 0 && errno != ENOENT)
    return sys_error("remove " + path);
  return {};
}

/// Parses an emptyDir `sizeLimit` into bytes (nullopt: no limit).
caf::expected<std::optional<uint64_t>> size_limit_bytes(const std::string& s) {
  if (s.empty())
    return std::optional<uint64_t>{};
  auto q = units::parse_quantity(s);
  if (!q)
    return make_error(errc::invalid,
                      "invalid emptyDir sizeLimit: " + context_of(q.error()));
  auto bytes = q->value();
  if (bytes <= 0)
    return std::optional<uint64_t>{};
  return std::optional<uint64_t>{static_cast<uint64_t>(bytes)};
}

/// The tmpfs options "mode=<octal>[,size=<bytes>]".
std::string tmpfs_options(mode_t mode, std::optional<uint64_t> size) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "%o", static_cast<unsigned>(mode));
  std::string result = "mode=";
  result += buf;
  if (size && *size > 0)
    result += ",size=" + std::to_string(*size);
  return result;
}

/// `errc::invalid` for a subPath that leaves its volume.
caf::error escapes(const std::string& sub_path, const std::string& link,
                   const std::string& target, const std::string& base) {
  return make_error(errc::invalid, "subPath `" + sub_path + "`: symlink `"
                                     + link + "` -> `" + target
                                     + "` is not within volume path " + base);
}

} // namespace

std::string pod_dir(const std::string& root, const std::string& uid) {
  return join(join(root, "pods"), uid);
}

std::string volume_dir(const std::string& root, const std::string& uid,
                       std::string_view plugin, const std::string& name) {
  auto plugin_dir = "kubernetes.io~" + std::string{plugin};
  return join(join(join(pod_dir(root, uid), "volumes"), plugin_dir), name);
}

caf::error setup_empty_dir(const std::string& dir,
                           const k8s::empty_dir_volume& v) {
  if (v.medium.empty())
    return make_dir(dir, 0750, 0777);
  if (v.medium != "Memory")
    return make_error(errc::invalid,
                      "unknown storage medium \"" + v.medium + "\"");
  auto size = size_limit_bytes(v.size_limit);
  if (!size)
    return size.error();
  return mount_tmpfs(dir, 0777, tmpfs_options(0777, *size));
}

caf::error setup_tmpfs(const std::string& dir,
                       std::optional<uint64_t> size_bytes) {
  return mount_tmpfs(dir, 0755, tmpfs_options(0755, size_bytes));
}

caf::error check_host_path(const k8s::host_path_volume& v) {
  const auto& path = v.path;
  const auto& type = v.type;
  if (path.empty())
    return make_error(errc::invalid, "hostPath path must not be empty");
  struct stat st;
  bool exists = ::stat(path.c_str(), &st) == 0;
  auto fail = [&](const char* what) {
    return make_error(errc::io_error,
                      "hostPath type check failed: " + path + " is not " + what);
  };
  if (type.empty())
    return {};
  if (type == "DirectoryOrCreate" || type == "Directory") {
    if (!exists && type == "DirectoryOrCreate")
      return make_dir(path, 0755, 0755);
    return exists && S_ISDIR(st.st_mode) ? caf::error{} : fail("a directory");
  }
  if (type == "FileOrCreate" || type == "File") {
    if (!exists && type == "FileOrCreate") {
      unique_fd fd{::open(path.c_str(), O_RDONLY | O_CREAT | O_CLOEXEC, 0644)};
      if (!fd)
        return sys_error("hostPath type check failed: cannot create " + path);
      return {};
    }
    return exists && S_ISREG(st.st_mode) ? caf::error{} : fail("a file");
  }
  if (type == "Socket")
    return exists && S_ISSOCK(st.st_mode) ? caf::error{} : fail("a socket file");
  if (type == "CharDevice")
    return exists && S_ISCHR(st.st_mode) ? caf::error{}
                                         : fail("a character device");
  if (type == "BlockDevice")
    return exists && S_ISBLK(st.st_mode) ? caf::error{}
                                         : fail("a block device");
  return make_error(errc::invalid, type + " is an invalid volume type");
}

caf::expected<std::string> resolve_sub_path(const std::string& base,
                                            const std::string& sub_path) {
  if (!sub_path.empty() && sub_path.front() == '/')
    return make_error(errc::invalid, "error SubPath `" + sub_path
                                       + "` must not be an absolute path");
  auto todo_parts = split_path(sub_path);
  if (std::find(todo_parts.begin(), todo_parts.end(), "..") != todo_parts.end())
    return make_error(errc::invalid, "unable to provision SubPath `" + sub_path
                                       + "`: must not contain '..'");
  auto real_base = real_path(base);
  if (!real_base)
    return sys_error("subPath `" + sub_path + "`: cannot resolve volume path "
                     + base);
  struct stat base_st;
  if (::stat(real_base->c_str(), &base_st) != 0)
    return sys_error("stat " + *real_base);
  if (!S_ISDIR(base_st.st_mode))
    return make_error(errc::io_error, *real_base + " is not a directory");
  auto perm = static_cast<mode_t>(base_st.st_mode & 07777);
  // The directories opened so far, starting with `base`; ".." pops one.
  std::vector<unique_fd> stack;
  stack.emplace_back(::open(real_base->c_str(), O_PATH | O_DIRECTORY
                                                  | O_NOFOLLOW | O_CLOEXEC));
  if (!stack.back())
    return sys_error("open " + *real_base);
  std::deque<std::string> todo(todo_parts.begin(), todo_parts.end());
  auto fail = [&](const std::string& what) {
    return make_error(errc::invalid, "subPath `" + sub_path + "`: " + what);
  };
  int links = 0;
  while (!todo.empty()) {
    auto name = std::move(todo.front());
    todo.pop_front();
    if (name == "..") { // only from symlink targets
      if (stack.size() == 1)
        return fail("a symlink leads above volume path " + *real_base);
      stack.pop_back();
      continue;
    }
    int parent = stack.back().get();
    unique_fd fd{::openat(parent, name.c_str(),
                          O_PATH | O_NOFOLLOW | O_CLOEXEC)};
    if (!fd && errno == ENOENT) {
      if (::mkdirat(parent, name.c_str(), perm) != 0 && errno != EEXIST)
        return sys_error("subPath `" + sub_path + "`: mkdir " + name);
      // A directory swapped for a symlink meanwhile fails here (ELOOP).
      fd = unique_fd{::openat(parent, name.c_str(), O_RDONLY | O_DIRECTORY
                                                      | O_NOFOLLOW | O_CLOEXEC)};
      if (!fd)
        return sys_error("subPath `" + sub_path + "`: open " + name);
      if (::fchmod(fd.get(), perm) != 0)
        return sys_error("subPath `" + sub_path + "`: chmod " + name);
    } else if (!fd) {
      return sys_error("subPath `" + sub_path + "`: open " + name);
    }
    struct stat st;
    if (::fstat(fd.get(), &st) != 0)
      return sys_error("subPath `" + sub_path + "`: stat " + name);
    if (S_ISLNK(st.st_mode)) {
      if (++links > max_symlinks)
        return fail("too many levels of symbolic links");
      char buf[PATH_MAX];
      auto n = ::readlinkat(fd.get(), "", buf, sizeof(buf) - 1);
      if (n <= 0)
        return sys_error("subPath `" + sub_path + "`: readlink " + name);
      std::string target{buf, static_cast<size_t>(n)};
      std::vector<std::string> parts;
      if (target.front() == '/') {
        std::string clean;
        for (auto& p : split_path(target))
          clean += "/" + p;
        if (clean.empty())
          clean = "/";
        // Textual prefix only: ".." after it is resolved physically below.
        if (!within(clean, *real_base))
          return escapes(sub_path, name, target, *real_base);
        stack.resize(1);
        parts = split_path(clean.substr(real_base->size()));
      } else {
        parts = split_path(target);
      }
      todo.insert(todo.begin(), parts.begin(), parts.end());
      continue;
    }
    if (!todo.empty() && !S_ISDIR(st.st_mode))
      return fail(name + " is not a directory");
    stack.push_back(std::move(fd));
  }
  char buf[PATH_MAX];
  auto proc = "/proc/self/fd/" + std::to_string(stack.back().get());
  auto n = ::readlink(proc.c_str(), buf, sizeof(buf) - 1);
  if (n <= 0)
    return sys_error("subPath `" + sub_path + "`: readlink " + proc);
  std::string result{buf, static_cast<size_t>(n)};
  if (!within(result, *real_base)) // cannot happen: refuse loudly
    return make_error(errc::internal, "subPath `" + sub_path + "` resolved to "
                                        + result + " outside " + *real_base);
  return result;
}

caf::error teardown_volume_dir(const std::string& dir) {
  struct stat st;
  if (::lstat(dir.c_str(), &st) != 0)
    return errno == ENOENT ? caf::error{} : sys_error("stat " + dir);
  if (!S_ISDIR(st.st_mode))
    return remove_one_filesystem(dir);
  auto real = real_path(dir);
  if (!real)
    return sys_error("resolve " + dir);
  for (int i = 0; i < max_stacked_mounts && top_mount(*real); ++i)
    if (auto err = unmount(*real))
      return err;
  return remove_one_filesystem(*real);
}

caf::error remove_pod_dir(const std::string& root, const std::string& uid) {
  if (uid.empty() || uid == "." || uid == ".."
      || uid.find('/') != std::string::npos)
    return make_error(errc::invalid, "invalid pod UID \"" + uid + "\"");
  auto dir = pod_dir(root, uid);
  struct stat st;
  if (::lstat(dir.c_str(), &st) != 0)
    return errno == ENOENT ? caf::error{} : sys_error("stat " + dir);
  if (!S_ISDIR(st.st_mode))
    return remove_one_filesystem(dir);
  auto real = real_path(dir);
  if (!real)
    return sys_error("resolve " + dir);
  // Deepest first; a stacked mount point appears once per mount.
  std::vector<std::string> mounts;
  for (auto& m : read_mountinfo())
    if (within(m.mount_point, *real))
      mounts.push_back(m.mount_point);
  std::stable_sort(mounts.begin(), mounts.end(),
                   [](const std::string& a, const std::string& b) {
                     return a.size() > b.size();
                   });
  for (auto& m : mounts)
    if (auto err = unmount(m))
      return err;
  return remove_one_filesystem(*real);
}

std::vector<std::string> pod_dirs(const std::string& root) {
  std::vector<std::string> result;
  auto pods = join(root, "pods");
  unique_fd fd{::open(pods.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)};
  if (!fd)
    return result;
  DIR* d = ::fdopendir(fd.get());
  if (d == nullptr)
    return result;
  fd.release(); // now owned by `d`
  while (auto* e = ::readdir(d)) {
    std::string_view name = e->d_name;
    if (name == "." || name == "..")
      continue;
    struct stat st;
    if (::fstatat(::dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0
        && S_ISDIR(st.st_mode))
      result.emplace_back(name);
  }
  ::closedir(d);
  std::sort(result.begin(), result.end());
  return result;
}

bool is_mount_point(const std::string& path) {
  auto real = real_path(path);
  return real && top_mount(*real).has_value();
}

} // namespace cafelet::actors::volumes
