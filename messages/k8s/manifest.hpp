#pragma once
/// @file
/// Reading static pod manifests (upstream: pkg/kubelet/config, the file
/// source's decoding and `applyDefaults`). A manifest is YAML or JSON text
/// holding exactly one v1 Pod. It is parsed as sigs.k8s.io/yaml parses it
/// (YAML 1.1 scalars: `yes` is a boolean, `0x1F` an integer), checked
/// against the v1 Pod schema (unknown fields are rejected), decoded,
/// validated like the API server validates a pod, and given its node
/// identity: UID from a content hash, name suffixed with the node name,
/// namespace, nodeName, config annotations, a NoExecute toleration and
/// phase Pending. Every problem names the line and the field path.

#include "messages/k8s/pod.hpp"
#include "messages/k8s/time.hpp"

#include <memory>
#include <string>
#include <string_view>
#include <variant>

namespace cafelet::k8s {

/// What `read_static_pod` needs besides the text.
struct static_pod_origin {
  /// Path of the manifest: named in messages and hashed into the UID as
  /// "file:<path>".
  std::string file;
  /// Node name: appended to the pod name (lower-cased) and hashed into the
  /// UID as "host:<node>".
  std::string node_name;
  /// When the file source first saw the pod: annotation
  /// kubernetes.io/config.seen in Go's RFC3339Nano form.
  timestamp seen;
};

/// A problem with a manifest.
struct manifest_problem {
  /// 1-based line, 0 if unknown.
  int line = 0;
  /// Field path such as "spec.containers[0].name"; empty if none.
  std::string field;
  /// What is wrong, e.g. "unknown field" or "Required value".
  std::string message;
};

/// Renders `x` as "<file>:<line>: <field>: <message>", leaving out the
/// parts that are empty (or 0); without a file the line reads "line <n>".
std::string to_string(const manifest_problem& x, std::string_view file);

/// A static pod read from a manifest.
struct static_pod {
  /// The decoded pod, identity applied.
  pod_ptr pod;
  /// The same pod as compact JSON (identity applied), with every field of
  /// the manifest, including those the typed model does not carry; the
  /// body for creating the mirror pod.
  std::shared_ptr<const std::string> json;
};

/// Either a static pod or the first problem found.
using static_pod_result = std::variant<static_pod, manifest_problem>;

/// Reads one manifest (YAML or JSON `text`). Never throws; bad input of any
/// kind yields a `manifest_problem`.
static_pod_result read_static_pod(std::string_view text,
                                  const static_pod_origin& origin);

/// Formats `t` as Go's time.Format(time.RFC3339Nano) does in UTC: trailing
/// zeros of the fraction dropped, no fraction for whole seconds
/// ("2026-11-22T04:35:00.12Z", "2026-11-22T04:35:00Z").
std::string format_rfc3339_nano(timestamp t);

/// True for file names the file source skips: hidden files (leading '.'),
/// editor temporaries and backups (trailing '~', ".swp", ".swo", ".swx",
/// ".tmp", "#name#", vim's "4913" write probe) and the empty name.
bool ignored_manifest_name(std::string_view file_name);

} // namespace cafelet::k8s
