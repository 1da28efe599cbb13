#include "daemon/metrics.h"

#include <sstream>

#include "daemon/alert_feeds.h"
#include "daemon/desk.h"

namespace feedwatch::daemon {
namespace {

// A label value with \, " and line breaks escaped, as the text format requires.
std::string Label(std::string_view value) {
  std::string out;
  for (const char c : value) {
    if (c == '\\' || c == '"') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string Number(double value) {
  std::ostringstream out;
  out.precision(17);
  out << value;
  return out.str();
}

void Family(std::string& out, std::string_view name, std::string_view type, std::string_view help) {
  out += "# HELP ";
  out += name;
  out += ' ';
  out += help;
  out += "\n# TYPE ";
  out += name;
  out += ' ';
  out += type;
  out += '\n';
}

std::string_view DeliveryResultName(DeliveryResult result) {
  switch (result) {
    case DeliveryResult::kSent:
      return "sent";
    case DeliveryResult::kFailed:
      return "failed";
    case DeliveryResult::kDead:
      return "dead";
  }
  return "";
}

}  // namespace

template <size_t N>
void Metrics::Histogram<N>::Observe(double value) {
  size_t bucket = 0;
  while (bucket < N && value > (*bounds)[bucket]) ++bucket;
  ++counts[bucket];
  sum += value;
  ++count;
}

template <size_t N>
void Metrics::Histogram<N>::Render(std::string& out, std::string_view name,
                                   std::string_view labels) const {
  const std::string prefix(name);
  std::uint64_t cumulative = 0;
  for (size_t i = 0; i <= N; ++i) {
    cumulative += counts[i];
    out += prefix + "_bucket{" + std::string(labels) + "le=\"" +
           (i < N ? Number((*bounds)[i]) : "+Inf") + "\"} " + std::to_string(cumulative) + "\n";
  }
  std::string bare(labels);
  if (!bare.empty()) bare = "{" + bare.substr(0, bare.size() - 1) + "}";
  out += prefix + "_sum" + bare + " " + Number(sum) + "\n";
  out += prefix + "_count" + bare + " " + std::to_string(count) + "\n";
}

void Metrics::FetchDone(FetchResult result, std::chrono::duration<double> took) {
  const std::lock_guard lock(mutex_);
  ++fetches_[static_cast<size_t>(result)];
  fetch_durations_.Observe(took.count());
}

void Metrics::AlertSent(const std::string& feed, const std::string& notifier, Seconds latency) {
  const std::lock_guard lock(mutex_);
  const auto seconds = static_cast<double>(latency.count());
  latency_by_feed_.try_emplace(feed, LatencyHistogram{&kLatencyBuckets})
      .first->second.Observe(seconds);
  latency_by_notifier_.try_emplace(notifier, LatencyHistogram{&kLatencyBuckets})
      .first->second.Observe(seconds);
}

void Metrics::ItemsParsed(int count) {
  const std::lock_guard lock(mutex_);
  items_parsed_ += static_cast<std::uint64_t>(count);
}

void Metrics::Matched(const std::string& watch) {
  const std::lock_guard lock(mutex_);
  ++matches_[watch];
}

void Metrics::AlertsHeld(int count) {
  const std::lock_guard lock(mutex_);
  alerts_held_ += static_cast<std::uint64_t>(count);
}

void Metrics::Articles(const std::string& feed, std::string_view result, int count) {
  if (count == 0) return;
  const std::lock_guard lock(mutex_);
  articles_[{feed, std::string(result)}] += static_cast<std::uint64_t>(count);
}

void Metrics::SetPrivateWatches(std::set<std::string> watches) {
  const std::lock_guard lock(mutex_);
  private_watches_ = std::move(watches);
}

void Metrics::Delivered(const std::string& notifier, DeliveryResult result, int count) {
  const std::lock_guard lock(mutex_);
  deliveries_[{notifier, std::string(DeliveryResultName(result))}] +=
      static_cast<std::uint64_t>(count);
}

void Metrics::SetGauges(const Gauges& gauges) {
  const std::lock_guard lock(mutex_);
  gauges_ = gauges;
}

void Metrics::FeedFailing(int delta) {
  const std::lock_guard lock(mutex_);
  gauges_.feeds_failing = std::max(0, gauges_.feeds_failing + delta);
}

void Metrics::LoopTurned() {
  const std::lock_guard lock(mutex_);
  last_turn_ = clock_.Monotonic();
}

void Metrics::SetDatabase(const Status& writable) {
  const std::lock_guard lock(mutex_);
  database_ = writable;
}

Status Metrics::Health(std::chrono::steady_clock::duration stall) const {
  const std::lock_guard lock(mutex_);
  const auto since = clock_.Monotonic() - last_turn_;
  if (since > stall) {
    return Error::Timeout(
        "the event loop has not turned for " +
        std::to_string(std::chrono::duration_cast<std::chrono::seconds>(since).count()) + " s");
  }
  if (!database_) return Error::Io("the database is not writable: " + database_.error().message);
  return Status::Ok();
}

void Metrics::SetInstance(std::string id, std::string backend) {
  const std::lock_guard lock(mutex_);
  instance_ = std::move(id);
  backend_ = std::move(backend);
}

std::string Metrics::Render() const {
  const std::lock_guard lock(mutex_);
  std::string out;
  Family(out, "feedwatch_instance_info", "gauge",
         "This instance: its id in leases and logs, and its store's backend.");
  out += "feedwatch_instance_info{instance=\"" + Label(instance_) + "\",store=\"" +
         Label(backend_) + "\"} 1\n";
  Family(out, "feedwatch_instances", "gauge",
         "Instances with a heartbeat on the store in the last minute, this one included.");
  out += "feedwatch_instances " + std::to_string(gauges_.instances) + "\n";
  Family(out, "feedwatch_config_drift", "gauge",
         "Other live instances running different watches or notifiers than this one.");
  out += "feedwatch_config_drift " + std::to_string(gauges_.config_drift) + "\n";
  Family(out, "feedwatch_fetches_total", "counter", "Feed fetches finished, by result.");
  for (const FetchResult result : kFetchResults) {
    out += "feedwatch_fetches_total{result=\"" + std::string(MetricName(result)) + "\"} " +
           std::to_string(fetches_[static_cast<size_t>(result)]) + "\n";
  }
  Family(out, "feedwatch_fetch_duration_seconds", "histogram",
         "Time from starting a feed fetch to its result.");
  fetch_durations_.Render(out, "feedwatch_fetch_duration_seconds", "");
  Family(out, "feedwatch_alert_latency_seconds", "histogram",
         "Time from an item's publication (or first sight, when its date is missing or later) "
         "to its alert being sent, by feed.");
  for (const auto& [feed, histogram] : latency_by_feed_) {
    histogram.Render(out, "feedwatch_alert_latency_seconds", "feed=\"" + Label(feed) + "\",");
  }
  Family(out, "feedwatch_notifier_latency_seconds", "histogram",
         "Time from an item's publication (or first sight) to its alert being sent, by "
         "notifier.");
  for (const auto& [notifier, histogram] : latency_by_notifier_) {
    histogram.Render(out, "feedwatch_notifier_latency_seconds",
                     "notifier=\"" + Label(notifier) + "\",");
  }
  Family(out, "feedwatch_items_parsed_total", "counter", "Items read from fetched feeds.");
  out += "feedwatch_items_parsed_total " + std::to_string(items_parsed_) + "\n";
  Family(out, "feedwatch_matches_total", "counter", "New matches that alert, by watch.");
  std::uint64_t private_matches = 0;
  for (const auto& [watch, count] : matches_) {
    if (private_watches_.contains(watch)) {
      private_matches += count;
      continue;
    }
    out +=
        "feedwatch_matches_total{watch=\"" + Label(watch) + "\"} " + std::to_string(count) + "\n";
  }
  if (private_matches > 0) {
    out += "feedwatch_matches_total{watch=\"(private)\"} " + std::to_string(private_matches) + "\n";
  }
  Family(out, "feedwatch_alerts_held_total", "counter",
         "New matches past a feed's max_alerts in one poll, recorded without alerts.");
  out += "feedwatch_alerts_held_total " + std::to_string(alerts_held_) + "\n";
  Family(out, "feedwatch_articles_total", "counter",
         "Article pages of new items (fetch_articles) by feed and result (read, empty, failed, "
         "skipped, late).");
  for (const auto& [key, count] : articles_) {
    out += "feedwatch_articles_total{feed=\"" + Label(key.first) + "\",result=\"" +
           Label(key.second) + "\"} " + std::to_string(count) + "\n";
  }
  Family(out, "feedwatch_deliveries_total", "counter",
         "Delivery attempts by notifier and result (sent, failed, dead).");
  for (const auto& [key, count] : deliveries_) {
    out += "feedwatch_deliveries_total{notifier=\"" + Label(key.first) + "\",result=\"" +
           Label(key.second) + "\"} " + std::to_string(count) + "\n";
  }
  Family(out, "feedwatch_outbox_pending", "gauge", "Deliveries waiting to be sent.");
  out += "feedwatch_outbox_pending " + std::to_string(gauges_.outbox_pending) + "\n";
  Family(out, "feedwatch_outbox_dead", "gauge", "Deliveries given up (feedwatch outbox).");
  out += "feedwatch_outbox_dead " + std::to_string(gauges_.outbox_dead) + "\n";
  Family(out, "feedwatch_feeds", "gauge", "Feeds configured.");
  out += "feedwatch_feeds " + std::to_string(gauges_.feeds) + "\n";
  Family(out, "feedwatch_feeds_failing", "gauge", "Feeds whose last poll failed.");
  out += "feedwatch_feeds_failing " + std::to_string(gauges_.feeds_failing) + "\n";
  Family(out, "feedwatch_last_successful_poll_timestamp_seconds", "gauge",
         "When a feed was last polled successfully (Unix time; 0: never).");
  out += "feedwatch_last_successful_poll_timestamp_seconds " +
         std::to_string(gauges_.last_successful_poll
                            ? gauges_.last_successful_poll->time_since_epoch().count()
                            : 0) +
         "\n";
  Family(out, "feedwatch_database_writable", "gauge",
         "1 if the last write to the database worked.");
  out += std::string("feedwatch_database_writable ") + (database_ ? "1" : "0") + "\n";
  return out;
}

MetricsServer::MetricsServer(std::unique_ptr<net::HttpListener> listener)
    : listener_(std::move(listener)) {}

MetricsServer::~MetricsServer() = default;

const std::string& MetricsServer::address() const { return listener_->address(); }

Result<std::unique_ptr<MetricsServer>> MetricsServer::Start(const std::string& listen,
                                                            const Metrics& metrics,
                                                            const AlertFeeds* feeds,
                                                            const DeskPages* desk) {
  std::map<std::string, net::HttpListener::Handler> routes;
  routes["/metrics"] = [&metrics](const net::HttpListener::Request&) {
    net::HttpListener::Reply reply = net::HttpListener::Reply::Plain(200, metrics.Render());
    reply.content_type = "text/plain; version=0.0.4; charset=utf-8";
    return reply;
  };
  if (feeds != nullptr) {
    routes["/feeds/*"] = [feeds](const net::HttpListener::Request& request) {
      return feeds->Serve(request);
    };
  }
  if (desk != nullptr) {
    const auto serve = [desk](const net::HttpListener::Request& request) {
      return desk->Serve(request);
    };
    routes["/"] = serve;
    routes["/watch/*"] = serve;
  }
  routes["/healthz"] = [&metrics](const net::HttpListener::Request&) {
    // The loop sleeps 10 s at most between turns.
    const Status health = metrics.Health(std::chrono::seconds(30));
    return net::HttpListener::Reply::Plain(health ? 200 : 503,
                                           health ? "ok\n" : health.error().message + "\n");
  };
  Result<std::unique_ptr<net::HttpListener>> listener =
      net::HttpListener::Start(listen, std::move(routes));
  if (!listener) {
    Error error = listener.error();
    error.message = "metrics_listen " + error.message;
    return error;
  }
  return std::unique_ptr<MetricsServer>(new MetricsServer(std::move(*listener)));
}

}  // namespace feedwatch::daemon
