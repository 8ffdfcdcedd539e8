// The file-system side of broker_config.h: the broker's command line, its
// configuration files and include_dir listings.
#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "brokerconf/broker_config.h"

namespace ota {
namespace {

std::optional<std::string> read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// The *.conf files of a directory in mosquitto's order (sorted by name).
std::optional<std::vector<std::string>> list_conf_dir(const std::string& dir) {
  std::error_code ec;
  std::vector<std::string> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.size() > 5 && name.ends_with(".conf")) files.push_back(dir + "/" + name);
  }
  if (ec) return std::nullopt;
  std::sort(files.begin(), files.end());
  return files;
}

bool same_file(std::string_view a, const std::string& b) {
  struct stat sa, sb;
  return ::stat(std::string(a).c_str(), &sa) == 0 && ::stat(b.c_str(), &sb) == 0 &&
         sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

}  // namespace

Result<BrokerConfig> read_running_broker_config(const std::string& self_path) {
  std::optional<std::string> cmdline = read_text("/proc/self/cmdline");
  if (!cmdline) return Error{"/proc/self/cmdline is not readable"};
  std::optional<std::string> path = config_path_from_cmdline(*cmdline);
  if (!path) return Error{"the broker was started without -c <config file>"};
  return read_broker_config(*path, read_text, list_conf_dir,
                            [&](std::string_view plugin) { return same_file(plugin, self_path); });
}

}  // namespace ota
