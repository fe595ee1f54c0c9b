#include "net/metrics/family.hpp"

#include "messages/log.hpp"
#include "net/metrics/text_format.hpp"

#include <algorithm>
#include <cstdlib>
#include <type_traits>

namespace cafelet::net::metrics {

std::string_view to_string(metric_type x) noexcept {
  switch (x) {
    case metric_type::counter: return "counter";
    case metric_type::gauge: return "gauge";
    case metric_type::histogram: return "histogram";
  }
  return "untyped";
}

// -- family_base --------------------------------------------------------------

family_base::family_base(std::string name, std::string help, metric_type type,
                         std::vector<std::string> label_names)
  : name_(std::move(name)),
    help_(std::move(help)),
    type_(type),
    label_names_(std::move(label_names)) {
}

family_base::~family_base() = default;

void family_base::render(std::string& out) const {
  out += "# HELP ";
  out += name_;
  out += ' ';
  out += escape_help(help_);
  out += "\n# TYPE ";
  out += name_;
  out += ' ';
  out += to_string(type_);
  out += '\n';
  render_samples(out);
}

void family_base::append_sample(std::string& out, std::string_view suffix,
                                const std::vector<std::string>& values,
                                double value, std::string_view extra_name,
                                std::string_view extra_value) const {
  out += name_;
  out += suffix;
  if (!values.empty() || !extra_name.empty()) {
    out += '{';
    bool first = true;
    auto add = [&](std::string_view k, std::string_view v) {
      if (!first)
        out += ',';
      first = false;
      out += k;
      out += "=\"";
      out += escape_label_value(v);
      out += '"';
    };
    for (size_t i = 0; i < values.size(); ++i)
      add(label_names_[i], values[i]);
    if (!extra_name.empty())
      add(extra_name, extra_value);
    out += '}';
  }
  out += ' ';
  out += format_value(value);
  out += '\n';
}

void family_base::check_arity(size_t n) const {
  if (n == label_names_.size())
    return;
  log::error("metric used with a wrong number of label values",
             {log::kv("metric", name_), log::kv("expected", label_names_.size()),
              log::kv("got", n)});
  std::abort();
}

// -- family<T> ----------------------------------------------------------------

template <class T>
family<T>::family(std::string name, std::string help, metric_type type,
                  std::vector<std::string> label_names,
                  std::shared_ptr<const std::vector<double>> bounds)
  : family_base(std::move(name), std::move(help), type, std::move(label_names)),
    bounds_(std::move(bounds)) {
  if (family_base::label_names().empty())
    lookup({});
}

template <class T>
family<T>::~family() = default;

template <class T>
T& family<T>::labels(std::initializer_list<std::string_view> values) {
  check_arity(values.size());
  return lookup(std::vector<std::string>(values.begin(), values.end()));
}

template <class T>
T& family<T>::labels(const std::vector<std::string>& values) {
  check_arity(values.size());
  return lookup(values);
}

template <class T>
T& family<T>::lookup(std::vector<std::string> key) {
  std::lock_guard<std::mutex> guard{mtx_};
  auto i = series_.find(key);
  if (i != series_.end())
    return *i->second;
  std::unique_ptr<T> cell;
  if constexpr (std::is_same_v<T, histogram>)
    cell = std::make_unique<histogram>(bounds_);
  else
    cell = std::make_unique<T>();
  auto& ref = *cell;
  series_.emplace(std::move(key), std::move(cell));
  return ref;
}

template <class T>
bool family<T>::remove(const std::vector<std::string>& values) {
  if (label_names().empty())
    return false;
  std::lock_guard<std::mutex> guard{mtx_};
  return series_.erase(values) > 0;
}

template <class T>
void family<T>::clear() {
  if (label_names().empty())
    return;
  std::lock_guard<std::mutex> guard{mtx_};
  series_.clear();
}

template <class T>
void family<T>::render_samples(std::string& out) const {
  std::lock_guard<std::mutex> guard{mtx_};
  for (const auto& [values, cell] : series_) {
    if constexpr (std::is_same_v<T, histogram>) {
      auto snap = cell->collect();
      const auto& bounds = cell->bounds();
      for (size_t i = 0; i < bounds.size(); ++i)
        append_sample(out, "_bucket", values,
                      static_cast<double>(snap.cumulative[i]), "le",
                      format_value(bounds[i]));
      append_sample(out, "_bucket", values, static_cast<double>(snap.count),
                    "le", "+Inf");
      append_sample(out, "_sum", values, snap.sum);
      append_sample(out, "_count", values, static_cast<double>(snap.count));
    } else {
      append_sample(out, "", values, cell->value());
    }
  }
}

template class family<counter>;
template class family<gauge>;
template class family<histogram>;

// -- collector_family ---------------------------------------------------------

collector_family::collector_family(std::string name, std::string help,
                                   metric_type type,
                                   std::vector<std::string> label_names,
                                   collector_fn fn)
  : family_base(std::move(name), std::move(help), type, std::move(label_names)),
    fn_(std::move(fn)) {
}

void collector_family::render_samples(std::string& out) const {
  std::vector<sample> samples;
  try {
    samples = fn_();
  } catch (const std::exception& e) {
    log::warning("metrics collector failed",
                 {log::kv("metric", name()), log::kv("what", e.what())});
    return;
  }
  std::erase_if(samples, [this](const sample& s) {
    if (s.label_values.size() == label_names().size())
      return false;
    log::warning("collector produced a sample with a wrong label count",
                 {log::kv("metric", name())});
    return true;
  });
  std::stable_sort(samples.begin(), samples.end(),
                   [](const sample& a, const sample& b) {
                     return a.label_values < b.label_values;
                   });
  // A series must appear once: keep the first of duplicates.
  samples.erase(std::unique(samples.begin(), samples.end(),
                            [](const sample& a, const sample& b) {
                              return a.label_values == b.label_values;
                            }),
                samples.end());
  for (const auto& s : samples)
    append_sample(out, "", s.label_values, s.value);
}

} // namespace cafelet::net::metrics
