// The XML tree: ReadWellFormed, the fast reader of well-formed documents, against pugixml, the
// reader of everything else. Wherever ReadWellFormed accepts a document it must build the very
// tree pugixml builds, or feeds would read differently depending on which reader took them.
#include "feeds/internal/xml_tree.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <random>
#include <sstream>

#include "base/text.h"
#include "feeds/encoding.h"
#include "feeds/html_text.h"
#include "feeds/internal/xml_read.h"
#include "feeds/internal/xml_repair.h"
#include "tests/support/support.h"

namespace feedwatch::feeds::internal {
namespace {

namespace fs = std::filesystem;

// ReadWellFormed's tree of `xml`, having checked that pugixml reads it the same way.
std::optional<XmlTree> Read(std::string& xml) {
  EXPECT_TRUE(AgreesWithPugixml(xml));
  return ReadWellFormed(xml);
}

// The text of the first element named `name`, as DirectText would give it for a single node.
std::string TextOf(const XmlTree& tree, std::string_view name) {
  for (uint32_t i = 0; i < tree.size(); ++i) {
    if (tree.node(i).name() == name) return std::string(tree.node(i).first_child().value());
  }
  return "<none>";
}

TEST(ReadWellFormed, BuildsWhatPugixmlBuildsForEveryFixtureWholeCutAndCorrupted) {
  std::mt19937 random(20261126);  // fixed: a failure reproduces
  size_t accepted_fixtures = 0;
  size_t accepted_variants = 0;
  size_t fixtures = 0;
  for (const fs::directory_entry& entry :
       fs::recursive_directory_iterator(testing::DataDir() / "feeds")) {
    const std::string name = entry.path().filename().string();
    if (!entry.is_regular_file() || name.find(".expected") != std::string::npos) continue;
    SCOPED_TRACE(name);
    ++fixtures;
    const std::string text = DecodeToUtf8(testing::ReadFile(entry.path()), "").text;
    bool accepted = false;
    EXPECT_TRUE(AgreesWithPugixml(text, &accepted));
    accepted_fixtures += accepted ? 1 : 0;
    const size_t step = std::max<size_t>(1, text.size() / 30);
    for (size_t cut = 0; cut < text.size(); cut += step) {
      EXPECT_TRUE(AgreesWithPugixml(std::string_view(text).substr(0, cut))) << "cut at " << cut;
    }
    for (int round = 0; round < 30; ++round) {
      std::string corrupted = text;
      corrupted[random() % corrupted.size()] = "<>&;\"'/= \r\nx]?!-#"[random() % 18];
      EXPECT_TRUE(AgreesWithPugixml(corrupted, &accepted)) << corrupted;
      accepted_variants += accepted ? 1 : 0;
    }
  }
  // Most fixtures are well-formed, and so are many of their corruptions (a letter for a letter):
  // the comparison above is not vacuous.
  EXPECT_GT(fixtures, 100u);
  EXPECT_GT(accepted_fixtures, fixtures / 2);
  EXPECT_GT(accepted_variants, fixtures * 5);
}

// What InnerXml gave when the tree was pugixml's: text escaped as HTML, CDATA as it is, elements
// as pugixml prints them.
std::string PugixmlInnerXml(const pugi::xml_node& node) {
  std::ostringstream out;
  for (const pugi::xml_node child : node.children()) {
    if (child.type() == pugi::node_pcdata) out << HtmlEscape(child.value());
    if (child.type() == pugi::node_cdata) out << child.value();
    if (child.type() == pugi::node_element) child.print(out, "", pugi::format_raw);
  }
  return out.str();
}

// Inline XHTML content (Atom type="xhtml", markup written in an RSS description) is kept as
// markup for alerts: InnerXml writes what pugixml's printer wrote, for every element of every
// fixture and of a document with the characters that need escaping.
TEST(InnerXml, WritesWhatPugixmlWrote) {
  std::vector<std::string> documents = {
      "<r><p a='x&quot;y&apos;z&gt;&lt;&amp;&#9;&#10;&#1;'>t&gt;&lt;&amp;&#1;&#9;\"'<b/>"
      "<![CDATA[c]]d<]]>&#13;<i>e</i></p></r>"};
  for (const fs::directory_entry& entry :
       fs::recursive_directory_iterator(testing::DataDir() / "feeds")) {
    const std::string name = entry.path().filename().string();
    if (entry.is_regular_file() && name.find(".expected") == std::string::npos) {
      documents.push_back(DecodeToUtf8(testing::ReadFile(entry.path()), "").text);
    }
  }
  size_t compared = 0;
  for (std::string& xml : documents) {
    pugi::xml_document document;
    if (!ParseStrictly(xml, document).result) continue;
    std::vector<pugi::xml_node> in_order;  // the nodes the tree holds, in document order
    for (pugi::xml_node node = document.first_child(); node;) {
      in_order.push_back(node);
      if (node.first_child()) {
        node = node.first_child();
        continue;
      }
      while (node && !node.next_sibling()) node = node.parent();
      if (node) node = node.next_sibling();
    }
    const std::optional<XmlTree> tree = ReadWellFormed(xml);
    if (!tree) continue;
    ASSERT_EQ(tree->size(), in_order.size() + 1);
    for (uint32_t i = 1; i < tree->size(); ++i) {
      if (tree->node(i).kind() != NodeKind::kElement) continue;
      EXPECT_EQ(InnerXml(tree->node(i)), PugixmlInnerXml(in_order[i - 1]));
      ++compared;
    }
  }
  EXPECT_GT(compared, 1000u);
}

TEST(ReadWellFormed, DecodesReferencesLineEndsAndAttributeWhitespaceAsPugixmlDoes) {
  std::string xml =
      "<?xml version=\"1.0\"?>\r\n<!-- c -->\r\n<rss a=\"x&#9;y\r\nz&amp;\">"
      "<t>A&lt;b&gt; &amp;amp; &quot;&apos; &#65;&#x42; &nbsp;&mdash;&AMP;\r\nline\rend</t>"
      "<c><![CDATA[one\r\ntwo &amp;]]></c></rss>";
  const std::optional<XmlTree> tree = Read(xml);
  ASSERT_TRUE(tree);
  EXPECT_EQ(tree->root().attribute("a"), "x\ty z&");
  EXPECT_EQ(TextOf(*tree, "t"), "A<b> &amp; \"' AB \u00A0\u2014&\nline\nend");
  EXPECT_EQ(TextOf(*tree, "c"), "one\ntwo &amp;");
}

// RSS 0.91 feeds name their DTD; pugixml skips the DOCTYPE, and expands nothing.
TEST(ReadWellFormed, SkipsADoctypeThatNamesADtd) {
  std::string xml =
      "<?xml version=\"1.0\"?>\n<!DOCTYPE rss PUBLIC \"-//Netscape Communications//DTD RSS "
      "0.91//EN\"\n 'http://my.netscape.com/publish/formats/rss-0.91.dtd'>\n<rss "
      "version=\"0.91\"><channel/></rss>";
  const std::optional<XmlTree> tree = Read(xml);
  ASSERT_TRUE(tree);
  EXPECT_EQ(tree->root().name(), "rss");
  EXPECT_EQ(tree->root().first_child().name(), "channel");
}

// Feeds write "AT&T" and unescaped query strings; pugixml reads such an '&' as text.
TEST(ReadWellFormed, KeepsAnAmpersandThatStartsNoReferenceAsText) {
  std::string xml = "<rss a='?x=1&y=2'><t>AT&T &bogus; &amp &#38;&</t></rss>";
  const std::optional<XmlTree> tree = Read(xml);
  ASSERT_TRUE(tree);
  EXPECT_EQ(tree->root().attribute("a"), "?x=1&y=2");
  EXPECT_EQ(TextOf(*tree, "t"), "AT&T &bogus; &amp &&");
}

TEST(ReadWellFormed, DeclinesWhatItDoesNotVouchFor) {
  using namespace std::string_literals;
  for (std::string xml : std::vector<std::string>{
           "<!DOCTYPE rss [<!ENTITY a 'b'>]><rss/>",   // an internal subset: pugixml's to read
           "<!DOCTYPE rss <!ELEMENT rss ANY>><rss/>",  // markup inside a DOCTYPE
           "<rss><t>&nGt;</t></rss>",                  // a reference longer decoded than written
           "<rss><t>&#0;</t></rss>",                   // no character
           "<rss><t>&#xD800;</t></rss>",               // a surrogate
           "<rss><t>&#X41;</t></rss>",                 // text to pugixml, which knows only "&#x"
           "<rss><t>&#65</t></rss>",                   // a numeric reference without its ';'
           "<rss>\0</rss>"s,                           // NUL
           "<rss><item></rss>",                        // mismatched tags
           "<rss><item>",                              // truncated
           "<rss a=1/>",                               // an unquoted attribute
           "<rss a='1'b='2'/>",                        // attributes not apart
           "<rss a='<'/>",                             // '<' in an attribute value
           "<rss/><rss/>",                             // two root elements
           "text<rss/>",                               // text before the root
           "<rss><?pi x?></rss>",                      // a processing instruction inside
           "<rss><![CDATA[x]]</rss>",                  // an unterminated CDATA section
           // "<!--" where it starts no comment: ReplaceHtmlReferences would take it for one
           "<?pi <!-- ?><rss>&nbsp;</rss>",           // in a processing instruction
           "<!DOCTYPE rss '<!--'><rss>&nbsp;</rss>",  // in a DOCTYPE
       }) {
    SCOPED_TRACE(xml);
    EXPECT_FALSE(Read(xml));
  }
}

}  // namespace
}  // namespace feedwatch::feeds::internal
