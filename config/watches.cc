// [terms] and [[watch]]: the queries, the term lists they share, and where each sends.
#include <algorithm>
#include <cctype>
#include <map>
#include <regex>

#include "base/text.h"
#include "config/sections.h"

namespace feedwatch::config {
namespace {

// Where in the file a query error points: inside the string that starts at `value`. A
// multi-line string (''' or """) starts on the line after its delimiter, as TOML drops that
// first line break.
toml::source_position QueryErrorPosition(const Reader& reader, toml::source_position value,
                                         const Error& error) {
  const std::string_view source = reader.Line(value.line);
  if (error.line <= 0 || error.column <= 0 || value.line == 0 || source.empty()) return value;
  const auto line = static_cast<toml::source_index>(error.line);
  const auto column = static_cast<toml::source_index>(error.column);
  // toml++ columns count characters, like the query's.
  const auto continuation = [&](size_t i) {
    return (static_cast<unsigned char>(source[i]) & 0xC0) == 0x80;
  };
  size_t byte = 0;
  for (unsigned c = 1; c < value.column && byte < source.size(); ++c) {
    ++byte;
    while (byte < source.size() && continuation(byte)) ++byte;
  }
  const std::string_view rest = source.substr(std::min(byte, source.size()));
  const bool multi_line = rest.starts_with("'''") || rest.starts_with(R"(""")");
  if (multi_line) return {value.line + line, column};
  if (line != 1) return value;
  return {value.line, value.column + column};  // past the opening quote
}

// A query's error message in the file's frame: without the query's own "L:C: " (the diagnostic
// stands at the file position), and another position it names ("opened at 1:3") as the file's
// line and column.
std::string QueryMessage(const Reader& reader, toml::source_position value, const Error& error) {
  static const std::regex lead(R"(^\d+:\d+: )");
  static const std::regex position(R"(at (\d+):(\d+))");
  std::string message = std::regex_replace(error.message, lead, "");
  std::smatch at;
  if (std::regex_search(message, at, position)) {
    Error there = error;
    there.line = std::stoi(at[1]);
    there.column = std::stoi(at[2]);
    const toml::source_position file = QueryErrorPosition(reader, value, there);
    message = at.prefix().str() + "at line " + std::to_string(file.line) + ", column " +
              std::to_string(file.column) + at.suffix().str();
  }
  return message;
}

// Whether `query` names a term list already reported broken: its own error would repeat it.
bool UsesBrokenTerms(const std::set<std::string>& broken, std::string_view query) {
  return std::any_of(broken.begin(), broken.end(), [&](const std::string& name) {
    const std::string word = "@" + name;
    for (size_t at = query.find(word); at != std::string_view::npos;
         at = query.find(word, at + 1)) {
      const size_t end = at + word.size();
      if (end == query.size() ||
          std::string_view(" \t\r\n()").find(query[end]) != std::string_view::npos) {
        return true;
      }
    }
    return false;
  });
}

// A watch's `notify`: the notifiers it names, every one when it names none.
bool LoadWatchNotify(Reader& reader, const toml::table& table, const Notifiers& notifiers,
                     std::vector<std::string>& out) {
  const toml::node* node = table.get("notify");
  if (node == nullptr) {
    for (const NotifierConfig& notifier : notifiers.loaded) out.push_back(notifier.name);
    if (out.empty() && !notifiers.broken.empty()) return false;  // their errors say why
    if (out.empty()) {
      reader.Add(table.source().begin,
                 "[[watch]] has nowhere to send alerts: add a [[notify]] table");
      return false;
    }
    return true;
  }
  const toml::array* array = node->as_array();
  if (array == nullptr || array->empty()) {
    reader.Add(node->source().begin,
               "expected \"notify\" to be a non-empty array of notifier names");
    return false;
  }
  bool ok = true;
  for (const toml::node& element : *array) {
    const auto* value = element.as_string();
    if (value == nullptr) {
      reader.Add(element.source().begin,
                 "expected a notifier name (a string), got " + std::string(TypeName(element)));
      ok = false;
      continue;
    }
    const std::string& wanted = value->get();
    const bool known = std::any_of(notifiers.loaded.begin(), notifiers.loaded.end(),
                                   [&](const NotifierConfig& n) { return n.name == wanted; });
    if (notifiers.broken.contains(wanted)) {
      ok = false;  // defined, with an error of its own reported
      continue;
    }
    if (!known) {
      std::set<std::string> defined(notifiers.broken.begin(), notifiers.broken.end());
      for (const NotifierConfig& n : notifiers.loaded) defined.insert(n.name);
      std::string message = "unknown notifier " + Quote(wanted);
      const std::string_view best = Closest(wanted, defined);
      if (!best.empty()) {
        message += "; did you mean " + Quote(best) + "?";
      } else {
        message += "; defined notifiers:";
        for (const std::string& n : defined) message += " " + n;
        if (defined.empty()) message += " none";
      }
      reader.Add(element.source().begin, std::move(message));
      ok = false;
      continue;
    }
    out.push_back(wanted);
  }
  return ok;
}

// Whether "HOST:PORT" listens on a loopback address only (127.0.0.0/8, ::1, localhost).
bool IsLoopbackListener(std::string_view listen) {
  const std::string_view host = listen.substr(0, listen.rfind(':'));
  return host == "localhost" || host == "[::1]" || host.starts_with("127.");
}

}  // namespace

// [terms]: NAME = ["word", "two words", "prefix*", "=US", "@other"], or one string. Every list
// is checked here, each problem said at its entry; the queries that use one then need not
// repeat its problems.
Terms LoadTerms(Reader& reader, const toml::table& root) {
  Terms terms;
  terms.lists = std::make_shared<filters::TermLists>();
  const toml::table* section = reader.Section(root, "terms");
  if (section == nullptr) return terms;
  std::vector<std::pair<std::string, const toml::node*>> lists;
  for (const auto& [key, node] : *section) {
    const std::string name(key.str());
    if (name.empty() || !std::all_of(name.begin(), name.end(), [](char c) {
          return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
        })) {
      reader.Add(key.source().begin,
                 "a term list's name is letters, digits, '_' and '-' (it is used as "
                 "@name in queries), not " +
                     Quote(name));
      continue;
    }
    std::vector<std::string> entries;
    bool ok = true;
    if (const auto* value = node.as_string()) {
      terms.lists->AddExpression(name, value->get());
      lists.emplace_back(name, &node);
      continue;
    }
    if (const toml::array* array = node.as_array()) {
      for (const toml::node& element : *array) {
        if (const auto* entry = element.as_string()) {
          entries.push_back(entry->get());
        } else {
          reader.Add(element.source().begin, "expected each entry of [terms] " + Quote(name) +
                                                 " to be a string, got " +
                                                 std::string(TypeName(element)));
          ok = false;
        }
      }
    } else {
      reader.Add(node.source().begin, "expected [terms] " + Quote(name) +
                                          " to be a list of words and phrases, or a query, got " +
                                          std::string(TypeName(node)));
      ok = false;
    }
    if (!ok) continue;
    terms.lists->Add(name, std::move(entries));
    lists.emplace_back(name, &node);
  }
  for (const auto& [name, node] : lists) {
    const Status checked = terms.lists->Check(name);
    if (checked) continue;
    // Where the problem is: in an expression, as in a query; in a list, at the entry, which
    // Check() numbers from 1 in `line`.
    toml::source_position where = node->source().begin;
    const toml::array* array = node->as_array();
    const auto entry = static_cast<size_t>(checked.error().line);
    if (array == nullptr) {
      where = QueryErrorPosition(reader, where, checked.error());
    } else if (entry >= 1 && entry <= array->size()) {
      where = (*array)[entry - 1].source().begin;
    }
    reader.Add(where, "[terms] " + Quote(name) + ": " + checked.error().message);
    terms.broken.insert(name);
  }
  return terms;
}

std::vector<WatchConfig> LoadWatches(Reader& reader, const toml::table& root, const Terms& terms,
                                     const Notifiers& notifiers) {
  std::vector<WatchConfig> watches;
  std::map<std::string, toml::source_index> first_line;
  for (const toml::table* table : reader.TableArray(root, "watch")) {
    reader.CheckKeys(*table,
                     {"name", "query", "scope", "accent_folding", "notify", "feed_token_file"},
                     "[[watch]]");
    WatchConfig watch;
    const auto name = reader.Name(*table, "[[watch]]", first_line, "watch");
    const auto query = reader.String(*table, "query", "[[watch]]", true);
    const auto accent_folding = reader.Bool(*table, "accent_folding");
    bool ok = name && query && accent_folding;
    watch.accent_folding = accent_folding.value_or(false);
    if (const auto scope = reader.String(*table, "scope", "[[watch]]", false)) {
      if (const std::optional<filters::Scope> known = filters::ScopeNamed(*scope)) {
        watch.scope = *known;
      } else {
        reader.Add(table->get("scope")->source().begin,
                   "expected \"scope\" to be \"passage\" (the evidence in one passage, with the "
                   "title) or \"item\" (anywhere in the item), got " +
                       Quote(*scope));
        ok = false;
      }
    } else if (table->get("scope") != nullptr) {
      ok = false;
    }
    if (query) {
      Result<filters::Query> compiled = filters::Query::Parse(
          *query,
          {.fold_accents = watch.accent_folding, .scope = watch.scope, .lists = terms.lists.get()});
      if (compiled) {
        watch.query = std::make_shared<const filters::Query>(std::move(*compiled));
      } else {
        if (!UsesBrokenTerms(terms.broken, *query)) {
          const toml::source_position at = table->get("query")->source().begin;
          reader.Add(QueryErrorPosition(reader, at, compiled.error()),
                     "watch " + Quote(name.value_or("?")) +
                         ": query: " + QueryMessage(reader, at, compiled.error()));
        }
        ok = false;
      }
    }
    ok = LoadWatchNotify(reader, *table, notifiers, watch.notify) && ok;
    if (table->get("feed_token_file") != nullptr) {
      if (auto token = reader.Secret(*table, "feed_token_file", "[[watch]]", true)) {
        if (token->empty() ||
            token->find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                     "0123456789-._~") != std::string::npos) {
          reader.Add(table->get("feed_token_file")->source().begin,
                     "the token in " + Quote(table->get("feed_token_file")->as_string()->get()) +
                         " must be letters, digits, '-', '.', '_' or '~' (it goes in a URL)");
          ok = false;
        }
        watch.feed_token = std::move(*token);
      } else {
        ok = false;
      }
    }
    if (!ok) continue;
    watch.name = *name;
    watch.query_text = *query;
    watches.push_back(std::move(watch));
  }
  return watches;
}

void WarnOfOpenWatches(Reader& reader, const toml::table& root, const Config& config) {
  const std::string& listen = config.daemon.metrics_listen;
  if (listen.empty() || IsLoopbackListener(listen)) return;
  std::string open;
  int count = 0;
  for (const WatchConfig& watch : config.watches) {
    if (!watch.feed_token.empty()) continue;
    if (++count <= 5) open += (open.empty() ? "" : ", ") + watch.name;
  }
  if (count == 0) return;
  if (count > 5) open += " and " + std::to_string(count - 5) + " more";
  // A listen address that was set is one that loaded, at [daemon] metrics_listen.
  reader.Warn(root.at_path("daemon.metrics_listen").node()->source().begin,
              "metrics_listen " + Quote(listen) +
                  " is reachable from other hosts, and anyone who reaches it can read the stories "
                  "of the watches without a feed_token_file (" +
                  open + ") at /feeds/WATCH.atom; give them one, or listen on 127.0.0.1");
}

}  // namespace feedwatch::config
