#include "supervision.hpp"

namespace cafelet {

const char* to_string(restart_policy x) {
  switch (x) {
    case restart_policy::permanent: return "permanent";
    case restart_policy::transient: return "transient";
    case restart_policy::temporary: return "temporary";
  }
  return "unknown";
}

} // namespace cafelet
