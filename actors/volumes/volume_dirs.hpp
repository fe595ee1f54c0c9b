#pragma once
/// @file
/// The node-side directories of pod volumes, laid out as upstream's kubelet
/// does (`<root>/pods/<uid>/volumes/kubernetes.io~<plugin>/<name>`): emptyDir
/// and tmpfs set-up, hostPath type checks, safe subPath resolution and
/// mount-aware tear-down.
///
/// These are blocking file-system calls (mkdir, mount, umount, recursive
/// removal): run them off the actor threads (e.g. in a detached worker), never
/// inside an event-based actor's handler. Failures of the node's file system
/// carry `errc::io_error` (retryable); bad pod input carries `errc::invalid`.

#include "messages/errors.hpp"
#include "messages/k8s/volume.hpp"

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cafelet::actors::volumes {

/// Returns `<root>/pods/<uid>`.
std::string pod_dir(const std::string& root, const std::string& uid);

/// Returns `<root>/pods/<uid>/volumes/kubernetes.io~<plugin>/<name>`, where
/// `plugin` is one of "empty-dir", "configmap", "secret", "downward-api",
/// "projected" (upstream's escaped plugin name `kubernetes.io/<plugin>`).
std::string volume_dir(const std::string& root, const std::string& uid,
                       std::string_view plugin, const std::string& name);

/// Sets up an emptyDir at `dir` (creating missing parents with mode 0750).
/// Medium "" creates a directory with mode 0777 (chmod'ed, umask ignored, as
/// upstream). Medium "Memory" additionally mounts a tmpfs there with
/// `mode=0777` and, if `sizeLimit` parses to more than zero bytes,
/// `size=<bytes>`; if a tmpfs is already the top mount at `dir`, nothing is
/// mounted again. Other media fail with `errc::invalid` ("unknown storage
/// medium"), as does an unparsable `sizeLimit`.
caf::error setup_empty_dir(const std::string& dir,
                           const k8s::empty_dir_volume& v);

/// Mounts a tmpfs at `dir` for secret, downwardAPI and projected volumes
/// (never written to disk) with `mode=0755` and `size=<size_bytes>` when set
/// and non-zero. Creates `dir` (and parents) if missing; idempotent.
caf::error setup_tmpfs(const std::string& dir,
                       std::optional<uint64_t> size_bytes = std::nullopt);

/// Checks (and for the *OrCreate types creates) a hostPath as upstream does,
/// following symlinks: "" checks nothing; "DirectoryOrCreate" creates the
/// directory with its parents (0755) if nothing exists there; "FileOrCreate"
/// creates an empty file (0644) but NOT its parents (as upstream: a missing
/// parent fails). Failures use upstream's wording, e.g. `hostPath type check
/// failed: /x is not a directory` (also "is not a file", "is not a socket
/// file", "is not a character device", "is not a block device"), with
/// `errc::io_error` because the node may change (upstream retries). An
/// unknown type fails with `errc::invalid`: `<type> is an invalid volume
/// type`.
caf::error check_host_path(const k8s::host_path_volume& v);

/// Resolves the container subPath `sub_path` inside the volume directory
/// `base` and returns the real host path to bind-mount.
///
/// - Absolute paths and ".." elements are rejected with `errc::invalid`,
///   using upstream's wording (`error SubPath `/a` must not be an absolute
///   path`, `unable to provision SubPath `../x`: must not contain '..'`).
///   "" and "." elements are ignored; an empty subPath yields `base`.
/// - Each element is opened with `openat(..., O_PATH | O_NOFOLLOW)` relative
///   to the previous directory. Symlinks are resolved by hand: as upstream,
///   a symlink is allowed while it stays inside `base` (relative targets,
///   including "..", are followed physically; absolute targets must start
///   with the real path of `base`), and any symlink that leaves `base` fails
///   with `errc::invalid` naming the subPath. At most 40 symlinks are
///   followed.
/// - Missing elements are created as directories with the permission bits of
///   `base` (upstream's rule, so a subPath of an emptyDir is 0777 like the
///   volume itself; chmod'ed, umask ignored). The last element may be an
///   existing non-directory (a file subPath).
///
/// TOCTOU caveat: the returned string is re-resolved by whoever mounts it.
/// Anything that can write into the volume (a running container) may swap an
/// element for a symlink between this call and the bind mount; upstream
/// avoids that by mounting `/proc/self/fd/<fd>` of the still-open file
/// descriptor, which a path string returned here cannot offer.
caf::expected<std::string> resolve_sub_path(const std::string& base,
                                            const std::string& sub_path);

/// Tears down the volume directory `dir`: unmounts every mount stacked on
/// `dir` itself (falling back to a lazy unmount when busy), then removes the
/// tree without following symlinks (they are unlinked) and without crossing
/// into other mounts: a nested mount point fails with `errc::io_error`
/// ("cannot delete directory <path>: it is a mount point") and its contents
/// stay untouched. A missing `dir` is success; a symlink `dir` is unlinked.
caf::error teardown_volume_dir(const std::string& dir);

/// Removes `<root>/pods/<uid>` after the pod is gone (or is an orphan):
/// unmounts every mount under it first (deepest first, lazy unmount as a
/// fallback), then removes the tree as `teardown_volume_dir` does. A missing
/// directory is success; a `uid` that is empty, "." , ".." or contains '/'
/// fails with `errc::invalid`.
caf::error remove_pod_dir(const std::string& root, const std::string& uid);

/// Returns the sorted names of the directories (not symlinks) under
/// `<root>/pods`, i.e. the UIDs of pods with state on this node; empty if
/// there is no such directory.
std::vector<std::string> pod_dirs(const std::string& root);

/// True if `path` (after resolving symlinks) is a mount point listed in
/// `/proc/self/mountinfo`; false if it does not exist.
bool is_mount_point(const std::string& path);

} // namespace cafelet::actors::volumes
