#include "actors/volumes/volume_dirs.hpp"

#include "messages/errors.hpp"

#include <doctest/doctest.h>

#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

using namespace cafelet;
using namespace cafelet::actors::volumes;
namespace fs = std::filesystem;

namespace {

/// (mount point, fstype) of every mount of this process, in mount order.
std::vector<std::pair<std::string, std::string>> mounts() {
  std::vector<std::pair<std::string, std::string>> result;
  std::ifstream in{"/proc/self/mountinfo"};
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream words{line};
    std::vector<std::string> f;
    for (std::string w; words >> w;)
      f.push_back(w);
    auto sep = std::find(f.begin(), f.end(), "-");
    if (f.size() > 4 && sep != f.end() && sep + 1 != f.end())
      result.emplace_back(f[4], *(sep + 1));
  }
  return result;
}

/// Number of mounts stacked at `path`.
size_t mount_count(const std::string& path) {
  auto all = mounts();
  return std::count_if(all.begin(), all.end(),
                       [&](auto& m) { return m.first == path; });
}

/// The fstype of the top mount at `path`, or "".
std::string fstype_at(const std::string& path) {
  std::string result;
  for (auto& [point, type] : mounts())
    if (point == path)
      result = type;
  return result;
}

/// A fresh directory under /tmp; on destruction (also after a failed check)
/// every mount below it is lazily unmounted and the tree removed.
struct temp_root {
  std::string path;

  temp_root() {
    char tmpl[] = "/tmp/cafelet-volume-dirs-XXXXXX";
    REQUIRE(::mkdtemp(tmpl) != nullptr);
    path = tmpl;
  }

  temp_root(const temp_root&) = delete;
  temp_root& operator=(const temp_root&) = delete;

  ~temp_root() {
    for (int round = 0; round < 64; ++round) {
      std::vector<std::string> below;
      for (auto& m : mounts())
        if (m.first.rfind(path + "/", 0) == 0)
          below.push_back(m.first);
      if (below.empty())
        break;
      std::sort(below.begin(), below.end(),
                [](auto& a, auto& b) { return a.size() > b.size(); });
      for (auto& m : below)
        ::umount2(m.c_str(), MNT_DETACH);
    }
    std::error_code ec;
    fs::remove_all(path, ec);
  }

  std::string operator/(const std::string& rel) const {
    return path + "/" + rel;
  }
};

/// Permission bits of `path` (following symlinks).
unsigned mode_of(const std::string& path) {
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  return st.st_mode & 07777;
}

void write_file(const std::string& path, const std::string& text) {
  std::ofstream out{path};
  out << text;
  REQUIRE(out.good());
}

std::string read_file(const std::string& path) {
  std::ifstream in{path};
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

/// A bind mount of `src` on `dst` (created).
void bind_mount(const std::string& src, const std::string& dst) {
  fs::create_directories(dst);
  REQUIRE(::mount(src.c_str(), dst.c_str(), nullptr, MS_BIND, nullptr) == 0);
}

} // namespace

TEST_CASE("volume_dirs: layout paths follow upstream's kubelet") {
  CHECK(pod_dir("/var/lib/kubelet", "1234-ab") == "/var/lib/kubelet/pods/1234-ab");
  CHECK(pod_dir("/var/lib/kubelet/", "u") == "/var/lib/kubelet/pods/u");
  CHECK(volume_dir("/var/lib/kubelet", "u", "empty-dir", "cache")
        == "/var/lib/kubelet/pods/u/volumes/kubernetes.io~empty-dir/cache");
  CHECK(volume_dir("/r", "u", "projected", "kube-api-access-x")
        == "/r/pods/u/volumes/kubernetes.io~projected/kube-api-access-x");
  CHECK(volume_dir("/r", "u", "downward-api", "info")
        == "/r/pods/u/volumes/kubernetes.io~downward-api/info");
}

TEST_CASE("volume_dirs: disk emptyDir is a 0777 directory, idempotently") {
  temp_root root;
  auto dir = volume_dir(root.path, "u1", "empty-dir", "scratch");
  auto old_umask = ::umask(022);
  auto err = setup_empty_dir(dir, {"", ""});
  ::umask(old_umask);
  REQUIRE_MESSAGE(!err, describe(err));
  CHECK(mode_of(dir) == 0777);
  CHECK_FALSE(is_mount_point(dir));
  write_file(dir + "/keep", "data");
  ::chmod(dir.c_str(), 0700);
  REQUIRE_MESSAGE(!setup_empty_dir(dir, {"", "1Gi"}), "second setup");
  CHECK(mode_of(dir) == 0777);
  CHECK(read_file(dir + "/keep") == "data");
}

TEST_CASE("volume_dirs: Memory emptyDir is a tmpfs with the size limit") {
  temp_root root;
  auto dir = volume_dir(root.path, "u1", "empty-dir", "mem");
  REQUIRE_MESSAGE(!setup_empty_dir(dir, {"Memory", "100k"}), "setup");
  CHECK(fstype_at(dir) == "tmpfs");
  CHECK(is_mount_point(dir));
  CHECK(mode_of(dir) == 0777);
  struct statfs sfs {};
  REQUIRE(::statfs(dir.c_str(), &sfs) == 0);
  auto page = static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
  auto expected = (100000 + page - 1) / page * page;
  CHECK(static_cast<uint64_t>(sfs.f_blocks) * sfs.f_bsize == expected);
  write_file(dir + "/keep", "in memory");
  SUBCASE("setup is idempotent") {
    REQUIRE_MESSAGE(!setup_empty_dir(dir, {"Memory", "100k"}), "again");
    CHECK(mount_count(dir) == 1);
    CHECK(read_file(dir + "/keep") == "in memory");
  }
  SUBCASE("without sizeLimit there is no size option") {
    auto other = volume_dir(root.path, "u1", "empty-dir", "nolimit");
    REQUIRE_MESSAGE(!setup_empty_dir(other, {"Memory", ""}), "setup");
    CHECK(fstype_at(other) == "tmpfs");
    REQUIRE(::statfs(other.c_str(), &sfs) == 0);
    CHECK(static_cast<uint64_t>(sfs.f_blocks) * sfs.f_bsize > expected);
  }
}

TEST_CASE("volume_dirs: bad emptyDir media and size limits are invalid") {
  temp_root root;
  auto dir = root / "v";
  auto err = setup_empty_dir(dir, {"HugePages", ""});
  CHECK(is(err, errc::invalid));
  CHECK(context_of(err) == "unknown storage medium \"HugePages\"");
  err = setup_empty_dir(dir, {"Memory", "1 Gi"});
  CHECK(is(err, errc::invalid));
  CHECK(mount_count(dir) == 0);
}

TEST_CASE("volume_dirs: setup_tmpfs mounts a 0755 tmpfs once") {
  temp_root root;
  auto dir = volume_dir(root.path, "u1", "secret", "token");
  REQUIRE_MESSAGE(!setup_tmpfs(dir, uint64_t{1} << 20), "setup");
  CHECK(fstype_at(dir) == "tmpfs");
  CHECK(mode_of(dir) == 0755);
  struct statfs sfs {};
  REQUIRE(::statfs(dir.c_str(), &sfs) == 0);
  CHECK(static_cast<uint64_t>(sfs.f_blocks) * sfs.f_bsize == (1u << 20));
  REQUIRE_MESSAGE(!setup_tmpfs(dir), "again");
  CHECK(mount_count(dir) == 1);
}

TEST_CASE("volume_dirs: hostPath type checks") {
  temp_root root;
  auto check = [](const std::string& path, const std::string& type) {
    return check_host_path(k8s::host_path_volume{path, type});
  };
  auto fails_with = [](const caf::error& err, const std::string& text) {
    CHECK(is(err, errc::io_error));
    CHECK(context_of(err) == "hostPath type check failed: " + text);
  };
  auto dir = root / "dir";
  auto file = root / "file";
  fs::create_directory(dir);
  write_file(file, "x");
  SUBCASE("no type checks nothing") {
    CHECK(!check(root / "missing", ""));
    CHECK_FALSE(fs::exists(root / "missing"));
  }
  SUBCASE("DirectoryOrCreate creates the directory and its parents") {
    CHECK(!check(root / "a/b/c", "DirectoryOrCreate"));
    CHECK(fs::is_directory(root / "a/b/c"));
    CHECK(!check(dir, "DirectoryOrCreate"));
    fails_with(check(file, "DirectoryOrCreate"), file + " is not a directory");
  }
  SUBCASE("Directory") {
    CHECK(!check(dir, "Directory"));
    fails_with(check(file, "Directory"), file + " is not a directory");
    fails_with(check(root / "missing", "Directory"),
               root / "missing" + " is not a directory");
  }
  SUBCASE("FileOrCreate creates an empty 0644 file but not its parents") {
    auto old_umask = ::umask(022);
    auto err = check(root / "new", "FileOrCreate");
    ::umask(old_umask);
    CHECK(!err);
    CHECK(fs::is_regular_file(root / "new"));
    CHECK(fs::file_size(root / "new") == 0);
    CHECK(mode_of(root / "new") == 0644);
    CHECK(!check(file, "FileOrCreate"));
    CHECK(read_file(file) == "x");
    CHECK(is(check(root / "nodir/new", "FileOrCreate"), errc::io_error));
    CHECK_FALSE(fs::exists(root / "nodir"));
    fails_with(check(dir, "FileOrCreate"), dir + " is not a file");
  }
  SUBCASE("File") {
    CHECK(!check(file, "File"));
    fails_with(check(dir, "File"), dir + " is not a file");
  }
  SUBCASE("Socket") {
    auto sock_path = root / "s.sock";
    int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    REQUIRE(fd >= 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, sock_path.c_str(), sizeof(addr.sun_path) - 1);
    auto rc = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    ::close(fd);
    REQUIRE(rc == 0);
    CHECK(!check(sock_path, "Socket"));
    fails_with(check(file, "Socket"), file + " is not a socket file");
  }
  SUBCASE("CharDevice") {
    CHECK(!check("/dev/null", "CharDevice"));
    fails_with(check(file, "CharDevice"), file + " is not a character device");
  }
  SUBCASE("BlockDevice") {
    fails_with(check("/dev/null", "BlockDevice"),
               "/dev/null is not a block device");
  }
  SUBCASE("unknown types are invalid") {
    auto err = check(dir, "Fifo");
    CHECK(is(err, errc::invalid));
    CHECK(context_of(err) == "Fifo is an invalid volume type");
  }
}

TEST_CASE("volume_dirs: subPath resolution stays inside the volume") {
  temp_root root;
  auto base = root / "vol";
  auto outside = root / "outside";
  fs::create_directories(base);
  fs::create_directories(outside);
  ::chmod(base.c_str(), 0777);
  auto resolve = [&](const std::string& sub) {
    return resolve_sub_path(base, sub);
  };
  auto rejected = [&](const std::string& sub) {
    auto r = resolve(sub);
    REQUIRE_FALSE(r);
    CHECK(is(r.error(), errc::invalid));
    CHECK(context_of(r.error()).find("`" + sub + "`") != std::string::npos);
  };
  SUBCASE("plain and nested subPaths, created with the volume's mode") {
    fs::create_directory(base + "/plain");
    auto r = resolve("plain");
    REQUIRE_MESSAGE(r, describe(r.error()));
    CHECK(*r == base + "/plain");
    auto old_umask = ::umask(022);
    r = resolve("a/b/./c/");
    ::umask(old_umask);
    REQUIRE_MESSAGE(r, describe(r.error()));
    CHECK(*r == base + "/a/b/c");
    CHECK(fs::is_directory(base + "/a/b/c"));
    CHECK(mode_of(base + "/a") == 0777);
    CHECK(mode_of(base + "/a/b/c") == 0777);
    write_file(base + "/a/f", "x");
    r = resolve("a/f");
    REQUIRE_MESSAGE(r, describe(r.error()));
    CHECK(*r == base + "/a/f");
    CHECK(*resolve("") == base);
  }
  SUBCASE("backsteps and absolute paths are rejected") {
    rejected("../x");
    rejected("a/../../x");
    rejected("a/..");
    CHECK(context_of(resolve("../x").error())
          == "unable to provision SubPath `../x`: must not contain '..'");
    rejected("/abs");
    CHECK(context_of(resolve("/abs").error())
          == "error SubPath `/abs` must not be an absolute path");
    CHECK_FALSE(fs::exists(root / "x"));
    CHECK_FALSE(fs::exists(base + "/a"));
  }
  SUBCASE("a symlink to /etc is rejected and /etc stays untouched") {
    fs::create_symlink("/etc", base + "/evil");
    auto probe = "cafelet-subpath-probe-" + std::to_string(::getpid());
    rejected("evil");
    rejected("evil/" + probe);
    CHECK_FALSE(fs::exists("/etc/" + probe));
  }
  SUBCASE("a symlink chain escaping the volume is rejected") {
    fs::create_directories(base + "/d");
    fs::create_symlink("../b", base + "/d/a");
    fs::create_symlink("d/../../outside", base + "/b");
    fs::create_symlink(outside, base + "/abs");
    rejected("d/a/new");
    rejected("abs/new");
    fs::create_symlink("loop2", base + "/loop1");
    fs::create_symlink("loop1", base + "/loop2");
    rejected("loop1");
    CHECK(fs::is_empty(outside));
  }
  SUBCASE("symlinks that stay inside the volume resolve") {
    fs::create_directories(base + "/real/deep");
    fs::create_symlink("real", base + "/rel");
    fs::create_symlink(base + "/real/deep", base + "/abs");
    fs::create_symlink("../../real", base + "/real/deep/up");
    auto r = resolve("rel/deep");
    REQUIRE_MESSAGE(r, describe(r.error()));
    CHECK(*r == base + "/real/deep");
    r = resolve("abs/up/new");
    REQUIRE_MESSAGE(r, describe(r.error()));
    CHECK(*r == base + "/real/new");
    CHECK(fs::is_directory(base + "/real/new"));
  }
  SUBCASE("a file in the middle of a subPath is rejected") {
    write_file(base + "/f", "x");
    rejected("f/x");
  }
}

TEST_CASE("volume_dirs: tear-down of a tmpfs-backed directory") {
  temp_root root;
  auto dir = volume_dir(root.path, "u1", "secret", "s");
  REQUIRE_MESSAGE(!setup_tmpfs(dir), "setup");
  write_file(dir + "/token", "t");
  auto err = teardown_volume_dir(dir);
  REQUIRE_MESSAGE(!err, describe(err));
  CHECK(mount_count(dir) == 0);
  CHECK_FALSE(fs::exists(dir));
  CHECK(fs::is_directory(fs::path{dir}.parent_path()));
  CHECK(!teardown_volume_dir(dir)); // already gone
}

TEST_CASE("volume_dirs: tear-down never follows symlinks or crosses mounts") {
  temp_root root;
  auto outside = root / "outside";
  fs::create_directories(outside);
  write_file(outside + "/precious", "keep");
  auto dir = volume_dir(root.path, "u1", "empty-dir", "e");
  REQUIRE(!setup_empty_dir(dir, {"", ""}));
  fs::create_symlink(outside, dir + "/link");
  SUBCASE("a symlink to an outside directory is unlinked") {
    REQUIRE_MESSAGE(!teardown_volume_dir(dir), "teardown");
    CHECK_FALSE(fs::exists(dir));
  }
  SUBCASE("a nested mount stops the removal") {
    bind_mount(outside, dir + "/sub/bound");
    auto err = teardown_volume_dir(dir);
    CHECK(is(err, errc::io_error));
    CHECK(context_of(err) == "cannot delete directory " + dir
                               + "/sub/bound: it is a mount point");
    CHECK(mount_count(dir + "/sub/bound") == 1);
  }
  CHECK(read_file(outside + "/precious") == "keep");
}

TEST_CASE("volume_dirs: remove_pod_dir unmounts first and spares the outside") {
  temp_root root;
  auto outside = root / "outside";
  fs::create_directories(outside + "/nested");
  write_file(outside + "/nested/precious", "keep");
  auto mem = volume_dir(root.path, "u1", "empty-dir", "mem");
  REQUIRE(!setup_empty_dir(mem, {"Memory", "1Mi"}));
  REQUIRE(!setup_tmpfs(mem + "/stacked")); // a mount inside a mount
  auto disk = volume_dir(root.path, "u1", "empty-dir", "disk");
  REQUIRE(!setup_empty_dir(disk, {"", ""}));
  fs::create_symlink(outside, disk + "/link");
  bind_mount(outside, disk + "/bound");
  REQUIRE(!setup_empty_dir(volume_dir(root.path, "u2", "empty-dir", "x"),
                           {"", ""}));
  auto err = remove_pod_dir(root.path, "u1");
  REQUIRE_MESSAGE(!err, describe(err));
  CHECK_FALSE(fs::exists(pod_dir(root.path, "u1")));
  for (auto& m : mounts())
    CHECK(m.first.rfind(pod_dir(root.path, "u1"), 0) != 0);
  CHECK(read_file(outside + "/nested/precious") == "keep");
  CHECK(fs::exists(pod_dir(root.path, "u2")));
  CHECK(!remove_pod_dir(root.path, "u1")); // already gone
  CHECK(is(remove_pod_dir(root.path, ".."), errc::invalid));
  CHECK(is(remove_pod_dir(root.path, "a/b"), errc::invalid));
  CHECK(is(remove_pod_dir(root.path, ""), errc::invalid));
}

TEST_CASE("volume_dirs: pod_dirs lists the UIDs with a directory") {
  temp_root root;
  CHECK(pod_dirs(root.path).empty());
  fs::create_directories(root / "pods/uid-b");
  fs::create_directories(root / "pods/uid-a");
  write_file(root / "pods/not-a-pod", "");
  fs::create_directories(root / "elsewhere");
  fs::create_symlink(root / "elsewhere", root / "pods/link");
  CHECK(pod_dirs(root.path) == std::vector<std::string>{"uid-a", "uid-b"});
}

TEST_CASE("volume_dirs: is_mount_point reads mountinfo") {
  temp_root root;
  auto dir = root / "m";
  CHECK_FALSE(is_mount_point(dir));
  fs::create_directory(dir);
  CHECK_FALSE(is_mount_point(dir));
  REQUIRE(!setup_tmpfs(dir));
  CHECK(is_mount_point(dir));
  fs::create_symlink(dir, root / "alias");
  CHECK(is_mount_point(root / "alias"));
  fs::create_directory(dir + "/inside");
  CHECK_FALSE(is_mount_point(dir + "/inside"));
}
