#include "feeds/encoding.h"

#include <gtest/gtest.h>

namespace feedwatch::feeds {
namespace {

const std::string kPosolCp1251 = "\xCF\xEE\xF1\xEE\xEB";  // "Посол"
const std::string kPosolKoi8 = "\xF0\xCF\xD3\xCF\xCC";

std::string Declared(const std::string& encoding, const std::string& body) {
  return "<?xml version=\"1.0\" encoding=\"" + encoding + "\"?><t>" + body + "</t>";
}

TEST(DecodeToUtf8, PrecedenceIsBomThenHttpThenDeclarationThenUtf8) {
  const Decoded bom = DecodeToUtf8("\xEF\xBB\xBF" + Declared("koi8-r", "Посол"), "windows-1251");
  EXPECT_EQ(bom.encoding, "utf-8");
  EXPECT_EQ(bom.source, "byte order mark");
  EXPECT_NE(bom.text.find("Посол"), std::string::npos);

  const Decoded http = DecodeToUtf8(Declared("windows-1251", kPosolKoi8), "koi8-r");
  EXPECT_EQ(http.encoding, "koi8-r");
  EXPECT_EQ(http.source, "HTTP Content-Type");
  EXPECT_NE(http.text.find("Посол"), std::string::npos);

  const Decoded declaration = DecodeToUtf8(Declared("windows-1251", kPosolCp1251), "");
  EXPECT_EQ(declaration.encoding, "windows-1251");
  EXPECT_EQ(declaration.source, "XML declaration");
  EXPECT_NE(declaration.text.find("Посол"), std::string::npos);

  const Decoded fallback = DecodeToUtf8("<t>Посол</t>", "");
  EXPECT_EQ(fallback.encoding, "utf-8");
  EXPECT_EQ(fallback.source, "default");
  EXPECT_TRUE(fallback.warning.empty());
}

TEST(DecodeToUtf8, AUtf8LabelTheBytesDisproveGivesWayToTheDeclaration) {
  const Decoded decoded = DecodeToUtf8(Declared("windows-1251", kPosolCp1251), "utf-8");
  EXPECT_EQ(decoded.encoding, "windows-1251");
  EXPECT_NE(decoded.text.find("Посол"), std::string::npos);
  EXPECT_EQ(decoded.warning, "not UTF-8 but HTTP Content-Type says utf-8; read as windows-1251");
}

TEST(DecodeToUtf8, Latin1IsReadAsWindows1252) {
  const Decoded decoded = DecodeToUtf8(Declared("iso-8859-1", "\x93quoted\x94 caf\xE9"), "");
  EXPECT_NE(decoded.text.find("“quoted” café"), std::string::npos);
}

TEST(DecodeToUtf8, InvalidSequencesAreReplacedAndCounted) {
  const Decoded decoded = DecodeToUtf8("<t>Посол \xFF and \xD0</t>", "");
  EXPECT_EQ(decoded.encoding, "utf-8");
  EXPECT_EQ(decoded.replaced, 2u);
  EXPECT_EQ(decoded.text, "<t>Посол \uFFFD and \uFFFD</t>");
  const Decoded koi8 = DecodeToUtf8(Declared("utf-16", "x"), "");  // 8-bit bytes: not UTF-16
  EXPECT_EQ(koi8.encoding, "utf-8");
  EXPECT_EQ(koi8.warning, "XML declaration says utf-16, but the bytes are 8-bit; ignored");
}

TEST(DecodeToUtf8, UnknownEncodingsAreReportedAndSkipped) {
  const Decoded decoded = DecodeToUtf8(Declared("x-martian", "ok"), "x-venusian");
  EXPECT_EQ(decoded.encoding, "utf-8");
  EXPECT_EQ(decoded.warning,
            "HTTP Content-Type names encoding \"x-venusian\", which is not known; XML "
            "declaration names encoding \"x-martian\", which is not known");
}

TEST(DecodeToUtf8, Utf16WithoutABomIsRecognisedFromItsFirstBytes) {
  const std::string utf16le("<\0t\0>\0\x1F\x04<\0/\0t\0>\0", 16);  // "<t>П</t>"
  const Decoded decoded = DecodeToUtf8(utf16le, "");
  EXPECT_EQ(decoded.encoding, "utf-16le");
  EXPECT_EQ(decoded.text, "<t>П</t>");
}

TEST(CharsetFromContentType, ReadsTheParameter) {
  EXPECT_EQ(CharsetFromContentType("text/xml; charset=\"KOI8-R\""), "koi8-r");
  EXPECT_EQ(CharsetFromContentType("application/rss+xml;charset=utf-8;q=1"), "utf-8");
  EXPECT_EQ(CharsetFromContentType("application/xml"), "");
}

}  // namespace
}  // namespace feedwatch::feeds
