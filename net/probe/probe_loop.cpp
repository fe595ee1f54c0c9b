#include "net/probe/probe_loop.hpp"

#include "messages/text.hpp"

#include "messages/errors.hpp"
#include "messages/log.hpp"

#include <curl/curl.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <optional>
#include <string_view>
#include <thread>
#include <unordered_map>

namespace cafelet::net::probe {

namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;
using header_list = std::vector<std::pair<std::string, std::string>>;

/// Upstream's redirect checker stops after 10 requests.
constexpr int max_requests = 10;

// -- text helpers -------------------------------------------------------------

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size()
         && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
              return std::tolower(static_cast<unsigned char>(x))
                     == std::tolower(static_cast<unsigned char>(y));
            });
}

std::string to_lower(std::string s) {
  for (auto& c : s)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty()
         && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'
             || s.back() == '\n'))
    s.remove_suffix(1);
  return s;
}

bool is_ip_literal(const std::string& host) {
  unsigned char buf[16];
  return inet_pton(AF_INET, host.c_str(), buf) == 1
         || inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

/// RFC 7230 token characters (header names).
bool is_tchar(unsigned char c) {
  return std::isalnum(c) != 0 || std::strchr("!#$%&'*+-.^_`|~", c) != nullptr;
}

bool valid_header_name(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return c != '\0' && is_tchar(static_cast<unsigned char>(c));
  });
}

/// Go's httpguts.ValidHeaderFieldValue: no control characters except HTAB.
bool valid_header_value(std::string_view s) {
  return std::none_of(s.begin(), s.end(), [](char c) {
    auto b = static_cast<unsigned char>(c);
    return (b < 0x20 && b != '\t') || b == 0x7f;
  });
}

/// Go's textproto.CanonicalMIMEHeaderKey for a valid name.
std::string canonical_key(std::string_view s) {
  std::string out{s};
  bool upper = true;
  for (auto& c : out) {
    if (upper && c >= 'a' && c <= 'z')
      c = static_cast<char>(c - 'a' + 'A');
    else if (!upper && c >= 'A' && c <= 'Z')
      c = static_cast<char>(c - 'A' + 'a');
    upper = c == '-';
  }
  return out;
}

/// Percent-encodes the bytes that may not appear in a URL as is; keeps
/// existing escapes, reserved characters, query and fragment.
std::string escape_url(std::string_view s) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    if (c <= 0x20 || c >= 0x7f || std::strchr("\"<>\\^`{|}", c) != nullptr) {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 0xf];
    } else {
      out += ch;
    }
  }
  return out;
}

/// Go's syscall.Errno text for the errors a connect reports.
std::string errno_text(long err) {
  switch (err) {
    case ECONNREFUSED: return "connection refused";
    case ETIMEDOUT: return "connection timed out";
    case EHOSTUNREACH: return "no route to host";
    case ENETUNREACH: return "network is unreachable";
    case ECONNRESET: return "connection reset by peer";
    default: break;
  }
  char buf[256];
  std::string s = strerror_r(static_cast<int>(err), buf, sizeof(buf));
  if (!s.empty())
    s[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(s[0])));
  return s;
}

/// The parts of an absolute URL that the redirect policy needs.
struct url_parts {
  std::string url;
  std::string scheme;
  std::string host;
  std::string error; // set if the URL does not parse
};

std::string url_part(CURLU* u, CURLUPart part) {
  char* out = nullptr;
  if (curl_url_get(u, part, &out, 0) != CURLUE_OK || out == nullptr)
    return {};
  std::string s{out};
  curl_free(out);
  return s;
}

/// Parses `ref` (escaped first), relative to `base` if that is not empty.
url_parts parse_url(const std::string& base, const std::string& ref) {
  url_parts r;
  std::unique_ptr<CURLU, decltype(&curl_url_cleanup)> u{curl_url(),
                                                        &curl_url_cleanup};
  if (!u) {
    r.error = "out of memory";
    return r;
  }
  constexpr unsigned flags = CURLU_NON_SUPPORT_SCHEME;
  if (!base.empty()) {
    if (auto rc = curl_url_set(u.get(), CURLUPART_URL, base.c_str(), flags);
        rc != CURLUE_OK) {
      r.error = curl_url_strerror(rc);
      return r;
    }
  }
  auto escaped = escape_url(ref);
  if (auto rc = curl_url_set(u.get(), CURLUPART_URL, escaped.c_str(), flags);
      rc != CURLUE_OK) {
    r.error = curl_url_strerror(rc);
    return r;
  }
  r.url = url_part(u.get(), CURLUPART_URL);
  r.scheme = to_lower(url_part(u.get(), CURLUPART_SCHEME));
  r.host = url_part(u.get(), CURLUPART_HOST);
  return r;
}

/// True if `loc` names a scheme (Go's URL.IsAbs).
bool has_scheme(std::string_view loc) {
  auto colon = loc.find(':');
  if (colon == std::string_view::npos || colon == 0
      || std::isalpha(static_cast<unsigned char>(loc[0])) == 0)
    return false;
  return std::all_of(loc.begin(), loc.begin() + static_cast<long>(colon),
                     [](char c) {
                       return std::isalnum(static_cast<unsigned char>(c)) != 0
                              || c == '+' || c == '-' || c == '.';
                     });
}

bool is_followed_status(long status) {
  return status == 301 || status == 302 || status == 303 || status == 307
         || status == 308;
}

probe_outcome make_outcome(probe_result r, std::string output) {
  if (output.size() > max_probe_output)
    output.resize(max_probe_output);
  return probe_outcome{r, std::move(output)};
}

void name_thread(const std::string& name) {
  auto n = name + "-loop";
  if (n.size() > 15)
    n.resize(15);
  pthread_setname_np(pthread_self(), n.c_str());
}

caf::error global_init() {
  static std::once_flag flag;
  static CURLcode rc = CURLE_OK;
  std::call_once(flag, [] { rc = curl_global_init(CURL_GLOBAL_DEFAULT); });
  if (rc != CURLE_OK)
    return make_error(errc::internal, std::string{"curl_global_init: "}
                                        + curl_easy_strerror(rc));
  return {};
}

} // namespace

namespace detail {

/// One probe attempt; owned by the loop thread once submitted.
struct attempt {
  bool is_http = true;
  http_probe_request http;
  tcp_probe_request tcp;
  probe_callback cb;
  steady_clock::time_point started;
  steady_clock::time_point deadline;

  // -- request state (HTTP) --------------------------------------------------
  /// URL of the current request, as shown in error messages.
  std::string url;
  /// URL of the previous request (Referer), empty for the first.
  std::string previous_url;
  /// Hostname of the first URL; redirects must stay on it.
  std::string first_host;
  /// Requests sent so far.
  int requests = 0;
  /// The Host header from httpHeaders (empty: the URL's authority).
  std::string host_header;
  /// Send `host_header` with the current request.
  bool use_host_header = true;
  /// User-Agent to send; empty: none.
  std::string user_agent;
  /// The other headers, canonical names, in Go's wire order.
  header_list headers;
  /// True if httpHeaders sets a Referer.
  bool explicit_referer = false;

  // -- current transfer ------------------------------------------------------
  CURL* easy = nullptr;
  curl_slist* header_slist = nullptr;
  char errbuf[CURL_ERROR_SIZE] = {};
  /// The address last dialed ("ip:port"), for error messages.
  std::string dialed;
  long status = 0;
  bool headers_done = false;
  bool truncated = false;
  bool has_location = false;
  std::string location;
  std::string body;

  attempt() = default;
  attempt(const attempt&) = delete;
  attempt& operator=(const attempt&) = delete;

  ~attempt() {
    release();
  }

  void release() {
    if (easy != nullptr)
      curl_easy_cleanup(easy);
    easy = nullptr;
    curl_slist_free_all(header_slist);
    header_slist = nullptr;
  }

  void reset_response() {
    status = 0;
    headers_done = false;
    truncated = false;
    has_location = false;
    location.clear();
    body.clear();
  }

  const std::string& host() const {
    return is_http ? http.host : tcp.host;
  }

  uint16_t port() const {
    return is_http ? http.port : tcp.port;
  }
};

namespace {

/// Opens the sockets of probe connections: close-on-exec (never inherited
/// by container processes) and closed with RST (SO_LINGER 0) as upstream's
/// probe dialer does, so probes leave no TIME_WAIT sockets behind. Records
/// the address dialed for Go-style error messages.
curl_socket_t on_open_socket(void* user, curlsocktype purpose,
                             curl_sockaddr* addr) {
  auto fd = ::socket(addr->family, addr->socktype | SOCK_CLOEXEC,
                     addr->protocol);
  if (fd < 0 || purpose != CURLSOCKTYPE_IPCXN)
    return fd < 0 ? CURL_SOCKET_BAD : fd;
  linger l{1, 0};
  setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
  auto* a = static_cast<attempt*>(user);
  char ip[INET6_ADDRSTRLEN] = {};
  if (addr->family == AF_INET) {
    const auto* sa = reinterpret_cast<const sockaddr_in*>(&addr->addr);
    inet_ntop(AF_INET, &sa->sin_addr, ip, sizeof(ip));
    a->dialed = cafelet::text::join_host_port(ip, ntohs(sa->sin_port));
  } else if (addr->family == AF_INET6) {
    const auto* sa = reinterpret_cast<const sockaddr_in6*>(&addr->addr);
    inet_ntop(AF_INET6, &sa->sin6_addr, ip, sizeof(ip));
    a->dialed = cafelet::text::join_host_port(ip, ntohs(sa->sin6_port));
  }
  return fd;
}

size_t on_header(char* ptr, size_t size, size_t nmemb, void* user) {
  auto* a = static_cast<attempt*>(user);
  auto n = size * nmemb;
  std::string_view line{ptr, n};
  if (line.starts_with("HTTP/")) { // a new response (after 1xx)
    a->reset_response();
    auto i = line.find(' ');
    long code = 0;
    for (++i; i < line.size() && line[i] >= '0' && line[i] <= '9'; ++i)
      code = code * 10 + (line[i] - '0');
    a->status = code;
    return n;
  }
  line = trim(line);
  if (line.empty()) {
    if (a->status >= 200)
      a->headers_done = true;
    return n;
  }
  auto colon = line.find(':');
  if (colon == std::string_view::npos)
    return n;
  if (!a->has_location && iequals(trim(line.substr(0, colon)), "location")) {
    a->has_location = true;
    a->location.assign(trim(line.substr(colon + 1)));
  }
  return n;
}

size_t on_body(char* ptr, size_t size, size_t nmemb, void* user) {
  auto* a = static_cast<attempt*>(user);
  auto n = size * nmemb;
  auto room = max_probe_output - std::min(a->body.size(), max_probe_output);
  auto take = std::min(n, room);
  a->body.append(ptr, take);
  if (take < n) {
    a->truncated = true; // stop reading: upstream reads at most 10 KiB
    return take;
  }
  return n;
}

/// Builds the request headers the way upstream's prober and Go's client do.
/// Returns an error text for headers Go would refuse to send.
std::string prepare_headers(attempt& a) {
  std::optional<std::string> user_agent;
  std::optional<std::string> accept;
  std::optional<std::string> host;
  header_list rest;
  for (const auto& [name, value] : a.http.headers) {
    if (!valid_header_name(name))
      return "net/http: invalid header field name \"" + name + "\"";
    if (!valid_header_value(value))
      return "net/http: invalid header field value for \"" + name + "\"";
    auto key = canonical_key(name);
    if (key == "User-Agent") {
      if (!user_agent)
        user_agent = value;
    } else if (key == "Host") {
      if (!host)
        host = value;
    } else {
      if (key == "Accept" && !accept)
        accept = value;
      if (key == "Referer")
        a.explicit_referer = true;
      rest.emplace_back(std::move(key), value);
    }
  }
  if (!valid_header_value(a.http.user_agent))
    return "net/http: invalid header field value for \"User-Agent\"";
  a.user_agent = user_agent ? *user_agent : a.http.user_agent;
  a.host_header = host ? *host : std::string{};
  if (!accept) {
    rest.emplace_back("Accept", "*/*");
  } else if (accept->empty()) { // upstream deletes an empty Accept
    std::erase_if(rest, [](const auto& kv) { return kv.first == "Accept"; });
  }
  a.headers = std::move(rest);
  return {};
}

/// The header lines of the current request: Host, User-Agent, Connection,
/// then the others sorted by name (Go's Request.Write order).
curl_slist* make_header_slist(const attempt& a) {
  header_list hs = a.headers;
  if (a.requests > 0 && !a.explicit_referer && !a.previous_url.empty()
      && !(a.previous_url.starts_with("https:") && a.url.starts_with("http:")))
    hs.emplace_back("Referer", a.previous_url);
  std::stable_sort(hs.begin(), hs.end(), [](const auto& x, const auto& y) {
    return x.first < y.first;
  });
  std::vector<std::string> lines;
  if (a.use_host_header && !a.host_header.empty())
    lines.push_back("Host: " + a.host_header);
  lines.push_back(a.user_agent.empty() ? "User-Agent:"
                                       : "User-Agent: " + a.user_agent);
  lines.emplace_back("Connection: close");
  bool accept = false;
  for (const auto& [k, v] : hs) {
    accept = accept || k == "Accept";
    lines.push_back(v.empty() ? k + ";" : k + ": " + v);
  }
  if (!accept)
    lines.emplace_back("Accept:"); // suppresses curl's default
  curl_slist* list = nullptr;
  for (const auto& line : lines) {
    auto* next = curl_slist_append(list, line.c_str());
    if (next == nullptr) {
      curl_slist_free_all(list);
      return nullptr;
    }
    list = next;
  }
  return list;
}

std::string curl_message(const attempt& a, CURLcode rc) {
  if (a.errbuf[0] != '\0')
    return a.errbuf;
  return curl_easy_strerror(rc);
}

/// The address Go's dialer names in its errors: the IP tried, else the host.
std::string dial_address(const attempt& a) {
  return a.dialed.empty() ? cafelet::text::join_host_port(a.host(), a.port()) : a.dialed;
}

bool resolved(const attempt& a) {
  return !a.dialed.empty() || is_ip_literal(a.host());
}

/// Go's error text for a failure before any response arrived.
std::string transport_error(const attempt& a, CURLcode rc) {
  switch (rc) {
    case CURLE_OPERATION_TIMEDOUT:
      if (a.is_http)
        return "context deadline exceeded (Client.Timeout exceeded while "
               "awaiting headers)";
      if (!resolved(a))
        return "dial tcp: lookup " + a.host() + ": i/o timeout";
      return "dial tcp " + dial_address(a) + ": i/o timeout";
    case CURLE_COULDNT_RESOLVE_HOST:
      return "dial tcp: lookup " + a.host() + ": no such host";
    case CURLE_COULDNT_CONNECT: {
      long os_errno = 0;
      curl_easy_getinfo(a.easy, CURLINFO_OS_ERRNO, &os_errno);
      if (os_errno == 0)
        return "dial tcp " + dial_address(a) + ": " + curl_message(a, rc);
      return "dial tcp " + dial_address(a) + ": connect: "
             + errno_text(os_errno);
    }
    case CURLE_GOT_NOTHING: return "EOF";
    default: return curl_message(a, rc);
  }
}

/// Go's error text for a failure while reading the body.
std::string body_error(const attempt& a, CURLcode rc) {
  switch (rc) {
    case CURLE_OPERATION_TIMEDOUT:
      return "context deadline exceeded (Client.Timeout or context "
             "cancellation while reading body)";
    case CURLE_PARTIAL_FILE: return "unexpected EOF";
    default: return curl_message(a, rc);
  }
}

std::string get_prefix(const std::string& url) {
  return "Get \"" + url + "\": ";
}

} // namespace

/// The event loop behind `probe_loop`; shared with its thread.
class loop_core : public std::enable_shared_from_this<loop_core> {
public:
  explicit loop_core(probe_loop_options opts) : opts_(std::move(opts)) {
  }

  ~loop_core() {
    if (multi_ != nullptr)
      curl_multi_cleanup(multi_);
  }

  caf::error start() {
    multi_ = curl_multi_init();
    if (multi_ == nullptr)
      return make_error(errc::internal, "cannot create a libcurl multi handle");
    if (opts_.max_connections > 0)
      curl_multi_setopt(multi_, CURLMOPT_MAX_TOTAL_CONNECTIONS,
                        static_cast<long>(opts_.max_connections));
    thread_ = std::thread{[self = shared_from_this()] { self->run(); }};
    return {};
  }

  void stop() {
    {
      std::lock_guard guard{mtx_};
      stopping_ = true;
    }
    curl_multi_wakeup(multi_);
    if (!thread_.joinable())
      return;
    if (thread_.get_id() == std::this_thread::get_id()) {
      log::warning("probe loop destroyed from its own callback; detaching",
                   {log::kv("loop", opts_.name)});
      thread_.detach();
    } else {
      thread_.join();
    }
  }

  void submit(std::unique_ptr<attempt> a) {
    a->started = steady_clock::now();
    auto timeout = a->is_http ? a->http.timeout : a->tcp.timeout;
    if (timeout <= milliseconds::zero())
      timeout = milliseconds{1000};
    a->deadline = a->started + timeout;
    {
      std::lock_guard guard{mtx_};
      if (!closed_) {
        in_flight_.fetch_add(1);
        pending_.push_back(std::move(a));
      }
    }
    if (a) { // the loop has shut down: answer right here
      invoke(a->cb, make_outcome(probe_result::unknown, "cancelled"));
      return;
    }
    curl_multi_wakeup(multi_);
  }

  size_t in_flight() const noexcept {
    return in_flight_.load();
  }

private:
  static void invoke(probe_callback& cb, probe_outcome out) {
    if (!cb)
      return;
    try {
      cb(std::move(out));
    } catch (const std::exception& e) {
      log::error("probe callback threw", {log::kv("error", e.what())});
    } catch (...) {
      log::error("probe callback threw");
    }
  }

  void run() {
    name_thread(opts_.name);
    sigset_t set; // a peer closing the socket must yield EPIPE, not a signal
    sigemptyset(&set);
    sigaddset(&set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
    log::info(2, "probe loop started", {log::kv("loop", opts_.name)});
    while (drain()) {
      int running = 0;
      curl_multi_perform(multi_, &running);
      collect();
      curl_multi_poll(multi_, nullptr, 0, 1000, nullptr);
    }
    abort_all();
    log::info(2, "probe loop stopped", {log::kv("loop", opts_.name)});
  }

  /// Starts the submitted attempts; false once stopping.
  bool drain() {
    std::vector<std::unique_ptr<attempt>> fresh;
    {
      std::lock_guard guard{mtx_};
      if (stopping_)
        return false;
      fresh.swap(pending_);
    }
    for (auto& a : fresh) {
      if (a->is_http)
        begin_http(std::move(a));
      else
        start_transfer(std::move(a));
    }
    return true;
  }

  void collect() {
    std::vector<std::pair<CURL*, CURLcode>> done;
    int queued = 0;
    while (CURLMsg* msg = curl_multi_info_read(multi_, &queued))
      if (msg->msg == CURLMSG_DONE)
        done.emplace_back(msg->easy_handle, msg->data.result);
    for (auto [easy, rc] : done) {
      curl_multi_remove_handle(multi_, easy);
      auto i = active_.find(easy);
      if (i == active_.end())
        continue;
      auto a = std::move(i->second);
      active_.erase(i);
      if (a->is_http)
        http_done(std::move(a), rc);
      else
        tcp_done(std::move(a), rc);
    }
  }

  void abort_all() {
    for (;;) {
      std::vector<std::unique_ptr<attempt>> fresh;
      {
        std::lock_guard guard{mtx_};
        fresh.swap(pending_);
        if (fresh.empty() && active_.empty()) {
          closed_ = true;
          return;
        }
      }
      for (auto& [easy, a] : active_) {
        curl_multi_remove_handle(multi_, easy);
        fresh.push_back(std::move(a));
      }
      active_.clear();
      for (auto& a : fresh)
        complete(std::move(a),
                 make_outcome(probe_result::unknown, "cancelled"));
    }
  }

  void complete(std::unique_ptr<attempt> a, probe_outcome out) {
    if (log::enabled(4)) {
      auto ms = std::chrono::duration_cast<milliseconds>(steady_clock::now()
                                                         - a->started);
      log::info(4, "probe attempt",
                {log::kv("loop", opts_.name),
                 log::kv("kind", a->is_http ? "http" : "tcp"),
                 log::kv("target", a->is_http ? a->url
                                               : cafelet::text::join_host_port(a->host(),
                                                                a->port())),
                 log::kv("result", to_string(out.result)),
                 log::kv("milliseconds", ms.count()),
                 log::kv("output", out.output.substr(0, 200))});
    }
    auto cb = std::move(a->cb);
    a.reset(); // closes the connection before running user code
    in_flight_.fetch_sub(1);
    invoke(cb, std::move(out));
  }

  void fail(std::unique_ptr<attempt> a, std::string output) {
    complete(std::move(a),
             make_outcome(probe_result::failure, std::move(output)));
  }

  /// Validates an HTTP attempt, builds its URL and headers, starts it.
  void begin_http(std::unique_ptr<attempt> a) {
    if (auto err = prepare_http(*a); !err.empty()) {
      fail(std::move(a), std::move(err));
      return;
    }
    start_transfer(std::move(a));
  }

  /// Builds URL and headers of `a`; returns the failure text of a request
  /// that Go's client would refuse to send.
  static std::string prepare_http(attempt& a) {
    const auto& req = a.http;
    auto scheme = to_lower(req.scheme);
    std::string path = req.path;
    if (!path.empty() && path.front() != '/')
      path.insert(path.begin(), '/');
    a.url = escape_url(scheme + "://" + cafelet::text::join_host_port(req.host, req.port)
                       + path);
    if (scheme != "http" && scheme != "https")
      return get_prefix(a.url) + "unsupported protocol scheme \"" + scheme
             + "\"";
    if (req.host.empty())
      return get_prefix(a.url) + "http: no Host in request URL";
    auto parts = parse_url({}, a.url);
    if (!parts.error.empty())
      return get_prefix(a.url) + "parse \"" + a.url + "\": " + parts.error;
    a.first_host = parts.host;
    if (auto err = prepare_headers(a); !err.empty())
      return get_prefix(a.url) + err;
    return {};
  }

  /// Starts the next request of `a` (HTTP) or its connect (TCP).
  void start_transfer(std::unique_ptr<attempt> a) {
    a->release();
    a->reset_response();
    a->dialed.clear();
    a->errbuf[0] = '\0';
    auto left = std::chrono::ceil<milliseconds>(a->deadline
                                                - steady_clock::now());
    if (left.count() <= 0) {
      auto text = transport_error(*a, CURLE_OPERATION_TIMEDOUT);
      if (a->is_http)
        text = get_prefix(a->url) + text;
      fail(std::move(a), std::move(text));
      return;
    }
    auto* e = curl_easy_init();
    if (e == nullptr) {
      complete(std::move(a), make_outcome(probe_result::unknown,
                                          "curl_easy_init() failed"));
      return;
    }
    a->easy = e;
    curl_easy_setopt(e, CURLOPT_PRIVATE, a.get());
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, a->errbuf);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_PROXY, "");
    curl_easy_setopt(e, CURLOPT_FORBID_REUSE, 1L);
    curl_easy_setopt(e, CURLOPT_FRESH_CONNECT, 1L);
    curl_easy_setopt(e, CURLOPT_DNS_CACHE_TIMEOUT, 0L);
    curl_easy_setopt(e, CURLOPT_OPENSOCKETFUNCTION, &on_open_socket);
    curl_easy_setopt(e, CURLOPT_OPENSOCKETDATA, a.get());
    // curl's millisecond arithmetic may end a transfer up to 1 ms early:
    // one more keeps it from giving up before the deadline
    auto limit = static_cast<long>(left.count()) + 1;
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, limit);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, limit);
    if (a->is_http) {
      a->header_slist = make_header_slist(*a);
      if (a->header_slist == nullptr) {
        complete(std::move(a), make_outcome(probe_result::unknown,
                                            "out of memory"));
        return;
      }
      curl_easy_setopt(e, CURLOPT_URL, a->url.c_str());
      curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
      curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
      curl_easy_setopt(e, CURLOPT_HTTP_VERSION,
                       static_cast<long>(CURL_HTTP_VERSION_1_1));
      curl_easy_setopt(e, CURLOPT_PATH_AS_IS, 1L);
      curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
      curl_easy_setopt(e, CURLOPT_HTTPHEADER, a->header_slist);
      curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, &on_header);
      curl_easy_setopt(e, CURLOPT_HEADERDATA, a.get());
      curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, &on_body);
      curl_easy_setopt(e, CURLOPT_WRITEDATA, a.get());
      curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
      curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
      curl_easy_setopt(e, CURLOPT_SSL_SESSIONID_CACHE, 0L);
      ++a->requests;
    } else {
      a->url = "http://" + cafelet::text::join_host_port(a->tcp.host, a->tcp.port) + "/";
      curl_easy_setopt(e, CURLOPT_URL, a->url.c_str());
      curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http");
      curl_easy_setopt(e, CURLOPT_CONNECT_ONLY, 1L);
    }
    if (auto rc = curl_multi_add_handle(multi_, e); rc != CURLM_OK) {
      complete(std::move(a),
               make_outcome(probe_result::unknown,
                            std::string{"curl_multi_add_handle: "}
                              + curl_multi_strerror(rc)));
      return;
    }
    active_.emplace(e, std::move(a));
  }

  void tcp_done(std::unique_ptr<attempt> a, CURLcode rc) {
    if (rc == CURLE_OK) {
      complete(std::move(a), make_outcome(probe_result::success, {}));
      return;
    }
    auto text = transport_error(*a, rc);
    if (!text.starts_with("dial tcp"))
      text = "dial tcp " + cafelet::text::join_host_port(a->host(), a->port()) + ": " + text;
    fail(std::move(a), std::move(text));
  }

  void http_done(std::unique_ptr<attempt> a, CURLcode rc) {
    bool ok = rc == CURLE_OK || (rc == CURLE_WRITE_ERROR && a->truncated);
    if (!ok && !a->headers_done) {
      auto text = get_prefix(a->url) + transport_error(*a, rc);
      fail(std::move(a), std::move(text));
      return;
    }
    auto status = a->status;
    if (is_followed_status(status) && a->has_location && !a->location.empty()) {
      auto next = parse_url(a->url, a->location);
      if (!next.error.empty()) {
        auto text = get_prefix(a->url) + "failed to parse Location header \""
                    + a->location + "\": " + next.error;
        fail(std::move(a), std::move(text));
        return;
      }
      if (next.host == a->first_host) {
        if (a->requests >= max_requests) {
          auto text = get_prefix(a->location) + "stopped after "
                      + std::to_string(max_requests) + " redirects";
          fail(std::move(a), std::move(text));
          return;
        }
        if (next.scheme != "http" && next.scheme != "https") {
          auto text = get_prefix(next.url) + "unsupported protocol scheme \""
                      + next.scheme + "\"";
          fail(std::move(a), std::move(text));
          return;
        }
        a->use_host_header = !has_scheme(a->location);
        a->previous_url = std::move(a->url);
        a->url = std::move(next.url);
        start_transfer(std::move(a));
        return;
      }
      // another host: not followed, reported as a warning below
    }
    if (!ok) { // upstream's prober errors out: the result is discarded
      auto text = body_error(*a, rc);
      complete(std::move(a),
               make_outcome(probe_result::unknown, std::move(text)));
      return;
    }
    if (status >= 200 && status < 300) {
      auto body = std::move(a->body);
      complete(std::move(a),
               make_outcome(probe_result::success, std::move(body)));
    } else if (status >= 300 && status < 400) {
      auto text = "Probe terminated redirects, Response body: " + a->body;
      complete(std::move(a),
               make_outcome(probe_result::warning, std::move(text)));
    } else {
      fail(std::move(a),
           "HTTP probe failed with statuscode: " + std::to_string(status));
    }
  }

  probe_loop_options opts_;
  CURLM* multi_ = nullptr;
  std::thread thread_;
  mutable std::mutex mtx_;
  std::vector<std::unique_ptr<attempt>> pending_;
  bool stopping_ = false;
  bool closed_ = false;
  std::atomic<size_t> in_flight_{0};
  std::unordered_map<CURL*, std::unique_ptr<attempt>> active_;
};

} // namespace detail

// -- probe_loop ---------------------------------------------------------------

caf::expected<std::unique_ptr<probe_loop>>
probe_loop::make(probe_loop_options opts) {
  if (auto err = global_init())
    return err;
  auto core = std::make_shared<detail::loop_core>(std::move(opts));
  if (auto err = core->start())
    return err;
  return std::unique_ptr<probe_loop>{new probe_loop(std::move(core))};
}

probe_loop::probe_loop(std::shared_ptr<detail::loop_core> core)
  : core_(std::move(core)) {
}

probe_loop::~probe_loop() {
  core_->stop();
}

void probe_loop::http_get(http_probe_request req, probe_callback cb) {
  auto a = std::make_unique<detail::attempt>();
  a->is_http = true;
  a->http = std::move(req);
  a->cb = std::move(cb);
  core_->submit(std::move(a));
}

void probe_loop::tcp_connect(tcp_probe_request req, probe_callback cb) {
  auto a = std::make_unique<detail::attempt>();
  a->is_http = false;
  a->tcp = std::move(req);
  a->cb = std::move(cb);
  core_->submit(std::move(a));
}

size_t probe_loop::in_flight() const noexcept {
  return core_->in_flight();
}

} // namespace cafelet::net::probe
