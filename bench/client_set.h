// Many libmosquitto clients driven by one thread, without a thread per
// client and without mosquitto_loop_start(): every client's socket sits in
// one epoll set (level-triggered, the scalable form of poll(): with 20,000
// sockets a poll() call would scan them all on every wake-up), and ready
// sockets are served with mosquitto_loop_read() / mosquitto_loop_write();
// mosquitto_loop_misc() runs once a second for keepalive.
//
// Also the few helpers every bench program shares: a monotonic clock,
// percentiles, /proc CPU readings and the file-descriptor limit.
//
// libmosquitto 2.0.11 facts this relies on (lib/packet_mosq.c, lib/loop.c):
// - mosquitto_publish() outside a callback writes at once; inside a
//   callback it only queues, so the set writes after every read.
// - mosquitto_new() opens a socketpair: every client costs three file
//   descriptors, so RLIMIT_NOFILE caps the clients of one process at about
//   limit / 3 (see max_clients_per_process()).
// - mosquitto_connect_bind_async() may return with the TCP connect still in
//   progress; the CONNECT packet leaves when the socket becomes writable.
#pragma once

#include <mosquitto.h>

#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <vector>

namespace bench {

// CLOCK_MONOTONIC in nanoseconds: comparable between processes.
int64_t now_ns();
inline double ns_to_ms(int64_t ns) { return static_cast<double>(ns) / 1e6; }
inline double ns_to_s(int64_t ns) { return static_cast<double>(ns) / 1e9; }

// Raises the soft RLIMIT_NOFILE to the hard limit; returns the new soft limit.
long raise_nofile_limit();
// How many libmosquitto clients fit in one process under that limit.
size_t max_clients_per_process(long nofile_limit);

// User + system CPU time of a process from /proc/<pid>/stat, in seconds
// (-1 if unreadable).
double process_cpu_seconds(int pid);
// CPU time the whole machine spent busy (all cores, from /proc/stat), in
// seconds: minus the benchmark's own processes, what others took.
double machine_busy_seconds();

// Latency summary of nanosecond samples (sorted in place).
struct Percentiles {
  size_t count = 0;
  double p50_ms = 0, p90_ms = 0, p99_ms = 0, max_ms = 0, mean_ms = 0;
};
Percentiles percentiles(std::vector<int64_t>& samples);
std::string format(const Percentiles& p);  // "p50 0.412 ms p90 ... (n=...)"

// An Alibaba version report, {"id":"<id>","params":{"version":"<version>"}}:
// devices number their messages, and a repeated id reads as a redelivery.
std::string report_payload(uint64_t id, const std::string& version);

// Loopback source addresses 127.0.0.<first>..: spreading connections over
// several of them multiplies the ephemeral ports available.
std::string loopback_address(int index);

struct ConnectSpec {
  std::string host = "127.0.0.1";
  int port = 1883;
  std::string bind_address;  // empty: the kernel's choice
  std::string client_id;
  std::string username;
  int keepalive = 600;
  bool clean_session = true;
};

class ClientSet;

// One MQTT connection (MQTT 3.1.1, TCP_NODELAY) served by a ClientSet.
// Subclasses override the hooks; hooks may publish and subscribe.
class Client {
 public:
  explicit Client(ConnectSpec spec);
  virtual ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  bool connected() const { return connected_; }
  bool failed() const { return failed_; }
  const ConnectSpec& spec() const { return spec_; }
  struct mosquitto* mosq() const { return mosq_; }

  // MOSQ_ERR_* of libmosquitto; `mid` receives the message id.
  int publish(const std::string& topic, const std::string& payload, int qos,
              int* mid = nullptr);
  int subscribe(const std::string& pattern, int qos, int* mid = nullptr);
  // Sends DISCONNECT; the socket closes once it is written.
  void disconnect();

  // Packets served per read event (a subscriber receiving a stream wants
  // many, a device one or two).
  void set_read_batch(int packets) { read_batch_ = packets; }

 protected:
  virtual void on_connect(int rc) { (void)rc; }
  virtual void on_disconnect(int rc) { (void)rc; }
  virtual void on_message(const struct mosquitto_message& m) { (void)m; }
  virtual void on_publish(int mid) { (void)mid; }
  virtual void on_subscribe(int mid) { (void)mid; }

 private:
  friend class ClientSet;
  static void connect_cb(struct mosquitto*, void*, int);
  static void disconnect_cb(struct mosquitto*, void*, int);
  static void message_cb(struct mosquitto*, void*, const struct mosquitto_message*);
  static void publish_cb(struct mosquitto*, void*, int);
  static void subscribe_cb(struct mosquitto*, void*, int, int, const int*);

  ConnectSpec spec_;
  struct mosquitto* mosq_ = nullptr;
  ClientSet* set_ = nullptr;
  int fd_ = -1;              // socket registered in the set's epoll
  uint32_t events_ = 0;      // its registered interest
  bool connected_ = false;   // CONNACK accepted, socket open
  bool pending_ = false;     // connect started, no CONNACK yet
  bool failed_ = false;      // gave up connecting
  bool closing_ = false;     // disconnect() called
  int attempts_ = 0;
  int read_batch_ = 2;
};

class ClientSet {
 public:
  ClientSet();
  ~ClientSet();
  ClientSet(const ClientSet&) = delete;
  ClientSet& operator=(const ClientSet&) = delete;

  // Queues `c` for connecting; the set does not own it. At most
  // max_pending_connects() connects are outstanding at once (mosquitto
  // listens with a backlog of 100), failed attempts are retried.
  void add(Client* c);
  // Queues a client added before, whose connection was lost, for
  // connecting again (a device reconnecting after a broker restart).
  void reconnect(Client* c);
  void set_max_pending_connects(int n) { max_pending_ = n; }
  void set_max_attempts(int n) { max_attempts_ = n; }

  // Waits up to timeout_ms for socket events, serves them, starts queued
  // connects and runs keepalive. Returns the number of events served.
  int run_once(int timeout_ms);

  size_t connected_count() const { return connected_; }
  size_t failed_count() const { return failed_; }
  size_t waiting_count() const { return queue_.size() + pending_; }
  // Connection losses after a successful CONNACK (not counting disconnect()).
  uint64_t drops() const { return drops_; }
  uint64_t connect_errors() const { return connect_errors_; }

 private:
  friend class Client;
  void start_connect(Client* c);
  void serve(Client* c, uint32_t events);
  void sync_interest(Client* c);
  void note_closed(Client* c, int rc);
  void note_connected(Client* c, int rc);

  int epfd_ = -1;
  std::deque<Client*> queue_;                       // waiting to connect
  std::multimap<int64_t, Client*> retry_;          // not before -> client
  std::vector<Client*> all_;
  int max_pending_ = 64;
  int max_attempts_ = 5;
  size_t pending_ = 0;
  size_t connected_ = 0;
  size_t failed_ = 0;
  uint64_t drops_ = 0;
  uint64_t connect_errors_ = 0;
  int64_t next_misc_ = 0;
};

}  // namespace bench
