#pragma once
/// @file
/// A terminated container's message, as upstream's kubelet reads it
/// (kuberuntime getTerminationMessage): the file cafelet mounted at the
/// container's terminationMessagePath (found through the container's
/// mounts and its terminationMessagePath annotation), at most 4 KiB; with
/// terminationMessagePolicy FallbackToLogsOnError, an empty message and a
/// non-zero exit, the tail of the container's log instead (last 80 lines,
/// at most 2 KiB). Reads local files: called on the gRPC thread that
/// delivered the ContainerStatus, never on an actor.

#include <cstddef>
#include <string>
#include <string_view>

namespace runtime::v1 {
class ContainerStatus;
} // namespace runtime::v1

namespace cafelet::actors {

/// Largest termination message read from the file (upstream: 4 KiB).
inline constexpr size_t max_termination_message = 4096;

/// Largest log tail used as a fallback message (upstream: 80 lines, 2 KiB).
inline constexpr size_t max_fallback_log_lines = 80;
inline constexpr size_t max_fallback_log_bytes = 2048;

/// The message of an exited container; empty if there is none.
std::string termination_message(const runtime::v1::ContainerStatus& status);

/// The text of the last `max_lines` lines of a CRI-format log (`<time>
/// <stream> <P|F> <text>` per line; partial lines joined), at most
/// `max_bytes` (its end kept).
std::string cri_log_tail(std::string_view log, size_t max_lines, size_t max_bytes);

} // namespace cafelet::actors
