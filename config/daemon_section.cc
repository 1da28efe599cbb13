// [daemon], [store], [http] and [smtp]: the service's own settings.
#include <algorithm>
#include <array>

#include "config/sections.h"

namespace feedwatch::config {
namespace {

constexpr std::array<std::string_view, 7> kLogLevels = {"trace", "debug",    "info", "warn",
                                                        "error", "critical", "off"};

}  // namespace

void LoadDaemon(Reader& reader, const toml::table& root, DaemonSettings& daemon) {
  const toml::table* table = reader.Section(root, "daemon");
  if (table == nullptr) return;
  reader.CheckKeys(*table,
                   {"state_dir", "log_level", "forget_after", "shutdown_deadline", "metrics_listen",
                    "public_url"},
                   "[daemon]");
  if (auto listen = reader.String(*table, "metrics_listen", "[daemon]", false)) {
    const size_t colon = listen->rfind(':');
    const std::string_view port =
        colon == std::string::npos ? "" : std::string_view(*listen).substr(colon + 1);
    const bool numeric =
        !port.empty() && port.size() <= 5 &&
        std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; }) &&
        std::stoi(std::string(port)) <= 65535;
    if (!listen->empty() && (colon == 0 || colon == std::string::npos || !numeric)) {
      reader.Add(table->get("metrics_listen")->source().begin,
                 "metrics_listen " + Quote(*listen) +
                     R"( must be HOST:PORT, such as "127.0.0.1:9464" or "[::1]:9464")");
    } else {
      daemon.metrics_listen = *listen;
    }
  }
  if (auto url = reader.String(*table, "public_url", "[daemon]", false)) {
    // The links of a watch's Atom feed are built on it, and readers follow them: a URL of the
    // web, with a host, and nothing a link would have to escape.
    const size_t scheme = url->starts_with("https://") ? 8 : url->starts_with("http://") ? 7 : 0;
    const bool plain = std::all_of(url->begin(), url->end(), [](char c) {
      const auto byte = static_cast<unsigned char>(c);
      return byte > 0x20 && byte < 0x7F &&
             std::string_view("\"<>\\`{}|^?#").find(c) == std::string_view::npos;
    });
    const bool host = scheme != 0 && url->size() > scheme && (*url)[scheme] != '/';
    if (!url->empty() && (!plain || !host)) {  // "": the listen address, as when absent
      reader.Add(table->get("public_url")->source().begin,
                 "public_url " + Quote(*url) +
                     R"( must be an http:// or https:// URL with a host and no query, such as )"
                     R"("https://desk.example.org/feedwatch")");
    } else {
      daemon.public_url = *url;
      while (daemon.public_url.ends_with('/')) daemon.public_url.pop_back();
    }
  }
  if (auto d = reader.DurationValue(*table, "forget_after")) daemon.forget_after = *d;
  if (auto d = reader.DurationValue(*table, "shutdown_deadline")) daemon.shutdown_deadline = *d;
  if (auto dir = reader.String(*table, "state_dir", "[daemon]", false)) {
    // Relative to the config file, like file: feed URLs, not to the working directory.
    daemon.state_dir = reader.FromConfigFolder(*dir);
  }
  if (auto level = reader.String(*table, "log_level", "[daemon]", false)) {
    if (std::find(kLogLevels.begin(), kLogLevels.end(), *level) == kLogLevels.end()) {
      reader.Add(table->get("log_level")->source().begin,
                 "unknown log_level " + Quote(*level) +
                     "; expected one of: trace, debug, info, warn, error, critical, off");
    } else {
      daemon.log_level = *level;
    }
  }
}

void LoadStore(Reader& reader, const toml::table& root, StoreSettings& store) {
  const toml::table* table = reader.Section(root, "store");
  if (table == nullptr) return;
  reader.CheckKeys(*table, {"url", "password_file", "instance", "lease"}, "[store]");
  if (auto url = reader.String(*table, "url", "[store]", false)) {
    if (!url->empty() && !url->starts_with("postgresql://") && !url->starts_with("postgres://")) {
      reader.Add(table->get("url")->source().begin,
                 "[store] url " + Quote(*url) +
                     " must be a PostgreSQL URI (postgresql://USER@HOST/DATABASE); leave it out "
                     "for SQLite in state_dir");
    } else {
      store.url = *url;
    }
  }
  if (table->get("password_file") != nullptr) {
    if (auto password = reader.Secret(*table, "password_file", "[store]", true)) {
      store.password = std::move(*password);
    }
  }
  if (auto instance = reader.String(*table, "instance", "[store]", false)) {
    if (instance->size() > 200 ||
        std::any_of(instance->begin(), instance->end(),
                    [](unsigned char c) { return c < 0x20 || c == 0x7f || c == '"'; })) {
      reader.Add(table->get("instance")->source().begin,
                 "[store] instance must be at most 200 printable characters, without quotes");
    } else {
      store.instance = *instance;
    }
  }
  if (auto d = reader.DurationValue(*table, "lease")) {
    if (*d < std::chrono::seconds(5)) {
      reader.Add(table->get("lease")->source().begin, "[store] lease must be at least 5s");
    } else {
      store.lease = *d;
    }
  }
}

void LoadHttp(Reader& reader, const toml::table& root, HttpSettings& http) {
  const toml::table* table = reader.Section(root, "http");
  if (table == nullptr) return;
  reader.CheckKeys(*table,
                   {"timeout", "connect_timeout", "low_speed_time", "max_body", "max_parse_time",
                    "concurrency", "per_host", "ca_file", "proxy", "internal_networks"},
                   "[http]");
  if (auto d = reader.DurationValue(*table, "timeout")) http.timeout = *d;
  if (auto d = reader.DurationValue(*table, "connect_timeout")) http.connect_timeout = *d;
  if (auto d = reader.DurationValue(*table, "low_speed_time")) http.low_speed_time = *d;
  if (auto d = reader.DurationValue(*table, "max_parse_time")) http.max_parse_time = *d;
  if (auto ca = reader.String(*table, "ca_file", "[http]", false)) {
    http.ca_file = reader.FromConfigFolder(*ca);
  }
  if (auto proxy = reader.String(*table, "proxy", "[http]", false)) http.proxy = *proxy;
  if (const toml::node* node = table->get("max_body")) {
    if (const auto* bytes = node->as_integer(); bytes != nullptr && bytes->get() > 0) {
      http.max_body = static_cast<std::uint64_t>(bytes->get());
    } else if (const auto* text = node->as_string()) {
      Result<std::uint64_t> size = ParseSize(text->get());
      if (size) {
        http.max_body = *size;
      } else {
        reader.Add(node->source().begin, size.error().message);
      }
    } else {
      reader.Add(node->source().begin, R"(expected "max_body" to be a size like "10MiB")");
    }
  }
  reader.Integer(*table, "concurrency", 1, 10'000, http.concurrency);
  reader.Integer(*table, "per_host", 1, 10'000, http.per_host);
  if (const toml::node* node = table->get("internal_networks")) {
    const toml::array* array = node->as_array();
    if (array == nullptr) {
      reader.Add(node->source().begin,
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
        reader.Add(element.source().begin, network.error().message);
      }
    }
  }
}

std::optional<notify::SmtpSettings> LoadSmtp(Reader& reader, const toml::table& root) {
  const toml::table* table = reader.Section(root, "smtp");
  if (table == nullptr) return std::nullopt;
  reader.CheckKeys(*table, {"url", "from", "username", "password_file", "ca_file", "timeout"},
                   "[smtp]");
  notify::SmtpSettings smtp;
  bool ok = true;
  if (auto url = reader.String(*table, "url", "[smtp]", true)) {
    const bool known = url->starts_with("smtp://") || url->starts_with("smtps://");
    if (!known || url->find_first_of(" \r\n") != std::string::npos) {
      reader.Add(table->get("url")->source().begin, "SMTP url " + Quote(*url) +
                                                        " must be smtp://host[:port] (STARTTLS) or "
                                                        "smtps://host[:port] (TLS)");
      ok = false;
    }
    smtp.url = *url;
  } else {
    ok = false;
  }
  if (auto from = reader.String(*table, "from", "[smtp]", true)) {
    if (Result<notify::Mailbox> mailbox = notify::ParseMailbox(*from)) {
      smtp.from = std::move(*mailbox);
    } else {
      reader.Add(table->get("from")->source().begin, mailbox.error().message);
      ok = false;
    }
  } else {
    ok = false;
  }
  if (auto username = reader.String(*table, "username", "[smtp]", false)) {
    smtp.username = *username;
  }
  if (table->get("password_file") != nullptr) {
    if (auto password = reader.Secret(*table, "password_file", "[smtp]", true)) {
      smtp.password = *password;
    } else {
      ok = false;
    }
    if (smtp.username.empty()) {
      reader.Add(table->get("password_file")->source().begin,
                 "[smtp] has a password_file but no username to log in with");
      ok = false;
    }
  }
  if (auto ca = reader.String(*table, "ca_file", "[smtp]", false)) {
    smtp.ca_file = reader.FromConfigFolder(*ca);
  }
  if (auto d = reader.DurationValue(*table, "timeout")) {
    smtp.timeout = std::chrono::duration_cast<std::chrono::milliseconds>(*d);
  }
  if (!ok) return std::nullopt;
  return smtp;
}

}  // namespace feedwatch::config
