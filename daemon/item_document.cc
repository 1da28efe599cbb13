#include "daemon/item_document.h"

#include <string>

namespace feedwatch::daemon {

filters::Document ItemDocument(const feeds::Item& item, std::string_view feed_names,
                               bool fold_accents) {
  std::string categories;  // one per line: a phrase does not run from one into the next
  for (const std::string& category : item.categories) categories += category + '\n';
  return filters::Document({.title = item.title,
                            .summary = item.summary_text,
                            .content = item.content_text,
                            .author = item.author,
                            .category = categories,
                            .feed = feed_names,
                            .link = item.link},
                           fold_accents);
}

}  // namespace feedwatch::daemon
