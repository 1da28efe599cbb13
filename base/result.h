// Result<T>: a value or an Error, for failures that are expected (bad input, network, disk).
// Programmer errors are asserts, not Results. Third-party exceptions are caught at the module
// edge that calls the library and turned into Errors there.
#pragma once

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace feedwatch {

struct Error {
  enum class Code {
    kInvalidInput,  // the data we were given is wrong: bad config, bad feed, bad query
    kNotFound,
    kIo,       // file system or database
    kNetwork,  // DNS, connect, TLS, reset
    kTimeout,
    kTooLarge,    // a size limit was hit
    kHttpStatus,  // the server answered with an error status
    kUnsupported,
    kConfig,      // the configuration is invalid
    kUsage,       // the command line is wrong
    kCantCreate,  // a file or folder we own could not be created
    kConflict,    // another writer got there first: read again and retry
    kPartial,     // some of the work failed and the rest was done: `once` with failing feeds
  };

  Code code;
  std::string message;
  // Where in the input the error is, counted from 1 in lines and characters; 0 when it does not
  // apply. A query's error says it at the start of `message` too: "1:14: expected ')'".
  int line = 0;
  int column = 0;

  static Error InvalidInput(std::string m) { return {Code::kInvalidInput, std::move(m)}; }
  static Error NotFound(std::string m) { return {Code::kNotFound, std::move(m)}; }
  static Error Io(std::string m) { return {Code::kIo, std::move(m)}; }
  static Error Network(std::string m) { return {Code::kNetwork, std::move(m)}; }
  static Error Timeout(std::string m) { return {Code::kTimeout, std::move(m)}; }
  static Error TooLarge(std::string m) { return {Code::kTooLarge, std::move(m)}; }
  static Error HttpStatus(std::string m) { return {Code::kHttpStatus, std::move(m)}; }
  static Error Unsupported(std::string m) { return {Code::kUnsupported, std::move(m)}; }
  static Error Config(std::string m) { return {Code::kConfig, std::move(m)}; }
  static Error Usage(std::string m) { return {Code::kUsage, std::move(m)}; }
  static Error CantCreate(std::string m) { return {Code::kCantCreate, std::move(m)}; }
  static Error Conflict(std::string m) { return {Code::kConflict, std::move(m)}; }
  static Error Partial(std::string m) { return {Code::kPartial, std::move(m)}; }
};

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}      // NOLINT(google-explicit-constructor)
  Result(Error error) : v_(std::move(error)) {}  // NOLINT(google-explicit-constructor)

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & {
    assert(ok());
    return std::get<0>(v_);
  }
  const T& value() const& {
    assert(ok());
    return std::get<0>(v_);
  }
  T&& value() && {
    assert(ok());
    return std::get<0>(std::move(v_));
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }

  const Error& error() const {
    assert(!ok());
    return std::get<1>(v_);
  }

 private:
  std::variant<T, Error> v_;
};

// Result<void>: success or an Error.
class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Error error)
      : error_(std::move(error)), ok_(false) {}  // NOLINT(google-explicit-constructor)
  static Status Ok() { return {}; }

  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const {
    assert(!ok_);
    return error_;
  }

 private:
  Error error_{Error::Code::kInvalidInput, {}};
  bool ok_ = true;
};

}  // namespace feedwatch
