#include "notify/notifier_settings.h"

#include <type_traits>

namespace feedwatch::notify {
namespace {

template <typename... Types>
constexpr bool AllNotifierTypes(const std::variant<Types...>* /*unused*/) {
  return (NotifierType<Types> && ...);
}
static_assert(AllNotifierTypes(static_cast<const NotifierSettings*>(nullptr)),
              "every alternative of NotifierSettings is a NotifierType");

// Calls `visit` with std::type_identity<T> for each alternative T, in order, until it returns
// true.
template <typename Visit, typename... Types>
void ForEachType(Visit visit, const std::variant<Types...>* /*unused*/) {
  (visit(std::type_identity<Types>{}) || ...);
}
template <typename Visit>
void ForEachType(Visit visit) {
  ForEachType(visit, static_cast<const NotifierSettings*>(nullptr));
}

}  // namespace

std::vector<std::string_view> NotifierTypes() {
  std::vector<std::string_view> types;
  ForEachType([&]<typename T>(std::type_identity<T>) {
    types.push_back(T::kType);
    return false;
  });
  return types;
}

std::optional<std::span<const std::string_view>> NotifierKeys(std::string_view type) {
  std::optional<std::span<const std::string_view>> keys;
  ForEachType([&]<typename T>(std::type_identity<T>) {
    if (T::kType != type) return false;
    keys = std::span<const std::string_view>(T::kKeys);
    return true;
  });
  return keys;
}

std::optional<NotifierSettings> ParseNotifierSettings(std::string_view type, OptionReader& reader,
                                                      const ParseContext& context) {
  std::optional<NotifierSettings> parsed;
  ForEachType([&]<typename T>(std::type_identity<T>) {
    if (T::kType != type) return false;
    if (std::optional<T> loaded = T::Parse(reader, context)) parsed = std::move(*loaded);
    return true;
  });
  return parsed;
}

std::string_view TypeOf(const NotifierSettings& settings) {
  return std::visit([]<typename T>(const T& /*unused*/) { return std::string_view(T::kType); },
                    settings);
}

std::string_view LabelOf(const NotifierSettings& settings) {
  return std::visit([](const auto& s) { return s.Label(); }, settings);
}

std::vector<std::string> DestinationOf(const NotifierSettings& settings) {
  return std::visit([](const auto& s) { return s.Destination(); }, settings);
}

std::chrono::milliseconds TimeoutOf(const NotifierSettings& settings) {
  return std::visit([](const auto& s) { return s.Timeout(); }, settings);
}

std::unique_ptr<Notifier> MakeNotifier(const std::string& name, const NotifierSettings& settings,
                                       const NotifierServices& services) {
  return std::visit([&](const auto& s) { return s.Make(name, services); }, settings);
}

}  // namespace feedwatch::notify
