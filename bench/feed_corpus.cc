#include "bench/feed_corpus.h"

#include <array>
#include <random>
#include <string_view>

namespace feedwatch::bench {
namespace {

constexpr std::array<std::string_view, 40> kEnglish{
    "talks",     "embassy",   "Moscow",     "Washington", "delegation", "round",   "sanctions",
    "consulate", "property",  "ambassador", "minister",   "officials",  "said",    "on",
    "Tuesday",   "the",       "of",         "and",        "markets",    "energy",  "prices",
    "rose",      "after",     "meeting",    "Istanbul",   "agreement",  "visas",   "diplomats",
    "banking",   "staff",     "report",     "government", "election",   "weather", "football",
    "league",    "inflation", "central",    "bank",       "statement"};
constexpr std::array<std::string_view, 36> kRussian{"переговоры",
                                                    "посольство",
                                                    "Москва",
                                                    "Вашингтон",
                                                    "делегация",
                                                    "раунд",
                                                    "санкции",
                                                    "консульство",
                                                    "имущество",
                                                    "посол",
                                                    "министр",
                                                    "заявил",
                                                    "во",
                                                    "вторник",
                                                    "и",
                                                    "в",
                                                    "на",
                                                    "рынки",
                                                    "энергетика",
                                                    "цены",
                                                    "выросли",
                                                    "после",
                                                    "встречи",
                                                    "Стамбуле",
                                                    "соглашение",
                                                    "визы",
                                                    "дипломаты",
                                                    "банковское",
                                                    "сотрудники",
                                                    "доклад",
                                                    "правительство",
                                                    "выборы",
                                                    "погода",
                                                    "футбол",
                                                    "инфляция",
                                                    "банк"};

class Words {
 public:
  explicit Words(uint32_t seed) : random_(seed) {}

  std::string Sentence(bool russian, int min_words, int max_words) {
    const int count = min_words + static_cast<int>(random_() % (max_words - min_words + 1));
    std::string out;
    for (int i = 0; i < count; ++i) {
      if (i > 0) out += ' ';
      out +=
          russian ? kRussian[random_() % kRussian.size()] : kEnglish[random_() % kEnglish.size()];
    }
    out[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(out[0])));
    return out;
  }

  uint32_t Next(uint32_t bound) { return static_cast<uint32_t>(random_() % bound); }

 private:
  std::mt19937 random_;
};

std::string Escape(std::string_view html) {
  std::string out;
  for (const char c : html) {
    if (c == '<') {
      out += "&lt;";
    } else if (c == '>') {
      out += "&gt;";
    } else if (c == '&') {
      out += "&amp;";
    } else if (c == '"') {
      out += "&quot;";
    } else {
      out += c;
    }
  }
  return out;
}

// `count` paragraphs of news prose; 0 gives one short one.
std::string Paragraphs(Words& words, bool russian, int count) {
  if (count == 0)
    return "<p>" + words.Sentence(russian, 10, 18) + " &mdash; " + words.Sentence(russian, 4, 8) +
           ".</p>";
  std::string html;
  for (int p = 0; p < count; ++p) {
    html += "<p>" + words.Sentence(russian, 12, 30) + ", &laquo;" + words.Sentence(russian, 3, 8) +
            "&raquo; &mdash; <a href=\"https://outlet.example/" +
            std::to_string(words.Next(100000)) + "?utm_source=rss&amp;utm_medium=feed\">" +
            words.Sentence(russian, 2, 4) + "</a>. " + words.Sentence(russian, 8, 20) +
            "&nbsp;&hellip;</p>\n";
  }
  return html;
}

std::string Date(Words& words) {
  static constexpr std::array<std::string_view, 7> kDays{"Mon", "Tue", "Wed", "Thu",
                                                         "Fri", "Sat", "Sun"};
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%s, %02u Jun 2025 %02u:%02u:%02u +0300",
                std::string(kDays[words.Next(7)]).c_str(), 1 + words.Next(28), words.Next(24),
                words.Next(60), words.Next(60));
  return buffer;
}

std::string Rss(uint32_t index, int items, int paragraphs, int ttl, bool russian, Words& words) {
  std::string out =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\" "
      "xmlns:content=\"http://purl.org/rss/1.0/modules/content/\" "
      "xmlns:dc=\"http://purl.org/dc/elements/1.1/\" xmlns:atom=\"http://www.w3.org/2005/Atom\" "
      "xmlns:media=\"http://search.yahoo.com/mrss/\">\n<channel>\n<title>Outlet " +
      std::to_string(index) + "</title>\n<link>https://outlet" + std::to_string(index) +
      ".example/</link>\n<atom:link rel=\"self\" href=\"https://outlet" + std::to_string(index) +
      ".example/rss\"/>\n<description>" + words.Sentence(russian, 4, 8) +
      "</description>\n<language>" + (russian ? "ru" : "en") + "</language>\n" +
      (ttl > 0 ? "<ttl>" + std::to_string(ttl) + "</ttl>\n" : "");
  for (int i = 0; i < items; ++i) {
    const std::string id = std::to_string(index) + "-" + std::to_string(i);
    out += "<item>\n<title>" + Escape(words.Sentence(russian, 6, 14)) +
           "</title>\n<link>https://outlet.example/news/" + id +
           "?utm_source=rss&amp;utm_campaign=feed</link>\n<guid isPermaLink=\"false\">urn:outlet:" +
           id + "</guid>\n<pubDate>" + Date(words) + "</pubDate>\n<dc:creator>" +
           words.Sentence(russian, 2, 2) + "</dc:creator>\n<category>" +
           words.Sentence(russian, 1, 2) + "</category>\n<description>" +
           Escape("<img src=\"https://cdn.example/" + id + ".jpg\"/>" +
                  Paragraphs(words, russian, paragraphs == 0 ? 0 : 1)) +
           "</description>\n<content:encoded><![CDATA[" + Paragraphs(words, russian, paragraphs) +
           "]]></content:encoded>\n<media:content url=\"https://cdn.example/" + id +
           ".jpg\" type=\"image/jpeg\" fileSize=\"48213\"/>\n</item>\n";
  }
  return out + "</channel>\n</rss>\n";
}

std::string Atom(uint32_t index, int items, int paragraphs, bool russian, Words& words) {
  std::string out =
      "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed "
      "xmlns=\"http://www.w3.org/2005/Atom\" xml:lang=\"en\">\n<title>Outlet " +
      std::to_string(index) + "</title>\n<link rel=\"alternate\" href=\"https://outlet" +
      std::to_string(index) + ".example/\"/>\n<id>urn:outlet:" + std::to_string(index) +
      "</id>\n<updated>2025-06-11T06:00:00Z</updated>\n";
  for (int i = 0; i < items; ++i) {
    const std::string id = std::to_string(index) + "-" + std::to_string(i);
    out += "<entry>\n<title type=\"html\">" + Escape(words.Sentence(russian, 6, 14)) +
           "</title>\n<link rel=\"alternate\" type=\"text/html\" href=\"/news/" + id +
           "\"/>\n<id>tag:outlet.example,2025:" + id + "</id>\n<published>2025-06-" +
           std::to_string(10 + words.Next(18)) + "T0" + std::to_string(words.Next(10)) +
           ":15:00+03:00</published>\n<updated>2025-06-28T09:00:00Z</updated>\n<author><name>" +
           words.Sentence(russian, 2, 2) + "</name></author>\n<summary type=\"html\">" +
           Escape(Paragraphs(words, russian, paragraphs == 0 ? 0 : 1)) +
           "</summary>\n<content type=\"html\">" + Escape(Paragraphs(words, russian, paragraphs)) +
           "</content>\n</entry>\n";
  }
  return out + "</feed>\n";
}

}  // namespace

GeneratedFeed MakeFeed(uint32_t index, int items, int paragraphs, int ttl) {
  Words words(index * 2654435761u + 17);
  const uint32_t kind = index % 5;  // 3 English RSS : 1 Russian RSS : 1 Atom
  GeneratedFeed feed;
  char name[32];
  std::snprintf(name, sizeof name, "feed-%05u", index);
  feed.name = name;
  if (kind == 4) {
    feed.body = Atom(index, items, paragraphs, index % 2 == 0, words);
    feed.content_type = "application/atom+xml; charset=utf-8";
  } else {
    feed.body = Rss(index, items, paragraphs, ttl, kind == 3, words);
    feed.content_type = "application/rss+xml; charset=utf-8";
  }
  return feed;
}

std::vector<GeneratedFeed> MakeCorpus(uint32_t count, int items) {
  std::vector<GeneratedFeed> feeds;
  feeds.reserve(count);
  for (uint32_t i = 0; i < count; ++i) feeds.push_back(MakeFeed(i, items));
  return feeds;
}

std::vector<GeneratedItem> MakeItems(uint32_t count) {
  Words words(7);
  std::vector<GeneratedItem> items;
  items.reserve(count);
  for (uint32_t i = 0; i < count; ++i) {
    const bool russian = i % 4 == 3;
    items.push_back({words.Sentence(russian, 6, 14), words.Sentence(russian, 20, 40),
                     words.Sentence(russian, 60, 120)});
  }
  return items;
}

}  // namespace feedwatch::bench
