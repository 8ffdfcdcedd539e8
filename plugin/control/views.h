// The JSON form of domain values in control API replies. Field names are
// part of the API contract (DESIGN.md §5): add fields, never rename.
#pragma once

#include <jansson.h>

#include "engine/engine.h"

namespace ota {

// Each returns a new reference.
json_t* package_json(const Package& p);
json_t* job_json(const Job& job, const TaskCounts* counts);
json_t* task_json(const Task& t);
json_t* device_json(const Device& d, bool online);

}  // namespace ota
