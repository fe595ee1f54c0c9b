// The CRI client against a real containerd (scripts/containerd-lab.sh
// start). Built as its own executable and registered only when asked for
// (CAFELET_CONTAINERD=1 at configure time): without a running containerd
// every case here fails, it never passes by skipping.
//
// Endpoint: $CAFELET_CRI_ENDPOINT (as `scripts/containerd-lab.sh env`
// prints it), default unix:///tmp/cafelet-containerd/containerd.sock.

#include "tests/runtime/results.hpp"

#include "runtime/cri/client.hpp"
#include "runtime/cri/status.hpp"

#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <string>

using namespace cafelet;
using namespace cafelet::cri;
using namespace cafelet::test;

namespace {

std::string endpoint_under_test() {
  if (const char* e = std::getenv("CAFELET_CRI_ENDPOINT"); e && *e)
    return e;
  return "unix:///tmp/cafelet-containerd/containerd.sock";
}

std::unique_ptr<client> connect() {
  client_options opts;
  opts.endpoint = endpoint_under_test();
  auto c = client::make(opts);
  REQUIRE(c);
  std::error_code ec;
  auto present = std::filesystem::is_socket((*c)->target().path, ec);
  if (!present)
    FAIL("no containerd socket at " << (*c)->target().path
                                    << " (start it: scripts/containerd-lab.sh "
                                       "start)");
  return std::move(*c);
}

/// The error of a failed outcome, for messages ("" if it succeeded).
template <class T>
std::string why(const caf::expected<T>& x) {
  return x ? std::string{} : describe(x.error());
}

} // namespace

TEST_CASE("containerd: Version names the runtime and CRI v1") {
  auto c = connect();
  results<version_info> versions;
  c->runtime_version(versions.callback());
  REQUIRE(versions.wait(1));
  auto v = versions.at(0);
  REQUIRE_MESSAGE(v, why(v));
  CHECK(v->runtime_name == "containerd");
  CHECK(v->runtime_api_version == "v1");
  CHECK_FALSE(v->runtime_version.empty());
  MESSAGE("containerRuntimeVersion: " << v->container_runtime_version());
}

TEST_CASE("containerd: Status reports the runtime ready") {
  auto c = connect();
  results<runtime_status> statuses;
  c->runtime_status(statuses.callback());
  REQUIRE(statuses.wait(1));
  auto st = statuses.at(0);
  REQUIRE_MESSAGE(st, why(st));
  CHECK(st->runtime_ready);
  for (const auto& m : st->messages)
    MESSAGE(m);
}

TEST_CASE("containerd: image calls") {
  auto c = connect();
  results<pb::ListImagesResponse> images;
  c->list_images({}, images.callback());
  results<pb::ImageStatusResponse> missing;
  pb::ImageStatusRequest req;
  req.mutable_image()->set_image("localhost/cafelet-no-such-image:0");
  c->image_status(std::move(req), missing.callback());
  results<pb::ImageFsInfoResponse> fs;
  c->image_fs_info({}, fs.callback());
  REQUIRE(images.wait(1));
  REQUIRE(missing.wait(1));
  REQUIRE(fs.wait(1));
  auto list = images.at(0);
  REQUIRE_MESSAGE(list, why(list));
  MESSAGE(list->images_size() << " images");
  auto st = missing.at(0);
  REQUIRE_MESSAGE(st, why(st));
  CHECK_FALSE(st->has_image());
  auto info = fs.at(0);
  REQUIRE_MESSAGE(info, why(info));
  CHECK(info->image_filesystems_size() >= 1);
}

TEST_CASE("containerd: listing sandboxes and containers") {
  auto c = connect();
  results<pb::ListPodSandboxResponse> sandboxes;
  c->list_pod_sandbox({}, sandboxes.callback());
  results<pb::ListContainersResponse> containers;
  c->list_containers({}, containers.callback());
  REQUIRE(sandboxes.wait(1));
  REQUIRE(containers.wait(1));
  auto sb = sandboxes.at(0);
  REQUIRE_MESSAGE(sb, why(sb));
  auto cs = containers.at(0);
  REQUIRE_MESSAGE(cs, why(cs));
}

TEST_CASE("containerd: a missing container is not_found") {
  auto c = connect();
  results<pb::ContainerStatusResponse> status;
  pb::ContainerStatusRequest req;
  req.set_container_id("cafelet-no-such-container");
  c->container_status(std::move(req), status.callback());
  REQUIRE(status.wait(1));
  auto r = status.at(0);
  REQUIRE_FALSE(r);
  CHECK(is(r.error(), errc::not_found));
  MESSAGE(context_of(r.error()));
}
