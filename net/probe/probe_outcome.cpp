#include "net/probe/probe_outcome.hpp"

namespace cafelet::net::probe {

const char* to_string(probe_result x) {
  switch (x) {
    case probe_result::success: return "success";
    case probe_result::warning: return "warning";
    case probe_result::failure: return "failure";
    case probe_result::unknown: return "unknown";
  }
  return "unknown";
}

} // namespace cafelet::net::probe
