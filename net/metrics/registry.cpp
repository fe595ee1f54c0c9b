#include "net/metrics/registry.hpp"

#include "messages/errors.hpp"

#include <algorithm>
#include <cmath>

namespace cafelet::net::metrics {

namespace {

std::vector<std::string> sample_names_of(const std::string& name,
                                         metric_type type) {
  if (type == metric_type::histogram)
    return {name, name + "_bucket", name + "_sum", name + "_count"};
  return {name};
}

} // namespace

caf::error
registry::validate(const std::string& name, metric_type type,
                   const std::vector<std::string>& label_names) const {
  if (!valid_metric_name(name))
    return make_error(errc::invalid, "invalid metric name: " + name);
  for (size_t i = 0; i < label_names.size(); ++i) {
    const auto& label = label_names[i];
    if (!valid_label_name(label))
      return make_error(errc::invalid,
                        "invalid label name " + label + " of " + name);
    if (type == metric_type::histogram && label == "le")
      return make_error(errc::invalid, "histogram " + name
                                         + " cannot use the label name le");
    if (std::find(label_names.begin(), label_names.begin() + i, label)
        != label_names.begin() + i)
      return make_error(errc::invalid,
                        "duplicate label name " + label + " of " + name);
  }
  for (const auto& sample_name : sample_names_of(name, type))
    if (sample_names_.count(sample_name) > 0)
      return make_error(errc::conflict,
                        "metric name already registered: " + sample_name);
  return {};
}

void registry::insert(std::shared_ptr<family_base> fam) {
  for (auto& sample_name : sample_names_of(fam->name(), fam->type()))
    sample_names_.insert(std::move(sample_name));
  families_.emplace(fam->name(), std::move(fam));
}

caf::expected<family<counter>*>
registry::add_counter(std::string name, std::string help,
                      std::vector<std::string> label_names) {
  std::lock_guard<std::mutex> guard{mtx_};
  if (auto err = validate(name, metric_type::counter, label_names))
    return err;
  auto fam = std::make_shared<family<counter>>(
    std::move(name), std::move(help), metric_type::counter,
    std::move(label_names));
  auto* ptr = fam.get();
  insert(std::move(fam));
  return ptr;
}

caf::expected<family<gauge>*>
registry::add_gauge(std::string name, std::string help,
                    std::vector<std::string> label_names) {
  std::lock_guard<std::mutex> guard{mtx_};
  if (auto err = validate(name, metric_type::gauge, label_names))
    return err;
  auto fam = std::make_shared<family<gauge>>(std::move(name), std::move(help),
                                             metric_type::gauge,
                                             std::move(label_names));
  auto* ptr = fam.get();
  insert(std::move(fam));
  return ptr;
}

caf::expected<family<histogram>*>
registry::add_histogram(std::string name, std::string help,
                        std::vector<std::string> label_names,
                        std::vector<double> bounds) {
  if (!bounds.empty() && std::isinf(bounds.back()) && bounds.back() > 0)
    bounds.pop_back();
  for (size_t i = 0; i < bounds.size(); ++i)
    if (!std::isfinite(bounds[i]) || (i > 0 && bounds[i] <= bounds[i - 1]))
      return make_error(errc::invalid, "histogram " + name
                                         + " needs finite, strictly "
                                           "increasing bucket bounds");
  std::lock_guard<std::mutex> guard{mtx_};
  if (auto err = validate(name, metric_type::histogram, label_names))
    return err;
  auto fam = std::make_shared<family<histogram>>(
    std::move(name), std::move(help), metric_type::histogram,
    std::move(label_names),
    std::make_shared<const std::vector<double>>(std::move(bounds)));
  auto* ptr = fam.get();
  insert(std::move(fam));
  return ptr;
}

caf::error registry::add_collector(std::string name, std::string help,
                                   metric_type type,
                                   std::vector<std::string> label_names,
                                   collector_fn fn) {
  if (type == metric_type::histogram)
    return make_error(errc::invalid,
                      "collectors produce counters or gauges only: " + name);
  if (!fn)
    return make_error(errc::invalid, "collector without a callback: " + name);
  std::lock_guard<std::mutex> guard{mtx_};
  if (auto err = validate(name, type, label_names))
    return err;
  insert(std::make_shared<collector_family>(std::move(name), std::move(help),
                                            type, std::move(label_names),
                                            std::move(fn)));
  return {};
}

caf::error registry::add_callback_gauge(std::string name, std::string help,
                                        std::function<double()> fn) {
  if (!fn)
    return make_error(errc::invalid, "collector without a callback: " + name);
  return add_collector(std::move(name), std::move(help), metric_type::gauge,
                       {}, [fn = std::move(fn)] {
                         return std::vector<sample>{sample{{}, fn()}};
                       });
}

std::string registry::render() const {
  std::vector<std::shared_ptr<family_base>> snapshot;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    snapshot.reserve(families_.size());
    for (const auto& [name, fam] : families_)
      snapshot.push_back(fam);
  }
  std::string out;
  out.reserve(snapshot.size() * 256);
  for (const auto& fam : snapshot)
    fam->render(out);
  return out;
}

} // namespace cafelet::net::metrics
