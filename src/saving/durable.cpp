#include "saving/durable.hpp"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "keras/errors.hpp"

namespace keras::saving {
namespace fs = std::filesystem;
namespace {

fs::path directory_of(const std::string& path) {
  fs::path dir = fs::path(path).parent_path();
  return dir.empty() ? fs::path(".") : dir;
}

// The pid in "<pid>-XXXXXX..." (the part after the prefix); 0 if none.
pid_t pid_of(const std::string& rest) {
  std::size_t dash = rest.find('-');
  if (dash == 0 || dash == std::string::npos || dash > 9) return 0;
  pid_t pid = 0;
  for (std::size_t i = 0; i < dash; ++i) {
    if (rest[i] < '0' || rest[i] > '9') return 0;
    pid = pid * 10 + (rest[i] - '0');
  }
  return pid;
}

bool process_gone(pid_t pid) { return ::kill(pid, 0) != 0 && errno == ESRCH; }

}  // namespace

std::string temporary_prefix(const std::string& path) { return path + ".tmp-"; }

int remove_stale_temporaries(const std::string& path) {
  std::error_code ec;
  std::string prefix = fs::path(temporary_prefix(path)).filename().string();
  int removed = 0;
  fs::directory_iterator it(directory_of(path), ec), end;
  for (; !ec && it != end; it.increment(ec)) {
    std::string name = it->path().filename().string();
    if (name.compare(0, prefix.size(), prefix) != 0) continue;
    pid_t pid = pid_of(name.substr(prefix.size()));
    if (pid <= 0 || pid == ::getpid() || !process_gone(pid)) continue;
    std::error_code rm;
    if (it->is_regular_file(rm) && fs::remove(it->path(), rm)) ++removed;
  }
  return removed;
}

void sync_file(const std::string& file, const std::string& target) {
  int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  KERAS_CHECK(fd >= 0, IOError, "Cannot save '", target, "': cannot reopen the temporary file (",
              std::strerror(errno), ")");
  int rc = ::fsync(fd);
  int e = errno;
  ::close(fd);
  KERAS_CHECK(rc == 0, IOError, "Cannot save '", target, "': flushing the file to disk failed (", std::strerror(e),
              ")");
}

void sync_directory_of(const std::string& path) {
  int fd = ::open(directory_of(path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

}  // namespace keras::saving
