#include "cli/store.h"

#include <memory>
#include <vector>

#include "store/store.h"

namespace feedwatch::cli {

Status CopyStore(const std::string& from, const std::string& to, std::ostream& out) {
  if (from == to) return Error::Usage("store copy: --from and --to are the same store");
  Result<std::unique_ptr<store::Store>> source = store::Store::Connect(from, "");
  if (!source) return source.error();
  Result<std::unique_ptr<store::Store>> target = store::Store::Connect(to, "");
  if (!target) return target.error();
  Result<std::vector<store::TableRows>> tables = store::Store::Copy(**source, **target);
  if (!tables) return tables.error();
  out << "copied " << (*source)->location() << " to " << (*target)->location() << ":";
  for (const store::TableRows& table : *tables) {
    if (table.table != "meta") out << " " << table.rows.size() << " " << table.table;
  }
  out << "\n";
  return Status::Ok();
}

}  // namespace feedwatch::cli
