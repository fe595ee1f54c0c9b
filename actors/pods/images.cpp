#include "actors/pods/images.hpp"

namespace cafelet::actors::pods {

std::string_view image_tag(std::string_view image) {
  if (image.find('@') != std::string_view::npos)
    return {};
  auto slash = image.rfind('/');
  auto name = slash == std::string_view::npos ? image : image.substr(slash + 1);
  auto colon = name.rfind(':');
  return colon == std::string_view::npos ? std::string_view{} : name.substr(colon + 1);
}

std::string effective_pull_policy(const k8s::container& c) {
  if (!c.image_pull_policy.empty())
    return c.image_pull_policy;
  if (c.image.find('@') != std::string::npos)
    return "IfNotPresent";
  auto tag = image_tag(c.image);
  return tag.empty() || tag == "latest" ? "Always" : "IfNotPresent";
}

} // namespace cafelet::actors::pods
