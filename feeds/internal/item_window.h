// Internal to feeds/: which items of a long feed a reader reads. A poll reads at most
// ParseOptions::max_items: past it, the first half and the last half in document order, so
// that the newest items are read whether the feed lists them first (most do) or last (an
// append-only archive), and the middle is skipped with a warning.
#pragma once

#include <cstddef>
#include <string>

#include "feeds/feed.h"

namespace feedwatch::feeds::internal {

class ItemWindow {
 public:
  // Over `count` items, at most `max_items` of them (0: every one).
  ItemWindow(size_t count, size_t max_items)
      : count_(count),
        head_(max_items == 0 || count <= max_items ? count : (max_items + 1) / 2),
        tail_(max_items == 0 || count <= max_items ? 0 : max_items / 2) {}

  // Whether the item at `index` (in document order) is read.
  bool Reads(size_t index) const { return index < head_ || index >= count_ - tail_; }
  // The first item of the last half, past the skipped middle.
  size_t tail_start() const { return count_ - tail_; }
  size_t head() const { return head_; }
  bool cut() const { return head_ + tail_ < count_; }

  // Says in `feed` what was skipped, when anything was.
  void Warn(Feed& feed) const {
    if (!cut()) return;
    feed.warnings.push_back("the feed lists " + std::to_string(count_) +
                            " items, more than max_items (" + std::to_string(head_ + tail_) +
                            "): read the first " + std::to_string(head_) + " and the last " +
                            std::to_string(tail_) + ", skipped " +
                            std::to_string(count_ - head_ - tail_) + " between them");
  }

 private:
  size_t count_;
  size_t head_;
  size_t tail_;
};

}  // namespace feedwatch::feeds::internal
