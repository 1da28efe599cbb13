// The Dispatcher's arithmetic on its own: which due deliveries become which messages under a
// notifier's rate limit (max_per_hour), what counts against it (messages sent in the last hour,
// messages on their way, retries going out again), when what does not fit falls due again, and
// how many units one pass reads. The outbox is a SQLite store in memory; the notifier records
// each message and answers as told.
#include "daemon/dispatch.h"

#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "tests/support/support.h"

namespace feedwatch::daemon {
namespace {

using namespace std::chrono_literals;

constexpr TimePoint kStart{Seconds(1'750'000'000)};

// Records each message; answers at once with `answer`, or, while `hold` is set, keeps the
// callback for the test to call (a message on its way).
class RecordingNotifier final : public notify::Notifier {
 public:
  void Send(const notify::Message& message, std::function<void(notify::SendResult)> done) override {
    messages.push_back(message);
    if (hold) {
      held.push_back(std::move(done));
    } else {
      done(answer);
    }
  }

  std::vector<notify::Message> messages;
  notify::SendResult answer = notify::SendResult::Sent();
  bool hold = false;
  std::vector<std::function<void(notify::SendResult)>> held;
};

// What a pass sent: "a" for an alert, "d5" for a digest of five.
std::vector<std::string> Kinds(const std::vector<notify::Message>& messages) {
  std::vector<std::string> kinds;
  kinds.reserve(messages.size());
  for (const notify::Message& message : messages) {
    kinds.push_back(message.digest ? "d" + std::to_string(message.alerts.size()) : "a");
  }
  return kinds;
}

class DispatcherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Result<std::unique_ptr<store::Store>> opened = store::Store::OpenInMemory();
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    store_ = std::move(*opened);
    config_.notifiers.push_back({.name = "hook"});
  }

  config::NotifierConfig& notifier() { return config_.notifiers.front(); }

  // The dispatcher, made once the test has set the notifier up.
  Dispatcher& dispatcher() {
    if (dispatcher_ == nullptr) {
      dispatcher_ = std::make_unique<Dispatcher>(
          config_, *store_, clock_, random_,
          std::map<std::string, notify::Notifier*>{{"hook", &sender_}}, &metrics_);
    }
    return *dispatcher_;
  }

  // `count` new items of feed `feed`, each matched by `watches`, with a delivery to "hook" due
  // now.
  void Enqueue(int count, const std::string& feed = "wire",
               const std::vector<std::string>& watches = {"desk"}) {
    std::vector<store::ItemRecord> items;
    for (int i = 0; i < count; ++i) {
      store::ItemRecord& item = items.emplace_back();
      item.key = feed + "-" + std::to_string(items_++);
      item.title = "title of " + item.key;
      item.link = "https://wire.test/" + item.key;
      for (const std::string& watch : watches) item.matches.push_back({watch, {"hook"}});
    }
    store::PollRecord poll;
    poll.at = clock_.Now();
    poll.next_due = poll.at + 600s;
    poll.status = "200";
    const Result<std::vector<store::StoryHead>> heads =
        store_->CommitPoll(feed, "https://wire.test/" + feed, poll, items, last_seq_);
    ASSERT_TRUE(heads.ok()) << heads.error().message;
    for (const store::StoryHead& head : *heads) {
      last_seq_[head.watch] = std::max(last_seq_[head.watch], head.seq);
    }
  }

  // One pass of the dispatcher; the messages it sent.
  std::vector<std::string> Pass() {
    sender_.messages.clear();
    dispatcher().Wake();
    dispatcher().DeliverDue();
    return Kinds(sender_.messages);
  }

  void Advance(std::chrono::milliseconds by) { clock_.Advance(by); }

  // The pending deliveries, each when it is next due.
  std::vector<TimePoint> PendingDue() {
    std::vector<TimePoint> due;
    const Result<std::vector<store::Delivery>> listed = store_->ListDeliveries(/*all=*/false);
    EXPECT_TRUE(listed.ok()) << listed.error().message;
    if (!listed) return due;
    for (const store::Delivery& d : *listed) {
      if (d.state == store::DeliveryState::kPending) due.push_back(d.next_attempt_at);
    }
    return due;
  }

  testing::FakeClock clock_{kStart};
  SystemRandom random_{1};
  Metrics metrics_{clock_};
  config::Config config_;
  std::unique_ptr<store::Store> store_;
  RecordingNotifier sender_;
  std::unique_ptr<Dispatcher> dispatcher_;
  std::map<std::string, std::int64_t> last_seq_;
  int items_ = 0;
};

using Strings = std::vector<std::string>;

TEST_F(DispatcherTest, WithoutALimitEachItemIsOneAlertNamingEveryWatchThatMatchedIt) {
  Enqueue(1, "wire", {"desk", "darchiev"});
  Enqueue(2);
  EXPECT_EQ(Pass(), (Strings{"a", "a", "a"}));
  ASSERT_EQ(sender_.messages[0].alerts.size(), 1u);
  EXPECT_EQ(notify::WatchNames(sender_.messages[0].alerts[0]), "desk, darchiev");
  EXPECT_TRUE(PendingDue().empty());
  EXPECT_NE(
      metrics_.Render().find("feedwatch_deliveries_total{notifier=\"hook\",result=\"sent\"} 4\n"),
      std::string::npos)
      << metrics_.Render();
}

TEST_F(DispatcherTest, WithoutALimitABacklogStillGoesOutAlertByAlert) {
  Enqueue(250);
  EXPECT_EQ(Pass(), Strings(250, "a"));
}

TEST_F(DispatcherTest, UpToTheLimitEveryItemGoesAlone) {
  notifier().max_per_hour = 5;
  Enqueue(5);
  EXPECT_EQ(Pass(), Strings(5, "a"));
}

TEST_F(DispatcherTest, PastTheLimitTheLastMessageIsADigestOfTheRest) {
  notifier().max_per_hour = 5;
  Enqueue(12);
  // Four alone, and the fifth message carries the other eight.
  EXPECT_EQ(Pass(), (Strings{"a", "a", "a", "a", "d8"}));
  EXPECT_TRUE(PendingDue().empty());
}

TEST_F(DispatcherTest, ADigestCarriesAHundredAlertsAndTheRestWaitsForTheWindow) {
  notifier().max_per_hour = 2;
  Enqueue(250);
  // One alone, one digest of a hundred; the other 149 wait. Nothing had been sent in the hour
  // when the pass counted, so they are looked at again in a minute...
  EXPECT_EQ(Pass(), (Strings{"a", "d100"}));
  std::vector<TimePoint> due = PendingDue();
  ASSERT_EQ(due.size(), 149u);
  EXPECT_EQ(due.front(), kStart + 60s);
  EXPECT_EQ(due.back(), kStart + 60s);
  // ... and then wait for the hour of the two sent.
  Advance(60s);
  EXPECT_EQ(Pass(), Strings{});
  due = PendingDue();
  ASSERT_EQ(due.size(), 149u);
  EXPECT_EQ(due.front(), kStart + 3601s);
  // Then the same again.
  Advance(3601s - 60s);
  EXPECT_EQ(Pass(), (Strings{"a", "d100"}));
  EXPECT_EQ(PendingDue().size(), 48u);
}

TEST_F(DispatcherTest, WithADigestScheduleNothingGoesAloneEvenUnderTheLimit) {
  notifier().digest = *notify::DigestSchedule::Parse("hourly");
  Enqueue(250);
  EXPECT_EQ(Pass(), (Strings{"d100", "d100", "d50"}));
}

TEST_F(DispatcherTest, MessagesSentInTheLastHourCountAgainstTheLimit) {
  notifier().max_per_hour = 5;
  Enqueue(3);
  EXPECT_EQ(Pass(), Strings(3, "a"));
  Advance(600s);
  // Two of five left: one alone, and a digest of the rest.
  Enqueue(6);
  EXPECT_EQ(Pass(), (Strings{"a", "d5"}));
  Advance(600s);
  // None left: held until the first of the five is an hour old.
  Enqueue(1);
  EXPECT_EQ(Pass(), Strings{});
  EXPECT_EQ(PendingDue(), std::vector<TimePoint>{kStart + 3601s});
  // Then the three sent first are out of the window, and it goes.
  Advance(3601s - 1200s);
  EXPECT_EQ(Pass(), Strings{"a"});
  EXPECT_TRUE(PendingDue().empty());
}

TEST_F(DispatcherTest, MessagesOnTheirWayCountAgainstTheLimit) {
  notifier().max_per_hour = 3;
  sender_.hold = true;
  Enqueue(2);
  EXPECT_EQ(Pass(), (Strings{"a", "a"}));
  EXPECT_EQ(dispatcher().sending(), 2);
  // One of three left while two are on their way: the two new items share it.
  Enqueue(2);
  EXPECT_EQ(Pass(), Strings{"d2"});
  // None left, and none sent within the hour to wait for: asked again in a minute.
  Enqueue(1);
  EXPECT_EQ(Pass(), Strings{});
  EXPECT_EQ(PendingDue().back(), kStart + 60s);
  for (auto& done : sender_.held) done(notify::SendResult::Sent());
  EXPECT_EQ(dispatcher().sending(), 0);
}

TEST_F(DispatcherTest, ARetryGoingOutAgainCountsAgainstTheLimit) {
  notifier().max_per_hour = 2;
  sender_.answer = notify::SendResult::Retry("HTTP 503");
  Enqueue(1);
  EXPECT_EQ(Pass(), Strings{"a"});
  const TimePoint retry = PendingDue().front();
  ASSERT_GT(retry, kStart);
  clock_.Advance(std::chrono::duration_cast<std::chrono::milliseconds>(retry - kStart));
  sender_.answer = notify::SendResult::Sent();
  // The retry, under its id of before, and one message for the two new items.
  Enqueue(2);
  const std::string first_id = sender_.messages.front().id;
  EXPECT_EQ(Pass(), (Strings{"a", "d2"}));
  EXPECT_EQ(sender_.messages.front().id, first_id);
}

TEST_F(DispatcherTest, APassReadsFiveHundredUnitsEachFeedsOldestFirst) {
  Enqueue(600, "flood");
  Enqueue(1, "tass");
  const Strings first = Pass();
  EXPECT_EQ(first.size(), 500u);
  bool tass = false;
  for (const notify::Message& message : sender_.messages) tass |= message.alerts[0].feed == "tass";
  EXPECT_TRUE(tass) << "a flood does not hold another feed's alert back";
  EXPECT_EQ(Pass().size(), 101u);
}

TEST_F(DispatcherTest, TheOutboxIsReadOnceASecondWhileBusyAndEveryFiveWhileIdleUnlessWoken) {
  dispatcher().DeliverDue();  // the first pass reads: nothing
  Enqueue(1);                 // by another instance: nothing wakes this one
  dispatcher().DeliverDue();
  Advance(1s);
  dispatcher().DeliverDue();
  EXPECT_TRUE(sender_.messages.empty()) << "the last read found nothing: 5 s";
  Advance(4s);
  dispatcher().DeliverDue();
  EXPECT_EQ(Kinds(sender_.messages), Strings{"a"});
  Enqueue(1);  // the last read found work: once a second
  dispatcher().DeliverDue();
  EXPECT_EQ(sender_.messages.size(), 1u);
  Advance(1s);
  dispatcher().DeliverDue();
  EXPECT_EQ(Kinds(sender_.messages), (Strings{"a", "a"}));
  Enqueue(1);
  dispatcher().Wake();  // this instance committed it: read at once
  dispatcher().DeliverDue();
  EXPECT_EQ(sender_.messages.size(), 3u);
}

TEST_F(DispatcherTest, AnOutboxCountedEmptyPutsTheIdleReadOffUntilACountFindsSome) {
  dispatcher().DeliverDue();  // the first pass reads: nothing
  Advance(4s);
  dispatcher().OutboxCounted(0);  // the housekeeping counted nothing pending
  Enqueue(1);                     // then another instance committed one, and stopped
  for (int round = 0; round < 3; ++round) {
    Advance(5s);
    dispatcher().DeliverDue();  // due to read idly at the moment the next count comes
    EXPECT_TRUE(sender_.messages.empty()) << "round " << round;
    dispatcher().OutboxCounted(0);  // a count that missed it
  }
  Advance(5s);
  dispatcher().OutboxCounted(1);  // the next count finds it: read at once
  dispatcher().DeliverDue();
  EXPECT_EQ(Kinds(sender_.messages), Strings{"a"});
  // A wake is never put off.
  Enqueue(1);
  dispatcher().Wake();
  dispatcher().OutboxCounted(0);
  dispatcher().DeliverDue();
  EXPECT_EQ(sender_.messages.size(), 2u);
  // Without counts (the housekeeping could not count), the idle read comes every 5 s.
  Advance(1s);
  dispatcher().DeliverDue();  // nothing: idle from now on
  Enqueue(1);
  Advance(4s);
  dispatcher().DeliverDue();
  EXPECT_EQ(sender_.messages.size(), 2u);
  Advance(1s);
  dispatcher().DeliverDue();
  EXPECT_EQ(sender_.messages.size(), 3u);
}

}  // namespace
}  // namespace feedwatch::daemon
