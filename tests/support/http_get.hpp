#pragma once
// Blocking HTTP GET for tests (libcurl easy API on the test thread).

#include <string>

namespace cafelet::testing {

/// Result of a test GET.
struct get_result {
  long status = 0;  // 0: no response
  std::string body;
  std::string error; // libcurl's message when status is 0
};

/// GETs `url` with a 5 s limit.
get_result http_get(const std::string& url);

/// Runs `$PYTHON3 -c <script>` with `input` on stdin; returns the exit
/// code and fills `output` with what it printed (stdout and stderr).
int run_python(const std::string& script, const std::string& input,
               std::string& output);

} // namespace cafelet::testing
