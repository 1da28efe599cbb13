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
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "config/config.h"
#include "daemon/metrics.h"
#include "net/http_client.h"
#include "notify/notifier.h"
#include "store/store.h"

namespace feedwatch::daemon {

// The notifiers `config` describes, by name. Console notifiers write to `console`; on a
// `dry_run` every notifier does, each line saying which notifier would have sent it.
std::map<std::string, std::unique_ptr<notify::Notifier>> MakeNotifiers(const config::Config& config,
                                                                       net::HttpClient& http,
                                                                       const Clock& clock,
                                                                       std::FILE* console,
                                                                       bool dry_run = false);

// What a message carries: one alert, or a digest of several. A message's id says which:
// "<instance>-a<first delivery>" or "<instance>-g<first delivery>", so that a retry after a
// restart goes out as the same kind under the same id.
enum class MessageKind : std::uint8_t { kAlert, kDigest };
std::string MessageIdFor(std::string_view instance, MessageKind kind, std::int64_t first_delivery);
MessageKind KindOfMessageId(std::string_view id);

class Dispatcher {
 public:
  // Every argument must outlive the Dispatcher. `random` spreads the retries of messages that
  // failed together. `metrics` may be null.
  Dispatcher(const config::Config& config, store::Store& store, const Clock& clock, Random& random,
             std::map<std::string, notify::Notifier*> notifiers, Metrics* metrics);

  // Sends the deliveries that are due and not on their way already. The outbox is read at most
  // once a second unless Wake() was called since, and every 5 s while the last read found
  // nothing (retries are minutes apart; this instance's new deliveries wake it): the loop calls
  // this after every event, and on a shared store each read is a statement at the server.
  void DeliverDue();
  // New deliveries were committed: the next DeliverDue reads the outbox.
  void Wake() { woken_ = true; }
  // The outbox held `pending` deliveries when counted (the housekeeping, every 5 s). None: the
  // idle read has nothing to find, and waits for the next count to say otherwise (another
  // instance's deliveries are its own to send, and this instance's wake it). Some, after an
  // idle read: the next DeliverDue reads.
  void OutboxCounted(int pending);
  // A daemon that starts (or reloads) forgot which deliveries failed while the server was down:
  // each notifier's first success brings forward every one waiting on a retry. Not for `once`,
  // which cron runs often: a message the server refuses would be tried every run.
  void ForgotRetries();
  // Woken since the last pass: deliveries may be due now.
  bool woken() const { return woken_; }

  // Messages on their way.
  int sending() const { return static_cast<int>(in_flight_messages_); }

 private:
  struct Plan {
    std::vector<store::Delivery> deliveries;
    std::string message_id;
    MessageKind kind = MessageKind::kAlert;
  };

  void DeliverFor(const config::NotifierConfig& notifier, notify::Notifier& sender,
                  std::vector<store::Delivery> due, TimePoint now);
  void Send(const config::NotifierConfig& notifier, notify::Notifier& sender, Plan plan);
  void Finished(const config::NotifierConfig& notifier, const Plan& plan,
                const notify::SendResult& result);
  std::string MessageId(const Plan& plan);
  void Count(const std::string& notifier, DeliveryResult result, size_t deliveries);
  // After a success: `notifier`'s deliveries that failed since its last success are due now,
  // oldest first (Store::BringForward), or every one waiting on a retry after ForgotRetries.
  void BringForward(const std::string& notifier, TimePoint now);

  const config::Config& config_;
  store::Store& store_;
  const Clock& clock_;
  Random& random_;
  std::map<std::string, notify::Notifier*> notifiers_;
  Metrics* metrics_;
  std::string instance_;                      // the database's, read on first use
  std::set<std::int64_t> in_flight_;          // delivery ids
  std::map<std::string, int> notifier_busy_;  // messages in flight per notifier
  // Per notifier, the deliveries that failed (to be retried) since its last success.
  std::map<std::string, std::set<std::int64_t>> failed_since_success_;
  // Notifiers whose first success brings forward every delivery waiting on a retry (ForgotRetries).
  std::set<std::string> unknown_retries_;
  // Deliveries brought forward that have not gone out: failing again, they keep their backoff.
  std::set<std::int64_t> brought_forward_;
  size_t in_flight_messages_ = 0;
  bool woken_ = true;
  MonoTime last_read_;
  bool last_read_empty_ = false;
};

}  // namespace feedwatch::daemon
