#include "actors/runtime/termination_message.hpp"

#include "runtime/cri/client.hpp"
#include "runtime/kuberuntime/labels.hpp"

#include <fstream>
#include <vector>

namespace cafelet::actors {

namespace {

/// Up to `limit` bytes of file `path` (from its end if `tail`).
std::string read_file(const std::string& path, size_t limit, bool tail) {
  std::ifstream in{path, std::ios::binary | std::ios::ate};
  if (!in)
    return {};
  auto size = static_cast<size_t>(in.tellg());
  size_t start = tail && size > limit ? size - limit : 0;
  size_t count = std::min(limit, size - start);
  std::string out(count, '\0');
  in.seekg(static_cast<std::streamoff>(start));
  in.read(out.data(), static_cast<std::streamsize>(count));
  out.resize(static_cast<size_t>(in.gcount()));
  return out;
}

std::string annotation(const cri::pb::ContainerStatus& st, const char* key) {
  auto i = st.annotations().find(key);
  return i == st.annotations().end() ? std::string{} : i->second;
}

} // namespace

std::string cri_log_tail(std::string_view log, size_t max_lines, size_t max_bytes) {
  // Lines of text: "<time> <stream> <P|F> <text>"; P continues the line.
  std::vector<std::string> lines;
  std::string current;
  size_t pos = 0;
  while (pos < log.size()) {
    auto end = log.find('\n', pos);
    auto line = log.substr(pos, end == std::string_view::npos ? std::string_view::npos
                                                              : end - pos);
    pos = end == std::string_view::npos ? log.size() : end + 1;
    auto s1 = line.find(' ');
    auto s2 = s1 == std::string_view::npos ? s1 : line.find(' ', s1 + 1);
    auto s3 = s2 == std::string_view::npos ? s2 : line.find(' ', s2 + 1);
    if (s3 == std::string_view::npos)
      continue; // not a CRI log line (e.g. cut at the start of a tail read)
    auto tag = line.substr(s2 + 1, s3 - s2 - 1);
    current += line.substr(s3 + 1);
    if (tag == "P")
      continue;
    lines.push_back(std::move(current));
    current.clear();
  }
  if (!current.empty())
    lines.push_back(std::move(current));
  size_t first = lines.size() > max_lines ? lines.size() - max_lines : 0;
  std::string out;
  for (size_t i = first; i < lines.size(); ++i)
    out += lines[i] + "\n";
  if (out.size() > max_bytes)
    out.erase(0, out.size() - max_bytes);
  return out;
}

std::string termination_message(const cri::pb::ContainerStatus& st) {
  auto path = annotation(st, kuberuntime::termination_message_path_annotation);
  std::string message;
  if (!path.empty())
    for (const auto& m : st.mounts())
      if (m.container_path() == path) {
        message = read_file(m.host_path(), max_termination_message, false);
        break;
      }
  auto policy = annotation(st, kuberuntime::termination_message_policy_annotation);
  if (message.empty() && policy == "FallbackToLogsOnError" && st.exit_code() != 0
      && !st.log_path().empty()) {
    // Enough of the file for 80 lines of text in the log format.
    auto raw = read_file(st.log_path(), 64 * 1024, true);
    message = cri_log_tail(raw, max_fallback_log_lines, max_fallback_log_bytes);
  }
  return message;
}

} // namespace cafelet::actors
