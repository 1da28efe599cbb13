// The commands that report what the daemon has recorded, read from its store while it runs:
// `status` (each feed's and each notifier's health), `matches` (the stories matched recently)
// and `feed` (a watch's stories as the Atom feed the listener serves). Each writes to `out`.
// Errors: OpenExisting's (Config; NotFound before the first poll; Io), and Io from the store.
#pragma once

#include <ostream>
#include <string>

#include "base/result.h"
#include "cli/inputs.h"

namespace feedwatch::cli {

// One line per configured feed, then the feeds the store knows that the configuration no longer
// lists; each notifier's outbox and last send; on a shared store, the instances seen within a
// day first. With `json`, one document with the same facts, for monitoring.
Status PrintStatus(const Paths& paths, bool json, std::ostream& out);

// The stories matched in the last `since` ("24h", "7d"), newest first, with the feeds that also
// reported each. Usage when `since` is not a duration.
Status PrintMatches(const Paths& paths, const std::string& since, std::ostream& out);

// The Atom document /feeds/WATCH.atom serves. Config when there is no such watch.
Status PrintAlertFeed(const Paths& paths, const std::string& watch, std::ostream& out);

}  // namespace feedwatch::cli
