#include "actors/volumes/atomic_writer.hpp"

#include "messages/errors.hpp"
#include "messages/log.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <optional>
#include <set>
#include <system_error>
#include <utility>
#include <vector>

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace cafelet::actors::volumes {

namespace {

constexpr size_t max_path_length = 4096;
constexpr size_t max_file_name_length = 255;

/// Closes a file descriptor on scope exit.
struct fd_guard {
  int fd = -1;
  explicit fd_guard(int x) : fd(x) {}
  fd_guard(const fd_guard&) = delete;
  fd_guard& operator=(const fd_guard&) = delete;
  ~fd_guard() {
    if (fd >= 0)
      ::close(fd);
  }
  int release() { return std::exchange(fd, -1); }
};

caf::error sys_error(std::string_view op, const std::string& path,
                     int err = errno) {
  std::string msg{op};
  msg += ' ';
  msg += path;
  msg += ": ";
  msg += std::strerror(err);
  return make_error(errc::io_error, std::move(msg));
}

caf::error invalid_path(std::string_view what, std::string_view path) {
  std::string msg = "invalid path \"";
  msg += path;
  msg += "\": ";
  msg += what;
  return make_error(errc::invalid, std::move(msg));
}

std::string join(const std::string& dir, std::string_view name) {
  std::string result = dir;
  if (!result.empty() && result.back() != '/')
    result += '/';
  result += name;
  return result;
}

std::vector<std::string_view> split(std::string_view path) {
  std::vector<std::string_view> result;
  size_t pos = 0;
  for (;;) {
    auto next = path.find('/', pos);
    if (next == std::string_view::npos) {
      result.push_back(path.substr(pos));
      return result;
    }
    result.push_back(path.substr(pos, next - pos));
    pos = next + 1;
  }
}

/// Drops empty and "." elements (as path.Clean for already validated paths).
std::string clean(std::string_view path) {
  std::string result;
  for (auto item : split(path)) {
    if (item.empty() || item == ".")
      continue;
    if (!result.empty())
      result += '/';
    result += item;
  }
  return result;
}

std::string_view first_element(std::string_view path) {
  return path.substr(0, path.find('/'));
}

/// True if `name` may be a timestamped directory of ours (a plain hidden
/// name inside the volume directory, not one of the reserved links).
bool is_data_dir_name(std::string_view name) {
  return name.size() > 2 && name.substr(0, 2) == ".."
         && name.find('/') == std::string_view::npos && name != data_dir_link
         && name != data_dir_tmp_link;
}

/// Validates, cleans and masks the payload; rejects duplicates and paths
/// that are both a file and a directory.
caf::expected<payload> normalize(const payload& files) {
  payload result;
  for (const auto& [path, file] : files) {
    if (auto err = validate_path(path))
      return err;
    auto cleaned = clean(path);
    if (cleaned.empty())
      return invalid_path("refers to the volume directory itself", path);
    if (auto err = validate_path(cleaned))
      return err;
    auto [it, added] = result.emplace(
      cleaned, file_projection{file.data, file.mode & 0777u});
    if (!added)
      return invalid_path("duplicates another path of the payload", path);
  }
  for (const auto& [path, file] : result) {
    for (auto pos = path.find('/'); pos != std::string::npos;
         pos = path.find('/', pos + 1))
      if (result.count(path.substr(0, pos)) > 0)
        return invalid_path("is below a file of the payload", path);
  }
  return result;
}

bool same_payload(const payload& x, const payload& y) {
  if (x.size() != y.size())
    return false;
  for (auto i = x.begin(), j = y.begin(); i != x.end(); ++i, ++j)
    if (i->first != j->first || i->second.data != j->second.data
        || i->second.mode != j->second.mode)
      return false;
  return true;
}

/// Target of `dir/..data`: nullopt if missing, an empty string if it points
/// somewhere that is not a timestamped directory of `dir`.
caf::expected<std::optional<std::string>>
current_data_dir(const std::string& dir) {
  auto link = join(dir, data_dir_link);
  std::string buf(4096, '\0');
  auto n = ::readlink(link.c_str(), buf.data(), buf.size());
  if (n < 0) {
    if (errno == ENOENT)
      return std::optional<std::string>{};
    return sys_error("readlink", link);
  }
  buf.resize(static_cast<size_t>(n));
  if (!is_data_dir_name(buf))
    return std::optional<std::string>{std::string{}};
  return std::optional<std::string>{std::move(buf)};
}

caf::error read_file(int dir_fd, const char* name, const std::string& shown,
                     std::string& out) {
  fd_guard fd{::openat(dir_fd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)};
  if (fd.fd < 0)
    return sys_error("open", shown);
  char buf[8192];
  for (;;) {
    auto n = ::read(fd.fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return sys_error("read", shown);
    if (n == 0)
      return caf::none;
    out.append(buf, static_cast<size_t>(n));
  }
}

/// Reads the tree below `fd` (which it takes over) into `out`; `rel` is the
/// payload path of the directory ("" for the root), `shown` its full path.
caf::error read_tree(int fd, const std::string& rel, const std::string& shown,
                     payload& out) {
  auto* d = ::fdopendir(fd);
  if (d == nullptr) {
    auto err = sys_error("opendir", shown);
    ::close(fd);
    return err;
  }
  caf::error result;
  errno = 0;
  while (auto* entry = ::readdir(d)) {
    std::string_view name = entry->d_name;
    if (name == "." || name == "..")
      continue;
    auto path = rel.empty() ? std::string{name} : rel + '/' + entry->d_name;
    auto full = join(shown, name);
    struct stat st;
    if (::fstatat(::dirfd(d), entry->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
      result = sys_error("stat", full);
    } else if (S_ISDIR(st.st_mode)) {
      auto sub = ::openat(::dirfd(d), entry->d_name,
                          O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      result = sub < 0 ? sys_error("open", full)
                       : read_tree(sub, path, full, out);
    } else if (S_ISREG(st.st_mode)) {
      file_projection file;
      file.mode = static_cast<uint32_t>(st.st_mode & 07777);
      result = read_file(::dirfd(d), entry->d_name, full, file.data);
      if (!result)
        out.emplace(path, std::move(file));
    } else {
      result = make_error(errc::io_error,
                          "unexpected non-regular file " + full);
    }
    if (result)
      break;
    errno = 0;
  }
  if (!result && errno != 0)
    result = sys_error("readdir", shown);
  ::closedir(d);
  return result;
}

caf::expected<payload> read_data_dir(const std::string& dir,
                                     const std::string& name) {
  auto path = join(dir, name);
  auto fd = ::open(path.c_str(),
                   O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return sys_error("open", path);
  payload result;
  if (auto err = read_tree(fd, "", path, result))
    return err;
  return result;
}

/// Top-level entries of the timestamped directory `path`.
std::set<std::string> top_level_names(const std::string& path) {
  std::set<std::string> result;
  std::error_code ec;
  for (std::filesystem::directory_iterator i{path, ec}, end; !ec && i != end;
       i.increment(ec))
    result.insert(i->path().filename().string());
  return result;
}

/// Creates `path` with exactly `mode` (not subject to the umask).
caf::error make_dir(const std::string& path, mode_t mode) {
  if (::mkdir(path.c_str(), mode) != 0)
    return sys_error("mkdir", path);
  if (::chmod(path.c_str(), mode) != 0)
    return sys_error("chmod", path);
  return caf::none;
}

caf::error write_file(const std::string& path, const file_projection& file) {
  fd_guard fd{::open(path.c_str(),
                     O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                     0600)};
  if (fd.fd < 0)
    return sys_error("create", path);
  const char* pos = file.data.data();
  size_t left = file.data.size();
  while (left > 0) {
    auto n = ::write(fd.fd, pos, left);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return sys_error("write", path);
    pos += n;
    left -= static_cast<size_t>(n);
  }
  if (::fchmod(fd.fd, static_cast<mode_t>(file.mode)) != 0)
    return sys_error("chmod", path);
  if (::close(fd.release()) != 0)
    return sys_error("close", path);
  return caf::none;
}

/// "..YYYY_MM_DD_HH_MM_SS.<nanos>" in UTC.
std::string timestamp_name(std::chrono::system_clock::time_point now) {
  using namespace std::chrono;
  auto secs = floor<seconds>(now);
  auto nanos = duration_cast<nanoseconds>(now - secs).count();
  auto t = system_clock::to_time_t(secs);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char buf[64];
  std::snprintf(buf, sizeof(buf), "..%04d_%02d_%02d_%02d_%02d_%02d.%09lld",
                tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                tm.tm_min, tm.tm_sec, static_cast<long long>(nanos));
  return buf;
}

/// Creates a fresh timestamped directory and returns its name.
caf::expected<std::string>
make_data_dir(const std::string& dir, std::chrono::system_clock::time_point now) {
  auto base = timestamp_name(now);
  for (int i = 0; i < 1000; ++i) {
    auto name = i == 0 ? base : base + '_' + std::to_string(i);
    auto path = join(dir, name);
    if (::mkdir(path.c_str(), 0755) != 0) {
      if (errno == EEXIST)
        continue;
      return sys_error("mkdir", path);
    }
    if (::chmod(path.c_str(), 0755) != 0)
      return sys_error("chmod", path);
    return name;
  }
  return make_error(errc::io_error, "no free timestamped directory name "
                                      + join(dir, base));
}

/// Writes all files below `root` (a fresh directory).
caf::error write_tree(const std::string& root, const payload& files) {
  std::set<std::string> made;
  for (const auto& [path, file] : files) {
    for (auto pos = path.find('/'); pos != std::string::npos;
         pos = path.find('/', pos + 1)) {
      auto sub = path.substr(0, pos);
      if (made.insert(sub).second)
        if (auto err = make_dir(join(root, sub), 0755))
          return err;
    }
    if (auto err = write_file(join(root, path), file))
      return err;
  }
  return caf::none;
}

/// Fails if an entry of `dir` named like a top-level entry of `files`
/// exists and is not a symlink.
caf::error check_visible_entries(const std::string& dir,
                                 const payload& files) {
  for (const auto& [path, file] : files) {
    auto visible = join(dir, first_element(path));
    struct stat st;
    if (::lstat(visible.c_str(), &st) != 0) {
      if (errno == ENOENT)
        continue;
      return sys_error("stat", visible);
    }
    if (!S_ISLNK(st.st_mode))
      return make_error(errc::conflict,
                        "refusing to replace non-symlink " + visible);
  }
  return caf::none;
}

/// Makes `dir/name` a link to `..data/name` (atomically replacing a link
/// that points elsewhere).
caf::error ensure_visible_link(const std::string& dir, std::string_view name) {
  auto visible = join(dir, name);
  auto target = std::string{data_dir_link} + '/' + std::string{name};
  std::string buf(4096, '\0');
  auto n = ::readlink(visible.c_str(), buf.data(), buf.size());
  if (n >= 0) {
    buf.resize(static_cast<size_t>(n));
    if (buf == target)
      return caf::none;
    auto tmp = join(dir, "..link_tmp");
    ::unlink(tmp.c_str());
    if (::symlink(target.c_str(), tmp.c_str()) != 0)
      return sys_error("symlink", tmp);
    if (::rename(tmp.c_str(), visible.c_str()) != 0) {
      auto err = sys_error("rename", visible);
      ::unlink(tmp.c_str());
      return err;
    }
    return caf::none;
  }
  if (errno == EINVAL)
    return make_error(errc::conflict,
                      "refusing to replace non-symlink " + visible);
  if (errno != ENOENT)
    return sys_error("readlink", visible);
  if (::symlink(target.c_str(), visible.c_str()) != 0)
    return sys_error("symlink", visible);
  return caf::none;
}

caf::error ensure_visible_links(const std::string& dir, const payload& files) {
  std::set<std::string_view> names;
  for (const auto& [path, file] : files)
    names.insert(first_element(path));
  for (auto name : names)
    if (auto err = ensure_visible_link(dir, name))
      return err;
  return caf::none;
}

/// Points `..data` at `name` with a single rename of `..data_tmp`.
caf::error swap_data_link(const std::string& dir, const std::string& name) {
  auto tmp = join(dir, data_dir_tmp_link);
  auto link = join(dir, data_dir_link);
  if (::unlink(tmp.c_str()) != 0 && errno != ENOENT)
    return sys_error("remove", tmp);
  if (::symlink(name.c_str(), tmp.c_str()) != 0)
    return sys_error("symlink", tmp);
  if (::rename(tmp.c_str(), link.c_str()) != 0) {
    auto err = sys_error("rename", link);
    ::unlink(tmp.c_str());
    return err;
  }
  return caf::none;
}

caf::error ensure_dir(const std::string& dir) {
  struct stat st;
  if (::stat(dir.c_str(), &st) == 0) {
    if (!S_ISDIR(st.st_mode))
      return make_error(errc::io_error, "not a directory: " + dir);
    return caf::none;
  }
  if (errno != ENOENT)
    return sys_error("stat", dir);
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec)
    return sys_error("mkdir", dir, ec.value());
  if (::chmod(dir.c_str(), 0755) != 0)
    return sys_error("chmod", dir);
  return caf::none;
}

/// Removes the user-visible links of `old_names` that `files` no longer
/// has, then the previous timestamped directory. Failures are logged only:
/// the new data is already visible.
void clean_up(const std::string& dir, const std::string& old_dir,
              const std::set<std::string>& old_names, const payload& files) {
  std::set<std::string_view> keep;
  for (const auto& [path, file] : files)
    keep.insert(first_element(path));
  for (const auto& name : old_names) {
    if (keep.count(name) > 0)
      continue;
    auto visible = join(dir, name);
    struct stat st;
    if (::lstat(visible.c_str(), &st) != 0 || !S_ISLNK(st.st_mode))
      continue;
    if (::unlink(visible.c_str()) != 0 && errno != ENOENT)
      log::warning("cannot remove stale volume link",
                   {log::kv("path", visible),
                    log::kv("err", std::strerror(errno))});
  }
  if (old_dir.empty())
    return;
  std::error_code ec;
  std::filesystem::remove_all(join(dir, old_dir), ec);
  if (ec)
    log::warning("cannot remove old volume data directory",
                 {log::kv("path", join(dir, old_dir)),
                  log::kv("err", ec.message())});
}

} // namespace

caf::error validate_path(std::string_view path) {
  if (path.empty())
    return invalid_path("must not be empty", path);
  if (path.front() == '/')
    return invalid_path("must be a relative path", path);
  if (path.size() > max_path_length)
    return invalid_path("must be at most 4096 bytes long", path);
  if (path.find('\0') != std::string_view::npos)
    return invalid_path("must not contain a NUL byte", path);
  auto items = split(path);
  for (auto item : items) {
    if (item == "..")
      return invalid_path("must not contain '..'", path);
    if (item.size() > max_file_name_length)
      return invalid_path("file names must be at most 255 bytes long", path);
  }
  if (items.front().substr(0, 2) == "..")
    return invalid_path("must not start with '..'", path);
  return caf::none;
}

caf::expected<write_result>
write_atomically(const std::string& dir, const payload& files,
                 std::chrono::system_clock::time_point now) {
  auto clean_files = normalize(files);
  if (!clean_files)
    return std::move(clean_files.error());
  if (auto err = ensure_dir(dir))
    return err;
  auto old = current_data_dir(dir);
  if (!old)
    return std::move(old.error());
  if (auto err = check_visible_entries(dir, *clean_files))
    return err;
  std::string old_dir;
  if (*old && (*old)->empty())
    log::warning("volume ..data points outside the volume, replacing it",
                 {log::kv("path", join(dir, data_dir_link))});
  else if (*old)
    old_dir = **old;
  std::set<std::string> old_names;
  if (!old_dir.empty()) {
    auto current = read_data_dir(dir, old_dir);
    if (current && same_payload(*current, *clean_files)) {
      if (auto err = ensure_visible_links(dir, *clean_files))
        return err;
      return write_result{false, old_dir};
    }
    old_names = top_level_names(join(dir, old_dir));
  }
  auto new_dir = make_data_dir(dir, now);
  if (!new_dir)
    return std::move(new_dir.error());
  auto new_path = join(dir, *new_dir);
  auto failure = write_tree(new_path, *clean_files);
  if (!failure)
    failure = swap_data_link(dir, *new_dir);
  if (failure) {
    std::error_code ec;
    std::filesystem::remove_all(new_path, ec);
    return failure;
  }
  if (auto err = ensure_visible_links(dir, *clean_files))
    return err;
  clean_up(dir, old_dir, old_names, *clean_files);
  return write_result{true, std::move(*new_dir)};
}

caf::expected<payload> read_current(const std::string& dir) {
  auto name = current_data_dir(dir);
  if (!name)
    return std::move(name.error());
  if (!*name)
    return make_error(errc::not_found,
                      "no data directory link " + join(dir, data_dir_link));
  if ((*name)->empty())
    return make_error(errc::io_error, "data directory link points outside "
                                        "the volume: "
                                        + join(dir, data_dir_link));
  return read_data_dir(dir, **name);
}

} // namespace cafelet::actors::volumes
