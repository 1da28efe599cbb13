#include "tests/support/support.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <malloc.h>
#include <netinet/in.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#if defined(FEEDWATCH_TEST_ASAN)
#if __has_include(<sanitizer/allocator_interface.h>)
#include <sanitizer/allocator_interface.h>
#else
// From <sanitizer/allocator_interface.h>, which clang ships and g++ 12 does not; its runtime has
// the function all the same. The runtime's name, not ours.
extern "C" size_t __sanitizer_get_current_allocated_bytes();  // NOLINT
#endif
#endif

#include <algorithm>
#include <array>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace feedwatch::testing {

size_t LiveHeapBytes() {
#if defined(FEEDWATCH_TEST_ASAN)
  return __sanitizer_get_current_allocated_bytes();
#else
  const struct mallinfo2 info = mallinfo2();
  return info.uordblks + info.hblkhd;  // in the arenas, and mapped on their own
#endif
}

int BindLoopback(int& port, const std::string& loopback) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  if (inet_pton(AF_INET, loopback.c_str(), &address.sin_addr) != 1 ||
      (ntohl(address.sin_addr.s_addr) >> 24) != 127) {
    throw std::runtime_error("not a loopback address: " + loopback);
  }
  socklen_t length = sizeof address;
  if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    if (fd >= 0) close(fd);
    return -1;
  }
  port = ntohs(address.sin_port);
  return fd;
}

std::string Gzip(std::string_view data) {
  z_stream stream{};
  deflateInit2(&stream, Z_BEST_COMPRESSION, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&stream, data.size()), '\0');
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  stream.avail_in = static_cast<uInt>(data.size());
  stream.next_out = reinterpret_cast<Bytef*>(out.data());
  stream.avail_out = static_cast<uInt>(out.size());
  deflate(&stream, Z_FINISH);
  out.resize(stream.total_out);
  deflateEnd(&stream);
  return out;
}

std::filesystem::path DataDir() { return FEEDWATCH_TEST_DATA; }

std::filesystem::path SourceDir() { return FEEDWATCH_SOURCE_DIR; }

std::filesystem::path ArtifactDir() {
  std::filesystem::create_directories(FEEDWATCH_ARTIFACT_DIR);
  return FEEDWATCH_ARTIFACT_DIR;
}

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path.string());
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

void WriteFile(const std::filesystem::path& path, std::string_view text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  if (!out) throw std::runtime_error("cannot write " + path.string());
}

LoopbackServer::LoopbackServer(std::string address) : address_(std::move(address)) {
  if (!address_.starts_with("127.")) throw std::runtime_error("not a loopback address");
}

void LoopbackServer::Bind() {
  if (port_ > 0) return;
  port_ = server_.bind_to_any_port(address_);
  if (port_ <= 0) throw std::runtime_error("cannot bind a loopback port");
}

void LoopbackServer::Start() {
  Bind();
  thread_ = std::thread([this] { server_.listen_after_bind(); });
  // stop() is a no-op until the accept loop runs, so a test that ends at once would leave the
  // destructor joining a server that never stops.
  while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

LoopbackServer::~LoopbackServer() {
  server_.stop();
  if (thread_.joinable()) thread_.join();
}

std::string LoopbackServer::Url(std::string_view path) const {
  return "http://" + address_ + ":" + std::to_string(port_) + std::string(path);
}

RawHttpServer::RawHttpServer(std::function<std::string(const std::string& request)> answer)
    : answer_(std::move(answer)) {
  fd_ = BindLoopback(port_);
  if (fd_ < 0 || listen(fd_, 16) != 0) throw std::runtime_error("cannot listen on loopback");
  thread_ = std::thread([this] {
    while (true) {
      const int client = accept(fd_, nullptr, nullptr);
      if (client < 0) return;  // closed by the destructor
      std::string request;
      std::array<char, 4096> buffer{};
      while (request.find("\r\n\r\n") == std::string::npos && request.size() < 65536) {
        const ssize_t n = recv(client, buffer.data(), buffer.size(), 0);
        if (n <= 0) break;
        request.append(buffer.data(), static_cast<size_t>(n));
      }
      {
        const std::lock_guard lock(mutex_);
        requests_.push_back(request);
      }
      const std::string response = answer_(request);
      (void)send(client, response.data(), response.size(), MSG_NOSIGNAL);
      close(client);
    }
  });
}

RawHttpServer::~RawHttpServer() {
  shutdown(fd_, SHUT_RDWR);
  close(fd_);
  thread_.join();
}

std::string RawHttpServer::Url(std::string_view path) const {
  return "http://127.0.0.1:" + std::to_string(port_) + std::string(path);
}

std::vector<std::string> RawHttpServer::requests() const {
  const std::lock_guard lock(mutex_);
  return requests_;
}

TempDir::TempDir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "feedwatch-test-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

GeneratedFiles::GeneratedFiles(const std::filesystem::path& script) {
  ChildProcess maker("/usr/bin/python3", {script.string(), dir_.path().string()});
  const std::optional<int> exit_code = maker.Wait(std::chrono::seconds(60));
  if (exit_code != 0) error_ = script.filename().string() + " failed: " + maker.err();
}

std::vector<std::filesystem::path> GeneratedFiles::Files() const {
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir_.path())) {
    files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

ChildProcess::ChildProcess(const std::string& program, const std::vector<std::string>& args) {
  const std::string out_path = (output_.path() / "out").string();
  const std::string err_path = (output_.path() / "err").string();
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, out_path.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, err_path.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0600);
  std::vector<std::string> argv_storage = {program};
  argv_storage.insert(argv_storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  argv.reserve(argv_storage.size() + 1);
  for (std::string& arg : argv_storage) argv.push_back(arg.data());
  argv.push_back(nullptr);
  const int rc = posix_spawn(&pid_, program.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) throw std::runtime_error("cannot start " + program);
}

ChildProcess::~ChildProcess() {
  if (!reaped_) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
}

void ChildProcess::Signal(int signal) { kill(pid_, signal); }

std::optional<int> ChildProcess::Wait(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    int status = 0;
    rusage usage{};
    if (wait4(pid_, &status, WNOHANG, &usage) == pid_) {
      reaped_ = true;
      peak_rss_kib_ = usage.ru_maxrss;
      return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }
    if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

std::string ChildProcess::out() const { return ReadFile(output_.path() / "out"); }
std::string ChildProcess::err() const { return ReadFile(output_.path() / "err"); }

FeedwatchProcess::FeedwatchProcess(const std::vector<std::string>& args)
    : ChildProcess(FEEDWATCH_BIN, args) {}

PythonServer::PythonServer(const std::string& name, const std::vector<std::string>& args) {
  const std::filesystem::path port_file = dir_.path() / "port";
  std::vector<std::string> argv = {(SourceDir() / "tests" / "support" / (name + ".py")).string(),
                                   "--port-file", port_file.string()};
  argv.insert(argv.end(), args.begin(), args.end());
  process_.emplace("/usr/bin/python3", argv);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (!std::filesystem::exists(port_file)) {
    if (process_->Wait(std::chrono::milliseconds(20))) {
      throw std::runtime_error(name + ".py exited: " + process_->err());
    }
    if (std::chrono::steady_clock::now() > deadline) {
      throw std::runtime_error(name + ".py did not start listening");
    }
  }
  port_ = std::stoi(ReadFile(port_file));
}

void PythonServer::Kill() {
  process_->Signal(SIGKILL);
  process_->Wait(std::chrono::seconds(10));
}

CommandResult RunFeedwatch(const std::vector<std::string>& args) {
  FeedwatchProcess process(args);
  const std::optional<int> exit_code = process.Wait(std::chrono::minutes(1));
  if (!exit_code) throw std::runtime_error("feedwatch did not exit within a minute");
  return {*exit_code, process.out(), process.err()};
}

}  // namespace feedwatch::testing
