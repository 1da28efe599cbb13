// Metrics on their own: what each call counts, the histogram's buckets, the exposition format's
// rules (every sample under its family's HELP and TYPE, label values escaped) and /healthz's
// reasons. promtool reads a real scrape in operations_test.cc.
#include "daemon/metrics.h"

#include <gtest/gtest.h>

#include <regex>
#include <set>
#include <sstream>
#include <string>

#include "tests/support/support.h"

namespace feedwatch::daemon {
namespace {

using namespace std::chrono_literals;

// The lines of `text` that start with `prefix`, joined.
std::string Lines(const std::string& text, const std::string& prefix) {
  std::istringstream in(text);
  std::string out;
  for (std::string line; std::getline(in, line);) {
    if (line.starts_with(prefix)) out += line + "\n";
  }
  return out;
}

class MetricsTest : public ::testing::Test {
 protected:
  testing::FakeClock clock_{TimePoint(Seconds(1'750'000'000))};
  Metrics metrics_{clock_};
};

TEST_F(MetricsTest, CountsFetchesByResultAndTheirDurationsInCumulativeBuckets) {
  metrics_.FetchDone(FetchResult::kOk, 50ms);  // on a bucket's bound: in it
  metrics_.FetchDone(FetchResult::kOk, 300ms);
  metrics_.FetchDone(FetchResult::kTimeout, 31s);  // past the last bound: +Inf only
  const std::string text = metrics_.Render();
  EXPECT_EQ(Lines(text, "feedwatch_fetches_total{result=\"ok\"}"),
            "feedwatch_fetches_total{result=\"ok\"} 2\n");
  EXPECT_EQ(Lines(text, "feedwatch_fetches_total{result=\"timeout\"}"),
            "feedwatch_fetches_total{result=\"timeout\"} 1\n");
  EXPECT_EQ(Lines(text, "feedwatch_fetches_total{result=\"not_modified\"}"),
            "feedwatch_fetches_total{result=\"not_modified\"} 0\n");
  EXPECT_EQ(Lines(text, "feedwatch_fetch_duration_seconds"),
            "feedwatch_fetch_duration_seconds_bucket{le=\"0.050000000000000003\"} 1\n"
            "feedwatch_fetch_duration_seconds_bucket{le=\"0.10000000000000001\"} 1\n"
            "feedwatch_fetch_duration_seconds_bucket{le=\"0.25\"} 1\n"
            "feedwatch_fetch_duration_seconds_bucket{le=\"0.5\"} 2\n"
            "feedwatch_fetch_duration_seconds_bucket{le=\"1\"} 2\n"
            "feedwatch_fetch_duration_seconds_bucket{le=\"2.5\"} 2\n"
            "feedwatch_fetch_duration_seconds_bucket{le=\"5\"} 2\n"
            "feedwatch_fetch_duration_seconds_bucket{le=\"10\"} 2\n"
            "feedwatch_fetch_duration_seconds_bucket{le=\"30\"} 2\n"
            "feedwatch_fetch_duration_seconds_bucket{le=\"+Inf\"} 3\n"
            "feedwatch_fetch_duration_seconds_sum 31.350000000000001\n"
            "feedwatch_fetch_duration_seconds_count 3\n");
}

TEST_F(MetricsTest, AlertLatencyIsAHistogramPerFeedAndPerNotifier) {
  metrics_.AlertSent("tass", "desk", 40s);
  metrics_.AlertSent("tass", "hook", 200s);
  metrics_.AlertSent("ria", "desk", 2h);
  const std::string text = metrics_.Render();
  EXPECT_EQ(Lines(text, "feedwatch_alert_latency_seconds_bucket{feed=\"tass\",le=\"60\"}"),
            "feedwatch_alert_latency_seconds_bucket{feed=\"tass\",le=\"60\"} 1\n");
  EXPECT_EQ(Lines(text, "feedwatch_alert_latency_seconds_bucket{feed=\"tass\",le=\"300\"}"),
            "feedwatch_alert_latency_seconds_bucket{feed=\"tass\",le=\"300\"} 2\n");
  EXPECT_EQ(Lines(text, "feedwatch_alert_latency_seconds_count{feed=\"tass\"}"),
            "feedwatch_alert_latency_seconds_count{feed=\"tass\"} 2\n");
  EXPECT_EQ(Lines(text, "feedwatch_alert_latency_seconds_sum{feed=\"ria\"}"),
            "feedwatch_alert_latency_seconds_sum{feed=\"ria\"} 7200\n");
  EXPECT_EQ(Lines(text, "feedwatch_notifier_latency_seconds_bucket{notifier=\"desk\",le=\"+Inf\"}"),
            "feedwatch_notifier_latency_seconds_bucket{notifier=\"desk\",le=\"+Inf\"} 2\n");
  EXPECT_EQ(Lines(text, "feedwatch_notifier_latency_seconds_bucket{notifier=\"desk\",le=\"3600\"}"),
            "feedwatch_notifier_latency_seconds_bucket{notifier=\"desk\",le=\"3600\"} 1\n");
}

TEST_F(MetricsTest, EveryFetchResultHasItsSampleFromTheStart) {
  const std::string text = metrics_.Render();
  for (const FetchResult result : kFetchResults) {
    EXPECT_NE(text.find("feedwatch_fetches_total{result=\"" + std::string(MetricName(result)) +
                        "\"} 0\n"),
              std::string::npos)
        << MetricName(result);
  }
}

TEST_F(MetricsTest, CountsItemsMatchesHeldAlertsAndDeliveries) {
  metrics_.ItemsParsed(4);
  metrics_.ItemsParsed(3);
  metrics_.Matched("darchiev");
  metrics_.Matched("darchiev");
  metrics_.Matched("desk");
  metrics_.AlertsHeld(5);
  metrics_.Delivered("mail", DeliveryResult::kSent, 3);
  metrics_.Delivered("mail", DeliveryResult::kFailed, 1);
  metrics_.Delivered("mail", DeliveryResult::kSent, 2);
  metrics_.Delivered("hook", DeliveryResult::kDead, 4);
  const std::string text = metrics_.Render();
  EXPECT_EQ(Lines(text, "feedwatch_items_parsed_total "), "feedwatch_items_parsed_total 7\n");
  EXPECT_EQ(Lines(text, "feedwatch_matches_total{"),
            "feedwatch_matches_total{watch=\"darchiev\"} 2\n"
            "feedwatch_matches_total{watch=\"desk\"} 1\n");
  EXPECT_EQ(Lines(text, "feedwatch_alerts_held_total "), "feedwatch_alerts_held_total 5\n");
  EXPECT_EQ(Lines(text, "feedwatch_deliveries_total{"),
            "feedwatch_deliveries_total{notifier=\"hook\",result=\"dead\"} 4\n"
            "feedwatch_deliveries_total{notifier=\"mail\",result=\"failed\"} 1\n"
            "feedwatch_deliveries_total{notifier=\"mail\",result=\"sent\"} 5\n");
}

TEST_F(MetricsTest, PrivateWatchesAreCountedTogetherWithoutTheirNames) {
  metrics_.Matched("secret-a");
  metrics_.Matched("secret-b");
  metrics_.Matched("secret-b");
  metrics_.Matched("public");
  metrics_.SetPrivateWatches({"secret-a", "secret-b"});
  const std::string text = metrics_.Render();
  EXPECT_EQ(Lines(text, "feedwatch_matches_total{"),
            "feedwatch_matches_total{watch=\"public\"} 1\n"
            "feedwatch_matches_total{watch=\"(private)\"} 3\n");
  EXPECT_EQ(text.find("secret"), std::string::npos);
  // A later set replaces the earlier one.
  metrics_.SetPrivateWatches({"secret-a"});
  EXPECT_EQ(Lines(metrics_.Render(), "feedwatch_matches_total{"),
            "feedwatch_matches_total{watch=\"public\"} 1\n"
            "feedwatch_matches_total{watch=\"secret-b\"} 2\n"
            "feedwatch_matches_total{watch=\"(private)\"} 1\n");
}

TEST_F(MetricsTest, EscapesBackslashesQuotesAndLineBreaksInLabelValues) {
  metrics_.Matched("a\\b\"c\nd");
  metrics_.SetInstance("host:1\n", "sqlite");
  const std::string text = metrics_.Render();
  EXPECT_EQ(Lines(text, "feedwatch_matches_total{"),
            "feedwatch_matches_total{watch=\"a\\\\b\\\"c\\nd\"} 1\n");
  EXPECT_EQ(Lines(text, "feedwatch_instance_info{"),
            "feedwatch_instance_info{instance=\"host:1\\n\",store=\"sqlite\"} 1\n");
}

TEST_F(MetricsTest, GaugesAreSetWholeAndFailingFeedsMoveAtOnceButNotBelowZero) {
  metrics_.SetGauges({.feeds = 10,
                      .feeds_failing = 2,
                      .outbox_pending = 7,
                      .outbox_dead = 1,
                      .last_successful_poll = TimePoint(Seconds(1'750'000'123)),
                      .instances = 3,
                      .config_drift = 1});
  metrics_.FeedFailing(+1);
  std::string text = metrics_.Render();
  EXPECT_EQ(Lines(text, "feedwatch_feeds"), "feedwatch_feeds 10\nfeedwatch_feeds_failing 3\n");
  EXPECT_EQ(Lines(text, "feedwatch_outbox_"),
            "feedwatch_outbox_pending 7\nfeedwatch_outbox_dead 1\n");
  EXPECT_EQ(Lines(text, "feedwatch_last_successful_poll_timestamp_seconds "),
            "feedwatch_last_successful_poll_timestamp_seconds 1750000123\n");
  EXPECT_EQ(Lines(text, "feedwatch_instances "), "feedwatch_instances 3\n");
  EXPECT_EQ(Lines(text, "feedwatch_config_drift "), "feedwatch_config_drift 1\n");
  for (int i = 0; i < 5; ++i) metrics_.FeedFailing(-1);
  metrics_.SetGauges({});
  text = metrics_.Render();
  EXPECT_EQ(Lines(text, "feedwatch_feeds_failing "), "feedwatch_feeds_failing 0\n");
  EXPECT_EQ(Lines(text, "feedwatch_last_successful_poll_timestamp_seconds "),
            "feedwatch_last_successful_poll_timestamp_seconds 0\n");
  EXPECT_EQ(Lines(text, "feedwatch_instances "), "feedwatch_instances 1\n");
}

// The text format 0.0.4: each family's HELP and TYPE once, before its samples, and every sample
// of a declared family (a histogram's _bucket, _sum and _count included).
TEST_F(MetricsTest, EverySampleFollowsItsFamilysHelpAndType) {
  metrics_.FetchDone(FetchResult::kOk, 1s);
  metrics_.Matched("desk");
  metrics_.Delivered("mail", DeliveryResult::kSent, 1);
  const std::string text = metrics_.Render();
  ASSERT_TRUE(text.ends_with("\n"));
  std::istringstream in(text);
  std::set<std::string> declared;
  std::string family;  // the one whose TYPE came last
  std::string type;
  int samples = 0;
  const std::regex help(R"(# HELP ([a-z_]+) \S.*)");
  const std::regex type_line(R"(# TYPE ([a-z_]+) (counter|gauge|histogram))");
  const std::regex sample(R"(([a-z_]+)(\{[a-z_]+="([^"\\]|\\.)*"(,[a-z_]+="([^"\\]|\\.)*")*\})? )"
                          R"((\d+(\.\d+)?(e[-+]\d+)?))");
  for (std::string line; std::getline(in, line);) {
    std::smatch match;
    if (std::regex_match(line, match, help)) {
      EXPECT_TRUE(declared.insert(match[1]).second) << "declared twice: " << line;
      family = "";
      std::string next;
      ASSERT_TRUE(std::getline(in, next));
      ASSERT_TRUE(std::regex_match(next, match, type_line)) << next;
      family = match[1];
      type = match[2];
      continue;
    }
    ASSERT_TRUE(std::regex_match(line, match, sample)) << line;
    ++samples;
    const std::string name = match[1];
    if (type == "histogram") {
      EXPECT_TRUE(name == family + "_bucket" || name == family + "_sum" ||
                  name == family + "_count")
          << line;
    } else {
      EXPECT_EQ(name, family) << line;
    }
  }
  EXPECT_GE(declared.size(), 15u);
  EXPECT_GT(samples, static_cast<int>(declared.size()));
}

TEST_F(MetricsTest, HealthSaysWhyWhenTheLoopStallsOrTheDatabaseRefusesWrites) {
  EXPECT_TRUE(metrics_.Health(30s).ok());
  clock_.Advance(30s);
  EXPECT_TRUE(metrics_.Health(30s).ok()) << "30 s is not past 30 s";
  clock_.Advance(1500ms);
  Status health = metrics_.Health(30s);
  ASSERT_FALSE(health.ok());
  EXPECT_EQ(health.error().code, Error::Code::kTimeout);
  EXPECT_EQ(health.error().message, "the event loop has not turned for 31 s");
  metrics_.LoopTurned();
  EXPECT_TRUE(metrics_.Health(30s).ok());

  metrics_.SetDatabase(Error::Io("database or disk is full"));
  health = metrics_.Health(30s);
  ASSERT_FALSE(health.ok());
  EXPECT_EQ(health.error().code, Error::Code::kIo);
  EXPECT_EQ(health.error().message, "the database is not writable: database or disk is full");
  EXPECT_EQ(Lines(metrics_.Render(), "feedwatch_database_writable "),
            "feedwatch_database_writable 0\n");
  metrics_.SetDatabase(Status::Ok());
  EXPECT_TRUE(metrics_.Health(30s).ok());
}

}  // namespace
}  // namespace feedwatch::daemon
