// The commands on the outbox, the deliveries the daemon has yet to send: `outbox` lists them
// and `outbox retry` queues them again. Errors: OpenExisting's (Config; NotFound before the
// first poll; Io), and Io from the store.
#pragma once

#include <cstdint>
#include <ostream>
#include <vector>

#include "base/result.h"
#include "cli/inputs.h"

namespace feedwatch::cli {

// Deliveries not sent yet (pending, dead) with their last error; with `all`, sent ones as well.
Status PrintOutbox(const Paths& paths, bool all, std::ostream& out);

// Due again now, as if new, the deliveries `ids` or, with `dead`, every dead one: a running
// daemon sends them within seconds. Usage unless exactly one of the two is given. Every ID is
// tried, each failure on `err`; the last decides the error: InvalidInput (no such delivery, or
// one sent already, its message printed already: empty) or Io.
Status RetryOutbox(const Paths& paths, const std::vector<std::int64_t>& ids, bool dead,
                   std::ostream& out, std::ostream& err);

}  // namespace feedwatch::cli
