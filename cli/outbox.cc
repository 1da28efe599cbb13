#include "cli/outbox.h"

#include <map>
#include <string>

#include "base/text.h"

namespace feedwatch::cli {

Status PrintOutbox(const Paths& paths, bool all, std::ostream& out) {
  Result<Existing> existing = OpenExisting(paths);
  if (!existing) return existing.error();
  Result<std::vector<store::Delivery>> deliveries = existing->store->ListDeliveries(all);
  if (!deliveries) return deliveries.error();
  const TimePoint now = SystemClock().Now();
  std::map<store::DeliveryState, int> counts;
  out << Printf("%-6s %-14s %-8s %-8s %-10s %-16s %s\n", "ID", "NOTIFIER", "STATE", "ATTEMPTS",
                "NEXT", "WATCH", "TITLE");
  for (const store::Delivery& d : *deliveries) {
    ++counts[d.state];
    const std::string next =
        d.state == store::DeliveryState::kPending ? Ago(d.next_attempt_at, now) : "-";
    out << Printf("%-6lld %-14s %-8s %-8d %-10s %-16s %s\n", static_cast<long long>(d.id),
                  d.notifier.c_str(), std::string(store::DeliveryStateName(d.state)).c_str(),
                  d.attempts, next.c_str(), d.watch.c_str(), d.title.c_str());
    if (!d.last_error.empty()) out << "       last error: " << d.last_error << "\n";
  }
  out << counts[store::DeliveryState::kPending] << " pending, "
      << counts[store::DeliveryState::kDead] << " dead";
  if (all) out << ", " << counts[store::DeliveryState::kSent] << " sent";
  out << "\n";
  return Status::Ok();
}

Status RetryOutbox(const Paths& paths, const std::vector<std::int64_t>& ids, bool dead,
                   std::ostream& out, std::ostream& err) {
  if (ids.empty() == !dead) return Error::Usage("outbox retry: give delivery IDs or --dead");
  Result<Existing> existing = OpenExisting(paths);
  if (!existing) return existing.error();
  store::Store& store = *existing->store;
  const TimePoint now = SystemClock().Now();
  if (dead) {
    Result<int> count = store.RetryDead(now);
    if (!count) return count.error();
    out << Counted(*count, "dead delivery", "dead deliveries") << " queued again\n";
    return Status::Ok();
  }
  Status result;
  for (const std::int64_t id : ids) {
    if (Status s = store.Retry(id, now); !s) {
      err << s.error().message << "\n";
      result = s.error().code == Error::Code::kIo ? s.error() : Error::InvalidInput("");
      continue;
    }
    out << "delivery " << id << " queued again\n";
  }
  return result;
}

}  // namespace feedwatch::cli
