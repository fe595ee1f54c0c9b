#pragma once
/// @file
/// `v1.Volume` with the sources cafelet can provide: emptyDir, hostPath,
/// configMap, secret, downwardAPI and projected.

#include "messages/k8s/container.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace cafelet::k8s {

/// `v1.KeyToPath`.
struct key_to_path {
  /// Key in the ConfigMap/Secret.
  std::string key;
  /// Relative file path.
  std::string path;
  /// File mode bits.
  std::optional<int32_t> mode;
};

/// `v1.EmptyDirVolumeSource`.
struct empty_dir_volume {
  /// "" (node disk) or "Memory" (tmpfs).
  std::string medium;
  /// Size limit as quantity text.
  std::string size_limit;
};

/// `v1.HostPathVolumeSource`.
struct host_path_volume {
  /// Path on the host.
  std::string path;
  /// "", "DirectoryOrCreate", "Directory", "FileOrCreate", "File",
  /// "Socket", "CharDevice" or "BlockDevice".
  std::string type;
};

/// `v1.ConfigMapVolumeSource`.
struct config_map_volume {
  /// ConfigMap name.
  std::string name;
  /// Selected keys (empty: all).
  std::vector<key_to_path> items;
  /// Default file mode (API default 0644).
  std::optional<int32_t> default_mode;
  /// Whether the ConfigMap may be missing.
  std::optional<bool> optional;
};

/// `v1.SecretVolumeSource`.
struct secret_volume {
  /// Secret name (`secretName`).
  std::string secret_name;
  /// Selected keys (empty: all).
  std::vector<key_to_path> items;
  /// Default file mode (API default 0644).
  std::optional<int32_t> default_mode;
  /// Whether the Secret may be missing.
  std::optional<bool> optional;
};

/// `v1.DownwardAPIVolumeFile`.
struct downward_api_file {
  /// Relative file path.
  std::string path;
  /// Pod field to expose.
  std::optional<object_field_selector> field_ref;
  /// Container resource to expose.
  std::optional<resource_field_selector> resource_field_ref;
  /// File mode bits.
  std::optional<int32_t> mode;
};

/// `v1.DownwardAPIVolumeSource`.
struct downward_api_volume {
  /// Files.
  std::vector<downward_api_file> items;
  /// Default file mode.
  std::optional<int32_t> default_mode;
};

/// `v1.ConfigMapProjection` / `v1.SecretProjection`.
struct object_projection {
  /// ConfigMap or Secret name.
  std::string name;
  /// Selected keys (empty: all).
  std::vector<key_to_path> items;
  /// Whether it may be missing.
  std::optional<bool> optional;
};

/// `v1.ServiceAccountTokenProjection`.
struct service_account_token_projection {
  /// Intended audience (empty: the API server).
  std::string audience;
  /// Requested lifetime.
  std::optional<int64_t> expiration_seconds;
  /// Relative file path.
  std::string path;
};

/// `v1.VolumeProjection`: exactly one member is set.
struct volume_projection {
  /// `configMap`.
  std::optional<object_projection> config_map;
  /// `secret`.
  std::optional<object_projection> secret;
  /// `downwardAPI` (items only).
  std::optional<downward_api_volume> downward_api;
  /// `serviceAccountToken`.
  std::optional<service_account_token_projection> service_account_token;
  /// Name of an unsupported source kind (e.g. "clusterTrustBundle").
  std::string unsupported;
};

/// `v1.ProjectedVolumeSource`.
struct projected_volume {
  /// Sources merged into one directory.
  std::vector<volume_projection> sources;
  /// Default file mode.
  std::optional<int32_t> default_mode;
};

/// `v1.Volume`: a name and one source.
struct volume {
  /// Volume name, unique in the pod.
  std::string name;
  /// `emptyDir`.
  std::optional<empty_dir_volume> empty_dir;
  /// `hostPath`.
  std::optional<host_path_volume> host_path;
  /// `configMap`.
  std::optional<config_map_volume> config_map;
  /// `secret`.
  std::optional<secret_volume> secret;
  /// `downwardAPI`.
  std::optional<downward_api_volume> downward_api;
  /// `projected`.
  std::optional<projected_volume> projected;
  /// JSON name of a source kind cafelet does not support (e.g.
  /// "persistentVolumeClaim"), empty otherwise.
  std::string unsupported;
};

} // namespace cafelet::k8s
