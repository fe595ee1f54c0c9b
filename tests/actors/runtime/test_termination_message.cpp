// Termination messages of exited containers: the file mounted at the
// container's terminationMessagePath (capped at 4 KiB), else with
// FallbackToLogsOnError and a non-zero exit the tail of its CRI log.
#include "actors/runtime/termination_message.hpp"
#include "runtime/cri/client.hpp"
#include "runtime/kuberuntime/labels.hpp"

#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

using namespace cafelet;
using namespace cafelet::actors;
namespace fs = std::filesystem;

namespace {

struct temp_dir {
  std::string path;
  temp_dir() {
    char tmpl[] = "/tmp/cafelet-termmsg-XXXXXX";
    path = ::mkdtemp(tmpl);
  }
  ~temp_dir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  std::string write(const std::string& name, const std::string& content) {
    auto p = path + "/" + name;
    std::ofstream{p} << content;
    return p;
  }
};

cri::pb::ContainerStatus status_with(const std::string& msg_file, const std::string& policy,
                                     int32_t exit_code, const std::string& log = {}) {
  cri::pb::ContainerStatus st;
  st.set_exit_code(exit_code);
  (*st.mutable_annotations())[kuberuntime::termination_message_path_annotation]
    = "/dev/termination-log";
  (*st.mutable_annotations())[kuberuntime::termination_message_policy_annotation] = policy;
  auto* m = st.add_mounts();
  m->set_container_path("/dev/termination-log");
  m->set_host_path(msg_file);
  st.set_log_path(log);
  return st;
}

} // namespace

TEST_CASE("the termination message comes from the mounted file, capped at 4 KiB") {
  temp_dir dir;
  auto file = dir.write("msg", "bye\n");
  CHECK(termination_message(status_with(file, "File", 3)) == "bye\n");
  auto big = dir.write("big", std::string(5000, 'x'));
  CHECK(termination_message(status_with(big, "File", 0)).size() == max_termination_message);
  // No annotation or no such mount: nothing.
  auto st = status_with(file, "File", 3);
  st.mutable_annotations()->clear();
  CHECK(termination_message(st).empty());
  CHECK(termination_message(status_with(dir.path + "/missing", "File", 3)).empty());
}

TEST_CASE("FallbackToLogsOnError: the log tail when the file is empty and the exit non-zero") {
  temp_dir dir;
  auto empty = dir.write("msg", "");
  auto log = dir.write("0.log", "2026-11-30T10:00:00.1Z stdout F first\n"
                                "2026-11-30T10:00:00.2Z stderr P par\n"
                                "2026-11-30T10:00:00.3Z stderr F tial\n"
                                "2026-11-30T10:00:00.4Z stdout F oops\n");
  CHECK(termination_message(status_with(empty, "FallbackToLogsOnError", 2, log))
        == "first\npartial\noops\n");
  // Exit 0, or policy File: no fallback.
  CHECK(termination_message(status_with(empty, "FallbackToLogsOnError", 0, log)).empty());
  CHECK(termination_message(status_with(empty, "File", 2, log)).empty());
  // A message in the file wins.
  auto msg = dir.write("msg2", "from file");
  CHECK(termination_message(status_with(msg, "FallbackToLogsOnError", 2, log)) == "from file");
}

TEST_CASE("the log tail keeps the last 80 lines and at most 2 KiB") {
  std::string log;
  for (int i = 0; i < 100; ++i)
    log += "2026-11-30T10:00:00Z stdout F line " + std::to_string(i) + "\n";
  auto tail = cri_log_tail(log, max_fallback_log_lines, max_fallback_log_bytes);
  CHECK(tail.find("line 19\n") == std::string::npos);
  CHECK(tail.find("line 20\n") == 0);
  CHECK(tail.ends_with("line 99\n"));
  std::string wide;
  for (int i = 0; i < 10; ++i)
    wide += "2026-11-30T10:00:00Z stdout F " + std::string(500, 'a' + i) + "\n";
  auto cut = cri_log_tail(wide, 80, 2048);
  CHECK(cut.size() == 2048);
  CHECK(cut.ends_with(std::string(500, 'j') + "\n"));
  // A torn first line (from reading the end of a file) is skipped.
  CHECK(cri_log_tail("rn\n2026-11-30T10:00:00Z stdout F ok\n", 80, 2048) == "ok\n");
}
