#include "llmroof/platform/output_file.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "llmroof/util/errors.hpp"

namespace llmroof {
namespace {

[[noreturn]] void throw_write_error(const std::filesystem::path& path, int error) {
  throw Error(fmt::format("cannot write '{}': {}", path.string(), std::strerror(error)));
}

/// Writes all of `text` to `fd`; returns 0 or the errno of the failing write.
int write_all(int fd, std::string_view text) {
  while (!text.empty()) {
    const ssize_t n = ::write(fd, text.data(), text.size());
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return errno;
    }
    text.remove_prefix(static_cast<std::size_t>(n));
  }
  return 0;
}

void write_directly(const std::filesystem::path& path, std::string_view text) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
  if (fd < 0) {
    throw_write_error(path, errno);
  }
  const int error = write_all(fd, text);
  const int close_error = ::close(fd) != 0 ? errno : 0;
  if (error != 0 || close_error != 0) {
    throw_write_error(path, error != 0 ? error : close_error);
  }
}

mode_t current_umask() {
  const mode_t mask = ::umask(0);
  ::umask(mask);
  return mask;
}

}  // namespace

void write_file_atomically(const std::filesystem::path& path, std::string_view text) {
  struct stat target {};
  const bool exists = ::stat(path.c_str(), &target) == 0;
  if (exists && !S_ISREG(target.st_mode)) {
    write_directly(path, text);
    return;
  }
  const std::filesystem::path parent =
      path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");
  std::string temp = (parent / ("." + path.filename().string() + ".tmp-XXXXXX")).string();
  const int fd = ::mkstemp(temp.data());
  if (fd < 0) {
    throw_write_error(path, errno);
  }
  // mkstemp creates the file 0600; give it the replaced file's mode, else what open() would.
  const mode_t mode = exists ? (target.st_mode & 07777) : (0666 & ~current_umask());
  int error = ::fchmod(fd, mode) != 0 ? errno : 0;
  if (error == 0) {
    error = write_all(fd, text);
  }
  if (error == 0 && ::fsync(fd) != 0 && errno != EINVAL) {
    error = errno;
  }
  if (::close(fd) != 0 && error == 0) {
    error = errno;
  }
  if (error == 0 && ::rename(temp.c_str(), path.c_str()) != 0) {
    error = errno;
  }
  if (error != 0) {
    ::unlink(temp.c_str());
    throw_write_error(path, error);
  }
}

void refuse_output_over_input(const std::filesystem::path& output,
                              const std::vector<std::filesystem::path>& inputs,
                              std::string_view what) {
  struct stat out {};
  if (::stat(output.c_str(), &out) != 0 || !S_ISREG(out.st_mode)) {
    return;
  }
  for (const auto& input : inputs) {
    struct stat in {};
    if (::stat(input.c_str(), &in) == 0 && in.st_dev == out.st_dev && in.st_ino == out.st_ino) {
      throw UsageError(fmt::format(
          "{} '{}' is the input file '{}'; writing it would destroy the input (choose another "
          "output path)",
          what, output.string(), input.string()));
    }
  }
}

}  // namespace llmroof
