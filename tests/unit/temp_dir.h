// A directory under /tmp that exists for one test and is removed after it.
#pragma once

#include <stdlib.h>

#include <filesystem>
#include <string>

namespace ota::test {

class TempDir {
 public:
  TempDir() {
    std::string tmpl = "/tmp/ota-test-XXXXXX";
    if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  std::string sub(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

}  // namespace ota::test
