// The outbox's sender. Due deliveries become messages (an alert of its own, or a digest), go
// out through their notifier, and come back as sent, failed (retried with backoff), or dead.
//
// A message's id is recorded before its first attempt and kept through retries, so a receiver
// sees the same id however often the message is tried, across restarts too.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "base/clock.h"
#include "config/config.h"
#include "daemon/metrics.h"
#include "net/http_client.h"
#include "notify/notifier.h"
#include "store/store.h"

namespace feedwatch::daemon {

// The notifiers `config` describes, by name. Console notifiers write to `console`.
std::map<std::string, std::unique_ptr<notify::Notifier>> MakeNotifiers(const config::Config& config,
                                                                       net::HttpClient& http,
                                                                       const Clock& clock,
                                                                       std::FILE* console);

class Dispatcher {
 public:
  // Every argument must outlive the Dispatcher.
  // `metrics` may be null.
  Dispatcher(const config::Config& config, store::Store& store, const Clock& clock,
             std::map<std::string, notify::Notifier*> notifiers, Metrics* metrics);

  // When a delivery to `notifier` of a match made at `now` falls due: now, or its next digest.
  TimePoint DueAt(const std::string& notifier, TimePoint now) const;

  // Sends the deliveries that are due and not on their way already. The outbox is read at most
  // once a second unless Wake() was called since: the loop calls this after every event.
  void DeliverDue();
  // New deliveries were committed: the next DeliverDue reads the outbox.
  void Wake() { woken_ = true; }

  // Messages on their way.
  int sending() const { return static_cast<int>(in_flight_messages_); }

 private:
  struct Plan {
    std::vector<store::Delivery> deliveries;
    std::string message_id;
    bool digest = false;
  };

  void DeliverFor(const config::NotifierConfig& notifier, notify::Notifier& sender,
                  std::vector<store::Delivery> due, TimePoint now);
  void Send(const config::NotifierConfig& notifier, notify::Notifier& sender, Plan plan);
  void Finished(const config::NotifierConfig& notifier, const Plan& plan,
                const notify::SendResult& result);
  std::string MessageId(const Plan& plan);
  void Count(const std::string& notifier, std::string_view result, size_t deliveries);

  const config::Config& config_;
  store::Store& store_;
  const Clock& clock_;
  std::map<std::string, notify::Notifier*> notifiers_;
  Metrics* metrics_;
  std::string instance_;                      // the database's, read on first use
  std::set<std::int64_t> in_flight_;          // delivery ids
  std::map<std::string, int> notifier_busy_;  // messages in flight per notifier
  size_t in_flight_messages_ = 0;
  bool woken_ = true;
  std::chrono::steady_clock::time_point last_read_;
  std::minstd_rand random_{std::random_device{}()};
};

}  // namespace feedwatch::daemon
