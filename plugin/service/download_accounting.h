// Download figures: bytes served and downloads completed, over HTTP (the
// download server's events, drained each loop iteration) and MQTT blocks,
// into the service's counters and the figures of the device's active job.
#pragma once

#include <string_view>

#include "engine/engine.h"
#include "service/broker_types.h"
#include "service/monitoring.h"

namespace ota {

class HttpServer;

class DownloadAccounting {
 public:
  DownloadAccounting(Engine& engine, Store& store, HttpServer* http, ServiceCounters& counters,
                     const Logger& log)
      : engine_(engine), store_(store), http_(http), counters_(counters), log_(log) {}

  // The download server's completed responses and log lines since the last
  // call (a store write: call inside the batch).
  void drain_http_events();
  // `bytes` of `package` (its id as text) served to `device`; `reached_end`
  // when they ended at the file's end. The job's figures count only when
  // the device's active task is for that package.
  void count(const DeviceKey& device, std::string_view package, uint64_t bytes,
             bool reached_end);

 private:
  Engine& engine_;
  Store& store_;
  HttpServer* http_;
  ServiceCounters& counters_;
  const Logger& log_;
};

}  // namespace ota
