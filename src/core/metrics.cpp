#include "halld/core/metrics.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace halld {

void Gauge::add(double delta) {
  double current = value_.load(std::memory_order_relaxed);
  while (!value_.compare_exchange_weak(current, current + delta, std::memory_order_relaxed)) {
  }
}

Histogram::Histogram(std::vector<double> upper_bounds)
    : bounds_(std::move(upper_bounds)),
      buckets_(std::make_unique<std::atomic<std::uint64_t>[]>(bounds_.size() + 1)) {}

void Histogram::observe(double value) {
  std::size_t i = 0;
  while (i < bounds_.size() && value > bounds_[i]) ++i;
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  double current = sum_.load(std::memory_order_relaxed);
  while (!sum_.compare_exchange_weak(current, current + value, std::memory_order_relaxed)) {
  }
}

Histogram::Snapshot Histogram::snapshot() const {
  Snapshot s{bounds_, {}, sum_.load(std::memory_order_relaxed)};
  std::uint64_t running = 0;
  for (std::size_t i = 0; i <= bounds_.size(); ++i) {
    running += buckets_[i].load(std::memory_order_relaxed);
    s.cumulative.push_back(running);
  }
  return s;
}

MetricsRegistry::Family& MetricsRegistry::family(const std::string& name, Type type,
                                                 const std::string& help) {
  auto [it, inserted] = families_.try_emplace(name, Family{type, help, {}});
  if (!inserted && it->second.type != type) {
    throw std::logic_error("metric " + name + " registered with two types");
  }
  return it->second;
}

MetricsRegistry::Series* MetricsRegistry::find(Family& family, const Labels& labels) {
  for (auto& series : family.series) {
    if (series.labels == labels) return &series;
  }
  return nullptr;
}

Counter& MetricsRegistry::counter(const std::string& name, const std::string& help, Labels labels) {
  std::lock_guard lock(mutex_);
  auto& f = family(name, Type::counter, help);
  if (auto* s = find(f, labels)) return *s->counter;
  auto& c = counters_.emplace_back();
  f.series.push_back({std::move(labels), &c, nullptr, nullptr, {}});
  return c;
}

Gauge& MetricsRegistry::gauge(const std::string& name, const std::string& help, Labels labels) {
  std::lock_guard lock(mutex_);
  auto& f = family(name, Type::gauge, help);
  if (auto* s = find(f, labels); s && s->gauge) return *s->gauge;
  auto& g = gauges_.emplace_back();
  f.series.push_back({std::move(labels), nullptr, &g, nullptr, {}});
  return g;
}

Histogram& MetricsRegistry::histogram(const std::string& name, const std::string& help,
                                      std::vector<double> bounds, Labels labels) {
  std::lock_guard lock(mutex_);
  auto& f = family(name, Type::histogram, help);
  if (auto* s = find(f, labels)) return *s->histogram;
  auto& h = histograms_.emplace_back(std::move(bounds));
  f.series.push_back({std::move(labels), nullptr, nullptr, &h, {}});
  return h;
}

void MetricsRegistry::add_callback(const std::string& name, Type type, const std::string& help,
                                   std::function<double()> read, Labels labels) {
  std::lock_guard lock(mutex_);
  auto& f = family(name, type, help);
  f.series.push_back({std::move(labels), nullptr, nullptr, nullptr, std::move(read)});
}

void MetricsRegistry::gauge_callback(const std::string& name, const std::string& help,
                                     std::function<double()> read, Labels labels) {
  add_callback(name, Type::gauge, help, std::move(read), std::move(labels));
}

void MetricsRegistry::counter_callback(const std::string& name, const std::string& help,
                                       std::function<double()> read, Labels labels) {
  add_callback(name, Type::counter, help, std::move(read), std::move(labels));
}

namespace {

std::string escape_label(std::string_view value) {
  std::string out;
  for (char c : value) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '"')
      out += "\\\"";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

std::string label_text(const Labels& labels, const std::string& extra_name = {},
                       const std::string& extra_value = {}) {
  std::vector<std::string> parts;
  for (const auto& [k, v] : labels) parts.push_back(fmt::format("{}=\"{}\"", k, escape_label(v)));
  if (!extra_name.empty()) parts.push_back(fmt::format("{}=\"{}\"", extra_name, extra_value));
  if (parts.empty()) return {};
  return fmt::format("{{{}}}", fmt::join(parts, ","));
}

std::string number(double v) {
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  return fmt::format("{}", v);
}

}  // namespace

std::string MetricsRegistry::render() const {
  std::lock_guard lock(mutex_);
  std::string out;
  for (const auto& [name, f] : families_) {
    static constexpr const char* type_names[] = {"counter", "gauge", "histogram"};
    out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, f.help, name,
                       type_names[static_cast<int>(f.type)]);
    for (const auto& s : f.series) {
      if (s.counter) {
        out += fmt::format("{}{} {}\n", name, label_text(s.labels), s.counter->value());
      } else if (s.gauge) {
        out += fmt::format("{}{} {}\n", name, label_text(s.labels), number(s.gauge->value()));
      } else if (s.read) {
        out += fmt::format("{}{} {}\n", name, label_text(s.labels), number(s.read()));
      } else {
        auto snap = s.histogram->snapshot();
        for (std::size_t i = 0; i < snap.upper_bounds.size(); ++i) {
          out += fmt::format("{}_bucket{} {}\n", name,
                             label_text(s.labels, "le", number(snap.upper_bounds[i])),
                             snap.cumulative[i]);
        }
        out += fmt::format("{}_bucket{} {}\n", name, label_text(s.labels, "le", "+Inf"),
                           snap.cumulative.back());
        out += fmt::format("{}_sum{} {}\n", name, label_text(s.labels), number(snap.sum));
        out += fmt::format("{}_count{} {}\n", name, label_text(s.labels), snap.cumulative.back());
      }
    }
  }
  return out;
}

namespace {

// Fields of /proc/self/stat after the command name: utime is field 14, stime 15, starttime 22.
std::vector<std::string> proc_stat_fields() {
  std::ifstream in("/proc/self/stat");
  std::string line;
  std::getline(in, line);
  std::vector<std::string> fields;
  auto close = line.rfind(')');
  if (close == std::string::npos) return fields;
  std::istringstream rest(line.substr(close + 2));
  for (std::string f; rest >> f;) fields.push_back(f);
  return fields;  // fields[0] is field 3 (state)
}

double boot_time_seconds() {
  std::ifstream in("/proc/stat");
  for (std::string key; in >> key;) {
    if (key == "btime") {
      double value = 0;
      in >> value;
      return value;
    }
  }
  return 0;
}

}  // namespace

void register_process_metrics(MetricsRegistry& registry) {
  const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  const double page = static_cast<double>(sysconf(_SC_PAGESIZE));
  registry.counter_callback("process_cpu_seconds_total",
                            "Total user and system CPU time spent in seconds.", [ticks] {
                              auto f = proc_stat_fields();
                              if (f.size() < 13) return 0.0;
                              return (std::stod(f[11]) + std::stod(f[12])) / ticks;
                            });
  registry.gauge_callback("process_resident_memory_bytes", "Resident memory size in bytes.",
                          [page] {
                            std::ifstream in("/proc/self/statm");
                            double size = 0, resident = 0;
                            in >> size >> resident;
                            return resident * page;
                          });
  registry.gauge_callback("process_open_fds", "Number of open file descriptors.", [] {
    std::error_code ec;
    double n = 0;
    for (auto it = std::filesystem::directory_iterator("/proc/self/fd", ec);
         !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
      ++n;
    }
    return n;
  });
  auto f = proc_stat_fields();
  const double start = f.size() > 19 ? boot_time_seconds() + std::stod(f[19]) / ticks : 0.0;
  registry.gauge_callback("process_start_time_seconds",
                          "Start time of the process since unix epoch in seconds.",
                          [start] { return start; });
}

}  // namespace halld
