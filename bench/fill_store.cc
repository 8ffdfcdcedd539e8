// fill_store: writes N devices straight into an OTA database through the
// project's LmdbStore (commits in batches, the last one synced), then
// reports how much room each device-module record takes.
//
// With --job-device it also creates, through the control API of the
// project's OtaService, a package and a job for that one device and lets it
// be notified, so that after a broker restart a report of that device's old
// version must be answered with a notification: startup_probe's "first
// message handled".
//
//   fill_store --db /tmp/db --devices 1000000 --batch 10000 --job-device d0 [--modules 3]
#include <lmdb.h>
#include <sys/stat.h>
#include <time.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "assembly/service_assembly.h"
#include "storage/lmdb_store.h"

namespace {

ota::TimeMs wall_ms() {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<ota::TimeMs>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

struct DbPages {
  std::string name;
  MDB_stat stat;
};

// Page statistics of every named database, read with plain LMDB after the
// store is closed (the names are the keys of the main database).
bool read_page_stats(const std::string& dir, MDB_envinfo& info, MDB_stat& env_stat,
                     std::vector<DbPages>& dbs) {
  MDB_env* env = nullptr;
  if (mdb_env_create(&env) != 0) return false;
  mdb_env_set_maxdbs(env, 64);
  bool ok = false;
  if (mdb_env_open(env, dir.c_str(), MDB_RDONLY, 0600) == 0) {
    MDB_txn* txn = nullptr;
    MDB_dbi main_dbi;
    MDB_cursor* cursor = nullptr;
    if (mdb_env_info(env, &info) == 0 && mdb_env_stat(env, &env_stat) == 0 &&
        mdb_txn_begin(env, nullptr, MDB_RDONLY, &txn) == 0 &&
        mdb_dbi_open(txn, nullptr, 0, &main_dbi) == 0 &&
        mdb_cursor_open(txn, main_dbi, &cursor) == 0) {
      MDB_val k, v;
      std::vector<std::string> names;
      while (mdb_cursor_get(cursor, &k, &v, MDB_NEXT) == 0) {
        names.emplace_back(static_cast<const char*>(k.mv_data), k.mv_size);
      }
      mdb_cursor_close(cursor);
      for (const std::string& name : names) {
        MDB_dbi dbi;
        DbPages p{name, {}};
        if (mdb_dbi_open(txn, name.c_str(), 0, &dbi) == 0 && mdb_stat(txn, dbi, &p.stat) == 0) {
          dbs.push_back(p);
        }
      }
      ok = true;
    }
    if (txn) mdb_txn_abort(txn);
  }
  mdb_env_close(env);
  return ok;
}

}  // namespace

int main(int argc, char** argv) {
  std::string db;
  uint64_t devices = 100000;
  uint64_t batch = 10000;
  std::string product = "pk";
  std::string prefix = "d";
  std::string version = "1.0.0";
  std::string job_device;
  std::string json_path;
  size_t map_size_mb = 4096;
  int modules = 1;
  CLI::App app{"Fill an OTA database with devices through LmdbStore"};
  app.add_option("--db", db, "LMDB directory (created)")->required();
  app.add_option("--devices", devices, "devices to write");
  app.add_option("--batch", batch, "devices per write transaction");
  app.add_option("--product", product, "product key");
  app.add_option("--prefix", prefix, "device names are <prefix><n>");
  app.add_option("--version", version, "the version every device has");
  app.add_option("--modules", modules, "modules per device: default, m1, m2, ...");
  app.add_option("--job-device", job_device, "also create a notified task for this device");
  app.add_option("--map-size-mb", map_size_mb, "LMDB map size");
  app.add_option("--json", json_path, "write the figures to this file as JSON");
  CLI11_PARSE(app, argc, argv);

  const auto t0 = std::chrono::steady_clock::now();
  const ota::TimeMs now = wall_ms();
  try {
    ota::LmdbStoreOptions opts;
    opts.map_size = map_size_mb * size_t{1024} * 1024;
    auto store = ota::LmdbStore::open(db, opts);
    for (uint64_t i = 0; i < devices; ++i) {
      ota::Device d;
      d.key = {product, prefix + std::to_string(i)};
      d.modules[std::string(ota::kDefaultModule)] = ota::ModuleState{version, now};
      for (int m = 1; m < modules; ++m) d.modules["m" + std::to_string(m)] = ota::ModuleState{version, now};
      d.first_seen = now;
      d.last_seen = now;
      store->put_device(d);
      if ((i + 1) % batch == 0) store->commit(false);
    }
    store->commit(true);
  } catch (const std::exception& e) {
    std::cerr << "fill_store: " << e.what() << "\n";
    return 1;
  }
  const double fill_s = seconds_since(t0);

  if (!job_device.empty()) {
    // Package and job through the control API (the contract), then one
    // flush: the device's task is notified and committed.
    auto options = ota::parse_plugin_options(
        {{"db_path", db}, {"admins", "admin"}, {"sys_interval", "0"},
         {"db_map_size_mb", std::to_string(map_size_mb)}});
    if (!options) {
      std::cerr << "fill_store: " << options.error() << "\n";
      return 1;
    }
    std::string log;
    auto service = ota::open_ota_service(options.value(), [&](ota::LogLevel, const std::string& l) {
      log += l + "\n";
    });
    if (!service) {
      std::cerr << "fill_store: " << service.error() << "\n";
      return 1;
    }
    int handle = 0;
    ota::ClientInfo admin{&handle, "fill_store", "admin"};
    service.value()->on_control(
        R"({"commands":[{"command":"createPackage","product":")" + product +
            R"(","version":"2.0.0","url":"https://firmware.example.com/fw-2.0.0.bin","size":432945,"sign":"93230c3bde425a9d93230c3bde425a9d","signMethod":"MD5"}]})",
        admin, wall_ms());
    service.value()->flush(wall_ms());
    service.value()->on_control(R"({"commands":[{"command":"createJob","packageId":1,"devices":[")" +
                                    job_device + R"("],"timeoutSeconds":86400}]})",
                                admin, wall_ms());
    std::vector<ota::OutboundMessage> out = service.value()->flush(wall_ms());
    // A push due "now" may need one more flush after the job's commit.
    for (int i = 0; i < 3; ++i) {
      for (auto& m : service.value()->flush(wall_ms())) out.push_back(m);
    }
    service.value()->close();
    bool notified = false, job_created = false;
    for (auto& m : out) {
      if (m.topic.find("/ota/device/upgrade/") == 0) notified = true;
      if (m.payload.find("\"error\"") != std::string::npos) {
        std::cerr << "fill_store: " << m.payload << "\n" << log;
        return 1;
      }
      if (m.payload.find("\"createJob\"") != std::string::npos) job_created = true;
    }
    if (!job_created) {
      std::cerr << "fill_store: no reply to createJob\n" << log;
      return 1;
    }
    // Without a connection the device is offline: depending on the job's
    // offline policy its task is notified now or waits for its next report.
    // Either way, that report must be answered with the notification.
    std::printf("fill_store: job 1 for %s created; its task is %s\n", job_device.c_str(),
                notified ? "notified" : "queued until the device reports");
  }

  MDB_envinfo info{};
  MDB_stat env_stat{};
  std::vector<DbPages> dbs;
  if (!read_page_stats(db, info, env_stat, dbs)) {
    std::cerr << "fill_store: cannot read page statistics of " << db << "\n";
    return 1;
  }
  struct stat st {};
  const std::string data_file = db + "/data.mdb";
  stat(data_file.c_str(), &st);
  const double used_bytes = static_cast<double>(info.me_last_pgno + 1) * env_stat.ms_psize;
  double device_pages = 0;
  uint64_t device_entries = 0;
  for (const DbPages& p : dbs) {
    if (p.name == "devices") {
      device_pages = static_cast<double>(p.stat.ms_branch_pages + p.stat.ms_leaf_pages +
                                         p.stat.ms_overflow_pages);
      device_entries = p.stat.ms_entries;
    }
  }
  std::printf("fill_store: %llu devices (1 module each) in %.2f s: %.0f devices/s in batches of %llu\n",
              (unsigned long long)devices, fill_s, devices / fill_s, (unsigned long long)batch);
  std::printf("fill_store: data.mdb %lld bytes on file (%lld allocated), %.0f bytes in use (%zu pages of %u)\n",
              (long long)st.st_size, (long long)st.st_blocks * 512, used_bytes,
              (size_t)(info.me_last_pgno + 1), env_stat.ms_psize);
  // One record per device holds all its modules.
  const double records = static_cast<double>(devices) * modules;
  std::printf("fill_store: %.1f bytes per device-module record (data.mdb / devices / modules), "
              "%.1f bytes per device-module in the devices database's own pages (%llu entries)\n",
              static_cast<double>(st.st_size) / records, device_pages * env_stat.ms_psize / records,
              (unsigned long long)device_entries);
  for (const DbPages& p : dbs) {
    std::printf("fill_store:   db %-14s entries %10llu  depth %u  branch %8llu  leaf %9llu  overflow %6llu pages\n",
                p.name.c_str(), (unsigned long long)p.stat.ms_entries, p.stat.ms_depth,
                (unsigned long long)p.stat.ms_branch_pages, (unsigned long long)p.stat.ms_leaf_pages,
                (unsigned long long)p.stat.ms_overflow_pages);
  }
  if (!json_path.empty()) {
    std::ofstream out(json_path);
    out << "{\n  \"devices\": " << devices << ",\n  \"fill.seconds\": " << fill_s
        << ",\n  \"fill.rate\": " << devices / fill_s
        << ",\n  \"data_mdb.bytes\": " << st.st_size
        << ",\n  \"data_mdb.used_bytes\": " << used_bytes
        << ",\n  \"bytes_per_record.file\": " << static_cast<double>(st.st_size) / records
        << ",\n  \"bytes_per_record.devices_db\": " << device_pages * env_stat.ms_psize / records
        << ",\n  \"devices_db.entries\": " << device_entries << "\n}\n";
  }
  return 0;
}
