// Key layout of the LMDB databases. LMDB orders keys bytewise, so numbers
// are big-endian and names are NUL-terminated: a cursor walks devices in
// name order, a job's tasks together, and the due queue earliest first.
//
//   devices       product \0 device                    -> device record
//   packages      be64(id)                             -> package record
//   jobs          be64(id)                             -> job record
//   tasks         be64(job) product \0 device          -> task record
//   device_tasks  product \0 device \0 be64(job)       -> (empty)
//   active        product \0 device                    -> be64(job)
//   due           be64(at ^ 2^63) kind be64(job) product \0 device -> (empty)
//   meta          name [be64(job) [be64(group)]]       -> be64 numbers
//   products      product                              -> product config
//   bindings      user \0 product \0 device             -> (empty)
//
// MQTT topic names cannot contain NUL, so NUL is a safe separator; keys
// built from names that contain one are refused.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "engine/model.h"
#include "engine/store.h"

namespace ota::lmdb_keys {

void append_be64(std::string& out, uint64_t v);
// Reads 8 big-endian bytes at `at`; the caller checks the length.
uint64_t read_be64(std::string_view bytes, size_t at);
std::string be64(uint64_t v);

// product \0 device. Throws StoreError if either name contains NUL.
std::string device_key(const DeviceKey& device);
// The inverse of device_key(); throws StoreError if there is no NUL.
DeviceKey parse_device_key(std::string_view key);
// product \0: the prefix every device key of that product starts with.
std::string product_prefix(const std::string& product);

// product \0 module \0 version: a key of the version_counts database, and
// the prefix (product \0 module \0) of one module's counts.
std::string version_count_key(const std::string& product, const std::string& module,
                              const std::string& version);
std::string version_counts_prefix(const std::string& product, const std::string& module);

std::string task_key(JobId job, const DeviceKey& device);
// be64(job): the prefix of every task key of that job.
std::string job_prefix(JobId job);

std::string device_task_key(const DeviceKey& device, JobId job);
// product \0 device \0: the prefix of every device_tasks key of the device.
std::string device_tasks_prefix(const DeviceKey& device);
// The job in a device_tasks key.
JobId parse_device_task_job(std::string_view key);

// user \0 product \0 device, and its inverse.
std::string binding_key(const Binding& binding);
Binding parse_binding_key(std::string_view key);
// user \0: the prefix of every binding of that user.
std::string user_prefix(const std::string& user);

std::string due_key(const DueItem& item);
DueItem parse_due_key(std::string_view key);
// The time part of a due key, sortable as unsigned bytes.
uint64_t due_time_bits(TimeMs at);

// Names of the counters in the meta database.
inline constexpr std::string_view kSchemaVersionKey = "schema_version";
inline constexpr std::string_view kNextPackageIdKey = "next_package_id";
inline constexpr std::string_view kNextJobIdKey = "next_job_id";
// kTaskStateCount be64 counts, indexed by TaskState value.
inline constexpr std::string_view kTaskCountsKey = "task_counts";
// Present once the version_counts database matches the devices (a database
// written by an older build gains it on its first open).
inline constexpr std::string_view kVersionCountsBuiltKey = "version_counts_built";
// The same counts for one job: "job_task_counts" be64(job).
std::string job_task_counts_key(JobId job);
// The same counts for one rollout group of a job:
// "group_task_counts" be64(job) be64(group).
std::string group_task_counts_key(JobId job, uint32_t group);

}  // namespace ota::lmdb_keys
