// outbox and outbox retry, in process: a webhook on 127.0.0.1 refuses the alert (400), so it
// goes dead at once.
#include "cli/outbox.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <sstream>
#include <string>

#include "tests/cli/local_config.h"
#include "tests/support/support.h"

namespace feedwatch::cli {
namespace {

class OutboxTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_.server().Post("/hook", [this](const httplib::Request&, httplib::Response& res) {
      ++requests_;
      res.status = 400;
      res.set_content("refused by the test receiver", "text/plain");
    });
    server_.Start();
    const std::filesystem::path config = WriteLocalConfig(dir_.path());
    testing::WriteFile(config, testing::ReadFile(config) +
                                   "[[notify]]\nname = \"hook\"\ntype = \"webhook\"\nurl = \"" +
                                   server_.Url("/hook") + "\"\n");
    paths_.config = config.string();
  }

  testing::TempDir dir_;
  testing::LoopbackServer server_;
  std::atomic<int> requests_{0};
  Paths paths_;
};

TEST_F(OutboxTest, ListsADeadDeliveryWithWhyAndRetryQueuesItAgain) {
  ASSERT_TRUE(RunOnce(paths_.config).status.ok());
  ASSERT_EQ(requests_, 1);
  std::ostringstream out;
  const Status listed = PrintOutbox(paths_, false, out);
  EXPECT_TRUE(listed.ok()) << listed.error().message;
  const std::string text = out.str();
  EXPECT_TRUE(
      text.starts_with("ID     NOTIFIER       STATE    ATTEMPTS NEXT       WATCH"
                       "            TITLE\n"))
      << text;
  EXPECT_NE(text.find("hook           dead     1        -          darchiev         Darchiev "
                      "presents credentials at the White House\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("\n       last error: HTTP 400: refused by the test receiver\n"),
            std::string::npos)
      << text;
  EXPECT_TRUE(text.ends_with("\n0 pending, 1 dead\n")) << text;
  EXPECT_EQ(text.find("console"), std::string::npos) << "the console's delivery was sent";
  std::ostringstream all;
  ASSERT_TRUE(PrintOutbox(paths_, true, all).ok());
  EXPECT_TRUE(all.str().ends_with("\n0 pending, 1 dead, 1 sent\n")) << all.str();

  std::ostringstream retried;
  std::ostringstream err;
  const Status retry = RetryOutbox(paths_, {}, /*dead=*/true, retried, err);
  EXPECT_TRUE(retry.ok()) << retry.error().message;
  EXPECT_EQ(retried.str(), "1 dead delivery queued again\n");
  std::ostringstream after;
  ASSERT_TRUE(PrintOutbox(paths_, false, after).ok());
  EXPECT_NE(after.str().find("hook           pending  0        "), std::string::npos)
      << after.str();
  EXPECT_TRUE(after.str().ends_with("\n1 pending, 0 dead\n")) << after.str();
}

TEST_F(OutboxTest, RetryByIdSaysWhichCouldNotBeQueued) {
  ASSERT_TRUE(RunOnce(paths_.config).status.ok());
  std::ostringstream out;
  ASSERT_TRUE(PrintOutbox(paths_, false, out).ok());
  const std::string row = out.str().substr(out.str().find('\n') + 1);
  const std::int64_t id = std::stoll(row);
  std::ostringstream retried;
  std::ostringstream err;
  const Status status = RetryOutbox(paths_, {id, 999}, /*dead=*/false, retried, err);
  EXPECT_EQ(retried.str(), "delivery " + std::to_string(id) + " queued again\n");
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code, Error::Code::kInvalidInput);  // 65
  EXPECT_EQ(status.error().message, "") << "each failure is on err already";
  EXPECT_NE(err.str().find("999"), std::string::npos) << err.str();
  EXPECT_TRUE(err.str().ends_with("\n")) << err.str();
}

TEST_F(OutboxTest, RetryWantsIdsOrDeadAndNotBoth) {
  std::ostringstream out;
  std::ostringstream err;
  for (const bool dead : {false, true}) {
    const Status status = RetryOutbox(
        paths_, dead ? std::vector<std::int64_t>{1} : std::vector<std::int64_t>{}, dead, out, err);
    ASSERT_FALSE(status.ok());
    EXPECT_EQ(status.error().code, Error::Code::kUsage);
    EXPECT_EQ(status.error().message, "outbox retry: give delivery IDs or --dead");
  }
  EXPECT_EQ(out.str() + err.str(), "");
}

}  // namespace
}  // namespace feedwatch::cli
