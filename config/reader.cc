#include "config/reader.h"

#include <sys/stat.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <utility>

#include "base/text.h"

namespace feedwatch::config {
namespace {

// "0644".
std::string OctalMode(mode_t mode) {
  std::array<char, 8> text{};
  std::snprintf(text.data(), text.size(), "%04o", static_cast<unsigned>(mode & 07777));
  return text.data();
}

// A name is used in paths (/watch/NAME, /feeds/NAME.atom), where "." and ".." are not names.
bool IsValidName(std::string_view name) {
  if (name.empty() || name == "." || name == "..") return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.';
  });
}

}  // namespace

std::string Quote(std::string_view text) { return "\"" + std::string(text) + "\""; }

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

Reader::Reader(std::string_view text, std::filesystem::path path) : path_(std::move(path)) {
  std::istringstream lines{std::string(text)};
  for (std::string line; std::getline(lines, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    lines_.push_back(std::move(line));
  }
}

std::optional<toml::table> Reader::Parse(std::string_view text) {
  try {
    return toml::parse(text, path_.string());
  } catch (const toml::parse_error& error) {
    AddParseError(error);
    return std::nullopt;
  }
}

Status Reader::Errors() const {
  if (diagnostics_.empty()) return Status::Ok();
  std::vector<Diagnostic> sorted = diagnostics_;
  std::stable_sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) {
    return std::pair(a.line, a.column) < std::pair(b.line, b.column);
  });
  std::string out;
  for (const Diagnostic& d : sorted) {
    if (!out.empty()) out += '\n';
    out += path_.string() + ":" + std::to_string(d.line) + ":" + std::to_string(d.column) + ": " +
           d.message;
    if (d.line >= 1 && d.line <= lines_.size()) out += "\n" + Caret(lines_[d.line - 1], d.column);
  }
  return Error::Config(std::move(out));
}

void Reader::Add(const toml::source_position& where, std::string message) {
  diagnostics_.push_back({where.line, where.column, std::move(message)});
}

void Reader::Warn(const toml::source_position& where, const std::string& message) {
  warnings_.push_back(path_.string() + ":" + std::to_string(where.line) + ":" +
                      std::to_string(where.column) + ": warning: " + message);
}

std::string_view Reader::Line(toml::source_index line) const {
  return line >= 1 && line <= lines_.size() ? std::string_view(lines_[line - 1]) : "";
}

std::string Reader::FromConfigFolder(const std::string& relative) const {
  return relative.empty() ? "" : (path_.parent_path() / relative).lexically_normal().string();
}

// toml++'s error, said as what went wrong where an operator would look: a string left open at
// the end of its line is reported at its opening quote.
void Reader::AddParseError(const toml::parse_error& error) {
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
      Add({where.line, column}, std::string("this string is not closed on its line: a ") + mark +
                                    "..." + mark +
                                    " string ends on the line it starts on; close it with " + mark +
                                    ", or write a text over several lines between ''' and '''");
      return;
    }
  }
  Add(where, std::string(description));
}

void Reader::CheckKeys(const toml::table& table, std::span<const std::string_view> known,
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

const toml::table* Reader::Section(const toml::table& root, std::string_view name) {
  const toml::node* node = root.get(name);
  if (node == nullptr) return nullptr;
  if (const toml::table* table = node->as_table()) return table;
  Add(node->source().begin,
      "expected [" + std::string(name) + "] to be a table, got " + std::string(TypeName(*node)));
  return nullptr;
}

std::vector<const toml::table*> Reader::TableArray(const toml::table& root, std::string_view name) {
  std::vector<const toml::table*> tables;
  const toml::node* node = root.get(name);
  if (node == nullptr) return tables;
  const toml::array* array = node->as_array();
  if (array == nullptr) {
    Add(node->source().begin, "expected [[" + std::string(name) + "]] (an array of tables), got " +
                                  std::string(TypeName(*node)));
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

const toml::node* Reader::Get(const toml::table& table, std::string_view key,
                              std::string_view section, bool required) {
  const toml::node* node = table.get(key);
  if (node == nullptr && required) {
    Add(table.source().begin, std::string(section) + " is missing the required key " + Quote(key));
  }
  return node;
}

std::optional<std::string> Reader::String(const toml::table& table, std::string_view key,
                                          std::string_view section, bool required) {
  const toml::node* node = Get(table, key, section, required);
  if (node == nullptr) return std::nullopt;
  if (const auto* value = node->as_string()) return value->get();
  Add(node->source().begin,
      "expected " + Quote(key) + " to be a string, got " + std::string(TypeName(*node)));
  return std::nullopt;
}

std::optional<bool> Reader::Bool(const toml::table& table, std::string_view key) {
  const toml::node* node = table.get(key);
  if (node == nullptr) return false;
  if (const auto* value = node->as_boolean()) return value->get();
  Add(node->source().begin,
      "expected " + Quote(key) + " to be true or false, got " + std::string(TypeName(*node)));
  return std::nullopt;
}

std::optional<Duration> Reader::DurationValue(const toml::table& table, std::string_view key) {
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

void Reader::Integer(const toml::table& table, std::string_view key, int min, int max, int& out) {
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

std::optional<std::string> Reader::Secret(const toml::table& table, std::string_view key,
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

std::optional<std::string> Reader::Name(const toml::table& table, std::string_view section,
                                        std::map<std::string, toml::source_index>& first_line,
                                        std::string_view kind) {
  auto name = String(table, "name", section, true);
  if (!name) return std::nullopt;
  const toml::source_position where = table.get("name")->source().begin;
  if (!IsValidName(*name)) {
    Add(where, std::string(kind) + " name " + Quote(*name) +
                   R"( must be letters, digits, '-', '_' or '.', and not "." or "..")");
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

}  // namespace feedwatch::config
