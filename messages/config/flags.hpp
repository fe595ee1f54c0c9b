#pragma once
/// @file
/// kubelet-compatible command-line flags and the resolution of the final
/// configuration: defaults <- config file (--config) <- flags.

#include "messages/config/kubelet_config.hpp"

#include <caf/expected.hpp>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cafelet::config {

/// The parsed command line.
struct command_line {
  /// -h/--help was given: print `usage_text()` and exit (parsing stops).
  bool help = false;
  /// --version was given: print the version and exit.
  bool version = false;
  /// Flags that set KubeletConfiguration fields, in command-line order, as
  /// (flag name without dashes, value). Already checked; applied over the
  /// config file by `resolve_configuration`.
  std::vector<std::pair<std::string, std::string>> config_flags;
  /// The flag-only settings (defaults where not given); `node_name` is
  /// filled in by `resolve_configuration`.
  agent_options agent;
};

/// The final configuration of a cafelet process.
struct resolved_configuration {
  /// The KubeletConfiguration after defaults, file and flags.
  kubelet_configuration kubelet;
  /// The flag-only settings, with the node name resolved.
  agent_options agent;
};

/// Parses the arguments (without the program name) the way the kubelet's
/// flag library does: `--flag=value` and `--flag value`; boolean flags as
/// `--flag` or `--flag=true|false`; `-v N`, `-v=N`, `-vN`, `--v=N`; `-h`.
/// Supported flags are listed by `usage_text()`. Unknown flags, missing
/// values, bad values and positional arguments give `errc::invalid_flag`
/// with a message naming the flag, e.g. `invalid argument "ten" for
/// "--max-pods" flag: ...`.
caf::expected<command_line> parse_command_line(
  const std::vector<std::string>& args);

/// Builds the configuration: upstream defaults, then the file named by
/// --config (if any; see `load_config_file`), then the flags, which take
/// precedence over the file as upstream. Validates the result; an issue in
/// a field set by a flag names the flag (`errc::invalid_flag`), otherwise
/// the file (`errc::invalid_config`). Resolves the node name. Warnings from
/// the file go to `warnings`.
caf::expected<resolved_configuration>
resolve_configuration(const command_line& cl,
                      std::vector<std::string>& warnings);

/// The node name as upstream derives it: `hostname_override` if not blank,
/// else the host name (gethostname), trimmed and lowercased; it must be a
/// DNS-1123 subdomain.
caf::expected<std::string>
resolve_node_name(std::string_view hostname_override);

/// The --help text: a usage line and every flag with its one-line help.
std::string usage_text();

} // namespace cafelet::config
