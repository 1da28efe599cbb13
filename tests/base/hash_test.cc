#include "base/hash.h"

#include <gtest/gtest.h>

#include <string>

#include "base/text.h"

namespace feedwatch {
namespace {

TEST(Sha256, IsTheStandardDigest) {
  // FIPS 180-2, appendix B.1 and B.2.
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(Sha256Hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(Sha256().Add("ab").Add("").Add("c").Hex(), Sha256Hex("abc"));
}

TEST(Sha256, InPartsIsTheDigestOfTheJoinedText) {
  // What item keys and content hashes are stored as: their values must not change with how
  // they are worked out.
  const std::string title = "Darchiev: the \"Moscow round\" is ready";
  for (const std::string& body :
       {std::string(), std::string("one paragraph"), std::string("first\nsecond\n\nfourth\n"),
        std::string("\n"), std::string(100'000, '\n'), std::string("Дарчиев\nпосол\n")}) {
    EXPECT_EQ(Sha256().Add(title).Add("\n").AddAsLine(body).Hex(),
              Sha256Hex(title + '\n' + ParagraphsAsLine(body)))
        << body.size();
  }
}

}  // namespace
}  // namespace feedwatch
