#include "daemon/item_document.h"

#include <string>

namespace feedwatch::daemon {

filters::Document ItemDocument(const feeds::Item& item, std::string_view feed_names,
                               bool fold_accents, std::string_view article,
                               filters::FieldMask searched) {
  std::string categories;  // one per line: a phrase does not run from one into the next
  if ((searched & filters::Bit(filters::Field::kCategory)) != 0) {
    for (const std::string& category : item.categories) categories += category + '\n';
  }
  // A feed that carries the whole text has nothing to gain from the page, whose extraction
  // may have missed a paragraph; one that carries a lede or a teaser does.
  const bool from_article = article.size() > item.content_text.size();
  return filters::Document({.title = item.title,
                            .summary = item.summary_text,
                            .content = from_article ? article : item.content_text,
                            .author = item.author,
                            .category = categories,
                            .feed = feed_names,
                            .link = item.link,
                            .content_label = from_article ? "article" : ""},
                           fold_accents, searched);
}

}  // namespace feedwatch::daemon
