// Reads one byte range of a stored file (MQTT block download): only those
// bytes, whatever the file's size.
#pragma once

#include <cstdint>
#include <string>

#include "engine/result.h"

namespace ota {

// Up to `size` bytes of the file at `path` from `offset`; fewer only when
// the file ends first. An error says why the file could not be read.
Result<std::string> read_file_range(const std::string& path, uint64_t offset, size_t size);

}  // namespace ota
