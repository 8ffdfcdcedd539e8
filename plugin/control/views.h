// The JSON form of domain values in control API replies. Field names are
// part of the API contract (DESIGN.md §5): add fields, never rename.
#pragma once

#include <jansson.h>

#include "engine/engine.h"

namespace ota {

// Each returns a new reference.
json_t* package_json(const Package& p);
json_t* job_json(const Job& job, const TaskCounts* counts);
// {"CONFIRM":n,...,"CANCELED":n}
json_t* task_counts_json(const TaskCounts& counts);
// job_json plus successRate, failureReasons and elapsedMs.
json_t* job_statistics_json(const JobStatistics& stats);
// Without `with_history`, the task's history is left out (lists).
json_t* task_json(const Task& t, bool with_history = true);
json_t* product_config_json(const ProductConfig& c);
json_t* device_json(const Device& d, bool online);

}  // namespace ota
