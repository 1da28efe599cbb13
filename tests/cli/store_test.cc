// store copy, in process, between SQLite files.
#include "cli/store.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <sstream>
#include <string>

#include "tests/cli/local_config.h"
#include "tests/support/support.h"

namespace feedwatch::cli {
namespace {

TEST(StoreCopy, CopiesEveryTableAndOnlyIntoAnEmptyStore) {
  const testing::TempDir dir;
  ASSERT_TRUE(RunOnce(WriteLocalConfig(dir.path())).status.ok());
  const std::string source = (dir.path() / "state" / "feedwatch.db").string();
  const std::string target = (dir.path() / "copy.db").string();
  std::ostringstream out;
  const Status copied = CopyStore(source, target, out);
  EXPECT_TRUE(copied.ok()) << copied.error().message;
  EXPECT_EQ(out.str(),
            "copied " + source + " to " + target + ": 1 feeds 4 items 1 matches 1 deliveries\n");

  std::ostringstream again;
  const Status refused = CopyStore(source, target, again);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, Error::Code::kInvalidInput);  // 65
  EXPECT_NE(refused.error().message.find("holds feedwatch state already; copy into an empty store"),
            std::string::npos)
      << refused.error().message;
  EXPECT_EQ(again.str(), "");

  const Status same = CopyStore(source, source, again);
  ASSERT_FALSE(same.ok());
  EXPECT_EQ(same.error().code, Error::Code::kUsage);
  EXPECT_EQ(same.error().message, "store copy: --from and --to are the same store");
}

TEST(StoreCopy, OfAStoreAlteredByHandSaysWhichColumn) {
  const testing::TempDir dir;
  ASSERT_TRUE(RunOnce(WriteLocalConfig(dir.path())).status.ok());
  const std::filesystem::path source = dir.path() / "state" / "feedwatch.db";
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(source.c_str(), &db), SQLITE_OK);
  EXPECT_EQ(sqlite3_exec(db, "ALTER TABLE meta ADD COLUMN extra TEXT", nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);

  std::ostringstream out;
  const Status copy = CopyStore(source.string(), (dir.path() / "copy.db").string(), out);
  ASSERT_FALSE(copy.ok());
  EXPECT_EQ(copy.error().code, Error::Code::kInvalidInput);  // 65, EX_DATAERR: not a crash
  EXPECT_NE(copy.error().message.find("the source's table meta has a column \"extra\" that "),
            std::string::npos)
      << copy.error().message;
}

}  // namespace
}  // namespace feedwatch::cli
