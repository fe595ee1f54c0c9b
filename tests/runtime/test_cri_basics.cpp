// CRI endpoint parsing, gRPC status mapping and the plain result types.

#include "runtime/cri/endpoint.hpp"
#include "runtime/cri/status.hpp"
#include "runtime/cri/types.hpp"

#include "api.pb.h"

#include <caf/expected.hpp>
#include <doctest/doctest.h>

#include <string>

using namespace cafelet;
using namespace cafelet::cri;

TEST_CASE("cri endpoint: unix URLs and bare absolute paths") {
  for (const char* value : {"unix:///run/containerd/containerd.sock",
                            "unix:/run/containerd/containerd.sock",
                            "/run/containerd/containerd.sock"}) {
    CAPTURE(value);
    auto ep = parse_endpoint(value);
    REQUIRE(ep);
    CHECK(ep->path == "/run/containerd/containerd.sock");
    CHECK(ep->target == "unix:///run/containerd/containerd.sock");
  }
}

TEST_CASE("cri endpoint: other schemes and malformed values name the flag") {
  struct bad_case {
    const char* value;
    const char* why;
  };
  for (auto [value, why] : {
         bad_case{"", "must not be empty"},
         bad_case{"tcp://127.0.0.1:1234", "unsupported scheme \"tcp\""},
         bad_case{"npipe:////./pipe/containerd", "unsupported scheme \"npipe\""},
         bad_case{"http://localhost/x", "unsupported scheme \"http\""},
         bad_case{"unix://run/containerd.sock", "takes no host"},
         bad_case{"unix://", "path is missing"},
         bad_case{"unix:", "path is missing"},
         bad_case{"unix:run/c.sock", "must be absolute"},
         bad_case{"containerd.sock", "absolute path"},
       }) {
    CAPTURE(value);
    auto ep = parse_endpoint(value);
    REQUIRE_FALSE(ep);
    CHECK(is(ep.error(), errc::invalid_flag));
    auto ctx = context_of(ep.error());
    CHECK(ctx.find("--container-runtime-endpoint") != std::string::npos);
    CHECK(ctx.find(why) != std::string::npos);
  }
  auto too_long = "unix:///" + std::string(120, 'x');
  auto ep = parse_endpoint(too_long);
  REQUIRE_FALSE(ep);
  CHECK(context_of(ep.error()).find("longer than 107 bytes")
        != std::string::npos);
}

TEST_CASE("cri status: gRPC codes map to cafelet error codes") {
  struct map_case {
    rpc_code code;
    errc expected;
    bool retryable;
  };
  for (auto [code, expected, retryable] : {
         map_case{rpc_code::unavailable, errc::connection_failed, true},
         map_case{rpc_code::deadline_exceeded, errc::timeout, true},
         map_case{rpc_code::not_found, errc::not_found, false},
         map_case{rpc_code::already_exists, errc::conflict, true},
         map_case{rpc_code::invalid_argument, errc::invalid, false},
         map_case{rpc_code::unimplemented, errc::invalid, false},
         map_case{rpc_code::unknown, errc::runtime_error, true},
         map_case{rpc_code::internal, errc::runtime_error, true},
         map_case{rpc_code::cancelled, errc::runtime_error, true},
         map_case{rpc_code::failed_precondition, errc::runtime_error, true},
         map_case{rpc_code::resource_exhausted, errc::runtime_error, true},
       }) {
    CAPTURE(static_cast<int>(code));
    auto err = make_rpc_error(code, "boom");
    CHECK(code_of(err) == expected);
    CHECK(is_retryable(err) == retryable);
    CHECK(rpc_code_of(err) == code);
    CHECK(rpc_message_of(err) == "boom");
  }
  CHECK_FALSE(make_rpc_error(rpc_code::ok, "fine"));
  CHECK(errc_of(rpc_code::ok) == errc::none);
}

TEST_CASE("cri status: the context reads like the upstream kubelet's") {
  auto err = make_rpc_error(2, "failed to reserve container name \"app\"");
  CHECK(context_of(err)
        == "rpc error: code = Unknown desc = failed to reserve container "
           "name \"app\"");
  CHECK(context_of(make_rpc_error(rpc_code::deadline_exceeded,
                                  "Deadline Exceeded"))
        == "rpc error: code = DeadlineExceeded desc = Deadline Exceeded");
  CHECK(is_unimplemented(make_rpc_error(rpc_code::unimplemented, "")));
  CHECK(is_cancelled(make_rpc_error(rpc_code::cancelled, "Cancelled")));
  CHECK_FALSE(is_cancelled(make_rpc_error(rpc_code::unknown, "x")));
  // A code outside the enum is kept in the text and maps to runtime_error.
  auto odd = make_rpc_error(42, "odd");
  CHECK(code_of(odd) == errc::runtime_error);
  CHECK(context_of(odd) == "rpc error: code = Code(42) desc = odd");
  CHECK(rpc_code_of(odd) == rpc_code::unknown);
  // Errors that did not come from a call.
  CHECK(rpc_code_of(caf::error{}) == rpc_code::ok);
  CHECK(rpc_code_of(make_error(errc::timeout, "elsewhere"))
        == rpc_code::unknown);
  CHECK(rpc_message_of(make_error(errc::timeout, "elsewhere")) == "elsewhere");
  // The message may itself contain the separator.
  CHECK(rpc_message_of(make_rpc_error(rpc_code::unknown, "a desc = b"))
        == "a desc = b");
}

TEST_CASE("cri types: version info and containerRuntimeVersion") {
  runtime::v1::VersionResponse resp;
  resp.set_version("0.1.0");
  resp.set_runtime_name("containerd");
  resp.set_runtime_version("1.6.20");
  resp.set_runtime_api_version("v1");
  auto v = to_version_info(resp);
  CHECK(v.version == "0.1.0");
  CHECK(v.runtime_api_version == "v1");
  CHECK(v.container_runtime_version() == "containerd://1.6.20");
}

namespace {

runtime::v1::StatusResponse status_with(bool runtime_ready, bool network_ready,
                                        bool with_network = true) {
  runtime::v1::StatusResponse resp;
  auto* rt = resp.mutable_status()->add_conditions();
  rt->set_type("RuntimeReady");
  rt->set_status(runtime_ready);
  if (!runtime_ready) {
    rt->set_reason("ContainerdDown");
    rt->set_message("it is down");
  }
  if (with_network) {
    auto* net = resp.mutable_status()->add_conditions();
    net->set_type("NetworkReady");
    net->set_status(network_ready);
    if (!network_ready) {
      net->set_reason("NetworkPluginNotReady");
      net->set_message("Network plugin returns error: cni plugin not "
                       "initialized");
    }
  }
  return resp;
}

} // namespace

TEST_CASE("cri types: runtime status readiness and upstream messages") {
  SUBCASE("both ready") {
    auto st = to_runtime_status(status_with(true, true));
    CHECK(st.runtime_ready);
    CHECK(st.network_ready);
    CHECK(st.conditions.size() == 2);
    CHECK(st.messages.empty());
  }
  SUBCASE("network not ready") {
    auto st = to_runtime_status(status_with(true, false));
    CHECK(st.runtime_ready);
    CHECK_FALSE(st.network_ready);
    REQUIRE(st.messages.size() == 1);
    CHECK(st.messages[0]
          == "container runtime network not ready: NetworkReady=false "
             "reason:NetworkPluginNotReady message:Network plugin returns "
             "error: cni plugin not initialized");
  }
  SUBCASE("runtime not ready, network condition missing") {
    auto st = to_runtime_status(status_with(false, false, false));
    CHECK_FALSE(st.runtime_ready);
    CHECK_FALSE(st.network_ready);
    REQUIRE(st.messages.size() == 2);
    CHECK(st.messages[0] == "container runtime network not ready: <nil>");
    CHECK(st.messages[1]
          == "container runtime not ready: RuntimeReady=false "
             "reason:ContainerdDown message:it is down");
  }
  SUBCASE("empty status") {
    auto st = to_runtime_status(runtime::v1::StatusResponse{});
    CHECK_FALSE(st.runtime_ready);
    CHECK_FALSE(st.network_ready);
    CHECK(st.conditions.empty());
    CHECK(st.messages.size() == 2);
  }
}

TEST_CASE("cri api: field numbers on the wire match the CRI spec") {
  // Serialized bytes pin the field numbers of a few messages the kubelet
  // depends on (tag = field number << 3 | wire type).
  runtime::v1::ContainerStatus cs;
  cs.set_exit_code(3);     // field 7, varint -> tag 0x38
  cs.set_reason("Error");  // field 10, length-delimited -> tag 0x52
  std::string bytes;
  REQUIRE(cs.SerializeToString(&bytes));
  CHECK(bytes == std::string{"\x38\x03\x52\x05" "Error"});

  runtime::v1::LinuxSandboxSecurityContext sc;
  sc.mutable_run_as_group()->set_value(1); // field 8 -> tag 0x42
  bytes.clear();
  REQUIRE(sc.SerializeToString(&bytes));
  CHECK(bytes == std::string{"\x42\x02\x08\x01"});

  runtime::v1::ImageSpec spec;
  spec.set_user_specified_image("busybox"); // field 18 -> tag 0x92 0x01
  bytes.clear();
  REQUIRE(spec.SerializeToString(&bytes));
  CHECK(bytes == std::string{"\x92\x01\x07" "busybox"});

  // Unknown fields from a newer runtime survive a parse.
  runtime::v1::VersionResponse v;
  std::string newer = std::string{"\x12\x0a" "containerd"} + "\xa2\x06\x01x";
  REQUIRE(v.ParseFromString(newer));
  CHECK(v.runtime_name() == "containerd");
}
