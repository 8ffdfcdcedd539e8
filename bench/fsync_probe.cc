// fsync_probe: how long fdatasync() takes on the filesystem of a directory,
// for the same kind of write a small LMDB commit makes (a few 4 KiB pages
// rewritten in place, then the meta page). Every notification waits for
// one of these, in the plugin and in the external service alike, so this
// is the floor under the latency figures of bench/RESULTS.md.
//
//   fsync_probe --dir /tmp/x --count 300
#include <fcntl.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <string>
#include <vector>

#include "client_set.h"

int main(int argc, char** argv) {
  std::string dir = ".";
  int count = 300;
  CLI::App app{"fdatasync latency on a directory's filesystem"};
  app.add_option("--dir", dir, "directory to test (a scratch file is created and removed)");
  app.add_option("--count", count, "syncs to time");
  CLI11_PARSE(app, argc, argv);

  const std::string path = dir + "/fsync_probe.tmp";
  int fd = open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC, 0600);
  if (fd < 0) {
    std::perror(path.c_str());
    return 1;
  }
  std::vector<char> page(4096, 'x');
  // Allocate the pages first, so that the timed syncs rewrite blocks in
  // place, as LMDB mostly does once its file has grown.
  for (int i = 0; i < 256; ++i) pwrite(fd, page.data(), page.size(), static_cast<off_t>(i) * 4096);
  fdatasync(fd);
  std::vector<int64_t> samples;
  for (int i = 0; i < count; ++i) {
    for (int p = 0; p < 3; ++p) {
      pwrite(fd, page.data(), page.size(), static_cast<off_t>(1 + (i * 3 + p) % 255) * 4096);
    }
    pwrite(fd, page.data(), page.size(), 0);
    const int64_t t0 = bench::now_ns();
    fdatasync(fd);
    samples.push_back(bench::now_ns() - t0);
  }
  close(fd);
  unlink(path.c_str());
  bench::Percentiles p = bench::percentiles(samples);
  std::printf("fsync_probe: fdatasync in %s: %s\n", dir.c_str(), bench::format(p).c_str());
  return 0;
}
