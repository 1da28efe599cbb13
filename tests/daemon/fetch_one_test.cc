// FetchOne, the commands' fetch, against servers on loopback addresses.
#include "daemon/fetch_one.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <string>

#include "tests/support/support.h"

namespace feedwatch::daemon {
namespace {

// The commands that fetch one feed by hand send what the daemon sends and refuse what it
// refuses: here 127.0.0.2 plays an internal address and 127.0.0.1 an outside one.
TEST(FetchOne, SendsTheDaemonsRequestAndRefusesItsRedirectsIntoInternalAddresses) {
  testing::LoopbackServer internal("127.0.0.2");
  internal.server().Get("/secret.rss", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("<rss version=\"2.0\"><channel><title>internal</title></channel></rss>",
                    "application/rss+xml");
  });
  internal.Start();
  testing::LoopbackServer outside;
  std::string accept;
  std::string user_agent;
  outside.server().Get("/feed.rss", [&](const httplib::Request& req, httplib::Response& res) {
    accept = req.get_header_value("Accept");
    user_agent = req.get_header_value("User-Agent");
    res.set_redirect(internal.Url("/secret.rss"));
  });
  outside.Start();
  config::HttpSettings http;
  http.internal_networks = {"127.0.0.2/32"};
  const Result<Document> refused = FetchOne(outside.Url("/feed.rss"), http);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("internal address"), std::string::npos)
      << refused.error().message;
  EXPECT_EQ(accept, FeedRequest(http, nullptr, "").headers.front().substr(8));
  EXPECT_EQ(user_agent, UserAgent());
  EXPECT_TRUE(user_agent.starts_with("feedwatch/")) << user_agent;
  // A poll with validators asks conditionally.
  EXPECT_EQ(FeedRequest(http, nullptr, "http://x/", "\"v1\"", "").headers.back(),
            "If-None-Match: \"v1\"");
}

}  // namespace
}  // namespace feedwatch::daemon
