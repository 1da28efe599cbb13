#include "cli/inputs.h"

#include <cstdarg>
#include <cstdio>
#include <filesystem>

#include "daemon/daemon.h"

namespace feedwatch::cli {

Result<config::Config> LoadConfig(const std::string& path) {
  Result<config::Config> config = config::LoadConfigFile(path);
  if (!config) return Error::Config(config.error().message);
  return config;
}

Result<Existing> OpenExisting(const Paths& paths) {
  Result<config::Config> config = LoadConfig(paths.config);
  if (!config) return config.error();
  const std::filesystem::path state_dir = daemon::StateDir(paths.state_dir, *config);
  const std::filesystem::path database = state_dir / "feedwatch.db";
  if (config->store.url.empty() && !std::filesystem::exists(database)) {
    return Error::NotFound(database.string() +
                           ": no database yet; feedwatch has not polled anything");
  }
  Result<std::unique_ptr<store::Store>> store = daemon::OpenStore(*config, state_dir);
  if (!store) return store.error();
  return Existing{std::move(*config), std::move(*store)};
}

Result<daemon::Document> FetchInput(const std::string& file_or_url) {
  Result<daemon::Document> document = daemon::FetchOne(file_or_url);
  if (!document) {
    const Error::Code code = document.error().code;
    if (code == Error::Code::kNotFound || code == Error::Code::kIo) {
      return Error::NotFound(document.error().message);
    }
  }
  return document;
}

Result<feeds::Feed> ReadFeed(const std::string& file_or_url) {
  Result<daemon::Document> document = FetchInput(file_or_url);
  if (!document) return document.error();
  Result<feeds::Feed> feed = feeds::ParseFeed(document->bytes, document->options);
  if (!feed) return Error::InvalidInput(file_or_url + ": " + feed.error().message);
  return feed;
}

std::string Span(Seconds span) {
  const int64_t magnitude = span.count() < 0 ? -span.count() : span.count();
  return magnitude < 120      ? std::to_string(magnitude) + "s"
         : magnitude < 7200   ? std::to_string(magnitude / 60) + "m"
         : magnitude < 172800 ? std::to_string(magnitude / 3600) + "h"
                              : std::to_string(magnitude / 86400) + "d";
}

std::string Ago(const std::optional<TimePoint>& when, TimePoint now) {
  if (!when) return "never";
  const Seconds since = now - *when;
  return since.count() < 0 ? "in " + Span(since) : Span(since) + " ago";
}

std::string Printf(const char* format, ...) {
  va_list arguments;
  va_start(arguments, format);
  const int size = std::vsnprintf(nullptr, 0, format, arguments);
  va_end(arguments);
  if (size <= 0) return "";
  std::string text(static_cast<size_t>(size), '\0');
  va_start(arguments, format);
  std::vsnprintf(text.data(), text.size() + 1, format, arguments);
  va_end(arguments);
  return text;
}

}  // namespace feedwatch::cli
