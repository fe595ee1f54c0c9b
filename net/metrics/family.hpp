#pragma once
/// @file
/// Metric families: one name, HELP text and type, and one series per set of
/// label values. Series are created on first use and live until removed.

#include "net/metrics/metric.hpp"

#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace cafelet::net::metrics {

/// The TYPE of a family.
enum class metric_type { counter, gauge, histogram };

/// Returns "counter", "gauge" or "histogram".
std::string_view to_string(metric_type x) noexcept;

/// What all families share; renders itself in the text format.
class family_base {
public:
  /// Creates a family; names must have been validated by the registry.
  family_base(std::string name, std::string help, metric_type type,
              std::vector<std::string> label_names);

  virtual ~family_base();

  family_base(const family_base&) = delete;
  family_base& operator=(const family_base&) = delete;

  /// The metric name, e.g. "cafelet_http_requests_total".
  const std::string& name() const noexcept {
    return name_;
  }

  /// The HELP text (unescaped).
  const std::string& help() const noexcept {
    return help_;
  }

  /// The TYPE.
  metric_type type() const noexcept {
    return type_;
  }

  /// The label names, in rendering order.
  const std::vector<std::string>& label_names() const noexcept {
    return label_names_;
  }

  /// Appends the HELP and TYPE lines and all samples to `out`.
  void render(std::string& out) const;

protected:
  /// Appends the sample lines.
  virtual void render_samples(std::string& out) const = 0;

  /// Appends `name_suffix{labels,extra} value\n`.
  void append_sample(std::string& out, std::string_view suffix,
                     const std::vector<std::string>& values, double value,
                     std::string_view extra_name = {},
                     std::string_view extra_value = {}) const;

  /// Fails loudly (a programming error) if `n` differs from the label count.
  void check_arity(size_t n) const;

private:
  std::string name_;
  std::string help_;
  metric_type type_;
  std::vector<std::string> label_names_;
};

/// A family of `counter`, `gauge` or `histogram` series.
template <class T>
class family : public family_base {
public:
  /// Creates a family; `bounds` is used by histograms only.
  family(std::string name, std::string help, metric_type type,
         std::vector<std::string> label_names,
         std::shared_ptr<const std::vector<double>> bounds = nullptr);

  ~family() override;

  /// The series for `values` (one per label name, in order), created on
  /// first use. The reference stays valid until `remove`/`clear`, so hot
  /// paths look it up once. A wrong number of values is a programming error
  /// and aborts.
  T& labels(std::initializer_list<std::string_view> values);

  /// As above, for values held in a vector.
  T& labels(const std::vector<std::string>& values);

  /// The single series of a family without labels.
  T& get() {
    return labels(std::initializer_list<std::string_view>{});
  }

  /// Drops the series for `values`; true if it existed. References to it
  /// become dangling.
  bool remove(const std::vector<std::string>& values);

  /// Drops all series (a label-less family keeps its single series).
  void clear();

protected:
  void render_samples(std::string& out) const override;

private:
  T& lookup(std::vector<std::string> key);

  std::shared_ptr<const std::vector<double>> bounds_;
  mutable std::mutex mtx_;
  std::map<std::vector<std::string>, std::unique_ptr<T>> series_;
};

extern template class family<counter>;
extern template class family<gauge>;
extern template class family<histogram>;

/// One sample produced by a collector callback.
struct sample {
  /// Label values, one per label name of the family.
  std::vector<std::string> label_values;
  /// The value.
  double value = 0;
};

/// Computes a family's samples at scrape time.
using collector_fn = std::function<std::vector<sample>()>;

/// A counter or gauge family whose samples come from a callback that runs
/// on the scraping thread each time the registry renders.
class collector_family : public family_base {
public:
  /// Creates the family; `type` must be counter or gauge.
  collector_family(std::string name, std::string help, metric_type type,
                   std::vector<std::string> label_names, collector_fn fn);

protected:
  void render_samples(std::string& out) const override;

private:
  collector_fn fn_;
};

} // namespace cafelet::net::metrics
