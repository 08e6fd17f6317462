#include "halld/core/metrics.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace halld {
namespace {

using ::testing::HasSubstr;

TEST(Metrics, RendersPrometheusTextFormat) {
  MetricsRegistry registry;
  registry.counter("jobs_total", "Jobs done.", {{"kind", "a\"b"}}).inc(3);
  registry.gauge("depth", "Queue depth.").set(2.5);
  auto& h = registry.histogram("latency_seconds", "Latency.", {0.1, 1});
  h.observe(0.05);
  h.observe(0.5);
  h.observe(5);
  registry.gauge_callback("answer", "Read at scrape time.", [] { return 42.0; });
  auto text = registry.render();
  EXPECT_THAT(text, HasSubstr("# HELP jobs_total Jobs done.\n# TYPE jobs_total "
                              "counter\njobs_total{kind=\"a\\\"b\"} 3\n"));
  EXPECT_THAT(text, HasSubstr("# TYPE depth gauge\ndepth 2.5\n"));
  EXPECT_THAT(text, HasSubstr("latency_seconds_bucket{le=\"0.1\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("latency_seconds_bucket{le=\"1\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("latency_seconds_bucket{le=\"+Inf\"} 3\n"));
  EXPECT_THAT(text, HasSubstr("latency_seconds_sum 5.55\n"));
  EXPECT_THAT(text, HasSubstr("latency_seconds_count 3\n"));
  EXPECT_THAT(text, HasSubstr("answer 42\n"));
}

TEST(Metrics, SameNameAndLabelsIsTheSameSeries) {
  MetricsRegistry registry;
  registry.counter("c_total", "C.", {{"x", "1"}}).inc();
  registry.counter("c_total", "C.", {{"x", "1"}}).inc();
  registry.counter("c_total", "C.", {{"x", "2"}}).inc();
  auto text = registry.render();
  EXPECT_THAT(text, HasSubstr("c_total{x=\"1\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("c_total{x=\"2\"} 1\n"));
  EXPECT_THROW(registry.gauge("c_total", "C."), std::logic_error);
}

TEST(Metrics, ProcessMetricsAreReadFromProc) {
  MetricsRegistry registry;
  register_process_metrics(registry);
  auto text = registry.render();
  EXPECT_THAT(text, HasSubstr("# TYPE process_cpu_seconds_total counter"));
  EXPECT_THAT(text, HasSubstr("process_resident_memory_bytes "));
  EXPECT_EQ(text.find("process_resident_memory_bytes 0\n"), std::string::npos);
  EXPECT_THAT(text, HasSubstr("process_open_fds "));
}

}  // namespace
}  // namespace halld
