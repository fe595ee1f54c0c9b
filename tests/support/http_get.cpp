#include "tests/support/http_get.hpp"

#include <curl/curl.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <unistd.h>

namespace cafelet::testing {

namespace {

size_t append(char* data, size_t size, size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

} // namespace

get_result http_get(const std::string& url) {
  get_result out;
  CURL* h = curl_easy_init();
  if (!h) {
    out.error = "curl_easy_init failed";
    return out;
  }
  curl_easy_setopt(h, CURLOPT_URL, url.c_str());
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 5000L);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, append);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &out.body);
  auto rc = curl_easy_perform(h);
  if (rc == CURLE_OK)
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &out.status);
  else
    out.error = curl_easy_strerror(rc);
  curl_easy_cleanup(h);
  return out;
}

int run_python(const std::string& script, const std::string& input,
               std::string& output) {
  const char* py = std::getenv("PYTHON3");
  std::string python = py ? py : "/usr/bin/python3";
  char in_path[] = "/tmp/cafelet-test-in.XXXXXX";
  int fd = mkstemp(in_path);
  if (fd < 0)
    return -1;
  auto written = write(fd, input.data(), input.size());
  close(fd);
  if (written != static_cast<ssize_t>(input.size()))
    return -1;
  char script_path[] = "/tmp/cafelet-test-py.XXXXXX";
  fd = mkstemp(script_path);
  if (fd < 0)
    return -1;
  written = write(fd, script.data(), script.size());
  close(fd);
  std::string cmd = python + " " + script_path + " < " + in_path + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  if (!p)
    return -1;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), p)) > 0)
    output.append(buf, n);
  int status = pclose(p);
  unlink(in_path);
  unlink(script_path);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

} // namespace cafelet::testing
