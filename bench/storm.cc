// storm: a reconnect storm of stored devices (issue 15, item 2;
// bench/RESULTS.md "(g)"), driven by bench/run-storm.
//
// Every device is one MQTT connection with the identity of Alibaba's device
// SDK (username "{dn}&{pk}", clean session false; client id
// "{pk}.{dn}|timestamp=..,securemode=3,..|" for SDK 3.x), as the plugin's
// default plugin_opt_device_identity sdk expects. On CONNACK a device does
// what the SDK does: SDK 3.x subscribes to /ota/device/upgrade/{pk}/{dn}
// (QoS 1), and reports its version on /ota/device/inform/{pk}/{dn} (QoS 1)
// without waiting for the SUBACK; --sdk linksdk4 sends no SUBSCRIBE (its
// client id carries _ss=1: the platform subscribes for it). Devices with
// index % 100 < --due-percent report --source-version, the others
// --current-version.
//
// --phase register (not measured, against the plugin): every device connects,
//   subscribes, reports and disconnects; then an admin creates a package of
//   --new-version and a job over the product's devices on --source-version
//   (static, or --job dynamic), and waits until it is planned with one task
//   per due device. The broker is then restarted by the driver script.
// --phase storm: every device connects at once (as many connects in flight
//   as the broker's listen backlog takes: mosquitto listens with a backlog
//   of 100, and a SYN beyond it is dropped and retried by the kernel after
//   1 s, which would measure the kernel's timer instead of the broker).
//   Measured from the first connect until every CONNACK, SUBACK and PUBACK
//   has arrived and, with --expect-notifications, every due device has
//   received its upgrade notification (and no other device has).
//
// Devices are spread over worker processes when one process cannot hold
// them all (three descriptors per libmosquitto client). Exit status 0 only
// when everything arrived; 2 with a message saying what is missing.
//
//   ota_storm --port P --phase storm [--devices 10000 --expect-notifications --json out.json]
#include <jansson.h>
#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <memory>
#include <new>
#include <optional>
#include <string>
#include <vector>

#include "client_set.h"
#include "sync_client.h"
#include "worker_processes.h"

namespace {

using bench::now_ns;
using bench::ns_to_s;

constexpr int kMaxProcs = 64;
constexpr int64_t kSecond = 1'000'000'000LL;

struct Options {
  std::string host = "127.0.0.1";
  int port = 1883;
  std::string phase;
  size_t devices = 10000;
  int due_percent = 10;
  int procs = 0;
  int bind_count = 0;
  int bind_base = -1;
  int max_pending_connects = 90;
  std::string product = "pk";
  std::string prefix = "d";
  std::string current_version = "1.1.0";
  std::string source_version = "1.0.0";
  std::string new_version = "2.0.0";
  std::string job = "static";
  std::string sdk = "alibaba3";
  std::string admin_user = "admin";
  bool expect_notifications = false;
  double timeout_s = 120;
  double linger_s = 1;
  int broker_pid = 0;
  std::vector<int> interrupt_pids;
  std::string json_path;

  bool due(size_t index) const { return static_cast<int>(index % 100) < due_percent; }
  bool subscribes() const { return sdk == "alibaba3"; }
};

// ------------------------------------------------------------ shared state

enum Command : int { kBuild = 0, kGo, kDisconnect, kExit };

struct alignas(64) WorkerSlot {
  std::atomic<int> built{0};         // devices created, waiting for kGo
  std::atomic<int> complete{0};      // every device of the worker done
  std::atomic<int> disconnected{0};  // after kDisconnect: every socket closed
  std::atomic<uint64_t> failed{0};          // gave up connecting, or refused
  std::atomic<uint64_t> connect_retries{0};
  std::atomic<uint64_t> drops{0};           // connections lost after CONNACK
  std::atomic<uint64_t> duplicates{0};      // notifications beyond the first
  std::atomic<uint64_t> unexpected{0};      // notifications to a device not due
  std::atomic<uint64_t> malformed{0};       // upgrade messages not naming --new-version
};

// One anonymous shared mapping set up before fork(): the control block and
// one time per device and event (ns, 0 = not yet). Workers write only their
// own slot and their own devices' entries.
struct Shared {
  std::atomic<int> command{kBuild};
  WorkerSlot workers[kMaxProcs];
  int64_t* connack_at = nullptr;
  int64_t* suback_at = nullptr;
  int64_t* puback_at = nullptr;
  int64_t* notified_at = nullptr;
};

Shared* make_shared_region(size_t devices) {
  const size_t bytes = sizeof(Shared) + 4 * devices * sizeof(int64_t);
  void* mem = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (mem == MAP_FAILED) throw std::runtime_error("mmap of the shared region failed");
  auto* s = new (mem) Shared();
  auto* arrays = reinterpret_cast<int64_t*>(static_cast<char*>(mem) + sizeof(Shared));
  s->connack_at = arrays;
  s->suback_at = arrays + devices;
  s->puback_at = arrays + 2 * devices;
  s->notified_at = arrays + 3 * devices;
  return s;
}

// Whether an upgrade message announces `version` (data.version, aliyun).
bool announces(const struct mosquitto_message& m, const std::string& version) {
  json_t* root = json_loadb(static_cast<const char*>(m.payload), m.payloadlen, 0, nullptr);
  if (root == nullptr) return false;
  const char* v = json_string_value(json_object_get(json_object_get(root, "data"), "version"));
  const bool ok = v != nullptr && version == v;
  json_decref(root);
  return ok;
}

// ------------------------------------------------------------------ worker

class Worker;

class Device : public bench::Client {
 public:
  Device(Worker& worker, size_t index, bench::ConnectSpec spec, const Options& o)
      : Client(std::move(spec)),
        worker_(worker),
        index_(index),
        due_(o.due(index)),
        subscribes_(o.subscribes()) {
    const std::string name = o.prefix + std::to_string(index);
    inform_topic_ = "/ota/device/inform/" + o.product + "/" + name;
    upgrade_topic_ = "/ota/device/upgrade/" + o.product + "/" + name;
    report_ = "{\"id\":\"1\",\"params\":{\"version\":\"" +
              (due_ ? o.source_version : o.current_version) + "\"}}";
    set_read_batch(4);
  }
  size_t index() const { return index_; }
  bool due() const { return due_; }

 protected:
  void on_connect(int rc) override;
  void on_subscribe(int mid) override;
  void on_publish(int mid) override;
  void on_message(const struct mosquitto_message& m) override;

 private:
  Worker& worker_;
  size_t index_;
  bool due_;
  bool subscribes_;
  std::string inform_topic_, upgrade_topic_, report_;
  int subscribe_mid_ = -1;
  int report_mid_ = -1;
};

class Worker {
 public:
  Worker(const Options& o, Shared* shared, int id, size_t begin, size_t end)
      : o_(o), shared_(shared), slot_(shared->workers[id]), begin_(begin), end_(end) {}
  int run();

  // Device hooks: the first time of each event, then whether it is done.
  void connacked(Device& d) { first(shared_->connack_at, d); }
  void subacked(Device& d) { first(shared_->suback_at, d); }
  void pubacked(Device& d) { first(shared_->puback_at, d); }
  void notified(Device& d, const struct mosquitto_message& m);

 private:
  void first(int64_t* at, Device& d);
  bool done(const Device& d) const;
  void publish_counters();

  const Options& o_;
  Shared* shared_;
  WorkerSlot& slot_;
  size_t begin_, end_;
  bench::ClientSet set_;
  std::vector<std::unique_ptr<Device>> devices_;
  size_t done_ = 0;
  uint64_t refused_ = 0;
};

void Device::on_connect(int rc) {
  if (rc != 0) return;  // counted by the set as failed
  worker_.connacked(*this);
  // As the SDK does on connect: subscribe, then report, without waiting.
  if (subscribes_) subscribe(upgrade_topic_, 1, &subscribe_mid_);
  publish(inform_topic_, report_, 1, &report_mid_);
}
void Device::on_subscribe(int mid) {
  if (mid == subscribe_mid_) worker_.subacked(*this);
}
void Device::on_publish(int mid) {
  if (mid == report_mid_) worker_.pubacked(*this);
}
void Device::on_message(const struct mosquitto_message& m) {
  if (upgrade_topic_ == m.topic) worker_.notified(*this, m);
}

bool Worker::done(const Device& d) const {
  const size_t i = d.index();
  if (shared_->connack_at[i] == 0 || shared_->puback_at[i] == 0 ||
      (o_.subscribes() && shared_->suback_at[i] == 0)) {
    return false;
  }
  return !(o_.expect_notifications && d.due()) || shared_->notified_at[i] != 0;
}

void Worker::first(int64_t* at, Device& d) {
  if (at[d.index()] != 0) return;
  at[d.index()] = now_ns();
  if (done(d)) done_++;
}

void Worker::notified(Device& d, const struct mosquitto_message& m) {
  const int64_t now = now_ns();
  if (!d.due() || !o_.expect_notifications) {
    slot_.unexpected.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  if (!announces(m, o_.new_version)) {
    slot_.malformed.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  if (shared_->notified_at[d.index()] != 0) {
    slot_.duplicates.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  shared_->notified_at[d.index()] = now;
  if (done(d)) done_++;
}

void Worker::publish_counters() {
  slot_.failed.store(set_.failed_count());
  slot_.connect_retries.store(set_.connect_errors());
  slot_.drops.store(set_.drops());
}

int Worker::run() {
  const int bind_count = std::max(1, o_.bind_count);
  set_.set_max_pending_connects(o_.max_pending_connects);
  set_.set_max_attempts(10);
  for (size_t i = begin_; i < end_; ++i) {
    const std::string name = o_.prefix + std::to_string(i);
    bench::ConnectSpec spec;
    spec.host = o_.host;
    spec.port = o_.port;
    spec.bind_address = bench::loopback_address(o_.bind_base + static_cast<int>(i % bind_count));
    spec.client_id = o_.product + "." + name +
                     (o_.subscribes()
                          ? "|timestamp=2524608000000,securemode=3,signmethod=hmacsha256,lan=C|"
                          : "|timestamp=2524608000000,_ss=1,_v=sdk-c-4.2.0,securemode=3,"
                            "signmethod=hmacsha256,ext=3,|");
    spec.username = name + "&" + o_.product;
    spec.clean_session = false;
    devices_.push_back(std::make_unique<Device>(*this, i, spec, o_));
  }
  slot_.built.store(1);
  while (shared_->command.load() == kBuild) usleep(50);

  // The storm: every device queued at once.
  for (auto& d : devices_) set_.add(d.get());
  bool disconnecting = false;
  while (true) {
    const int command = shared_->command.load();
    if (command == kExit) break;
    if (command == kDisconnect && !disconnecting) {
      disconnecting = true;
      for (auto& d : devices_) d->disconnect();
    }
    set_.run_once(5);
    publish_counters();
    if (done_ + set_.failed_count() >= devices_.size()) slot_.complete.store(1);
    if (disconnecting && set_.connected_count() == 0 && set_.waiting_count() == 0) {
      slot_.disconnected.store(1);
    }
  }
  devices_.clear();
  return 0;
}

// ------------------------------------------------------------------ parent

std::string seconds_text(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f s", s);
  return buf;
}

// The latest of the devices' times of one event, and how many have it.
struct Last {
  int64_t at = 0;
  size_t count = 0;
};
Last last_of(const int64_t* at, size_t n, const Options& o, bool due_only) {
  Last l;
  for (size_t i = 0; i < n; ++i) {
    if (due_only && !o.due(i)) continue;
    if (at[i] == 0) continue;
    l.count++;
    l.at = std::max(l.at, at[i]);
  }
  return l;
}

// Per-device intervals between two events, for the devices that have both.
bench::Percentiles between(const int64_t* from, const int64_t* to, size_t n, const Options& o,
                           bool due_only) {
  std::vector<int64_t> samples;
  for (size_t i = 0; i < n; ++i) {
    if (due_only && !o.due(i)) continue;
    if (from[i] != 0 && to[i] != 0) samples.push_back(to[i] - from[i]);
  }
  return bench::percentiles(samples);
}

class Orchestrator {
 public:
  explicit Orchestrator(Options o) : o_(std::move(o)) {}
  int run();

 private:
  void start_workers();
  void stop_workers();
  bool wait_all(std::atomic<int> WorkerSlot::*flag, double timeout_s);
  uint64_t sum(std::atomic<uint64_t> WorkerSlot::*field) const;
  size_t due_count() const;
  double own_cpu_seconds() const;  // this process and its workers
  int storm();
  int register_devices();
  std::optional<std::string> control(bench::SyncClient& admin, const std::string& body,
                                     double timeout_s);
  int create_job();
  void figure(const std::string& key, double value, const std::string& text = {});

  Options o_;
  Shared* shared_ = nullptr;
  bench::WorkerProcesses workers_;
  std::vector<std::pair<std::string, double>> figures_;
};

uint64_t Orchestrator::sum(std::atomic<uint64_t> WorkerSlot::*field) const {
  uint64_t total = 0;
  for (int i = 0; i < o_.procs; ++i) total += (shared_->workers[i].*field).load();
  return total;
}

size_t Orchestrator::due_count() const {
  size_t n = 0;
  for (size_t i = 0; i < o_.devices; ++i) n += o_.due(i) ? 1 : 0;
  return n;
}

double Orchestrator::own_cpu_seconds() const {
  double total = bench::process_cpu_seconds(getpid());
  for (pid_t pid : workers_.pids()) total += bench::process_cpu_seconds(pid);
  return total;
}

void Orchestrator::figure(const std::string& key, double value, const std::string& text) {
  figures_.emplace_back(key, value);
  if (!text.empty()) std::cout << "[" << o_.phase << "] " << text << std::endl;
}

bool Orchestrator::wait_all(std::atomic<int> WorkerSlot::*flag, double timeout_s) {
  const int64_t deadline = now_ns() + static_cast<int64_t>(timeout_s * 1e9);
  while (true) {
    bool all = true;
    for (int i = 0; i < o_.procs && all; ++i) all = (shared_->workers[i].*flag).load() != 0;
    if (all) return true;
    if (now_ns() > deadline || !workers_.alive()) return false;
    usleep(200);
  }
}

void Orchestrator::start_workers() {
  workers_.start_sliced(o_.procs, o_.devices, [&](int i, size_t begin, size_t end) {
    Worker w(o_, shared_, i, begin, end);
    return w.run();
  }, "storm");
}

void Orchestrator::stop_workers() {
  shared_->command.store(kExit);
  workers_.reap(10);
}

int Orchestrator::storm() {
  const size_t n = o_.devices;
  const size_t due = o_.expect_notifications ? due_count() : 0;
  if (!wait_all(&WorkerSlot::built, 120)) {
    std::cerr << "storm: the workers did not create their clients\n";
    return 1;
  }
  const double broker_cpu0 = o_.broker_pid ? bench::process_cpu_seconds(o_.broker_pid) : 0;
  const double own_cpu0 = own_cpu_seconds();
  const double machine0 = bench::machine_busy_seconds();
  const int64_t t0 = now_ns();
  shared_->command.store(kGo);
  const bool complete = wait_all(&WorkerSlot::complete, o_.timeout_s);
  const int64_t t_complete = now_ns();
  const double broker_cpu = o_.broker_pid ? bench::process_cpu_seconds(o_.broker_pid) - broker_cpu0 : 0;
  const double own_cpu = own_cpu_seconds() - own_cpu0;
  const double machine = bench::machine_busy_seconds() - machine0;
  // Profilers of the broker (perf record, perf stat) stop here: the storm only.
  for (int pid : o_.interrupt_pids) {
    if (pid > 0) kill(pid, SIGINT);
  }
  // Late duplicates or strays still count against the run.
  usleep(static_cast<useconds_t>(o_.linger_s * 1e6));

  const Last connack = last_of(shared_->connack_at, n, o_, false);
  const Last suback = last_of(shared_->suback_at, n, o_, false);
  const Last puback = last_of(shared_->puback_at, n, o_, false);
  const Last notified = last_of(shared_->notified_at, n, o_, true);
  const int64_t end = std::max({connack.at, suback.at, puback.at, notified.at});
  const uint64_t failed = sum(&WorkerSlot::failed);
  char buf[512];
  std::snprintf(buf, sizeof buf,
                "storm of %zu %s devices (%zu due a notification, %d processes, %d connects in "
                "flight): %.3f s until every report was acknowledged%s",
                n, o_.sdk.c_str(), due, o_.procs, o_.max_pending_connects * o_.procs, ns_to_s(end - t0),
                due ? " and every notification received" : "");
  figure("storm_s", ns_to_s(end - t0), buf);
  const std::string suback_text =
      o_.subscribes() ? seconds_text(ns_to_s(suback.at - t0)) : "(no SUBSCRIBE)";
  std::snprintf(buf, sizeof buf,
                "last CONNACK %.3f s (%.0f connections/s), last SUBACK %s, last PUBACK %.3f s%s",
                ns_to_s(connack.at - t0), connack.count / ns_to_s(connack.at - t0),
                suback_text.c_str(), ns_to_s(puback.at - t0),
                due ? (", last notification " + seconds_text(ns_to_s(notified.at - t0))).c_str()
                    : "");
  figure("connect_s", ns_to_s(connack.at - t0), buf);
  if (o_.subscribes()) figure("suback_s", ns_to_s(suback.at - t0));
  figure("puback_s", ns_to_s(puback.at - t0));
  if (due) figure("notified_s", ns_to_s(notified.at - t0));
  bench::Percentiles report = between(shared_->connack_at, shared_->puback_at, n, o_, false);
  figure("connack_to_puback_p50_ms", report.p50_ms, "CONNACK -> PUBACK per device: " + bench::format(report));
  figure("connack_to_puback_p99_ms", report.p99_ms);
  if (due) {
    bench::Percentiles push = between(shared_->connack_at, shared_->notified_at, n, o_, true);
    figure("connack_to_notification_p50_ms", push.p50_ms,
           "CONNACK -> notification per due device: " + bench::format(push));
    figure("connack_to_notification_p99_ms", push.p99_ms);
  }
  if (o_.broker_pid) {
    std::snprintf(buf, sizeof buf, "broker CPU during the storm: %.3f s (%.0f %% of one core)",
                  broker_cpu, 100 * broker_cpu / ns_to_s(t_complete - t0));
    figure("broker_cpu_s", broker_cpu, buf);
    // The machine is shared: what other processes took meanwhile.
    const double others = std::max(0.0, machine - broker_cpu - own_cpu);
    std::snprintf(buf, sizeof buf,
                  "CPU during the storm (%% of one core, %ld cores): broker %.0f %%, ota_storm %.0f %%, "
                  "other processes %.0f %%",
                  sysconf(_SC_NPROCESSORS_ONLN), 100 * broker_cpu / ns_to_s(t_complete - t0),
                  100 * own_cpu / ns_to_s(t_complete - t0), 100 * others / ns_to_s(t_complete - t0));
    figure("other_cpu_pct", 100 * others / ns_to_s(t_complete - t0), buf);
  }

  const uint64_t duplicates = sum(&WorkerSlot::duplicates);
  const uint64_t unexpected = sum(&WorkerSlot::unexpected);
  const uint64_t malformed = sum(&WorkerSlot::malformed);
  const uint64_t drops = sum(&WorkerSlot::drops);
  std::snprintf(buf, sizeof buf,
                "arrived: %zu CONNACKs, %zu SUBACKs, %zu PUBACKs of %zu; %zu notifications of %zu due; "
                "%llu duplicate, %llu unexpected, %llu malformed notifications; %llu failed connects, "
                "%llu connect attempts retried, %llu connections dropped",
                connack.count, suback.count, puback.count, n, notified.count, due,
                (unsigned long long)duplicates, (unsigned long long)unexpected,
                (unsigned long long)malformed, (unsigned long long)failed,
                (unsigned long long)sum(&WorkerSlot::connect_retries), (unsigned long long)drops);
  figure("notifications", static_cast<double>(notified.count), buf);
  figure("duplicates", static_cast<double>(duplicates));
  figure("failed", static_cast<double>(failed));
  figure("drops", static_cast<double>(drops));

  std::string missing;
  if (!complete) missing += "not complete after " + seconds_text(o_.timeout_s) + "; ";
  if (connack.count < n || (o_.subscribes() && suback.count < n) || puback.count < n) {
    missing += "acknowledgements missing; ";
  }
  if (notified.count < due) missing += std::to_string(due - notified.count) + " notifications missing; ";
  if (unexpected > 0) missing += "notifications to devices not due; ";
  if (malformed > 0) missing += "notifications without the package's version; ";
  if (!missing.empty()) {
    std::cerr << "storm: FAILED: " << missing << "\n";
    return 2;
  }
  if (duplicates > 0) {
    std::cout << "[storm] WARNING: " << duplicates << " due devices were notified more than once\n";
  }
  return 0;
}

std::optional<std::string> Orchestrator::control(bench::SyncClient& admin, const std::string& body,
                                                 double timeout_s) {
  static int counter = 0;
  const std::string corr = "storm" + std::to_string(++counter);
  admin.publish("$CONTROL/ota/v1",
                "{\"commands\":[{" + body + ",\"correlationData\":\"" + corr + "\"}]}", 1);
  const int64_t deadline = now_ns() + static_cast<int64_t>(timeout_s * 1e9);
  while (now_ns() < deadline) {
    std::optional<std::string> reply = admin.wait("$CONTROL/ota/v1/response", ns_to_s(deadline - now_ns()));
    if (reply && reply->find("\"" + corr + "\"") != std::string::npos) return reply;
  }
  return std::nullopt;
}

// data.<object>.<field> of a control reply's first response (an integer or a bool).
std::optional<json_int_t> reply_field(const std::string& reply, const char* object, const char* field) {
  json_t* root = json_loads(reply.c_str(), 0, nullptr);
  if (root == nullptr) return std::nullopt;
  json_t* first = json_array_get(json_object_get(root, "responses"), 0);
  json_t* v = json_object_get(json_object_get(json_object_get(first, "data"), object), field);
  std::optional<json_int_t> out;
  if (json_is_integer(v)) out = json_integer_value(v);
  if (json_is_boolean(v)) out = json_is_true(v) ? 1 : 0;
  json_decref(root);
  return out;
}

int Orchestrator::create_job() {
  bench::SyncClient admin("storm-admin-" + std::to_string(getpid()), o_.admin_user);
  if (!admin.connect(o_.host, o_.port) || !admin.subscribe("$CONTROL/ota/v1/response", 1)) {
    std::cerr << "storm: the admin cannot connect and subscribe\n";
    return 1;
  }
  std::optional<std::string> reply = control(
      admin,
      "\"command\":\"createPackage\",\"product\":\"" + o_.product + "\",\"version\":\"" +
          o_.new_version + "\",\"url\":\"https://firmware.example.com/fw-" + o_.new_version +
          ".bin\",\"size\":432945,\"sign\":\"93230c3bde425a9d93230c3bde425a9d\",\"signMethod\":\"MD5\"",
      30);
  const std::optional<json_int_t> package = reply ? reply_field(*reply, "package", "id") : std::nullopt;
  if (!package) {
    std::cerr << "storm: createPackage failed: " << reply.value_or("no reply") << "\n";
    return 1;
  }
  reply = control(admin,
                  "\"command\":\"createJob\",\"packageId\":" + std::to_string(*package) +
                      ",\"all\":true,\"sourceVersions\":[\"" + o_.source_version + "\"]" +
                      (o_.job == "dynamic" ? ",\"dynamic\":true" : "") + ",\"timeoutSeconds\":86400",
                  120);
  const std::optional<json_int_t> job = reply ? reply_field(*reply, "job", "id") : std::nullopt;
  if (!job) {
    std::cerr << "storm: createJob failed: " << reply.value_or("no reply") << "\n";
    return 1;
  }
  // Big jobs are planned in slices after the reply: wait for the last.
  const size_t due = due_count();
  const int64_t deadline = now_ns() + 120 * kSecond;
  std::optional<json_int_t> tasks;
  while (now_ns() < deadline) {
    reply = control(admin, "\"command\":\"getJob\",\"jobId\":" + std::to_string(*job), 30);
    if (!reply) break;
    tasks = reply_field(*reply, "job", "taskCount");
    if (reply_field(*reply, "job", "expanding").value_or(1) == 0) break;
    usleep(100000);
  }
  std::cout << "[register] job " << *job << " (" << o_.job << ", package " << *package << " "
            << o_.new_version << ", devices on " << o_.source_version << "): "
            << (tasks ? std::to_string(*tasks) : "?") << " tasks for " << due << " due devices"
            << std::endl;
  if (!tasks || static_cast<size_t>(*tasks) != due) {
    std::cerr << "storm: the job's tasks do not match the due devices: "
              << reply.value_or("no reply") << "\n";
    return 2;
  }
  return 0;
}

int Orchestrator::register_devices() {
  if (!wait_all(&WorkerSlot::built, 120)) return 1;
  const int64_t t0 = now_ns();
  shared_->command.store(kGo);
  const bool complete = wait_all(&WorkerSlot::complete, o_.timeout_s);
  const Last puback = last_of(shared_->puback_at, o_.devices, o_, false);
  const uint64_t unexpected = sum(&WorkerSlot::unexpected);
  std::printf("[register] %zu of %zu devices reported their version in %.3f s\n", puback.count,
              o_.devices, ns_to_s(now_ns() - t0));
  if (!complete || puback.count < o_.devices || unexpected > 0) {
    std::cerr << "storm: registration incomplete (" << puback.count << " of " << o_.devices
              << " reports acknowledged, " << unexpected << " notifications before any job)\n";
    return 2;
  }
  // Offline before the job exists: its tasks wait for the storm.
  shared_->command.store(kDisconnect);
  if (!wait_all(&WorkerSlot::disconnected, 60)) {
    std::cerr << "storm: the devices did not disconnect\n";
    return 2;
  }
  return create_job();
}

int Orchestrator::run() {
  const long limit = bench::raise_nofile_limit();
  const size_t per_proc = bench::max_clients_per_process(limit);
  if (o_.procs <= 0) o_.procs = static_cast<int>((o_.devices + per_proc - 1) / per_proc);
  o_.procs = std::clamp(o_.procs, 1, kMaxProcs);
  if ((o_.devices + o_.procs - 1) / o_.procs > per_proc) {
    std::cerr << "storm: " << o_.devices << " devices over " << o_.procs
              << " processes exceed the descriptor limit (" << limit << ")\n";
    return 1;
  }
  if (o_.bind_count <= 0) o_.bind_count = static_cast<int>((o_.devices + 4999) / 5000);
  // A different block of source addresses per run: sockets left in
  // TIME_WAIT by the previous run do not use up the ephemeral ports.
  if (o_.bind_base < 0) o_.bind_base = static_cast<int>(getpid() % 200) * 64;
  o_.max_pending_connects = std::max(1, o_.max_pending_connects / o_.procs);
  shared_ = make_shared_region(o_.devices);
  start_workers();
  const int rc = o_.phase == "register" ? register_devices() : storm();
  stop_workers();
  figure("devices", static_cast<double>(o_.devices));
  figure("procs", o_.procs);
  figure("exit_code", rc);
  if (!o_.json_path.empty()) {
    std::ofstream out(o_.json_path);
    out << "{\n";
    for (size_t i = 0; i < figures_.size(); ++i) {
      out << "  \"" << figures_[i].first << "\": " << figures_[i].second
          << (i + 1 < figures_.size() ? ",\n" : "\n");
    }
    out << "}\n";
  }
  return rc;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  CLI::App app{"Reconnect storm of stored aliyun devices (mosquitto-ota benchmarks)"};
  app.add_option("--phase", o.phase, "register (not measured) | storm")->required()
      ->check(CLI::IsMember({"register", "storm"}));
  app.add_option("--host", o.host, "broker address (loopback)");
  app.add_option("--port", o.port, "broker port")->required();
  app.add_option("--devices", o.devices, "devices, one connection each");
  app.add_option("--due-percent", o.due_percent, "devices (index % 100 below it) on the job's source version")
      ->check(CLI::Range(0, 100));
  app.add_option("--procs", o.procs, "worker processes (0: as few as the descriptor limit allows)");
  app.add_option("--bind-count", o.bind_count, "source addresses 127.x.y.z (0: one per 5000 devices)");
  app.add_option("--bind-base", o.bind_base, "index of the first source address (default: from the pid)");
  app.add_option("--max-pending-connects", o.max_pending_connects,
                 "connects in flight, all processes together (mosquitto's listen backlog is 100)");
  app.add_option("--product", o.product, "product key");
  app.add_option("--prefix", o.prefix, "device names are <prefix><n>");
  app.add_option("--current-version", o.current_version, "version the devices not due report");
  app.add_option("--source-version", o.source_version, "version the due devices report");
  app.add_option("--new-version", o.new_version, "the package's version");
  app.add_option("--sdk", o.sdk, "alibaba3 (subscribes) | linksdk4 (no SUBSCRIBE)")
      ->check(CLI::IsMember({"alibaba3", "linksdk4"}));
  app.add_option("--job", o.job, "register: static | dynamic")->check(CLI::IsMember({"static", "dynamic"}));
  app.add_option("--admin-user", o.admin_user, "register: MQTT username of the operator");
  app.add_flag("--expect-notifications", o.expect_notifications,
               "storm: every due device must receive its upgrade notification");
  app.add_option("--timeout", o.timeout_s, "seconds until everything must have arrived");
  app.add_option("--linger", o.linger_s, "storm: seconds to watch for late duplicates afterwards");
  app.add_option("--broker-pid", o.broker_pid, "read the broker's CPU time from /proc");
  app.add_option("--interrupt-when-done", o.interrupt_pids,
                 "storm: send SIGINT to these processes (profilers) once everything arrived");
  app.add_option("--json", o.json_path, "write the figures to this file as JSON");
  CLI11_PARSE(app, argc, argv);

  return bench::run_orchestrator<Orchestrator>("storm", o);
}
