#include "config/config.h"

#include <sys/stat.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <utility>

#include "base/hash.h"
#include "base/text.h"

#define TOML_EXCEPTIONS 1
#include <toml++/toml.h>

namespace feedwatch::config {
namespace {

constexpr std::array<std::string_view, 7> kLogLevels = {"trace", "debug",    "info", "warn",
                                                        "error", "critical", "off"};

// The largest max_items and max_alerts: a poll's items are held in memory together.
constexpr int kMaxItemsLimit = 1'000'000;

std::string Quote(std::string_view s) { return "\"" + std::string(s) + "\""; }

// "0644".
std::string OctalMode(mode_t mode) {
  std::array<char, 8> text{};
  std::snprintf(text.data(), text.size(), "%04o", static_cast<unsigned>(mode & 07777));
  return text.data();
}

// Whether "HOST:PORT" listens on a loopback address only (127.0.0.0/8, ::1, localhost).
bool IsLoopbackListener(std::string_view listen) {
  const std::string_view host = listen.substr(0, listen.rfind(':'));
  return host == "localhost" || host == "[::1]" || host.starts_with("127.");
}

std::string_view TypeName(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::table:
      return "a table";
    case toml::node_type::array:
      return "an array";
    case toml::node_type::string:
      return "a string";
    case toml::node_type::integer:
      return "an integer";
    case toml::node_type::floating_point:
      return "a float";
    case toml::node_type::boolean:
      return "a boolean";
    case toml::node_type::date:
      return "a date";
    case toml::node_type::time:
      return "a time";
    case toml::node_type::date_time:
      return "a date-time";
    case toml::node_type::none:
      break;
  }
  return "nothing";
}

bool IsValidName(std::string_view name) {
  if (name.empty()) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.';
  });
}

std::string PercentEncodePath(std::string_view path) {
  static constexpr std::string_view kHex = "0123456789ABCDEF";
  std::string out;
  for (const char ch : path) {
    const auto c = static_cast<unsigned char>(ch);
    const bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                       c == '-' || c == '_' || c == '.' || c == '~' || c == '/';
    if (plain) {
      out.push_back(ch);
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xF]);
    }
  }
  return out;
}

// Collects diagnostics while walking the document so that one run reports every problem.
class Loader {
 public:
  Loader(std::string_view text, std::filesystem::path path) : path_(std::move(path)) {
    std::istringstream lines{std::string(text)};
    for (std::string line; std::getline(lines, line);) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      lines_.push_back(std::move(line));
    }
  }

  // Where in the file a query error points: inside the string that starts at `value`. A
  // multi-line string (''' or """) starts on the line after its delimiter, as TOML drops that
  // first line break.
  toml::source_position QueryErrorPosition(toml::source_position value, const Error& error) const {
    if (error.line <= 0 || error.column <= 0 || value.line == 0 || value.line > lines_.size()) {
      return value;
    }
    const auto line = static_cast<toml::source_index>(error.line);
    const auto column = static_cast<toml::source_index>(error.column);
    const std::string& source = lines_[value.line - 1];
    // toml++ columns count characters, like the query's.
    const auto continuation = [&](size_t i) {
      return (static_cast<unsigned char>(source[i]) & 0xC0) == 0x80;
    };
    size_t byte = 0;
    for (unsigned c = 1; c < value.column && byte < source.size(); ++c) {
      ++byte;
      while (byte < source.size() && continuation(byte)) ++byte;
    }
    const std::string_view rest = std::string_view(source).substr(std::min(byte, source.size()));
    const bool multi_line = rest.starts_with("'''") || rest.starts_with(R"(""")");
    if (multi_line) return {value.line + line, column};
    if (line != 1) return value;
    return {value.line, value.column + column};  // past the opening quote
  }

  // A query's error message in the file's frame: without the query's own "L:C: " (the
  // diagnostic stands at the file position), and another position it names ("opened at 1:3")
  // as the file's line and column.
  std::string QueryMessage(toml::source_position value, const Error& error) const {
    static const std::regex lead(R"(^\d+:\d+: )");
    static const std::regex position(R"(at (\d+):(\d+))");
    std::string message = std::regex_replace(error.message, lead, "");
    std::smatch at;
    if (std::regex_search(message, at, position)) {
      Error there = error;
      there.line = std::stoi(at[1]);
      there.column = std::stoi(at[2]);
      const toml::source_position file = QueryErrorPosition(value, there);
      message = at.prefix().str() + "at line " + std::to_string(file.line) + ", column " +
                std::to_string(file.column) + at.suffix().str();
    }
    return message;
  }

  void Add(const toml::source_position& where, std::string message) {
    diagnostics_.push_back({where.line, where.column, std::move(message)});
  }
  void Warn(const toml::source_position& where, const std::string& message) {
    warnings_.push_back(path_.string() + ":" + std::to_string(where.line) + ":" +
                        std::to_string(where.column) + ": warning: " + message);
  }

  // toml++'s error, said as what went wrong where an operator would look: a string left open
  // at the end of its line is reported at its opening quote.
  void AddParseError(const toml::parse_error& error) {
    const toml::source_position where = error.source().begin;
    const std::string_view description = error.description();
    if (description.find("unescaped control characters") != std::string_view::npos &&
        where.line >= 1 && where.line <= lines_.size()) {
      const std::string& line = lines_[where.line - 1];
      // toml++ counts columns in characters.
      const auto is_continuation = [](char c) {
        return (static_cast<unsigned char>(c) & 0xC0) == 0x80;
      };
      size_t byte = 0;
      for (toml::source_index c = 1; c < where.column && byte < line.size(); ++c) {
        ++byte;
        while (byte < line.size() && is_continuation(line[byte])) ++byte;
      }
      // The string still open at the end of the line: strings closed before it are skipped.
      const size_t equals = line.find('=');
      size_t quote = std::string::npos;
      for (size_t i = equals == std::string::npos ? 0 : equals + 1; i < line.size(); ++i) {
        if (quote == std::string::npos) {
          if (line[i] == '"' || line[i] == '\'') quote = i;
        } else if (line[quote] == '"' && line[i] == '\\') {
          ++i;  // an escape in a basic string
        } else if (line[i] == line[quote]) {
          quote = std::string::npos;
        }
      }
      if (quote != std::string::npos && quote < byte &&
          line.find_first_not_of(" \t\r", byte) == std::string::npos) {
        const char mark = line[quote];
        const auto column = static_cast<toml::source_index>(
            1 + std::count_if(line.begin(), line.begin() + static_cast<std::ptrdiff_t>(quote),
                              [&](char c) { return !is_continuation(c); }));
        Add({where.line, column},
            std::string("this string is not closed on its line: a ") + mark + "..." + mark +
                " string ends on the line it starts on; close it with " + mark +
                ", or write a text over several lines between ''' and '''");
        return;
      }
    }
    Add(where, std::string(description));
  }

  Result<Config> Load(std::string_view text) {
    toml::table root;
    try {
      root = toml::parse(text, path_.string());
    } catch (const toml::parse_error& error) {
      AddParseError(error);
      return Finish(Config{});
    }
    Config config;
    config.path = path_;
    CheckKeys(root,
              {"daemon", "http", "store", "defaults", "smtp", "feed", "terms", "watch", "notify"},
              "the top level");
    LoadDaemon(root, config.daemon);
    LoadStore(root, config.store);
    LoadHttp(root, config.http);
    LoadDefaults(root);
    config.schedule.max_backoff = max_backoff_;
    LoadSmtp(root, config.smtp);
    LoadNotifiers(root, config);
    LoadFeeds(root, config.feeds);
    config.terms = LoadTerms(root);
    LoadWatches(root, config);
    WarnOfOpenWatches(config);
    config.warnings = std::move(warnings_);
    return Finish(std::move(config));
  }

 private:
  struct Diagnostic {
    toml::source_index line;
    toml::source_index column;
    std::string message;
  };

  Result<Config> Finish(Config config) {
    if (diagnostics_.empty()) return config;
    std::stable_sort(diagnostics_.begin(), diagnostics_.end(), [](const auto& a, const auto& b) {
      return std::pair(a.line, a.column) < std::pair(b.line, b.column);
    });
    std::string out;
    for (const Diagnostic& d : diagnostics_) {
      if (!out.empty()) out += '\n';
      out += path_.string() + ":" + std::to_string(d.line) + ":" + std::to_string(d.column) + ": " +
             d.message;
      if (d.line >= 1 && d.line <= lines_.size()) out += "\n" + Caret(lines_[d.line - 1], d.column);
    }
    return Error::Config(std::move(out));
  }

  void CheckKeys(const toml::table& table, std::initializer_list<std::string_view> known,
                 std::string_view section) {
    for (const auto& [key, node] : table) {
      const std::string_view name = key.str();
      if (std::find(known.begin(), known.end(), name) != known.end()) continue;
      std::string message = "unknown key " + Quote(name) + " in " + std::string(section);
      const std::string_view best = Closest(name, known);
      if (!best.empty()) {
        message += "; did you mean " + Quote(best) + "?";
      } else {
        message += "; expected one of:";
        for (const std::string_view candidate : known) message += " " + std::string(candidate);
      }
      Add(key.source().begin, std::move(message));
    }
  }

  // The table at root[name], or nullptr when absent or (after a diagnostic) not a table.
  const toml::table* Section(const toml::table& root, std::string_view name) {
    const toml::node* node = root.get(name);
    if (node == nullptr) return nullptr;
    if (const toml::table* table = node->as_table()) return table;
    Add(node->source().begin,
        "expected [" + std::string(name) + "] to be a table, got " + std::string(TypeName(*node)));
    return nullptr;
  }

  // The tables of an array of tables [[name]]; empty when absent or malformed.
  std::vector<const toml::table*> TableArray(const toml::table& root, std::string_view name) {
    std::vector<const toml::table*> tables;
    const toml::node* node = root.get(name);
    if (node == nullptr) return tables;
    const toml::array* array = node->as_array();
    if (array == nullptr) {
      Add(node->source().begin, "expected [[" + std::string(name) +
                                    "]] (an array of tables), got " + std::string(TypeName(*node)));
      return tables;
    }
    for (const toml::node& element : *array) {
      if (const toml::table* table = element.as_table()) {
        tables.push_back(table);
      } else {
        Add(element.source().begin, "expected each " + std::string(name) + " to be a table, got " +
                                        std::string(TypeName(element)));
      }
    }
    return tables;
  }

  const toml::node* Get(const toml::table& table, std::string_view key, std::string_view section,
                        bool required) {
    const toml::node* node = table.get(key);
    if (node == nullptr && required) {
      Add(table.source().begin,
          std::string(section) + " is missing the required key " + Quote(key));
    }
    return node;
  }

  std::optional<std::string> String(const toml::table& table, std::string_view key,
                                    std::string_view section, bool required) {
    const toml::node* node = Get(table, key, section, required);
    if (node == nullptr) return std::nullopt;
    if (const auto* value = node->as_string()) return value->get();
    Add(node->source().begin,
        "expected " + Quote(key) + " to be a string, got " + std::string(TypeName(*node)));
    return std::nullopt;
  }

  // An optional boolean: false when absent, nullopt (with a diagnostic) when not a boolean.
  std::optional<bool> Bool(const toml::table& table, std::string_view key) {
    const toml::node* node = table.get(key);
    if (node == nullptr) return false;
    if (const auto* value = node->as_boolean()) return value->get();
    Add(node->source().begin,
        "expected " + Quote(key) + " to be true or false, got " + std::string(TypeName(*node)));
    return std::nullopt;
  }

  std::optional<Duration> DurationValue(const toml::table& table, std::string_view key) {
    const toml::node* node = table.get(key);
    if (node == nullptr) return std::nullopt;
    const auto* value = node->as_string();
    if (value == nullptr) {
      Add(node->source().begin, "expected " + Quote(key) +
                                    " to be a duration string like \"10m\", got " +
                                    std::string(TypeName(*node)));
      return std::nullopt;
    }
    Result<Duration> duration = ParseDuration(value->get());
    if (!duration) {
      Add(node->source().begin, duration.error().message);
      return std::nullopt;
    }
    return *duration;
  }

  // A duration, or "all" for no limit. Absent: `fallback`.
  std::optional<Duration> Lookback(const toml::table& table, std::optional<Duration> fallback) {
    const toml::node* node = table.get("initial_lookback");
    if (node == nullptr) return fallback;
    if (const auto* value = node->as_string(); value != nullptr && value->get() == "all") {
      return std::nullopt;
    }
    const std::optional<Duration> duration = DurationValue(table, "initial_lookback");
    return duration ? duration : fallback;
  }

  void Integer(const toml::table& table, std::string_view key, int min, int max, int& out) {
    const toml::node* node = table.get(key);
    if (node == nullptr) return;
    const auto* value = node->as_integer();
    if (value == nullptr || value->get() < min || value->get() > max) {
      Add(node->source().begin, "expected " + Quote(key) + " to be an integer from " +
                                    std::to_string(min) + " to " + std::to_string(max));
      return;
    }
    out = static_cast<int>(value->get());
  }

  void LoadDaemon(const toml::table& root, DaemonSettings& daemon) {
    const toml::table* table = Section(root, "daemon");
    if (table == nullptr) return;
    CheckKeys(*table,
              {"state_dir", "log_level", "forget_after", "shutdown_deadline", "metrics_listen",
               "public_url"},
              "[daemon]");
    if (auto listen = String(*table, "metrics_listen", "[daemon]", false)) {
      const size_t colon = listen->rfind(':');
      const std::string_view port =
          colon == std::string::npos ? "" : std::string_view(*listen).substr(colon + 1);
      const bool numeric =
          !port.empty() && port.size() <= 5 &&
          std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; }) &&
          std::stoi(std::string(port)) <= 65535;
      if (!listen->empty() && (colon == 0 || colon == std::string::npos || !numeric)) {
        Add(table->get("metrics_listen")->source().begin,
            "metrics_listen " + Quote(*listen) +
                R"( must be HOST:PORT, such as "127.0.0.1:9464" or "[::1]:9464")");
      } else {
        daemon.metrics_listen = *listen;
        metrics_listen_at_ = table->get("metrics_listen")->source().begin;
      }
    }
    if (auto url = String(*table, "public_url", "[daemon]", false)) {
      // The links of a watch's Atom feed are built on it, and readers follow them: a URL of
      // the web, with a host, and nothing a link would have to escape.
      const size_t scheme = url->starts_with("https://") ? 8 : url->starts_with("http://") ? 7 : 0;
      const bool plain = std::all_of(url->begin(), url->end(), [](char c) {
        const auto byte = static_cast<unsigned char>(c);
        return byte > 0x20 && byte < 0x7F &&
               std::string_view("\"<>\\`{}|^?#").find(c) == std::string_view::npos;
      });
      const bool host = scheme != 0 && url->size() > scheme && (*url)[scheme] != '/';
      if (!url->empty() && (!plain || !host)) {  // "": the listen address, as when absent
        Add(table->get("public_url")->source().begin,
            "public_url " + Quote(*url) +
                R"( must be an http:// or https:// URL with a host and no query, such as )"
                R"("https://desk.example.org/feedwatch")");
      } else {
        daemon.public_url = *url;
        while (daemon.public_url.ends_with('/')) daemon.public_url.pop_back();
      }
    }
    if (auto d = DurationValue(*table, "forget_after")) daemon.forget_after = *d;
    if (auto d = DurationValue(*table, "shutdown_deadline")) daemon.shutdown_deadline = *d;
    if (auto dir = String(*table, "state_dir", "[daemon]", false)) {
      // Relative to the config file, like file: feed URLs, not to the working directory.
      daemon.state_dir =
          dir->empty() ? "" : (path_.parent_path() / *dir).lexically_normal().string();
    }
    if (auto level = String(*table, "log_level", "[daemon]", false)) {
      if (std::find(kLogLevels.begin(), kLogLevels.end(), *level) == kLogLevels.end()) {
        Add(table->get("log_level")->source().begin,
            "unknown log_level " + Quote(*level) +
                "; expected one of: trace, debug, info, warn, error, critical, off");
      } else {
        daemon.log_level = *level;
      }
    }
  }

  void LoadStore(const toml::table& root, StoreSettings& store) {
    const toml::table* table = Section(root, "store");
    if (table == nullptr) return;
    CheckKeys(*table, {"url", "password_file", "instance", "lease"}, "[store]");
    if (auto url = String(*table, "url", "[store]", false)) {
      if (!url->empty() && !url->starts_with("postgresql://") && !url->starts_with("postgres://")) {
        Add(table->get("url")->source().begin,
            "[store] url " + Quote(*url) +
                " must be a PostgreSQL URI (postgresql://USER@HOST/DATABASE); leave it out for "
                "SQLite in state_dir");
      } else {
        store.url = *url;
      }
    }
    if (table->get("password_file") != nullptr) {
      if (auto password = Secret(*table, "password_file", "[store]", true)) {
        store.password = std::move(*password);
      }
    }
    if (auto instance = String(*table, "instance", "[store]", false)) {
      if (instance->size() > 200 ||
          std::any_of(instance->begin(), instance->end(),
                      [](unsigned char c) { return c < 0x20 || c == 0x7f || c == '"'; })) {
        Add(table->get("instance")->source().begin,
            "[store] instance must be at most 200 printable characters, without quotes");
      } else {
        store.instance = *instance;
      }
    }
    if (auto d = DurationValue(*table, "lease")) {
      if (*d < std::chrono::seconds(5)) {
        Add(table->get("lease")->source().begin, "[store] lease must be at least 5s");
      } else {
        store.lease = *d;
      }
    }
  }

  void LoadHttp(const toml::table& root, HttpSettings& http) {
    const toml::table* table = Section(root, "http");
    if (table == nullptr) return;
    CheckKeys(*table,
              {"timeout", "connect_timeout", "low_speed_time", "max_body", "max_parse_time",
               "concurrency", "per_host", "ca_file", "proxy", "internal_networks"},
              "[http]");
    if (auto d = DurationValue(*table, "timeout")) http.timeout = *d;
    if (auto d = DurationValue(*table, "connect_timeout")) http.connect_timeout = *d;
    if (auto d = DurationValue(*table, "low_speed_time")) http.low_speed_time = *d;
    if (auto d = DurationValue(*table, "max_parse_time")) http.max_parse_time = *d;
    if (auto ca = String(*table, "ca_file", "[http]", false)) {
      http.ca_file = ca->empty() ? "" : (path_.parent_path() / *ca).lexically_normal().string();
    }
    if (auto proxy = String(*table, "proxy", "[http]", false)) http.proxy = *proxy;
    if (const toml::node* node = table->get("max_body")) {
      if (const auto* bytes = node->as_integer(); bytes != nullptr && bytes->get() > 0) {
        http.max_body = static_cast<std::uint64_t>(bytes->get());
      } else if (const auto* text = node->as_string()) {
        Result<std::uint64_t> size = ParseSize(text->get());
        if (size) {
          http.max_body = *size;
        } else {
          Add(node->source().begin, size.error().message);
        }
      } else {
        Add(node->source().begin, R"(expected "max_body" to be a size like "10MiB")");
      }
    }
    Integer(*table, "concurrency", 1, 10'000, http.concurrency);
    Integer(*table, "per_host", 1, 10'000, http.per_host);
    if (const toml::node* node = table->get("internal_networks")) {
      const toml::array* array = node->as_array();
      if (array == nullptr) {
        Add(node->source().begin,
            R"(expected "internal_networks" to be an array of networks like "10.0.0.0/8")");
        return;
      }
      http.internal_networks.clear();
      for (const toml::node& element : *array) {
        const auto* value = element.as_string();
        Result<net::AddressSet> network =
            value != nullptr ? net::AddressSet::Parse({value->get()})
                             : Result<net::AddressSet>(Error::InvalidInput(
                                   "expected a network (a string like \"10.0.0.0/8\"), got " +
                                   std::string(TypeName(element))));
        if (network) {
          http.internal_networks.push_back(value->get());
        } else {
          Add(element.source().begin, network.error().message);
        }
      }
    }
  }

  void LoadDefaults(const toml::table& root) {
    const toml::table* table = Section(root, "defaults");
    if (table == nullptr) return;
    CheckKeys(*table, {"interval", "initial_lookback", "max_backoff", "max_items", "max_alerts"},
              "[defaults]");
    if (auto d = DurationValue(*table, "interval")) default_interval_ = *d;
    Integer(*table, "max_items", 1, kMaxItemsLimit, default_max_items_);
    Integer(*table, "max_alerts", 1, kMaxItemsLimit, default_max_alerts_);
    if (auto d = DurationValue(*table, "max_backoff")) max_backoff_ = *d;
    default_lookback_ = Lookback(*table, default_lookback_);
  }

  // The contents of the file that `key` names, trailing line breaks dropped. A relative name is
  // looked up in $CREDENTIALS_DIRECTORY first (systemd's LoadCredential=), as itself or as
  // feedwatch_NAME (a file of the unit's credentials folder), then next to the config file.
  std::optional<std::string> Secret(const toml::table& table, std::string_view key,
                                    std::string_view section, bool required) {
    const auto name = String(table, key, section, required);
    if (!name) return std::nullopt;
    const toml::source_position where = table.get(key)->source().begin;
    std::vector<std::filesystem::path> candidates;
    const std::filesystem::path path(*name);
    if (path.is_relative()) {
      if (const char* credentials = std::getenv("CREDENTIALS_DIRECTORY");
          credentials != nullptr && *credentials != '\0') {
        candidates.push_back(std::filesystem::path(credentials) / path);
        // What the unit's LoadCredential=feedwatch:DIR makes of DIR/NAME.
        candidates.push_back(std::filesystem::path(credentials) / ("feedwatch_" + *name));
      }
      candidates.push_back((path_.parent_path() / path).lexically_normal());
    } else {
      candidates.push_back(path);
    }
    std::string tried;
    for (const std::filesystem::path& candidate : candidates) {
      std::ifstream in(candidate, std::ios::binary);
      if (!in) {
        tried += (tried.empty() ? "" : ", ") + candidate.string() + ": " + std::strerror(errno);
        continue;
      }
      std::ostringstream text;
      text << in.rdbuf();
      std::string secret = text.str();
      while (!secret.empty() && (secret.back() == '\n' || secret.back() == '\r')) secret.pop_back();
      if (secret.empty()) {
        Add(where, "the " + std::string(key) + " " + candidate.string() + " is empty");
        return std::nullopt;
      }
      struct stat info {};
      if (::stat(candidate.c_str(), &info) == 0 && (info.st_mode & (S_IROTH | S_IWOTH)) != 0) {
        Warn(where, "the " + std::string(key) + " " + candidate.string() +
                        " is readable or writable by every user (mode " + OctalMode(info.st_mode) +
                        "); chmod o= it");
      }
      return secret;
    }
    Add(where, "cannot read " + std::string(key) + " " + Quote(*name) + " (" + tried + ")");
    return std::nullopt;
  }

  void LoadSmtp(const toml::table& root, std::optional<notify::SmtpSettings>& out) {
    const toml::table* table = Section(root, "smtp");
    smtp_seen_ = root.get("smtp") != nullptr;
    if (table == nullptr) return;
    CheckKeys(*table, {"url", "from", "username", "password_file", "ca_file", "timeout"}, "[smtp]");
    notify::SmtpSettings smtp;
    bool ok = true;
    if (auto url = String(*table, "url", "[smtp]", true)) {
      const bool known = url->starts_with("smtp://") || url->starts_with("smtps://");
      if (!known || url->find_first_of(" \r\n") != std::string::npos) {
        Add(table->get("url")->source().begin, "SMTP url " + Quote(*url) +
                                                   " must be smtp://host[:port] (STARTTLS) or "
                                                   "smtps://host[:port] (TLS)");
        ok = false;
      }
      smtp.url = *url;
    } else {
      ok = false;
    }
    if (auto from = String(*table, "from", "[smtp]", true)) {
      if (Result<notify::Mailbox> mailbox = notify::ParseMailbox(*from)) {
        smtp.from = std::move(*mailbox);
      } else {
        Add(table->get("from")->source().begin, mailbox.error().message);
        ok = false;
      }
    } else {
      ok = false;
    }
    if (auto username = String(*table, "username", "[smtp]", false)) smtp.username = *username;
    if (table->get("password_file") != nullptr) {
      if (auto password = Secret(*table, "password_file", "[smtp]", true)) {
        smtp.password = *password;
      } else {
        ok = false;
      }
      if (smtp.username.empty()) {
        Add(table->get("password_file")->source().begin,
            "[smtp] has a password_file but no username to log in with");
        ok = false;
      }
    }
    if (auto ca = String(*table, "ca_file", "[smtp]", false)) {
      smtp.ca_file = ca->empty() ? "" : (path_.parent_path() / *ca).lexically_normal().string();
    }
    if (auto d = DurationValue(*table, "timeout")) {
      smtp.timeout = std::chrono::duration_cast<std::chrono::milliseconds>(*d);
    }
    if (ok) out = std::move(smtp);
  }

  void LoadNotifiers(const toml::table& root, Config& config) {
    std::map<std::string, toml::source_index> first_line;
    for (const toml::table* table : TableArray(root, "notify")) {
      const auto type = String(*table, "type", "[[notify]]", true);
      NotifierConfig notifier;
      bool ok = type.has_value();
      if (type == "console") {
        notifier.type = NotifierType::kConsole;
        CheckKeys(*table, {"name", "type", "digest", "max_per_hour", "max_age"}, "[[notify]]");
      } else if (type == "email") {
        notifier.type = NotifierType::kEmail;
        CheckKeys(*table, {"name", "type", "digest", "max_per_hour", "max_age", "to"},
                  "[[notify]]");
        ok = LoadEmail(*table, config, notifier) && ok;
      } else if (type == "webhook") {
        notifier.type = NotifierType::kWebhook;
        CheckKeys(*table,
                  {"name", "type", "digest", "max_per_hour", "max_age", "url", "secret_file",
                   "format", "headers", "timeout", "token_file", "chat", "room"},
                  "[[notify]]");
        ok = LoadWebhook(*table, config.http, notifier.webhook) && ok;
      } else if (type) {
        Add(table->get("type")->source().begin,
            "unknown notifier type " + Quote(*type) +
                R"(; expected "console", "email" or "webhook")");
        ok = false;
      }
      const auto name = Name(*table, "[[notify]]", first_line, "notifier");
      if (const auto* digest = table->get("digest")) {
        const auto text = String(*table, "digest", "[[notify]]", false);
        Result<notify::DigestSchedule> schedule =
            text ? notify::DigestSchedule::Parse(*text)
                 : Result<notify::DigestSchedule>(Error::InvalidInput(""));
        if (schedule) {
          notifier.digest = *schedule;
        } else {
          if (text) Add(digest->source().begin, schedule.error().message);
          ok = false;
        }
      }
      Integer(*table, "max_per_hour", 0, 1'000'000, notifier.max_per_hour);
      if (auto d = DurationValue(*table, "max_age")) notifier.max_age = *d;
      if (name && !ok) broken_notifiers_.insert(*name);  // reported: later checks keep quiet
      if (!name || !ok) continue;
      notifier.name = *name;
      notifier.email.notifier = *name;
      config.notifiers.push_back(std::move(notifier));
    }
  }

  bool LoadEmail(const toml::table& table, const Config& config, NotifierConfig& notifier) {
    bool ok = true;
    if (!config.smtp) {
      // A bad [smtp] has been reported already.
      if (!smtp_seen_) {
        Add(table.get("type")->source().begin,
            "an email notifier needs an [smtp] section with at least url and from");
      }
      ok = false;
    }
    const toml::node* node = Get(table, "to", "[[notify]] of type \"email\"", true);
    if (node == nullptr) return false;
    const toml::array* array = node->as_array();
    if (array == nullptr || array->empty()) {
      Add(node->source().begin, "expected \"to\" to be a non-empty array of email addresses");
      return false;
    }
    for (const toml::node& element : *array) {
      const auto* value = element.as_string();
      Result<notify::Mailbox> mailbox =
          value != nullptr
              ? notify::ParseMailbox(value->get())
              : Result<notify::Mailbox>(Error::InvalidInput(
                    "expected an email address (a string), got " + std::string(TypeName(element))));
      if (!mailbox) {
        Add(element.source().begin, mailbox.error().message);
        ok = false;
      } else {
        notifier.email.to.push_back(mailbox->address);
      }
    }
    return ok;
  }

  // Telegram's token_file and chat, or Matrix's token_file and room.
  bool LoadChatApi(const toml::table& table, notify::WebhookSettings& webhook) {
    const bool telegram = webhook.format == notify::WebhookFormat::kTelegram;
    const char* what =
        telegram ? "[[notify]] of format \"telegram\"" : "[[notify]] of format \"matrix\"";
    bool ok = true;
    if (auto token = Secret(table, "token_file", what, true)) {
      if (token->empty() || token->find_first_of(" \t\r\n/?#") != std::string::npos) {
        Add(table.get("token_file")->source().begin,
            "the token in " + Quote(table.get("token_file")->as_string()->get()) +
                " must be one line without spaces, '/', '?' or '#'");
        ok = false;
      }
      webhook.token = std::move(*token);
    } else {
      ok = false;
    }
    const char* key = telegram ? "chat" : "room";
    if (auto chat = String(table, key, what, true)) {
      webhook.chat = *chat;
    } else {
      ok = false;
    }
    return ok;
  }

  bool LoadWebhook(const toml::table& table, const HttpSettings& http,
                   notify::WebhookSettings& webhook) {
    bool ok = true;
    webhook.ca_file = http.ca_file;
    webhook.proxy = http.proxy;
    webhook.timeout = std::chrono::duration_cast<std::chrono::milliseconds>(http.timeout);
    if (auto d = DurationValue(table, "timeout")) {
      webhook.timeout = std::chrono::duration_cast<std::chrono::milliseconds>(*d);
    }
    if (auto format = String(table, "format", "[[notify]]", false)) {
      if (*format == "standard") {
        webhook.format = notify::WebhookFormat::kStandard;
      } else if (*format == "slack") {
        webhook.format = notify::WebhookFormat::kSlack;
      } else if (*format == "discord") {
        webhook.format = notify::WebhookFormat::kDiscord;
      } else if (*format == "ntfy") {
        webhook.format = notify::WebhookFormat::kNtfy;
      } else if (*format == "telegram") {
        webhook.format = notify::WebhookFormat::kTelegram;
      } else if (*format == "matrix") {
        webhook.format = notify::WebhookFormat::kMatrix;
      } else {
        Add(table.get("format")->source().begin,
            "unknown webhook format " + Quote(*format) +
                R"(; expected "standard", "slack", "discord", "ntfy", "telegram" or "matrix")");
        ok = false;
      }
    }
    const bool telegram = webhook.format == notify::WebhookFormat::kTelegram;
    const bool matrix = webhook.format == notify::WebhookFormat::kMatrix;
    if (telegram || matrix) ok = LoadChatApi(table, webhook) && ok;
    if (telegram && table.get("url") == nullptr) {
      webhook.url = "https://api.telegram.org";  // the Bot API; a test or a proxy sets its own
    } else if (auto url = String(table, "url", "[[notify]] of type \"webhook\"", true)) {
      const bool web = url->starts_with("http://") || url->starts_with("https://");
      if (!web || url->find_first_of(" \r\n") != std::string::npos) {
        Add(table.get("url")->source().begin,
            "webhook url " + Quote(*url) + " must be an http:// or https:// URL");
        ok = false;
      }
      webhook.url = *url;
    } else {
      ok = false;
    }
    while (webhook.url.ends_with('/') && (telegram || matrix)) webhook.url.pop_back();
    if (table.get("secret_file") != nullptr) {
      if (auto secret = Secret(table, "secret_file", "[[notify]]", true)) {
        std::string_view text = *secret;
        if (text.starts_with("whsec_")) text.remove_prefix(6);
        std::optional<std::string> key = Base64Decode(text);
        if (!key || key->empty()) {
          Add(table.get("secret_file")->source().begin,
              "the secret in " + Quote(table.get("secret_file")->as_string()->get()) +
                  " must be \"whsec_\" followed by base64 (Standard Webhooks)");
          ok = false;
        } else {
          webhook.secret = std::move(*key);
        }
      } else {
        ok = false;
      }
    }
    if (const toml::node* node = table.get("headers")) {
      const toml::table* headers = node->as_table();
      if (headers == nullptr) {
        Add(node->source().begin, R"(expected "headers" to be a table of header = "value")");
        return false;
      }
      for (const auto& [key, value] : *headers) {
        const std::string_view name = key.str();
        const bool token = !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
          return std::isalnum(static_cast<unsigned char>(c)) ||
                 std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
        });
        const auto* text = value.as_string();
        if (!token) {
          Add(key.source().begin, "header name " + Quote(name) + " is not an HTTP token");
          ok = false;
        } else if (text == nullptr || text->get().find_first_of("\r\n") != std::string::npos) {
          Add(value.source().begin,
              "expected header " + Quote(name) + " to be a string on one line");
          ok = false;
        } else {
          webhook.headers.push_back(std::string(name) + ": " + text->get());
        }
      }
    }
    return ok;
  }

  // A [[feed]], [[watch]] or [[notify]] name: present, well-formed and unique among its kind.
  std::optional<std::string> Name(const toml::table& table, std::string_view section,
                                  std::map<std::string, toml::source_index>& first_line,
                                  std::string_view kind) {
    auto name = String(table, "name", section, true);
    if (!name) return std::nullopt;
    const toml::source_position where = table.get("name")->source().begin;
    if (!IsValidName(*name)) {
      Add(where, std::string(kind) + " name " + Quote(*name) +
                     " must be letters, digits, '-', '_' or '.'");
      return std::nullopt;
    }
    const auto [it, inserted] = first_line.emplace(*name, where.line);
    if (!inserted) {
      Add(where, "duplicate " + std::string(kind) + " name " + Quote(*name) +
                     " (first defined on line " + std::to_string(it->second) + ")");
      return std::nullopt;
    }
    return name;
  }

  std::optional<std::string> FeedUrl(const toml::table& table) {
    auto url = String(table, "url", "[[feed]]", true);
    if (!url) return std::nullopt;
    const toml::source_position where = table.get("url")->source().begin;
    const auto has_host = [&](std::string_view scheme) {
      return url->size() > scheme.size() &&
             url->find_first_of("/?#", scheme.size()) != scheme.size();
    };
    if (url->starts_with("http://") || url->starts_with("https://")) {
      if (has_host(url->starts_with("http://") ? "http://" : "https://")) return url;
      Add(where, "feed URL " + Quote(*url) + " has no host");
      return std::nullopt;
    }
    if (url->starts_with("file:")) {
      std::string_view path = std::string_view(*url).substr(5);
      if (path.starts_with("//")) {
        path.remove_prefix(2);
        if (path.starts_with("/")) return url;
        Add(where, "file URL " + Quote(*url) +
                       " must be file:///absolute/path or file:path/relative/to/the/config");
        return std::nullopt;
      }
      const std::filesystem::path absolute =
          std::filesystem::absolute(path_.parent_path() / std::filesystem::path(path))
              .lexically_normal();
      return "file://" + PercentEncodePath(absolute.string());
    }
    Add(where, "feed URL " + Quote(*url) + " must start with http://, https:// or file:");
    return std::nullopt;
  }

  void LoadFeeds(const toml::table& root, std::vector<FeedConfig>& feeds) {
    std::map<std::string, toml::source_index> first_line;
    for (const toml::table* table : TableArray(root, "feed")) {
      CheckKeys(*table, {"name", "url", "interval", "initial_lookback", "max_items", "max_alerts"},
                "[[feed]]");
      FeedConfig feed;
      feed.max_items = default_max_items_;
      feed.max_alerts = default_max_alerts_;
      Integer(*table, "max_items", 1, kMaxItemsLimit, feed.max_items);
      Integer(*table, "max_alerts", 1, kMaxItemsLimit, feed.max_alerts);
      const auto name = Name(*table, "[[feed]]", first_line, "feed");
      const auto url = FeedUrl(*table);
      feed.interval = DurationValue(*table, "interval").value_or(default_interval_);
      feed.initial_lookback = Lookback(*table, default_lookback_);
      if (!name || !url) continue;
      feed.name = *name;
      feed.url = *url;
      feeds.push_back(std::move(feed));
    }
  }

  // [terms]: NAME = ["word", "two words", "prefix*", "=US", "@other"], or one string. Every
  // list is checked here, each problem said at its entry; the queries that use one then need
  // not repeat its problems.
  std::shared_ptr<filters::TermLists> LoadTerms(const toml::table& root) {
    auto terms = std::make_shared<filters::TermLists>();
    const toml::table* section = Section(root, "terms");
    if (section == nullptr) return terms;
    std::vector<std::pair<std::string, const toml::node*>> lists;
    for (const auto& [key, node] : *section) {
      const std::string name(key.str());
      if (name.empty() || !std::all_of(name.begin(), name.end(), [](char c) {
            return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
          })) {
        Add(key.source().begin,
            "a term list's name is letters, digits, '_' and '-' (it is used as "
            "@name in queries), not " +
                Quote(name));
        continue;
      }
      std::vector<std::string> entries;
      bool ok = true;
      if (const auto* value = node.as_string()) {
        terms->AddExpression(name, value->get());
        lists.emplace_back(name, &node);
        continue;
      }
      if (const toml::array* array = node.as_array()) {
        for (const toml::node& element : *array) {
          if (const auto* entry = element.as_string()) {
            entries.push_back(entry->get());
          } else {
            Add(element.source().begin, "expected each entry of [terms] " + Quote(name) +
                                            " to be a string, got " +
                                            std::string(TypeName(element)));
            ok = false;
          }
        }
      } else {
        Add(node.source().begin, "expected [terms] " + Quote(name) +
                                     " to be a list of words and phrases, or a query, got " +
                                     std::string(TypeName(node)));
        ok = false;
      }
      if (!ok) continue;
      terms->Add(name, std::move(entries));
      lists.emplace_back(name, &node);
    }
    for (const auto& [name, node] : lists) {
      const Status checked = terms->Check(name);
      if (checked) continue;
      // Where the problem is: in an expression, as in a query; in a list, at the entry, which
      // Check() numbers from 1 in `line`.
      toml::source_position where = node->source().begin;
      const toml::array* array = node->as_array();
      const auto entry = static_cast<size_t>(checked.error().line);
      if (array == nullptr) {
        where = QueryErrorPosition(where, checked.error());
      } else if (entry >= 1 && entry <= array->size()) {
        where = (*array)[entry - 1].source().begin;
      }
      Add(where, "[terms] " + Quote(name) + ": " + checked.error().message);
      broken_terms_.insert(name);
    }
    return terms;
  }

  // Whether `query` names a term list already reported broken: its own error would repeat it.
  bool UsesBrokenTerms(std::string_view query) const {
    return std::any_of(broken_terms_.begin(), broken_terms_.end(), [&](const std::string& name) {
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

  void LoadWatches(const toml::table& root, Config& config) {
    std::map<std::string, toml::source_index> first_line;
    for (const toml::table* table : TableArray(root, "watch")) {
      CheckKeys(*table, {"name", "query", "scope", "accent_folding", "notify", "feed_token_file"},
                "[[watch]]");
      WatchConfig watch;
      const auto name = Name(*table, "[[watch]]", first_line, "watch");
      const auto query = String(*table, "query", "[[watch]]", true);
      const auto accent_folding = Bool(*table, "accent_folding");
      bool ok = name && query && accent_folding;
      watch.accent_folding = accent_folding.value_or(false);
      if (const auto scope = String(*table, "scope", "[[watch]]", false)) {
        if (const std::optional<filters::Scope> known = filters::ScopeNamed(*scope)) {
          watch.scope = *known;
        } else {
          Add(table->get("scope")->source().begin,
              "expected \"scope\" to be \"passage\" (the evidence in one passage, with the "
              "title) or \"item\" (anywhere in the item), got " +
                  Quote(*scope));
          ok = false;
        }
      } else if (table->get("scope") != nullptr) {
        ok = false;
      }
      if (query) {
        Result<filters::Query> compiled =
            filters::Query::Parse(*query, {.fold_accents = watch.accent_folding,
                                           .scope = watch.scope,
                                           .lists = config.terms.get()});
        if (compiled) {
          watch.query = std::make_shared<const filters::Query>(std::move(*compiled));
        } else {
          if (!UsesBrokenTerms(*query)) {
            Add(QueryErrorPosition(table->get("query")->source().begin, compiled.error()),
                "watch " + Quote(name.value_or("?")) + ": query: " +
                    QueryMessage(table->get("query")->source().begin, compiled.error()));
          }
          ok = false;
        }
      }
      ok = LoadWatchNotify(*table, config.notifiers, watch.notify) && ok;
      if (table->get("feed_token_file") != nullptr) {
        if (auto token = Secret(*table, "feed_token_file", "[[watch]]", true)) {
          if (token->empty() || token->find_first_not_of(
                                    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
                                    "-._~") != std::string::npos) {
            Add(table->get("feed_token_file")->source().begin,
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
      config.watches.push_back(std::move(watch));
    }
  }

  bool LoadWatchNotify(const toml::table& table, const std::vector<NotifierConfig>& notifiers,
                       std::vector<std::string>& out) {
    const toml::node* node = table.get("notify");
    if (node == nullptr) {
      for (const NotifierConfig& notifier : notifiers) out.push_back(notifier.name);
      if (out.empty() && !broken_notifiers_.empty()) return false;  // their errors say why
      if (out.empty()) {
        Add(table.source().begin, "[[watch]] has nowhere to send alerts: add a [[notify]] table");
        return false;
      }
      return true;
    }
    const toml::array* array = node->as_array();
    if (array == nullptr || array->empty()) {
      Add(node->source().begin, "expected \"notify\" to be a non-empty array of notifier names");
      return false;
    }
    bool ok = true;
    for (const toml::node& element : *array) {
      const auto* value = element.as_string();
      if (value == nullptr) {
        Add(element.source().begin,
            "expected a notifier name (a string), got " + std::string(TypeName(element)));
        ok = false;
        continue;
      }
      const std::string& wanted = value->get();
      const bool known = std::any_of(notifiers.begin(), notifiers.end(),
                                     [&](const NotifierConfig& n) { return n.name == wanted; });
      if (broken_notifiers_.contains(wanted)) {
        ok = false;  // defined, with an error of its own reported
        continue;
      }
      if (!known) {
        std::set<std::string> defined(broken_notifiers_.begin(), broken_notifiers_.end());
        for (const NotifierConfig& n : notifiers) defined.insert(n.name);
        std::string message = "unknown notifier " + Quote(wanted);
        const std::string_view best = Closest(wanted, defined);
        if (!best.empty()) {
          message += "; did you mean " + Quote(best) + "?";
        } else {
          message += "; defined notifiers:";
          for (const std::string& n : defined) message += " " + n;
          if (defined.empty()) message += " none";
        }
        Add(element.source().begin, std::move(message));
        ok = false;
        continue;
      }
      out.push_back(wanted);
    }
    return ok;
  }

  // A listener that other hosts can reach serves every watch without a token to them.
  void WarnOfOpenWatches(const Config& config) {
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
    Warn(metrics_listen_at_,
         "metrics_listen " + Quote(listen) +
             " is reachable from other hosts, and anyone who reaches it can read the stories of "
             "the watches without a feed_token_file (" +
             open + ") at /feeds/WATCH.atom; give them one, or listen on 127.0.0.1");
  }

  std::filesystem::path path_;
  std::vector<std::string> warnings_;
  toml::source_position metrics_listen_at_{};
  std::set<std::string> broken_terms_;  // [terms] lists reported broken
  // [[notify]] tables with an error reported: a watch naming one is not told it is unknown.
  std::set<std::string> broken_notifiers_;
  std::vector<std::string> lines_;
  std::vector<Diagnostic> diagnostics_;
  Duration default_interval_ = 10min;
  Duration max_backoff_ = 6h;
  int default_max_items_ = FeedConfig{}.max_items;
  int default_max_alerts_ = FeedConfig{}.max_alerts;
  std::optional<Duration> default_lookback_ = 48h;
  bool smtp_seen_ = false;
};

}  // namespace

Result<Config> LoadConfigText(std::string_view text, const std::filesystem::path& path) {
  Loader loader(text, path);
  return loader.Load(text);
}

Result<Config> LoadConfigFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return Error::NotFound(path.string() +
                           ": cannot read the config file: " + std::strerror(errno));
  }
  std::ostringstream text;
  text << in.rdbuf();
  return LoadConfigText(text.str(), path);
}

std::string_view NotifierTypeName(const NotifierConfig& notifier) {
  switch (notifier.type) {
    case NotifierType::kConsole:
      return "console";
    case NotifierType::kEmail:
      return "email";
    case NotifierType::kWebhook:
      break;
  }
  switch (notifier.webhook.format) {
    case notify::WebhookFormat::kStandard:
      return "webhook";
    case notify::WebhookFormat::kSlack:
      return "slack";
    case notify::WebhookFormat::kDiscord:
      return "discord";
    case notify::WebhookFormat::kNtfy:
      return "ntfy";
    case notify::WebhookFormat::kTelegram:
      return "telegram";
    case notify::WebhookFormat::kMatrix:
      return "matrix";
  }
  return "webhook";
}

}  // namespace feedwatch::config
