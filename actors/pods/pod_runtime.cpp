#include "actors/pods/pod_runtime.hpp"

namespace cafelet::actors::pods {

pod_runtime::~pod_runtime() = default;

} // namespace cafelet::actors::pods
