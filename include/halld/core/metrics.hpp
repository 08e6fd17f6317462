// core/metrics: a registry of counters, gauges and histograms rendered in the Prometheus text
// exposition format. Owns: metric storage and rendering. Must not touch: what is measured.
// Metrics are created once (at wiring time) and then updated lock-free from any thread; the
// returned references stay valid for the registry's lifetime.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace halld {

using Labels = std::vector<std::pair<std::string, std::string>>;

class Counter {
 public:
  void inc(std::uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  std::uint64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> value_{0};
};

class Gauge {
 public:
  void set(double v) { value_.store(v, std::memory_order_relaxed); }
  void add(double delta);
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

class Histogram {
 public:
  explicit Histogram(std::vector<double> upper_bounds);
  void observe(double value);
  struct Snapshot {
    std::vector<double> upper_bounds;
    std::vector<std::uint64_t> cumulative;  // one per bound, then +Inf
    double sum = 0;
  };
  Snapshot snapshot() const;

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<std::uint64_t>[]> buckets_;  // bounds_.size() + 1
  std::atomic<double> sum_{0};
};

class MetricsRegistry {
 public:
  Counter& counter(const std::string& name, const std::string& help, Labels labels = {});
  Gauge& gauge(const std::string& name, const std::string& help, Labels labels = {});
  Histogram& histogram(const std::string& name, const std::string& help, std::vector<double> bounds,
                       Labels labels = {});
  // Series whose value is read at scrape time (process RSS, pool occupancy).
  void gauge_callback(const std::string& name, const std::string& help,
                      std::function<double()> read, Labels labels = {});
  void counter_callback(const std::string& name, const std::string& help,
                        std::function<double()> read, Labels labels = {});
  std::string render() const;

 private:
  enum class Type { counter, gauge, histogram };
  struct Series {
    Labels labels;
    Counter* counter = nullptr;
    Gauge* gauge = nullptr;
    Histogram* histogram = nullptr;
    std::function<double()> read;
  };
  struct Family {
    Type type;
    std::string help;
    std::vector<Series> series;
  };
  Family& family(const std::string& name, Type type, const std::string& help);
  void add_callback(const std::string& name, Type type, const std::string& help,
                    std::function<double()> read, Labels labels);
  Series* find(Family& family, const Labels& labels);

  mutable std::mutex mutex_;
  std::map<std::string, Family> families_;
  std::deque<Counter> counters_;
  std::deque<Gauge> gauges_;
  std::deque<Histogram> histograms_;
};

// Registers process_* metrics (CPU, RSS, open fds, start time) read from /proc/self.
void register_process_metrics(MetricsRegistry& registry);

}  // namespace halld
