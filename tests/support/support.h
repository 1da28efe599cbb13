// Real parts for tests: a loopback HTTP server, a temporary folder, a clock the test moves, and
// a way to run the feedwatch binary. Network traffic stays on 127.0.0.1.
#pragma once

#include <httplib.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "base/clock.h"

// FEEDWATCH_TEST_ASAN: built with AddressSanitizer, by g++ (which says so with
// __SANITIZE_ADDRESS__) or by clang (which says so through __has_feature).
#if defined(__SANITIZE_ADDRESS__)
#define FEEDWATCH_TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define FEEDWATCH_TEST_ASAN 1
#endif
#endif

namespace feedwatch::testing {

// The fixture folder, tests/data.
std::filesystem::path DataDir();

// The root of the source tree (for config/feedwatch.example.toml and the like).
std::filesystem::path SourceDir();
// Where tests leave what a person may want to look at afterwards (a screenshot): the build's
// test-artifacts folder, made if need be.
std::filesystem::path ArtifactDir();
std::string ReadFile(const std::filesystem::path& path);
void WriteFile(const std::filesystem::path& path, std::string_view text);

// A TCP socket bound to `address` (127.0.0.1 unless another loopback address is given) on a
// free port, not listening yet; sets `port`. -1 on error.
int BindLoopback(int& port, const std::string& address = "127.0.0.1");

// The bytes this process has allocated on the heap and not freed: what a memory bound in a test
// measures, the same in every build. Under AddressSanitizer its allocator counts them
// (RSS there is shadow memory and quarantine); otherwise glibc's mallinfo2 does.
size_t LiveHeapBytes();

// `data` gzip-compressed (a gzip stream, as Content-Encoding: gzip carries it).
std::string Gzip(std::string_view data);

// A cpp-httplib server on 127.0.0.1 (or another loopback address) and a free port. Register
// handlers on server(), then Start(). Stops and joins in the destructor.
class LoopbackServer {
 public:
  explicit LoopbackServer(std::string address = "127.0.0.1");
  ~LoopbackServer();
  LoopbackServer(const LoopbackServer&) = delete;
  LoopbackServer& operator=(const LoopbackServer&) = delete;

  httplib::Server& server() { return server_; }
  // Takes the port, so that Url() knows it before the server starts (Start binds if need be).
  void Bind();
  void Start();
  std::string Url(std::string_view path) const;

 private:
  std::string address_;
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
};

// A TCP server on 127.0.0.1 that answers each connection's first request with the bytes
// `answer` returns for it, exactly as given (what cpp-httplib refuses to send: a header with a
// bare CR), then closes the connection. Keeps every request it read.
class RawHttpServer {
 public:
  explicit RawHttpServer(std::function<std::string(const std::string& request)> answer);
  ~RawHttpServer();
  RawHttpServer(const RawHttpServer&) = delete;
  RawHttpServer& operator=(const RawHttpServer&) = delete;
  std::string Url(std::string_view path) const;
  std::vector<std::string> requests() const;

 private:
  std::function<std::string(const std::string&)> answer_;
  int fd_ = -1;
  int port_ = 0;
  mutable std::mutex mutex_;
  std::vector<std::string> requests_;
  std::thread thread_;
};

// A fresh folder under the system temp dir, removed with its contents in the destructor.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// Wall and monotonic time that move only when told to, together.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(TimePoint now) : now_(now) {}
  TimePoint Now() const override { return std::chrono::floor<Seconds>(now_); }
  MonoTime Monotonic() const override { return MonoTime() + (now_ - TimePoint()); }
  void Advance(std::chrono::milliseconds by) { now_ += by; }

 private:
  std::chrono::sys_time<std::chrono::milliseconds> now_;
};

// A program started with `args`, its output captured in files.
class ChildProcess {
 public:
  ChildProcess(const std::string& program, const std::vector<std::string>& args);
  ~ChildProcess();  // kills the process if it is still running
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  void Signal(int signal);
  int pid() const { return pid_; }
  // The exit code, -1 if killed by a signal, or nullopt if still running after `timeout`.
  std::optional<int> Wait(std::chrono::milliseconds timeout);
  // The most memory the process held (its peak resident set), once Wait has seen it end.
  long peak_rss_kib() const { return peak_rss_kib_; }
  std::string out() const;
  std::string err() const;

 private:
  TempDir output_;
  int pid_ = -1;
  bool reaped_ = false;
  long peak_rss_kib_ = 0;
};

// The feedwatch binary under test.
class FeedwatchProcess : public ChildProcess {
 public:
  explicit FeedwatchProcess(const std::vector<std::string>& args);
};

// The files a generator script writes (Debian's python3 runs `script OUTDIR`) into a temporary
// folder that lives as long as this: the hostile corpora, made fresh for a test suite.
class GeneratedFiles {
 public:
  explicit GeneratedFiles(const std::filesystem::path& script);
  // "" when the script succeeded, else what it said.
  const std::string& error() const { return error_; }
  const std::filesystem::path& path() const { return dir_.path(); }
  // Every file written, sorted by name.
  std::vector<std::filesystem::path> Files() const;

 private:
  TempDir dir_;
  std::string error_;
};

// A test server written in Python (tests/support/NAME.py, run by Debian's /usr/bin/python3 so
// that Debian's python3-aiosmtpd imports) listening on 127.0.0.1. It is given --port-file and
// `args`; the constructor waits until it listens.
class PythonServer {
 public:
  PythonServer(const std::string& name, const std::vector<std::string>& args);
  int port() const { return port_; }
  // Kills the server (SIGKILL): its port refuses connections until another server takes it.
  void Kill();

 private:
  TempDir dir_;
  std::optional<ChildProcess> process_;
  int port_ = 0;
};

struct CommandResult {
  int exit_code = -1;  // -1 when killed by a signal
  std::string out;
  std::string err;
};

// Runs the feedwatch binary under test with `args`, waits up to a minute, and captures its
// output.
CommandResult RunFeedwatch(const std::vector<std::string>& args);

}  // namespace feedwatch::testing
