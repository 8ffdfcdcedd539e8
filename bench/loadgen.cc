// loadgen: simulated devices speaking the `aliyun` OTA dialect, for the
// benchmarks in bench/RESULTS.md.
//
// Every device is one MQTT connection (TCP_NODELAY, MQTT 3.1.1). Devices are
// spread over worker processes (libmosquitto needs three descriptors per
// client, and RLIMIT_NOFILE is per process); each worker drives thousands of
// them from one thread with bench::ClientSet. The parent process holds the
// operator's clients (the admin on the control topic, a subscriber) and
// steps the workers through phases over shared memory. A device:
//   subscribes to /ota/device/upgrade/{pk}/{dn}
//   reports its version on /ota/device/inform/{pk}/{dn}
//   waits for the notification, reports progress on /ota/device/progress/..,
//   then reports the new version.
//
// Scenarios (--scenario):
//   throughput  every device reports in a closed loop (one QoS 1 report in
//               flight per device) while a subscriber on
//               /ota/device/inform/# counts what passes the broker; first on
//               the devices' own, known names, then on new names.
//   latency     a job targets every device; then a notified device reporting
//               its old version gets the notification again: report ->
//               notification latency, one device at a time and at a fixed
//               aggregate rate.
//   campaign    a job (optionally with ratePerMinute) over every device;
//               each device is notified, reports progress and its new
//               version; getJob counts must account for every task, and the
//               push rate is measured from notification arrival times.
//
// Output: one plain line per figure on stdout; --json FILE writes the same
// figures as one flat JSON object.
#include <jansson.h>
#include <lmdb.h>
#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <deque>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <new>
#include <sstream>
#include <string>
#include <vector>

#include "client_set.h"
#include "worker_processes.h"

namespace {

using bench::now_ns;
using bench::ns_to_ms;
using bench::ns_to_s;

constexpr int kMaxProcs = 64;
constexpr int64_t kSecond = 1'000'000'000LL;
constexpr int64_t kLatencyTimeout = 5 * kSecond;  // a report with no notification

struct Options {
  std::string host = "127.0.0.1";
  int port = 1883;
  std::string scenario;
  std::string label = "run";
  size_t devices = 1000;
  int procs = 0;
  int bind_count = 0;
  int bind_base = -1;
  int max_pending_connects = 90;
  std::string product = "pk";
  std::string prefix = "d";
  std::string old_version = "1.0.0";
  std::string new_version = "2.0.0";
  int qos = 1;
  std::string admin_user = "admin";
  std::string control_topic = "$CONTROL/ota/v1";
  std::string response_topic = "$CONTROL/ota/v1/response";
  std::string json_path;
  std::string raw_path;
  int broker_pid = 0;
  int service_pid = 0;
  std::string db_path;
  double connect_timeout_s = 180;
  // throughput
  double warmup_s = 2;
  double duration_s = 10;
  bool known_phase = true;
  bool new_phase = true;
  double disconnect_timeout_s = 60;
  // latency
  size_t sequential_samples = 2000;
  double loaded_rate = 1000;
  double loaded_duration_s = 10;
  // campaign
  int rate_per_minute = 0;
  std::vector<std::string> steps = {"10", "50", "100"};
  int step_delay_ms = 0;
  int job_timeout_s = 3600;
  double campaign_timeout_s = 900;
};

// ------------------------------------------------------------ shared state

enum Phase : int {
  kStart = 0,
  kConnect,
  kRegister,
  kKnown,
  kKnownStop,
  kNew,
  kNewStop,
  kAwaitPush,
  kSequential,
  kLoaded,
  kLoadedStop,
  kCampaign,
  kDisconnect,
  kExit,
};

struct alignas(64) WorkerSlot {
  std::atomic<int> entered_phase{kStart};  // the worker acts on this phase
  std::atomic<int> ready_phase{kStart};    // ... and has finished its work
  std::atomic<uint64_t> connected{0};
  std::atomic<uint64_t> failed{0};
  std::atomic<uint64_t> drops{0};
  std::atomic<uint64_t> connect_errors{0};
  std::atomic<uint64_t> sent{0};           // reports and progress published
  std::atomic<uint64_t> acked{0};          // their PUBACKs
  std::atomic<uint64_t> notifications{0};  // upgrade messages received
  std::atomic<uint64_t> duplicates{0};     // beyond the first, campaign only
  std::atomic<uint64_t> unexpected{0};     // notifications nobody waited for
  std::atomic<uint64_t> lost{0};           // reports whose notification never came
  std::atomic<uint64_t> skipped{0};        // loaded sends with every device busy
  std::atomic<uint64_t> done{0};           // campaign devices finished
};

// One shared anonymous mapping, set up before fork(): the control block and
// per-device / per-sample arrays. Workers write only their own slots and
// their own devices' entries.
struct Shared {
  std::atomic<int> phase{kStart};
  WorkerSlot workers[kMaxProcs];
  std::atomic<uint64_t> sequential_count{0};
  std::atomic<uint64_t> loaded_count{0};
  int64_t* notified_at = nullptr;   // [devices] first notification, 0 = none
  int64_t* done_at = nullptr;       // [devices] new version acknowledged
  int64_t* sequential = nullptr;    // [sample_capacity] latencies, ns
  int64_t* loaded = nullptr;        // [sample_capacity]
  size_t sample_capacity = 0;
};

Shared* make_shared_region(size_t devices, size_t samples) {
  size_t bytes = sizeof(Shared) + (2 * devices + 2 * samples) * sizeof(int64_t);
  void* mem = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (mem == MAP_FAILED) throw std::runtime_error("mmap of the shared region failed");
  auto* s = new (mem) Shared();
  auto* arrays = reinterpret_cast<int64_t*>(static_cast<char*>(mem) + sizeof(Shared));
  s->notified_at = arrays;
  s->done_at = arrays + devices;
  s->sequential = arrays + 2 * devices;
  s->loaded = arrays + 2 * devices + samples;
  s->sample_capacity = samples;
  return s;
}

std::string progress_payload(uint64_t id, const std::string& step) {
  return "{\"id\":\"" + std::to_string(id) + "\",\"params\":{\"step\":\"" + step +
         "\",\"desc\":\"loadgen\"}}";
}

// ------------------------------------------------------------------ worker

class Worker;

class Device : public bench::Client {
 public:
  Device(Worker& worker, size_t index, bench::ConnectSpec spec, const Options& o)
      : Client(std::move(spec)), worker_(worker), index(index) {
    name = o.prefix + std::to_string(index);
    inform_topic = "/ota/device/inform/" + o.product + "/" + name;
    progress_topic = "/ota/device/progress/" + o.product + "/" + name;
    upgrade_topic = "/ota/device/upgrade/" + o.product + "/" + name;
    set_read_batch(4);
  }

  Worker& worker_;
  size_t index;
  std::string name, inform_topic, progress_topic, upgrade_topic;
  bool subscribed = false;
  int outstanding = 0;        // QoS 1 publishes without PUBACK
  int64_t report_sent_at = 0; // latency: waiting for a notification
  int final_mid = -1;         // campaign: the new-version report
  size_t next_step = 0;       // campaign: next progress step to send
  bool finished = false;      // campaign: new version acknowledged
  uint64_t seq = 0;

 protected:
  void on_connect(int rc) override;
  void on_subscribe(int mid) override;
  void on_publish(int mid) override;
  void on_message(const struct mosquitto_message& m) override;
};

class Worker {
 public:
  Worker(const Options& o, Shared* shared, int id, size_t begin, size_t end)
      : o_(o), shared_(shared), slot_(shared->workers[id]), id_(id), begin_(begin), end_(end) {}

  int run();

  // Device hooks.
  void subscribed(Device&) { subscribed_++; }
  void acked(Device& d, int mid);
  void notified(Device& d, const struct mosquitto_message& m);

 private:
  void enter(Phase p);
  bool step(Phase p);  // true once the phase's work is complete
  void send_report(Device& d, const std::string& topic, const std::string& version);
  void send_next_throughput(Device& d);
  void campaign_advance(Device& d);
  Device* next_idle_device();

  const Options& o_;
  Shared* shared_;
  WorkerSlot& slot_;
  int id_;
  size_t begin_, end_;
  bench::ClientSet set_;
  std::vector<std::unique_ptr<Device>> devices_;
  size_t subscribed_ = 0;
  size_t outstanding_ = 0;   // devices with a report in flight
  Phase phase_ = kStart;
  bool sending_ = false;     // throughput: keep every device busy
  bool new_names_ = false;   // throughput: report under fresh device names
  uint64_t new_seq_ = 0;
  // latency
  size_t cursor_ = 0;
  Device* sequential_device_ = nullptr;
  int64_t next_send_at_ = 0;
  int64_t interval_ns_ = 0;
  int64_t last_send_at_ = 0;
  // campaign: devices whose next progress step waits for step_delay_ms
  std::deque<std::pair<int64_t, Device*>> step_timers_;
};

void Device::on_connect(int rc) {
  if (rc == 0) subscribe(upgrade_topic, 1);
}
void Device::on_subscribe(int) {
  if (!subscribed) {
    subscribed = true;
    worker_.subscribed(*this);
  }
}
void Device::on_publish(int mid) { worker_.acked(*this, mid); }
void Device::on_message(const struct mosquitto_message& m) { worker_.notified(*this, m); }

void Worker::send_report(Device& d, const std::string& topic, const std::string& version) {
  if (d.publish(topic, bench::report_payload(++d.seq, version), o_.qos) == MOSQ_ERR_SUCCESS) {
    slot_.sent.fetch_add(1, std::memory_order_relaxed);
    if (o_.qos > 0) {
      if (d.outstanding++ == 0) outstanding_++;
    }
  }
}

void Worker::send_next_throughput(Device& d) {
  if (new_names_) {
    // A device name never seen before: the plugin registers a new device.
    std::string topic = "/ota/device/inform/" + o_.product + "/n" + std::to_string(d.index) +
                        "-" + std::to_string(++new_seq_);
    send_report(d, topic, o_.old_version);
  } else {
    send_report(d, d.inform_topic, o_.old_version);
  }
}

void Worker::acked(Device& d, int mid) {
  slot_.acked.fetch_add(1, std::memory_order_relaxed);
  if (d.outstanding > 0 && --d.outstanding == 0) outstanding_--;
  if (phase_ == kCampaign && mid == d.final_mid && !d.finished) {
    d.finished = true;
    shared_->done_at[d.index] = now_ns();
    slot_.done.fetch_add(1, std::memory_order_relaxed);
  }
  if (sending_ && d.outstanding == 0 && d.connected()) send_next_throughput(d);
}

void Worker::campaign_advance(Device& d) {
  // Progress steps, then the new version; paced by step_delay_ms if set.
  while (d.next_step < o_.steps.size()) {
    if (d.publish(d.progress_topic, progress_payload(++d.seq, o_.steps[d.next_step]), o_.qos) ==
        MOSQ_ERR_SUCCESS) {
      slot_.sent.fetch_add(1, std::memory_order_relaxed);
      if (o_.qos > 0 && d.outstanding++ == 0) outstanding_++;
    }
    d.next_step++;
    if (o_.step_delay_ms > 0) {
      step_timers_.emplace_back(now_ns() + o_.step_delay_ms * 1'000'000LL, &d);
      return;
    }
  }
  int mid = -1;
  if (d.publish(d.inform_topic, bench::report_payload(++d.seq, o_.new_version), 1, &mid) ==
      MOSQ_ERR_SUCCESS) {
    slot_.sent.fetch_add(1, std::memory_order_relaxed);
    if (d.outstanding++ == 0) outstanding_++;
    d.final_mid = mid;
  }
}

void Worker::notified(Device& d, const struct mosquitto_message& m) {
  const int64_t now = now_ns();
  if (d.upgrade_topic != m.topic) {
    slot_.unexpected.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  slot_.notifications.fetch_add(1, std::memory_order_relaxed);
  const bool first = shared_->notified_at[d.index] == 0;
  if (first) shared_->notified_at[d.index] = now;

  if (phase_ == kCampaign) {
    if (!first) {
      slot_.duplicates.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    d.next_step = 0;
    campaign_advance(d);
    return;
  }
  if (d.report_sent_at == 0) {
    // The job's first push, or a notification nobody asked for.
    if (!first) slot_.unexpected.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  const int64_t latency = now - d.report_sent_at;
  d.report_sent_at = 0;
  if (phase_ == kSequential && &d == sequential_device_) {
    uint64_t i = shared_->sequential_count.fetch_add(1);
    if (i < shared_->sample_capacity) shared_->sequential[i] = latency;
    sequential_device_ = nullptr;
  } else if (phase_ == kLoaded || phase_ == kLoadedStop) {
    uint64_t i = shared_->loaded_count.fetch_add(1);
    if (i < shared_->sample_capacity) shared_->loaded[i] = latency;
  }
}

Device* Worker::next_idle_device() {
  for (size_t tries = 0; tries < devices_.size(); ++tries) {
    Device* d = devices_[cursor_++ % devices_.size()].get();
    if (d->connected() && d->report_sent_at == 0) return d;
  }
  return nullptr;
}

void Worker::enter(Phase p) {
  phase_ = p;
  switch (p) {
    case kConnect: {
      const int bind_count = std::max(1, o_.bind_count);
      for (size_t i = begin_; i < end_; ++i) {
        bench::ConnectSpec spec;
        spec.host = o_.host;
        spec.port = o_.port;
        spec.bind_address = bench::loopback_address(o_.bind_base + static_cast<int>(i % bind_count));
        // As Alibaba's SDK names its connection ({pk}.{dn}|...|): the
        // plugin's identity check at its default accepts it.
        spec.client_id = o_.product + "." + o_.prefix + std::to_string(i) + "|run=" + o_.label + "|";
        devices_.push_back(std::make_unique<Device>(*this, i, spec, o_));
        set_.add(devices_.back().get());
      }
      break;
    }
    case kRegister:
      for (auto& d : devices_) {
        if (d->connected()) send_report(*d, d->inform_topic, o_.old_version);
      }
      break;
    case kKnown:
    case kNew:
      sending_ = true;
      new_names_ = p == kNew;
      for (auto& d : devices_) {
        if (d->connected() && d->outstanding == 0) send_next_throughput(*d);
      }
      break;
    case kKnownStop:
    case kNewStop:
      sending_ = false;
      break;
    case kSequential:
      cursor_ = 0;
      break;
    case kLoaded: {
      const double per_worker = o_.loaded_rate / std::max<double>(1, o_.procs);
      interval_ns_ = static_cast<int64_t>(1e9 / std::max(1.0, per_worker));
      // Stagger the workers so their sends interleave.
      next_send_at_ = now_ns() + interval_ns_ * id_ / std::max(1, o_.procs);
      break;
    }
    case kDisconnect:
      for (auto& d : devices_) d->disconnect();
      break;
    default:
      break;
  }
}

bool Worker::step(Phase p) {
  const int64_t now = now_ns();
  switch (p) {
    case kConnect:
      return set_.waiting_count() == 0 && subscribed_ + set_.failed_count() >= devices_.size();
    case kRegister:
    case kKnownStop:
    case kNewStop:
      return outstanding_ == 0;
    case kKnown:
    case kNew:
    case kCampaign: {
      while (!step_timers_.empty() && step_timers_.front().first <= now) {
        Device* d = step_timers_.front().second;
        step_timers_.pop_front();
        campaign_advance(*d);
      }
      if (p != kCampaign) return false;
      return slot_.done.load() + set_.failed_count() >= devices_.size();
    }
    case kAwaitPush: {
      for (size_t i = begin_; i < end_; ++i) {
        if (shared_->notified_at[i] == 0 && devices_[i - begin_]->connected()) return false;
      }
      return true;
    }
    case kSequential: {
      if (id_ != 0) return true;  // one device at a time, all in worker 0
      if (sequential_device_ != nullptr && now - sequential_device_->report_sent_at > kLatencyTimeout) {
        slot_.lost.fetch_add(1);
        sequential_device_->report_sent_at = 0;
        sequential_device_ = nullptr;
      }
      if (sequential_device_ == nullptr) {
        if (shared_->sequential_count.load() + slot_.lost.load() >= o_.sequential_samples) return true;
        Device* d = next_idle_device();
        if (d == nullptr) return true;
        sequential_device_ = d;
        d->report_sent_at = now_ns();
        send_report(*d, d->inform_topic, o_.old_version);
      }
      return false;
    }
    case kLoaded: {
      int burst = 0;
      while (now >= next_send_at_ && burst++ < 1000) {
        next_send_at_ += interval_ns_;
        Device* d = next_idle_device();
        if (d == nullptr) {
          slot_.skipped.fetch_add(1);
          continue;
        }
        d->report_sent_at = now_ns();
        last_send_at_ = d->report_sent_at;
        send_report(*d, d->inform_topic, o_.old_version);
      }
      return false;
    }
    case kLoadedStop: {
      bool waiting = false;
      for (auto& d : devices_) {
        if (d->report_sent_at == 0) continue;
        if (now - d->report_sent_at > kLatencyTimeout) {
          slot_.lost.fetch_add(1);
          d->report_sent_at = 0;
        } else {
          waiting = true;
        }
      }
      return !waiting;
    }
    case kDisconnect:
      return set_.connected_count() == 0 && set_.waiting_count() == 0;
    default:
      return true;
  }
}

int Worker::run() {
  Phase current = kStart;
  while (true) {
    const Phase wanted = static_cast<Phase>(shared_->phase.load());
    if (wanted == kExit) break;
    if (wanted != current) {
      current = wanted;
      enter(current);
      slot_.entered_phase.store(current);
    }
    const bool fast = current == kLoaded || current == kSequential || !step_timers_.empty();
    set_.run_once(fast ? 1 : 10);
    // Phases that keep working (sending, pacing) never finish; the others
    // are checked until they do.
    if (slot_.ready_phase.load() != current && step(current)) slot_.ready_phase.store(current);
    slot_.connected.store(set_.connected_count());
    slot_.failed.store(set_.failed_count());
    slot_.drops.store(set_.drops());
    slot_.connect_errors.store(set_.connect_errors());
  }
  devices_.clear();
  return 0;
}

// ------------------------------------------------------------------ parent

// The operator: sends control commands and waits for their replies.
class Admin : public bench::Client {
 public:
  Admin(bench::ConnectSpec spec, const Options& o) : Client(std::move(spec)), o_(o) {
    set_read_batch(64);
  }
  bool subscribed = false;
  std::map<std::string, std::string> replies;  // correlationData -> response JSON

  std::string next_correlation() { return "lg" + std::to_string(++counter_); }

 protected:
  void on_connect(int rc) override {
    if (rc == 0) subscribe(o_.response_topic, 1);
  }
  void on_subscribe(int) override { subscribed = true; }
  void on_message(const struct mosquitto_message& m) override {
    json_error_t err;
    json_t* root = json_loadb(static_cast<const char*>(m.payload), m.payloadlen, 0, &err);
    if (!root) return;
    json_t* responses = json_object_get(root, "responses");
    size_t i;
    json_t* r;
    json_array_foreach(responses, i, r) {
      const char* corr = json_string_value(json_object_get(r, "correlationData"));
      char* text = json_dumps(r, JSON_COMPACT);
      if (corr && text) replies[corr] = text;
      free(text);
    }
    json_decref(root);
  }

 private:
  const Options& o_;
  uint64_t counter_ = 0;
};

// Counts what the broker passes on to a plain subscriber.
class Subscriber : public bench::Client {
 public:
  Subscriber(bench::ConnectSpec spec, std::string pattern)
      : Client(std::move(spec)), pattern_(std::move(pattern)) {
    set_read_batch(100000);
  }
  bool subscribed = false;
  uint64_t received = 0;
  uint64_t pings = 0;

 protected:
  void on_connect(int rc) override {
    if (rc == 0) {
      subscribe(pattern_, 0);
      subscribe("bench/ping/" + std::to_string(getpid()), 0);
    }
  }
  void on_subscribe(int) override { subscribed = true; }
  void on_message(const struct mosquitto_message& m) override {
    if (std::strncmp(m.topic, "bench/ping/", 11) == 0) pings++;
    else received++;
  }

 private:
  std::string pattern_;
};

// The figures of one run, printed as lines and kept for --json.
class Report {
 public:
  explicit Report(std::string label) : label_(std::move(label)) {}
  void line(const std::string& text) { std::cout << "[" << label_ << "] " << text << std::endl; }
  void num(const std::string& key, double v) {
    char buf[64];
    if (std::isfinite(v)) std::snprintf(buf, sizeof buf, "%.6g", v);
    else std::snprintf(buf, sizeof buf, "null");
    kv_.emplace_back(key, buf);
  }
  void str(const std::string& key, const std::string& v) {
    json_t* s = json_string(v.c_str());
    char* text = json_dumps(s, JSON_ENCODE_ANY);
    kv_.emplace_back(key, text ? text : "\"\"");
    free(text);
    json_decref(s);
  }
  void lat(const std::string& key, const bench::Percentiles& p) {
    num(key + ".count", static_cast<double>(p.count));
    num(key + ".p50_ms", p.p50_ms);
    num(key + ".p90_ms", p.p90_ms);
    num(key + ".p99_ms", p.p99_ms);
    num(key + ".max_ms", p.max_ms);
    num(key + ".mean_ms", p.mean_ms);
  }
  void write(const std::string& path) const {
    if (path.empty()) return;
    std::ofstream out(path);
    out << "{\n";
    for (size_t i = 0; i < kv_.size(); ++i) {
      out << "  \"" << kv_[i].first << "\": " << kv_[i].second << (i + 1 < kv_.size() ? ",\n" : "\n");
    }
    out << "}\n";
  }

 private:
  std::string label_;
  std::vector<std::pair<std::string, std::string>> kv_;
};

// The last committed LMDB write transaction of a live database (0 if
// unreadable): the difference over a window counts the plugin's commits.
uint64_t lmdb_last_txnid(const std::string& dir) {
  if (dir.empty()) return 0;
  MDB_env* env = nullptr;
  if (mdb_env_create(&env) != 0) return 0;
  uint64_t id = 0;
  if (mdb_env_open(env, dir.c_str(), MDB_RDONLY | MDB_NOLOCK, 0600) == 0) {
    MDB_envinfo info;
    if (mdb_env_info(env, &info) == 0) id = info.me_last_txnid;
  }
  mdb_env_close(env);
  return id;
}

class Orchestrator {
 public:
  Orchestrator(Options o) : o_(std::move(o)), report_(o_.label) {}
  int run();

 private:
  bool pump_until(const std::function<bool()>& done, double timeout_s);
  bool run_phase(Phase p, double timeout_s);
  bool enter_phase(Phase p);
  uint64_t sum(std::atomic<uint64_t> WorkerSlot::*field) const;
  void start_workers();
  void stop_workers();
  bool connect_parent_clients(bool with_subscriber);
  bool connect_and_register();
  std::string control(const std::string& command_body, double timeout_s = 30);
  int create_package_and_job(bool with_rate, std::string* error);
  void ping_after_disconnect();
  int throughput();
  int latency();
  int campaign();

  struct Snapshot {
    int64_t t = 0;
    uint64_t received = 0, sent = 0, acked = 0, txnid = 0;
    double broker_cpu = 0, service_cpu = 0, loadgen_cpu = 0, machine_busy = 0;
  };
  // CPU % of a window: [broker, service, loadgen, everything else].
  std::string cpu_line(const Snapshot& a, const Snapshot& b, const std::string& key);
  Snapshot snapshot();
  void throughput_window(const std::string& name, Phase run, Phase stop);

  Options o_;
  Report report_;
  Shared* shared_ = nullptr;
  bench::WorkerProcesses workers_;
  bench::ClientSet set_;
  std::unique_ptr<Admin> admin_;
  std::unique_ptr<Subscriber> sub_;
  uint64_t job_id_ = 0;
  uint64_t package_id_ = 0;
  int64_t job_sent_at_ = 0;
  int64_t job_replied_at_ = 0;
};

uint64_t Orchestrator::sum(std::atomic<uint64_t> WorkerSlot::*field) const {
  uint64_t total = 0;
  for (int i = 0; i < o_.procs; ++i) total += (shared_->workers[i].*field).load();
  return total;
}

bool Orchestrator::pump_until(const std::function<bool()>& done, double timeout_s) {
  const int64_t deadline = now_ns() + static_cast<int64_t>(timeout_s * 1e9);
  while (!done()) {
    if (now_ns() > deadline) return false;
    if (!workers_.alive()) return false;
    set_.run_once(2);
  }
  return true;
}

bool Orchestrator::run_phase(Phase p, double timeout_s) {
  shared_->phase.store(p);
  bool ok = pump_until([&] {
    for (int i = 0; i < o_.procs; ++i) {
      if (shared_->workers[i].ready_phase.load() != p) return false;
    }
    return true;
  }, timeout_s);
  if (!ok) std::cerr << "loadgen: phase " << p << " did not complete within " << timeout_s << " s\n";
  return ok;
}

// Switches the workers to `p` and waits until every one acts on it.
bool Orchestrator::enter_phase(Phase p) {
  shared_->phase.store(p);
  return pump_until([&] {
    for (int i = 0; i < o_.procs; ++i) {
      if (shared_->workers[i].entered_phase.load() != p) return false;
    }
    return true;
  }, 30);
}

void Orchestrator::start_workers() {
  workers_.start_sliced(o_.procs, o_.devices, [&](int i, size_t begin, size_t end) {
    Worker w(o_, shared_, i, begin, end);
    return w.run();
  }, "loadgen");
}

void Orchestrator::stop_workers() {
  shared_->phase.store(kExit);
  workers_.reap(10);
}

bool Orchestrator::connect_parent_clients(bool with_subscriber) {
  bench::ConnectSpec spec;
  spec.host = o_.host;
  spec.port = o_.port;
  spec.client_id = o_.label + "-admin-" + std::to_string(getpid());
  spec.username = o_.admin_user;
  admin_ = std::make_unique<Admin>(spec, o_);
  set_.add(admin_.get());
  if (with_subscriber) {
    spec.client_id = o_.label + "-sub-" + std::to_string(getpid());
    spec.username.clear();
    sub_ = std::make_unique<Subscriber>(spec, "/ota/device/inform/#");
    set_.add(sub_.get());
  }
  return pump_until([&] { return admin_->subscribed && (!sub_ || sub_->subscribed); }, 15);
}

bool Orchestrator::connect_and_register() {
  int64_t t0 = now_ns();
  if (!run_phase(kConnect, o_.connect_timeout_s)) return false;
  const double connect_s = ns_to_s(now_ns() - t0);
  const uint64_t connected = sum(&WorkerSlot::connected);
  const uint64_t failed = sum(&WorkerSlot::failed);
  char buf[256];
  std::snprintf(buf, sizeof buf,
                "connected %llu of %zu devices in %.2f s (%.0f connections/s), %llu failed, "
                "%llu connect attempts retried, %d processes",
                (unsigned long long)connected, o_.devices, connect_s, connected / connect_s,
                (unsigned long long)failed, (unsigned long long)sum(&WorkerSlot::connect_errors),
                o_.procs);
  report_.line(buf);
  report_.num("devices.connected", connected);
  report_.num("devices.failed", failed);
  report_.num("connect.seconds", connect_s);

  const uint64_t sub_before = sub_ ? sub_->received : 0;
  t0 = now_ns();
  if (!run_phase(kRegister, 120)) return false;
  const double reg_s = ns_to_s(now_ns() - t0);
  std::snprintf(buf, sizeof buf, "registered %llu devices (one version report each) in %.2f s: %.0f reports/s",
                (unsigned long long)connected, reg_s, connected / reg_s);
  report_.line(buf);
  report_.num("register.seconds", reg_s);
  report_.num("register.rate", connected / reg_s);
  if (sub_) {
    pump_until([&] { return sub_->received - sub_before >= connected; }, 10);
    report_.num("register.lost", static_cast<double>(connected) - (sub_->received - sub_before));
  }
  return connected > 0;
}

std::string Orchestrator::control(const std::string& body, double timeout_s) {
  const std::string corr = admin_->next_correlation();
  std::string payload = "{\"commands\":[{" + body + ",\"correlationData\":\"" + corr + "\"}]}";
  admin_->publish(o_.control_topic, payload, 1);
  if (!pump_until([&] { return admin_->replies.count(corr) > 0; }, timeout_s)) return {};
  std::string reply = admin_->replies[corr];
  admin_->replies.erase(corr);
  return reply;
}

// Reads `field` of a reply's data, e.g. {"package","id"}; 0 if absent.
uint64_t reply_id(const std::string& reply, const char* object) {
  json_t* root = json_loads(reply.c_str(), 0, nullptr);
  uint64_t id = 0;
  if (root) {
    json_t* v = json_object_get(json_object_get(json_object_get(root, "data"), object), "id");
    if (json_is_integer(v)) id = static_cast<uint64_t>(json_integer_value(v));
    json_decref(root);
  }
  return id;
}

std::string reply_error(const std::string& reply) {
  if (reply.empty()) return "no reply";
  json_t* root = json_loads(reply.c_str(), 0, nullptr);
  std::string error;
  if (root) {
    const char* e = json_string_value(json_object_get(root, "error"));
    if (e) error = e;
    json_decref(root);
  }
  return error;
}

int Orchestrator::create_package_and_job(bool with_rate, std::string* error) {
  if (package_id_ == 0) {
    std::string reply = control(
        "\"command\":\"createPackage\",\"product\":\"" + o_.product + "\",\"version\":\"" +
        o_.new_version + "\",\"url\":\"https://firmware.example.com/fw-" + o_.new_version +
        ".bin\",\"size\":432945,\"sign\":\"93230c3bde425a9d93230c3bde425a9d\",\"signMethod\":\"MD5\"");
    package_id_ = reply_id(reply, "package");
    if (package_id_ == 0) {
      *error = "createPackage failed: " + (reply.empty() ? "no reply" : reply);
      return 1;
    }
  }
  std::string devices;
  for (size_t i = 0; i < o_.devices; ++i) {
    devices += (i ? ",\"" : "\"") + o_.prefix + std::to_string(i) + "\"";
  }
  std::string body = "\"command\":\"createJob\",\"packageId\":" + std::to_string(package_id_) +
                     ",\"devices\":[" + devices + "],\"timeoutSeconds\":" +
                     std::to_string(o_.job_timeout_s);
  if (with_rate) body += ",\"ratePerMinute\":" + std::to_string(o_.rate_per_minute);
  job_sent_at_ = now_ns();
  std::string reply = control(body, 120);
  job_replied_at_ = now_ns();
  job_id_ = reply_id(reply, "job");
  if (job_id_ == 0) {
    *error = reply_error(reply);
    if (error->empty()) *error = reply;
    return 1;
  }
  return 0;
}

Orchestrator::Snapshot Orchestrator::snapshot() {
  Snapshot s;
  s.t = now_ns();
  s.received = sub_ ? sub_->received : 0;
  s.sent = sum(&WorkerSlot::sent);
  s.acked = sum(&WorkerSlot::acked);
  s.txnid = lmdb_last_txnid(o_.db_path);
  s.broker_cpu = o_.broker_pid ? bench::process_cpu_seconds(o_.broker_pid) : 0;
  s.service_cpu = o_.service_pid ? bench::process_cpu_seconds(o_.service_pid) : 0;
  s.loadgen_cpu = bench::process_cpu_seconds(getpid());
  for (pid_t pid : workers_.pids()) s.loadgen_cpu += bench::process_cpu_seconds(pid);
  s.machine_busy = bench::machine_busy_seconds();
  return s;
}

std::string Orchestrator::cpu_line(const Snapshot& a, const Snapshot& b, const std::string& key) {
  const double secs = ns_to_s(b.t - a.t);
  const double broker = o_.broker_pid ? (b.broker_cpu - a.broker_cpu) / secs * 100 : 0;
  const double service = o_.service_pid ? (b.service_cpu - a.service_cpu) / secs * 100 : 0;
  const double loadgen = (b.loadgen_cpu - a.loadgen_cpu) / secs * 100;
  const double machine = (b.machine_busy - a.machine_busy) / secs * 100;
  const double others = std::max(0.0, machine - broker - service - loadgen);
  report_.num(key + ".broker_cpu_pct", broker);
  if (o_.service_pid) report_.num(key + ".service_cpu_pct", service);
  report_.num(key + ".loadgen_cpu_pct", loadgen);
  report_.num(key + ".other_cpu_pct", others);
  char buf[200];
  std::snprintf(buf, sizeof buf, "CPU (%% of one core, %ld cores): broker %.0f%%%s, loadgen %.0f%%, other processes %.0f%%",
                sysconf(_SC_NPROCESSORS_ONLN), broker,
                o_.service_pid ? (", external service " + std::to_string(static_cast<int>(service)) + "%").c_str() : "",
                loadgen, others);
  return buf;
}

void Orchestrator::throughput_window(const std::string& name, Phase run, Phase stop) {
  const uint64_t received_before = sub_->received;
  const uint64_t sent_before = sum(&WorkerSlot::sent);
  shared_->phase.store(run);
  pump_until([] { return false; }, o_.warmup_s);
  Snapshot a = snapshot();
  pump_until([] { return false; }, o_.duration_s);
  Snapshot b = snapshot();
  run_phase(stop, 60);
  const uint64_t sent = sum(&WorkerSlot::sent) - sent_before;
  pump_until([&] { return sub_->received - received_before >= sent; }, 15);
  const uint64_t received = sub_->received - received_before;

  const double secs = ns_to_s(b.t - a.t);
  const double rate = (b.received - a.received) / secs;
  const double ack_rate = (b.acked - a.acked) / secs;
  const double txn_rate = o_.db_path.empty() ? -1 : (b.txnid - a.txnid) / secs;
  char buf[512];
  std::snprintf(buf, sizeof buf,
                "throughput %s: %.0f reports/s through the broker (subscriber count over %.1f s; "
                "PUBACKs %.0f/s), lost %lld of %llu",
                name.c_str(), rate, secs, ack_rate, (long long)sent - (long long)received,
                (unsigned long long)sent);
  report_.line(buf);
  report_.line("throughput " + name + ": " + cpu_line(a, b, name));
  if (txn_rate >= 0) {
    std::snprintf(buf, sizeof buf, "throughput %s: %.0f LMDB write transactions/s (%.1f reports per transaction)",
                  name.c_str(), txn_rate, txn_rate > 0 ? rate / txn_rate : 0.0);
    report_.line(buf);
    report_.num(name + ".txn_per_s", txn_rate);
  }
  // Reports per second of broker CPU: less sensitive than the rate to
  // whatever else the machine runs at the same time.
  const double broker_share = (b.broker_cpu - a.broker_cpu) / secs;
  if (o_.broker_pid && broker_share > 0) {
    std::snprintf(buf, sizeof buf, "throughput %s: %.0f reports per broker CPU-second", name.c_str(),
                  rate / broker_share);
    report_.line(buf);
    report_.num(name + ".per_broker_cpu_s", rate / broker_share);
  }
  report_.num(name + ".rate", rate);
  report_.num(name + ".ack_rate", ack_rate);
  report_.num(name + ".sent", sent);
  report_.num(name + ".lost", static_cast<double>(sent) - received);
}

void Orchestrator::ping_after_disconnect() {
  // How long the broker stays busy with a disconnect storm: time from the
  // first DISCONNECT until it routes a ping again.
  bench::Client* prober = sub_ ? static_cast<bench::Client*>(sub_.get()) : admin_.get();
  const int64_t t0 = now_ns();
  shared_->phase.store(kDisconnect);
  bool ok = run_phase(kDisconnect, o_.disconnect_timeout_s);
  const double workers_s = ns_to_s(now_ns() - t0);
  const std::string topic = "bench/ping/" + std::to_string(getpid());
  double answered_s = -1;
  if (sub_) {
    const uint64_t before = sub_->pings;
    prober->publish(topic, "ping", 0);
    if (pump_until([&] { return sub_->pings > before; }, o_.disconnect_timeout_s)) {
      answered_s = ns_to_s(now_ns() - t0);
    }
  } else {
    std::string reply = control("\"command\":\"getJob\",\"jobId\":" + std::to_string(job_id_),
                                o_.disconnect_timeout_s);
    if (!reply.empty()) answered_s = ns_to_s(now_ns() - t0);
  }
  char buf[256];
  if (answered_s >= 0) {
    std::snprintf(buf, sizeof buf,
                  "disconnect storm: %llu devices disconnected in %.2f s; the broker answered again %.2f s after the first DISCONNECT",
                  (unsigned long long)o_.devices, workers_s, answered_s);
  } else {
    std::snprintf(buf, sizeof buf,
                  "disconnect storm: the broker did not answer within %.0f s of the first DISCONNECT%s",
                  o_.disconnect_timeout_s, ok ? "" : " (devices still connected)");
  }
  report_.line(buf);
  report_.num("disconnect.answer_s", answered_s);
}

int Orchestrator::throughput() {
  if (!connect_parent_clients(true)) {
    std::cerr << "loadgen: cannot connect the subscriber/admin to the broker\n";
    return 1;
  }
  if (!connect_and_register()) return 1;
  if (o_.known_phase) throughput_window("known", kKnown, kKnownStop);
  if (o_.new_phase) throughput_window("new", kNew, kNewStop);
  ping_after_disconnect();
  return 0;
}

int Orchestrator::latency() {
  if (!connect_parent_clients(false)) {
    std::cerr << "loadgen: cannot connect the admin to the broker\n";
    return 1;
  }
  if (!connect_and_register()) return 1;
  std::string error;
  if (create_package_and_job(false, &error) != 0) {
    std::cerr << "loadgen: " << error << "\n";
    return 1;
  }
  const int64_t t0 = job_sent_at_;
  if (!run_phase(kAwaitPush, 120)) return 1;
  const uint64_t n = sum(&WorkerSlot::connected);
  const double push_s = ns_to_s(now_ns() - t0);
  char buf[512];
  std::snprintf(buf, sizeof buf, "job %llu pushed to %llu devices: last notification %.3f s after createJob was sent",
                (unsigned long long)job_id_, (unsigned long long)n, push_s);
  report_.line(buf);
  report_.num("push.seconds", push_s);

  // One device at a time: the unloaded round trip.
  if (!run_phase(kSequential, 60 + o_.sequential_samples * 0.1)) return 1;
  std::vector<int64_t> seq(shared_->sequential,
                           shared_->sequential + std::min<uint64_t>(shared_->sequential_count.load(),
                                                                    shared_->sample_capacity));
  bench::Percentiles ps = bench::percentiles(seq);
  report_.line("report->notification, one at a time: " + bench::format(ps) +
               "  [set_tcp_nodelay true, TCP_NODELAY clients, QoS 1]");
  report_.lat("sequential", ps);
  const uint64_t lost_seq = sum(&WorkerSlot::lost);

  // A fixed aggregate rate over every device.
  Snapshot a = snapshot();
  shared_->phase.store(kLoaded);
  pump_until([] { return false; }, o_.loaded_duration_s);
  Snapshot b = snapshot();
  run_phase(kLoadedStop, 30);
  const double secs = ns_to_s(b.t - a.t);
  std::vector<int64_t> loaded(shared_->loaded,
                              shared_->loaded + std::min<uint64_t>(shared_->loaded_count.load(),
                                                                   shared_->sample_capacity));
  bench::Percentiles pl = bench::percentiles(loaded);
  const double achieved = pl.count / secs;
  std::snprintf(buf, sizeof buf, "report->notification at %.0f reports/s offered (%.0f/s answered): ",
                o_.loaded_rate, achieved);
  report_.line(buf + bench::format(pl) + "  [set_tcp_nodelay true, TCP_NODELAY clients, QoS 1]");
  report_.lat("loaded", pl);
  report_.num("loaded.offered_rate", o_.loaded_rate);
  report_.num("loaded.answered_rate", achieved);
  const uint64_t lost = sum(&WorkerSlot::lost);
  report_.num("lost", lost);
  report_.num("skipped", sum(&WorkerSlot::skipped));
  report_.num("unexpected", sum(&WorkerSlot::unexpected));
  std::snprintf(buf, sizeof buf,
                "lost notifications: %llu one-at-a-time, %llu loaded; %llu sends skipped (all devices busy); "
                "%llu unexpected notifications",
                (unsigned long long)lost_seq, (unsigned long long)(lost - lost_seq),
                (unsigned long long)sum(&WorkerSlot::skipped),
                (unsigned long long)sum(&WorkerSlot::unexpected));
  report_.line(buf);
  report_.line("loaded run " + cpu_line(a, b, "loaded"));
  if (!o_.db_path.empty()) {
    std::snprintf(buf, sizeof buf, "LMDB write transactions during the loaded run: %.0f/s",
                  (b.txnid - a.txnid) / secs);
    report_.line(buf);
    report_.num("loaded.txn_per_s", (b.txnid - a.txnid) / secs);
  }
  if (!o_.raw_path.empty()) {
    // In the order the notifications arrived (the vectors above are sorted).
    std::ofstream raw(o_.raw_path);
    raw << "phase,latency_ms\n";
    const uint64_t ns = std::min<uint64_t>(shared_->sequential_count.load(), shared_->sample_capacity);
    const uint64_t nl = std::min<uint64_t>(shared_->loaded_count.load(), shared_->sample_capacity);
    for (uint64_t i = 0; i < ns; ++i) raw << "sequential," << ns_to_ms(shared_->sequential[i]) << "\n";
    for (uint64_t i = 0; i < nl; ++i) raw << "loaded," << ns_to_ms(shared_->loaded[i]) << "\n";
  }
  run_phase(kDisconnect, o_.disconnect_timeout_s);
  return 0;
}

int Orchestrator::campaign() {
  if (!connect_parent_clients(false)) {
    std::cerr << "loadgen: cannot connect the admin to the broker\n";
    return 1;
  }
  if (!connect_and_register()) return 1;
  char buf[512];
  // Devices must react from the first notification on.
  if (!enter_phase(kCampaign)) return 1;
  std::string error;
  bool with_rate = o_.rate_per_minute > 0;
  Snapshot a = snapshot();
  int rc = create_package_and_job(with_rate, &error);
  report_.num("rate.requested_per_min", o_.rate_per_minute);
  report_.num("rate.accepted", with_rate && rc == 0 ? 1 : 0);
  if (rc != 0 && with_rate && error.find("ratePerMinute") != std::string::npos) {
    report_.line("PLUGIN REJECTED ratePerMinute: " + error + " -- running the campaign without a rate limit");
    report_.str("rate.rejected_error", error);
    with_rate = false;
    rc = create_package_and_job(false, &error);
  }
  if (rc != 0) {
    std::cerr << "loadgen: createJob failed: " << error << "\n";
    return 1;
  }
  const int64_t t0 = job_sent_at_;
  std::snprintf(buf, sizeof buf, "createJob %llu over %zu devices%s answered in %.3f s",
                (unsigned long long)job_id_, o_.devices,
                with_rate ? (" at ratePerMinute " + std::to_string(o_.rate_per_minute)).c_str() : "",
                ns_to_s(job_replied_at_ - job_sent_at_));
  report_.line(buf);

  // Poll getJob until no task is active; the devices work meanwhile.
  std::map<std::string, uint64_t> counts;
  std::string state;
  int64_t next_print = now_ns();
  const int64_t deadline = now_ns() + static_cast<int64_t>(o_.campaign_timeout_s * 1e9);
  bool finished = false;
  while (now_ns() < deadline && workers_.alive()) {
    std::string reply = control("\"command\":\"getJob\",\"jobId\":" + std::to_string(job_id_));
    json_t* root = json_loads(reply.c_str(), 0, nullptr);
    json_t* job = root ? json_object_get(json_object_get(root, "data"), "job") : nullptr;
    if (job) {
      counts.clear();
      const char* key;
      json_t* v;
      json_object_foreach(json_object_get(job, "counts"), key, v) counts[key] = json_integer_value(v);
      const char* st = json_string_value(json_object_get(job, "state"));
      state = st ? st : "";
    }
    if (root) json_decref(root);
    const uint64_t active = counts["CONFIRM"] + counts["QUEUED"] + counts["NOTIFIED"] + counts["IN_PROGRESS"];
    const uint64_t done = sum(&WorkerSlot::done);
    if (now_ns() >= next_print) {
      next_print = now_ns() + 10 * kSecond;
      std::snprintf(buf, sizeof buf,
                    "campaign t=%.0fs: notified %llu devices, %llu finished; job %s QUEUED %llu NOTIFIED %llu "
                    "IN_PROGRESS %llu SUCCEEDED %llu FAILED %llu",
                    ns_to_s(now_ns() - t0), (unsigned long long)sum(&WorkerSlot::notifications),
                    (unsigned long long)done, state.c_str(), (unsigned long long)counts["QUEUED"],
                    (unsigned long long)counts["NOTIFIED"], (unsigned long long)counts["IN_PROGRESS"],
                    (unsigned long long)counts["SUCCEEDED"], (unsigned long long)counts["FAILED"]);
      report_.line(buf);
    }
    if (!counts.empty() && active == 0 && done + sum(&WorkerSlot::failed) >= o_.devices) {
      finished = true;
      break;
    }
    pump_until([] { return false; }, 0.5);
  }
  const int64_t t_end = now_ns();
  Snapshot b = snapshot();
  report_.line("campaign " + cpu_line(a, b, "campaign"));
  if (!o_.db_path.empty()) {
    const double secs = ns_to_s(b.t - a.t);
    std::snprintf(buf, sizeof buf, "campaign: %llu LMDB write transactions in %.1f s (%.0f/s)",
                  (unsigned long long)(b.txnid - a.txnid), secs, (b.txnid - a.txnid) / secs);
    report_.line(buf);
    report_.num("campaign.txn_per_s", (b.txnid - a.txnid) / secs);
  }

  // Accounting.
  uint64_t total = 0;
  for (auto& [k, v] : counts) total += v;
  std::vector<int64_t> times;
  int64_t last_done = 0;
  for (size_t i = 0; i < o_.devices; ++i) {
    if (shared_->notified_at[i] != 0) times.push_back(shared_->notified_at[i]);
    last_done = std::max(last_done, shared_->done_at[i]);
  }
  std::sort(times.begin(), times.end());
  if (!o_.raw_path.empty()) {
    // Milliseconds after createJob was sent; empty: never happened.
    std::ofstream raw(o_.raw_path);
    raw << "device,notified_ms,finished_ms\n";
    for (size_t i = 0; i < o_.devices; ++i) {
      raw << o_.prefix << i << ",";
      if (shared_->notified_at[i]) raw << ns_to_ms(shared_->notified_at[i] - t0);
      raw << ",";
      if (shared_->done_at[i]) raw << ns_to_ms(shared_->done_at[i] - t0);
      raw << "\n";
    }
  }
  std::snprintf(buf, sizeof buf,
                "campaign %s: %zu devices, job state %s, tasks SUCCEEDED %llu FAILED %llu CANCELED %llu "
                "active %llu, total %llu (%s); %zu devices notified, %llu duplicate notifications, "
                "%llu devices finished; %.1f s from createJob to the last new-version report",
                finished ? "complete" : "INCOMPLETE", o_.devices, state.c_str(),
                (unsigned long long)counts["SUCCEEDED"], (unsigned long long)counts["FAILED"],
                (unsigned long long)counts["CANCELED"],
                (unsigned long long)(counts["CONFIRM"] + counts["QUEUED"] + counts["NOTIFIED"] + counts["IN_PROGRESS"]),
                (unsigned long long)total, total == o_.devices ? "every task accounted for" : "MISMATCH",
                times.size(), (unsigned long long)sum(&WorkerSlot::duplicates),
                (unsigned long long)sum(&WorkerSlot::done), ns_to_s((last_done ? last_done : t_end) - t0));
  report_.line(buf);
  // Per device: notification -> its new-version report acknowledged
  // (progress steps included; the plugin handles each of them).
  std::vector<int64_t> completion;
  for (size_t i = 0; i < o_.devices; ++i) {
    if (shared_->notified_at[i] && shared_->done_at[i]) {
      completion.push_back(shared_->done_at[i] - shared_->notified_at[i]);
    }
  }
  bench::Percentiles pc = bench::percentiles(completion);
  report_.line("per device, notification -> new version acknowledged (" + std::to_string(o_.steps.size()) +
               " progress reports between): " + bench::format(pc) + "  [set_tcp_nodelay true]");
  report_.lat("device_completion", pc);
  report_.num("campaign.finished", finished ? 1 : 0);
  report_.num("campaign.tasks_total", total);
  report_.num("campaign.succeeded", counts["SUCCEEDED"]);
  report_.num("campaign.failed", counts["FAILED"]);
  report_.num("campaign.notified_devices", times.size());
  report_.num("campaign.duplicates", sum(&WorkerSlot::duplicates));
  report_.num("campaign.seconds", ns_to_s((last_done ? last_done : t_end) - t0));
  report_.num("campaign.drops", sum(&WorkerSlot::drops));

  if (times.size() >= 2) {
    const double span_s = ns_to_s(times.back() - times.front());
    const double achieved = (times.size() - 1) / span_s * 60.0;
    std::snprintf(buf, sizeof buf,
                  "push rate: %.0f notifications/min achieved (first %.3f s after createJob, last %.3f s)",
                  achieved, ns_to_s(times.front() - t0), ns_to_s(times.back() - t0));
    std::string line = buf;
    if (with_rate) {
      const double dev = (achieved / o_.rate_per_minute - 1) * 100;
      std::snprintf(buf, sizeof buf, "; limit %d/min: %+.2f%% (%s the 2%% bar)", o_.rate_per_minute, dev,
                    std::fabs(dev) <= 2 ? "within" : "OUTSIDE");
      line += buf;
      report_.num("rate.deviation_pct", dev);
      // Evenness: notifications in each whole 10 s window after the first.
      const int64_t window = 10 * kSecond;
      double lo = 1e18, hi = 0;
      size_t idx = 0;
      for (int64_t w = times.front(); w + window <= times.back(); w += window) {
        size_t n = 0;
        while (idx < times.size() && times[idx] < w + window) ++n, ++idx;
        lo = std::min(lo, n * 6.0);
        hi = std::max(hi, n * 6.0);
      }
      if (hi > 0) {
        std::snprintf(buf, sizeof buf, "; per 10 s window %.0f..%.0f/min", lo, hi);
        line += buf;
        report_.num("rate.window_min_per_min", lo);
        report_.num("rate.window_max_per_min", hi);
      }
    }
    report_.line(line);
    report_.num("rate.achieved_per_min", achieved);
    report_.num("push.first_s", ns_to_s(times.front() - t0));
    report_.num("push.last_s", ns_to_s(times.back() - t0));
  }
  ping_after_disconnect();
  return finished && total == o_.devices ? 0 : 2;
}

int Orchestrator::run() {
  const long limit = bench::raise_nofile_limit();
  const size_t per_proc = bench::max_clients_per_process(limit);
  if (o_.procs <= 0) o_.procs = static_cast<int>((o_.devices + per_proc - 1) / per_proc);
  o_.procs = std::clamp(o_.procs, 1, kMaxProcs);
  if ((o_.devices + o_.procs - 1) / o_.procs > per_proc) {
    std::cerr << "loadgen: " << o_.devices << " devices over " << o_.procs
              << " processes exceed the descriptor limit (" << limit << ", about " << per_proc
              << " clients per process)\n";
    return 1;
  }
  if (o_.bind_count <= 0) o_.bind_count = static_cast<int>((o_.devices + 4999) / 5000);
  // A different block of source addresses per run, so that sockets left in
  // TIME_WAIT by the previous run do not use up the ephemeral ports.
  if (o_.bind_base < 0) o_.bind_base = static_cast<int>(getpid() % 200) * 64;
  o_.max_pending_connects = std::max(1, o_.max_pending_connects / o_.procs);

  const size_t samples = std::max<size_t>(o_.sequential_samples,
                                          static_cast<size_t>(o_.loaded_rate * (o_.loaded_duration_s + 10)));
  shared_ = make_shared_region(o_.devices, o_.scenario == "latency" ? samples : 1);
  report_.str("scenario", o_.scenario);
  report_.str("label", o_.label);
  report_.num("devices", o_.devices);
  report_.num("procs", o_.procs);
  start_workers();
  int rc = 1;
  if (o_.scenario == "throughput") rc = throughput();
  else if (o_.scenario == "latency") rc = latency();
  else if (o_.scenario == "campaign") rc = campaign();
  report_.num("drops", sum(&WorkerSlot::drops));
  if (sum(&WorkerSlot::drops) > 0) {
    report_.line("WARNING: " + std::to_string(sum(&WorkerSlot::drops)) +
                 " device connections were lost during the run");
  }
  stop_workers();
  report_.num("exit_code", rc);
  report_.write(o_.json_path);
  return rc;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  CLI::App app{"Simulated aliyun-dialect OTA devices (mosquitto-ota benchmarks)"};
  app.add_option("--scenario", o.scenario, "throughput | latency | campaign")->required()
      ->check(CLI::IsMember({"throughput", "latency", "campaign"}));
  app.add_option("--host", o.host, "broker address (loopback)");
  app.add_option("--port", o.port, "broker port");
  app.add_option("--label", o.label, "name printed with every figure");
  app.add_option("--devices", o.devices, "simulated devices (one connection each)");
  app.add_option("--procs", o.procs, "worker processes (0: as few as the descriptor limit allows)");
  app.add_option("--bind-count", o.bind_count, "source addresses 127.x.y.z to spread connections over (0: one per 5000)");
  app.add_option("--bind-base", o.bind_base, "index of the first source address (default: from the pid)");
  app.add_option("--max-pending-connects", o.max_pending_connects, "connects in flight, all processes together");
  app.add_option("--product", o.product, "product key");
  app.add_option("--prefix", o.prefix, "device names are <prefix><n>");
  app.add_option("--old-version", o.old_version, "version devices report first");
  app.add_option("--new-version", o.new_version, "version of the package");
  app.add_option("--qos", o.qos, "QoS of device reports");
  app.add_option("--admin-user", o.admin_user, "MQTT username of the operator");
  app.add_option("--control-topic", o.control_topic, "where commands go");
  app.add_option("--response-topic", o.response_topic, "where replies come");
  app.add_option("--json", o.json_path, "write the figures to this file as JSON");
  app.add_option("--raw", o.raw_path, "write per-device timestamps (campaign) or every latency sample (latency) as CSV");
  app.add_option("--broker-pid", o.broker_pid, "read the broker's CPU time from /proc");
  app.add_option("--service-pid", o.service_pid, "read the external service's CPU time from /proc");
  app.add_option("--db-path", o.db_path, "the plugin's LMDB directory: count write transactions");
  app.add_option("--connect-timeout", o.connect_timeout_s, "seconds to connect every device");
  app.add_option("--warmup", o.warmup_s, "throughput: seconds before the measured window");
  app.add_option("--duration", o.duration_s, "throughput: seconds measured per phase");
  app.add_flag("!--no-known", o.known_phase, "throughput: skip the known-devices phase");
  app.add_flag("!--no-new", o.new_phase, "throughput: skip the new-devices phase");
  app.add_option("--disconnect-timeout", o.disconnect_timeout_s, "seconds to wait for the broker after disconnecting");
  app.add_option("--samples", o.sequential_samples, "latency: one-at-a-time samples");
  app.add_option("--rate", o.loaded_rate, "latency: reports/s offered in the loaded run");
  app.add_option("--loaded-duration", o.loaded_duration_s, "latency: seconds of the loaded run");
  app.add_option("--rate-per-minute", o.rate_per_minute, "campaign: the job's ratePerMinute (0: none)");
  app.add_option("--steps", o.steps, "campaign: progress steps each device reports");
  app.add_option("--step-delay-ms", o.step_delay_ms, "campaign: pause before each progress step and the final report");
  app.add_option("--job-timeout", o.job_timeout_s, "the job's timeoutSeconds");
  app.add_option("--campaign-timeout", o.campaign_timeout_s, "campaign: give up after this many seconds");
  CLI11_PARSE(app, argc, argv);

  return bench::run_orchestrator<Orchestrator>("loadgen", o);
}
