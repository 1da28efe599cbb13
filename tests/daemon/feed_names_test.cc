#include "daemon/feed_names.h"

#include <gtest/gtest.h>

namespace feedwatch::daemon {
namespace {

TEST(FeedNames, SlugsTransliterateCyrillicAndDropLatinAccents) {
  EXPECT_EQ(Slug("Новости"), "novosti");
  EXPECT_EQ(Slug("Известия"), "izvestiia");
  EXPECT_EQ(Slug("Щёлково: съезд, объём, Хабаровск"), "shchelkovo-sieezd-obieem-khabarovsk");
  EXPECT_EQ(Slug("Le Monde — À la une"), "le-monde-a-la-une");
  EXPECT_EQ(Slug("Łódź, Øresund, Straße"), "lodz-oresund-strasse");
  // Ukrainian: И is "y" where the text is Ukrainian, Й is "i" in both.
  EXPECT_EQ(Slug("Українська правда"), "ukrainska-pravda");
  EXPECT_EQ(Slug("Київ — Новини"), "kyiv-novyny");
  EXPECT_EQ(Slug("Новини й події: Київ"), "novyny-i-podii-kyiv");
  EXPECT_EQ(Slug("Мой край"), "moi-krai");
  // Nothing to write; bytes that are not UTF-8; at most 40 bytes, in whole words.
  EXPECT_EQ(Slug("★ 新闻 ★"), "");
  EXPECT_EQ(Slug("a\xFF\xFE"
                 "b"),
            "a-b");
  EXPECT_EQ(Slug("Министерство иностранных дел Российской Федерации"),
            "ministerstvo-inostrannykh-del-rossiiskoi");
  EXPECT_EQ(Slug("Министерство иностранных дел Королевства Нидерландов"),
            "ministerstvo-inostrannykh-del");
}

}  // namespace
}  // namespace feedwatch::daemon
