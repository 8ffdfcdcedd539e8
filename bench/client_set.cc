#include "client_set.h"

#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace bench {

int64_t now_ns() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

long raise_nofile_limit() {
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return 1024;
  if (rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
    getrlimit(RLIMIT_NOFILE, &rl);
  }
  return static_cast<long>(rl.rlim_cur);
}

size_t max_clients_per_process(long nofile_limit) {
  // Three descriptors per client (socket + socketpair), some spare for
  // stdio, epoll and pipes.
  long n = (nofile_limit - 64) / 3;
  return n > 0 ? static_cast<size_t>(n) : 1;
}

double process_cpu_seconds(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text;
  if (!std::getline(in, text)) return -1;
  // The command name may hold spaces: fields resume after the last ')'.
  size_t close = text.rfind(')');
  if (close == std::string::npos) return -1;
  std::istringstream fields(text.substr(close + 2));
  std::string field;
  double utime = 0, stime = 0;
  for (int i = 3; i <= 15 && fields >> field; ++i) {
    if (i == 14) utime = std::stod(field);
    if (i == 15) stime = std::stod(field);
  }
  return (utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

double machine_busy_seconds() {
  std::ifstream in("/proc/stat");
  std::string cpu;
  double user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0;
  if (!(in >> cpu >> user >> nice >> system >> idle >> iowait >> irq >> softirq >> steal)) return -1;
  return (user + nice + system + irq + softirq + steal) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

Percentiles percentiles(std::vector<int64_t>& samples) {
  Percentiles p;
  p.count = samples.size();
  if (samples.empty()) return p;
  std::sort(samples.begin(), samples.end());
  auto at = [&](double q) {
    // Nearest rank: the smallest sample with at least q of them at or below.
    size_t rank = static_cast<size_t>(std::ceil(q * static_cast<double>(samples.size())));
    rank = std::clamp<size_t>(rank, 1, samples.size());
    return ns_to_ms(samples[rank - 1]);
  };
  p.p50_ms = at(0.50);
  p.p90_ms = at(0.90);
  p.p99_ms = at(0.99);
  p.max_ms = ns_to_ms(samples.back());
  double sum = 0;
  for (int64_t s : samples) sum += static_cast<double>(s);
  p.mean_ms = sum / static_cast<double>(samples.size()) / 1e6;
  return p;
}

std::string format(const Percentiles& p) {
  char buf[200];
  std::snprintf(buf, sizeof buf, "p50 %.3f ms  p90 %.3f ms  p99 %.3f ms  max %.3f ms  (n=%zu)",
                p.p50_ms, p.p90_ms, p.p99_ms, p.max_ms, p.count);
  return buf;
}

std::string report_payload(uint64_t id, const std::string& version) {
  return "{\"id\":\"" + std::to_string(id) + "\",\"params\":{\"version\":\"" + version + "\"}}";
}

std::string loopback_address(int index) {
  // 127.0.0.10 upwards: clear of 127.0.0.1, where the brokers listen.
  int host = 10 + index;
  return "127.0." + std::to_string(host / 250) + "." + std::to_string(host % 250 + 1);
}

// ---------------------------------------------------------------- Client

Client::Client(ConnectSpec spec) : spec_(std::move(spec)) {
  mosq_ = mosquitto_new(spec_.client_id.empty() ? nullptr : spec_.client_id.c_str(),
                        spec_.clean_session, this);
  if (mosq_ == nullptr) throw std::runtime_error("mosquitto_new failed (out of descriptors?)");
  mosquitto_int_option(mosq_, MOSQ_OPT_TCP_NODELAY, 1);
  mosquitto_int_option(mosq_, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V311);
  if (!spec_.username.empty()) mosquitto_username_pw_set(mosq_, spec_.username.c_str(), nullptr);
  mosquitto_connect_callback_set(mosq_, connect_cb);
  mosquitto_disconnect_callback_set(mosq_, disconnect_cb);
  mosquitto_message_callback_set(mosq_, message_cb);
  mosquitto_publish_callback_set(mosq_, publish_cb);
  mosquitto_subscribe_callback_set(mosq_, subscribe_cb);
}

Client::~Client() {
  if (mosq_ != nullptr) mosquitto_destroy(mosq_);
}

int Client::publish(const std::string& topic, const std::string& payload, int qos, int* mid) {
  int rc = mosquitto_publish(mosq_, mid, topic.c_str(), static_cast<int>(payload.size()),
                             payload.data(), qos, false);
  if (set_ != nullptr) set_->sync_interest(this);
  return rc;
}

int Client::subscribe(const std::string& pattern, int qos, int* mid) {
  int rc = mosquitto_subscribe(mosq_, mid, pattern.c_str(), qos);
  if (set_ != nullptr) set_->sync_interest(this);
  return rc;
}

void Client::disconnect() {
  closing_ = true;
  if (connected_ || pending_) mosquitto_disconnect(mosq_);
  if (set_ != nullptr) set_->sync_interest(this);
}

void Client::connect_cb(struct mosquitto*, void* ud, int rc) {
  auto* c = static_cast<Client*>(ud);
  if (c->set_ != nullptr) c->set_->note_connected(c, rc);
  c->on_connect(rc);
}

void Client::disconnect_cb(struct mosquitto*, void* ud, int rc) {
  auto* c = static_cast<Client*>(ud);
  if (c->set_ != nullptr) c->set_->note_closed(c, rc);
  c->on_disconnect(rc);
}

void Client::message_cb(struct mosquitto*, void* ud, const struct mosquitto_message* m) {
  static_cast<Client*>(ud)->on_message(*m);
}

void Client::publish_cb(struct mosquitto*, void* ud, int mid) {
  static_cast<Client*>(ud)->on_publish(mid);
}

void Client::subscribe_cb(struct mosquitto*, void* ud, int mid, int, const int*) {
  static_cast<Client*>(ud)->on_subscribe(mid);
}

// ------------------------------------------------------------- ClientSet

ClientSet::ClientSet() {
  epfd_ = epoll_create1(EPOLL_CLOEXEC);
  if (epfd_ < 0) throw std::runtime_error("epoll_create1 failed");
}

ClientSet::~ClientSet() {
  for (Client* c : all_) c->set_ = nullptr;
  close(epfd_);
}

void ClientSet::add(Client* c) {
  c->set_ = this;
  all_.push_back(c);
  queue_.push_back(c);
}

void ClientSet::reconnect(Client* c) {
  if (c->connected_ || c->pending_) return;
  c->attempts_ = 0;
  if (c->failed_) {
    c->failed_ = false;
    failed_--;
  }
  queue_.push_back(c);
}

void ClientSet::start_connect(Client* c) {
  c->attempts_++;
  const ConnectSpec& s = c->spec_;
  int rc = mosquitto_connect_bind_async(c->mosq_, s.host.c_str(), s.port, s.keepalive,
                                        s.bind_address.empty() ? nullptr : s.bind_address.c_str());
  if (rc == MOSQ_ERR_SUCCESS && mosquitto_socket(c->mosq_) >= 0) {
    c->pending_ = true;
    pending_++;
    c->fd_ = -1;
    c->events_ = 0;
    sync_interest(c);
    return;
  }
  connect_errors_++;
  if (c->attempts_ < max_attempts_) {
    retry_.emplace(now_ns() + 200'000'000LL * c->attempts_, c);
  } else {
    c->failed_ = true;
    failed_++;
  }
}

void ClientSet::note_connected(Client* c, int rc) {
  if (c->pending_) {
    c->pending_ = false;
    pending_--;
  }
  if (rc == 0) {
    c->connected_ = true;
    connected_++;
  } else {
    // The broker refused the CONNECT: retrying would not help.
    c->failed_ = true;
    failed_++;
    connect_errors_++;
  }
}

void ClientSet::note_closed(Client* c, int) {
  c->fd_ = -1;  // closed by libmosquitto, so already out of the epoll set
  c->events_ = 0;
  if (c->pending_) {
    c->pending_ = false;
    pending_--;
    connect_errors_++;
    if (!c->closing_ && c->attempts_ < max_attempts_) {
      retry_.emplace(now_ns() + 200'000'000LL * c->attempts_, c);
    } else if (!c->failed_) {
      c->failed_ = true;
      failed_++;
    }
  } else if (c->connected_) {
    c->connected_ = false;
    connected_--;
    if (!c->closing_) drops_++;
  }
}

void ClientSet::sync_interest(Client* c) {
  int sock = mosquitto_socket(c->mosq_);
  if (sock < 0) {
    c->fd_ = -1;
    c->events_ = 0;
    return;
  }
  uint32_t want = EPOLLIN | (mosquitto_want_write(c->mosq_) ? uint32_t{EPOLLOUT} : 0u);
  struct epoll_event ev {};
  ev.events = want;
  ev.data.ptr = c;
  if (sock != c->fd_) {
    if (epoll_ctl(epfd_, EPOLL_CTL_ADD, sock, &ev) != 0) {
      epoll_ctl(epfd_, EPOLL_CTL_MOD, sock, &ev);
    }
    c->fd_ = sock;
    c->events_ = want;
  } else if (want != c->events_) {
    epoll_ctl(epfd_, EPOLL_CTL_MOD, sock, &ev);
    c->events_ = want;
  }
}

void ClientSet::serve(Client* c, uint32_t events) {
  struct mosquitto* m = c->mosq_;
  if ((events & EPOLLOUT) && mosquitto_socket(m) >= 0) {
    mosquitto_loop_write(m, 1);
  }
  if ((events & (EPOLLIN | EPOLLERR | EPOLLHUP)) && mosquitto_socket(m) >= 0) {
    for (int i = 0; i < c->read_batch_; ++i) {
      if (mosquitto_loop_read(m, 1) != MOSQ_ERR_SUCCESS) break;
      int sock = mosquitto_socket(m);
      if (sock < 0) break;
      int avail = 0;
      if (ioctl(sock, FIONREAD, &avail) != 0 || avail <= 0) break;
    }
  }
  // Hooks run inside loop_read only queue what they publish: write it now.
  if (mosquitto_socket(m) >= 0 && mosquitto_want_write(m)) mosquitto_loop_write(m, 1);
  sync_interest(c);
}

int ClientSet::run_once(int timeout_ms) {
  const int64_t now = now_ns();
  while (!retry_.empty() && retry_.begin()->first <= now) {
    Client* c = retry_.begin()->second;
    retry_.erase(retry_.begin());
    if (!c->closing_) start_connect(c);
  }
  while (!queue_.empty() && pending_ < static_cast<size_t>(max_pending_)) {
    Client* c = queue_.front();
    queue_.pop_front();
    start_connect(c);
  }
  if (!queue_.empty() && pending_ < static_cast<size_t>(max_pending_)) timeout_ms = 0;

  struct epoll_event events[1024];
  int n = epoll_wait(epfd_, events, 1024, timeout_ms);
  for (int i = 0; i < n; ++i) {
    serve(static_cast<Client*>(events[i].data.ptr), events[i].events);
  }

  const int64_t after = now_ns();
  if (after >= next_misc_) {
    next_misc_ = after + 1'000'000'000LL;
    for (Client* c : all_) {
      if (c->connected_ && mosquitto_socket(c->mosq_) >= 0) {
        mosquitto_loop_misc(c->mosq_);
        sync_interest(c);
      }
    }
  }
  return n > 0 ? n : 0;
}

}  // namespace bench
