#pragma once
/// @file
/// A thread-safe collection of metric families rendered in the Prometheus
/// text exposition format 0.0.4 (serve it with `content_type`).
///
///   metrics::registry reg;
///   auto requests = reg.add_counter("cafelet_http_requests_total",
///                                   "HTTP requests served.", {"code"});
///   if (!requests) ...; // caf::error
///   auto& ok = (*requests)->labels({"200"}); // keep: cheap to increment
///   ok.inc();
///   std::string body = reg.render();

#include "net/metrics/family.hpp"
#include "net/metrics/metric.hpp"
#include "net/metrics/text_format.hpp"

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

namespace cafelet::net::metrics {

/// Owns metric families; families live as long as the registry, so the
/// pointers it hands out stay valid. All member functions are thread-safe.
class registry {
public:
  registry() = default;
  registry(const registry&) = delete;
  registry& operator=(const registry&) = delete;

  /// Adds a counter family. Fails with `errc::invalid` for a malformed
  /// metric or label name and `errc::conflict` if the name is taken.
  caf::expected<family<counter>*>
  add_counter(std::string name, std::string help,
              std::vector<std::string> label_names = {});

  /// Adds a gauge family (errors as `add_counter`).
  caf::expected<family<gauge>*>
  add_gauge(std::string name, std::string help,
            std::vector<std::string> label_names = {});

  /// Adds a histogram family with upper `bounds` (strictly increasing; a
  /// trailing +Inf is implied and may be given). Its `_bucket`, `_sum` and
  /// `_count` names are reserved too; "le" is not a valid label name here.
  caf::expected<family<histogram>*>
  add_histogram(std::string name, std::string help,
                std::vector<std::string> label_names = {},
                std::vector<double> bounds = default_buckets());

  /// Adds a counter or gauge family whose samples `fn` computes each time
  /// the registry renders (on the rendering thread; `fn` must be
  /// thread-safe and must not call back into this registry).
  caf::error add_collector(std::string name, std::string help,
                           metric_type type,
                           std::vector<std::string> label_names,
                           collector_fn fn);

  /// Shorthand: a gauge without labels whose value `fn` computes.
  caf::error add_callback_gauge(std::string name, std::string help,
                                std::function<double()> fn);

  /// Renders all families, sorted by name, in the text format 0.0.4.
  std::string render() const;

private:
  caf::error validate(const std::string& name, metric_type type,
                      const std::vector<std::string>& label_names) const;
  void insert(std::shared_ptr<family_base> fam);

  mutable std::mutex mtx_;
  std::map<std::string, std::shared_ptr<family_base>> families_;
  std::set<std::string> sample_names_;
};

} // namespace cafelet::net::metrics
